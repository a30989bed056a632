"""Deleting a stack the way `service delete` and `env delete` do: what goes and what stays
listed first (the stack's own resources, read from it), confirmation, stack events until the
stack is gone, and on DELETE_FAILED the resource, AWS's reason and how to finish."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from git_lift import proc, ui
from git_lift.aws.cfn import (
    CloudFormation,
    Stack,
    StackEvent,
    StackFailed,
    StackResource,
    root_cause,
)
from git_lift.aws.store import DELETING
from git_lift.errors import AwsError
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.flows.infra_stack import Progress
from git_lift.flows.interrupts import shielded
from git_lift.flows.rollout import LOCK_MARGIN, taking_over
from git_lift.target import Target

# What each resource a git lift stack makes is, in the words the listing uses.
KINDS = {
    "AWS::ECS::Service": "ECS service",
    "AWS::ECS::TaskDefinition": "task definition",
    "AWS::ECS::Cluster": "ECS cluster",
    "AWS::ECS::ClusterCapacityProviderAssociations": "cluster capacity providers",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "target group",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "listener rule",
    "AWS::ElasticLoadBalancingV2::Listener": "listener",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "load balancer",
    "AWS::Logs::LogGroup": "log group (and its logs)",
    "AWS::IAM::Role": "IAM role",
    "AWS::IAM::Policy": "IAM policy",
    "AWS::IAM::ManagedPolicy": "IAM managed policy",
    "AWS::Logs::ResourcePolicy": "log resource policy",
    "AWS::EC2::SecurityGroup": "security group",
    "AWS::EC2::VPC": "VPC",
    "AWS::EC2::Subnet": "subnet",
    "AWS::EC2::NatGateway": "NAT gateway",
    "AWS::EC2::EIP": "elastic IP",
    "AWS::EC2::InternetGateway": "internet gateway",
    "AWS::EC2::VPCGatewayAttachment": "internet gateway attachment",
    "AWS::EC2::RouteTable": "route table",
    "AWS::EC2::Route": "route",
    "AWS::EC2::SubnetRouteTableAssociation": "route table association",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::ApplicationAutoScaling::ScalableTarget": "autoscaling target",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "scaling policy",
    "AWS::Events::Rule": "event rule",
}


@dataclass
class Listing:
    """What a deletion takes and what it leaves, one line each."""

    goes: list[str] = field(default_factory=list)
    stays: list[str] = field(default_factory=list)

    def show(self, what: str) -> None:
        ui.info(f"Deleting {what} removes:")
        for line in self.goes or ["nothing (the stack is gone already)"]:
            ui.diff_lines([("remove", f"  - {line}")])
        if self.stays:
            ui.info("and leaves:")
            for line in self.stays:
                ui.info(f"  = {line}")


def resource_line(resource: StackResource) -> str:
    kind = KINDS.get(resource.resource_type, resource.resource_type)
    where = resource.physical_id or "not created"
    return f"{kind} {where} ({resource.logical_id})"


def list_stack(listing: Listing, resources: list[StackResource]) -> None:
    """The stack's resources into `listing`: those CloudFormation keeps (DeletionPolicy) stay."""
    for resource in resources:
        if resource.status == "DELETE_COMPLETE":
            continue
        if resource.retained:
            listing.stays.append(
                f"{resource_line(resource)}: its DeletionPolicy keeps it; delete it by hand"
            )
        else:
            listing.goes.append(resource_line(resource))


def confirm_deletion(
    ctx: Context, t_env: str, *, typed: bool, what: str, service: str | None = None
) -> None:
    """Deleting never proceeds unasked: without a terminal it needs --yes."""
    confirm(
        ctx,
        t_env,
        typed=typed,
        what=f"deleting {what}",
        refused="nothing was deleted",
        question=f"Delete {what}?",
        unattended=False,
        service=service,
    )


@contextmanager
def deploy_lock(ctx: Context, t: Target, timeout: float) -> Iterator[None]:
    """Hold the service's deploy lock (no release number) while its stack goes: a ship that
    starts meanwhile is refused, naming this deletion. A signal is held back while the lock
    is taken and dropped; the block itself may be interrupted."""
    store = ctx.aws.table(t.env)
    owner = proc.holder_name() + DELETING
    ttl = timeout + LOCK_MARGIN
    with shielded() as shield:
        shield.stop_if_interrupted()
        taking_over(t, lambda gone: store.hold_lock(t, owner, ttl, replacing=gone))
        try:
            with shield.interruptible():
                yield
        finally:
            try:
                store.release_lock(t, owner)
            except AwsError as exc:
                ui.warn(
                    f"could not release the deploy lock of {t} ({exc.message}); it expires "
                    f"in {ttl / 60:.0f} min, or once this process is gone: "
                    f"git lift unlock -e {t.env} -s {t.name}"
                )


def delete_stack(
    ctx: Context,
    cfn: CloudFormation,
    stack: Stack,
    resources: list[StackResource],
    *,
    role_arn: str | None,
    timeout: float,
    again: str,
) -> None:
    """Delete the stack (or watch a deletion in progress) and stream its events until it is
    gone; StackFailed names the resource that could not go, AWS's reason and `again`."""
    seen = set(cfn.latest_event_ids(stack.id))
    if stack.status == "DELETE_IN_PROGRESS":
        ui.info(f"stack {stack.name} is being deleted already: watching it")
    else:
        ui.info(f"deleting stack {stack.name}")
        cfn.delete_stack(stack.id, role_arn=role_arn)
    progress = Progress(stack.name, {r.logical_id for r in resources})
    try:
        final, events = cfn.wait(stack.id, seen, progress.event, timeout)
    except KeyboardInterrupt:
        ui.warn(
            f"interrupted: CloudFormation goes on deleting {stack.name}; "
            f"see it finish with: {again}"
        )
        raise
    except AwsError as exc:
        exc.hint = f"CloudFormation goes on deleting {stack.name}; see it finish with: {again}"
        raise
    if final.status == "DELETE_COMPLETE":
        ui.info(f"{stack.name}: DELETE_COMPLETE ({progress.elapsed()})")
        return
    raise deletion_failed(final, events, resources, again)


def deletion_failed(
    stack: Stack, events: list[StackEvent], resources: list[StackResource], again: str
) -> StackFailed:
    own = [e for e in events if e.logical_id != stack.name]
    cause = root_cause(own) or root_cause(events)
    physical = {r.logical_id: r for r in resources}
    if cause is None:
        return StackFailed(
            f"{stack.name} is {stack.status}: {stack.reason or 'no reason given'}",
            hint=f"fix the cause, then run again: {again}",
        )
    found = physical.get(cause.logical_id)
    named = resource_line(found) if found else f"{cause.logical_id} ({cause.resource_type})"
    return StackFailed(
        f"{stack.name} is {stack.status}: {named} could not be deleted: {cause.reason} "
        "(the resources whose DELETE_COMPLETE is above are gone, the others are still there)",
        hint=f"remove what holds it (or the {named.split(' (')[0]} itself) by hand, "
        f"then run again: {again}",
    )
