"""CloudFormation change sets as AWS runs them, on top of moto 5.2.5.

moto executes a change set without the bookkeeping `create_stack`/`update_stack` do:

- a stack made by a CREATE change set resolves `Fn::ImportValue` against a private empty
  dict instead of the account's exports, so a service stack cannot import the environment's;
- executing a change set leaves the stack's outputs as they were (none for a new stack) and
  registers none of its exports.

`repair` fixes both after each CloudFormation request; it is idempotent and only touches
stacks that need it. The sandbox server calls it with the request's account and region.

moto's DeleteStack also leaves what its models cannot delete (ECS services, listener rules,
target groups, routes, route tables, NAT gateways, gateway attachments, elastic IPs), and
then cannot delete the VPC or the environment stack. `left_behind` names them before a
DeleteStack and `remove` deletes them first, dependents before what they depend on, as AWS
deletes a stack's resources. (moto still keeps the environment's CloudFormation role: a
second `env create` of a deleted environment needs a fresh sandbox.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from moto.cloudformation.models import cloudformation_backends
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_ip_addresses import ElasticAddress
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
from moto.ecs.models import Service, ecs_backends
from moto.elbv2.models import FakeListenerRule, FakeTargetGroup, elbv2_backends

# What moto's DeleteStack leaves, in the order AWS would delete it.
LEFT_BEHIND = (
    Service,
    FakeListenerRule,
    FakeTargetGroup,
    Route,
    RouteTable,
    NatGateway,
    ElasticAddress,
    VPCGatewayAttachment,
)


def repair(account: str, region: str) -> None:
    try:
        backend = cloudformation_backends[account][region]
    except KeyError:
        return
    for stack in list(backend.stacks.values()):
        _share_exports(backend, stack)
        if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            _refresh_outputs(backend, stack)


def _share_exports(backend: Any, stack: Any) -> None:
    if stack.cross_stack_resources is not backend.exports:
        stack.cross_stack_resources = backend.exports
        stack.resource_map.cross_stack_resources = backend.exports


def _refresh_outputs(backend: Any, stack: Any) -> None:
    """Outputs and exports from the template the stack has now (an executed change set's)."""
    if not isinstance(stack.template, str):
        return
    template = stack.parse_template(stack.template)
    # Look at the outputs only when the template has some: moto's OutputMap cannot take len()
    # of a stack without any.
    if template == stack.template_dict and (not template.get("Outputs") or stack.output_map):
        return
    stack.template_dict = template
    stack.description = template.get("Description")
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        backend.exports[export.name] = export


def left_behind(account: str, region: str, body: bytes) -> list[Any]:
    """Before a DeleteStack request (`body`): the stack's resources moto would leave."""
    try:
        backend = cloudformation_backends[account][region]
        name = parse_qs(body.decode())["StackName"][0]
    except (KeyError, IndexError, UnicodeDecodeError):
        return []
    for stack in list(backend.stacks.values()):
        if name in (stack.name, stack.stack_id):
            return [r for r in stack.stack_resources if isinstance(r, LEFT_BEHIND)]
    return []


def remove(account: str, region: str, resources: list[Any]) -> None:
    """Delete what `left_behind` named, in LEFT_BEHIND's order (dependents first)."""
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    deletes: dict[type, Callable[[Any], object]] = {
        Service: lambda r: ecs_backends[account][region].delete_service(
            r.cluster_name, r.name, force=True
        ),
        FakeListenerRule: lambda r: elbv2.delete_rule(r.arn),
        FakeTargetGroup: lambda r: elbv2.delete_target_group(r.arn),
        Route: lambda r: ec2.delete_route(r.route_table.id, r.destination_cidr_block),
        RouteTable: lambda r: _delete_route_table(ec2, r),
        NatGateway: lambda r: ec2.delete_nat_gateway(r.id),
        VPCGatewayAttachment: lambda r: ec2.detach_internet_gateway(r.gateway_id, r.vpc_id),
        ElasticAddress: lambda r: ec2.release_address(allocation_id=r.allocation_id),
    }
    for kind in LEFT_BEHIND:
        for resource in (r for r in resources if isinstance(r, kind)):
            try:
                deletes[kind](resource)
            except Exception:  # gone already (a second DeleteStack), or not ours to judge
                continue


def _delete_route_table(ec2: Any, table: Any) -> None:
    for association in list(table._associations):
        ec2.disassociate_route_table(association)
    ec2.delete_route_table(table.id)


def patch_updates() -> None:
    """moto's stack update deletes a resource the new template leaves out but keeps it among
    the stack's parsed resources, so a later update that brings the same logical id back
    finds it "made" and makes nothing (a service's jobs taken out then put back, an
    environment's job runs policy). Forget each removed resource once the update is done."""
    from moto.cloudformation.parsing import ResourceMap

    if getattr(ResourceMap.update, "_lift_patched", False):
        return
    update = ResourceMap.update

    def updated(self: Any, template: dict[str, Any], parameters: Any = None) -> None:
        removed = set(self._resource_json_map) - set(template.get("Resources", {}))
        update(self, template, parameters)
        for name in removed:
            self._parsed_resources.pop(name, None)

    updated._lift_patched = True  # type: ignore[attr-defined]
    setattr(ResourceMap, "update", updated)  # noqa: B010
