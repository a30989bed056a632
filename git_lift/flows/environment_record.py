"""An environment's stack and its record in the table: what `env` and `service` commands and
`setup` look up and change about an environment."""

from __future__ import annotations

import dataclasses
import json

from git_lift.aws.store import EnvironmentRecord
from git_lift.errors import LiftError, ValidationError
from git_lift.flows.context import Context
from git_lift.flows.infra_stack import StackChange, change_stack
from git_lift.target import Environment
from git_lift.templates.environment_params import EnvironmentParams, check_params


def find_record(ctx: Context, env: str) -> EnvironmentRecord | None:
    """The environment's record, in the table of its own account and region."""
    return ctx.aws.table(env).environment(env)


def require_record(ctx: Context, env: str) -> EnvironmentRecord:
    record = find_record(ctx, env)
    if record is None:
        raise LiftError(
            f"environment {env} has not been created", hint=f"git lift env create -e {env}"
        )
    return record


def records_in(ctx: Context, name: str | None) -> list[EnvironmentRecord]:
    """`name`'s record, from the table of its own account and region; None: the records of the
    shared settings' table that .gitlift does not declare (created, then left out of it)."""
    if name is None:
        shared = ctx.aws.table().environments()
        return [r for r in shared if r.name not in ctx.settings.environments]
    record = find_record(ctx, name)
    return [record] if record is not None else []


def save_record(ctx: Context, record: EnvironmentRecord, *, create: bool) -> None:
    ctx.aws.table(record.name).put_environment(record, create=create)


def require_creatable(ctx: Context, env: Environment) -> str:
    """Refuse an environment that exists, on record or as a stack git lift has no record of;
    the region its stack goes in."""
    existing = find_record(ctx, env.name)
    if existing is not None:
        raise LiftError(
            f"environment {env.name} exists (stack {existing.stack} in {existing.region}, "
            f"created by {existing.created_by})",
            hint=f"change it with: git lift env update -e {env.name}",
        )
    stacks = ctx.aws.stacks(env.name)
    stack = stacks.stack(env.stack)
    if stack is not None and not stack.reviewing:
        raise LiftError(
            f"stack {stack.name} exists ({stack.status}) but git lift has no record of it",
            hint=f"adopt it with: git lift env update -e {env.name}",
        )
    return stacks.region


def stack_region(ctx: Context, env: str) -> str:
    """The region an environment's stacks go in: its own, else the shared settings'."""
    return ctx.aws.stacks(env).region


def stack_status(ctx: Context, env: str, record: EnvironmentRecord) -> str:
    """The recorded stack's status, MISSING when it is gone."""
    stack = ctx.aws.stacks(env).stack(record.stack)
    return stack.status if stack is not None else "MISSING"


def caller_account(ctx: Context, env: str) -> str:
    """The account the environment's credentials belong to."""
    return ctx.aws.identity(env).account()


def template_body(env: Environment, params: EnvironmentParams) -> str:
    from git_lift.templates.environment import environment_template

    # Compact: CloudFormation takes at most 51,200 bytes of template in a request.
    document = environment_template(env, params).to_dict()
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def deploy_environment(
    ctx: Context, env: Environment, params: EnvironmentParams, timeout: float
) -> dict[str, str]:
    """Create or change the environment's stack; its outputs ({} when nothing was created)."""
    check_params(params)
    change = StackChange(
        name=env.stack,
        body=template_body(env, params),
        tags=env.tags,
        environment=env.settings,
        timeout=timeout,
    )
    stack = change_stack(ctx, ctx.aws.stacks(env.name), change)
    return stack.outputs if stack is not None else {}


def with_existing_vpc(
    ctx: Context, env: Environment, params: EnvironmentParams
) -> EnvironmentParams:
    """`params` with the existing VPC's range, once its subnets are checked: in the VPC, each
    kind in two zones or more (a load balancer needs two). Unchanged without one."""
    if params.vpc_id is None:
        return params
    network = ctx.aws.network(env.name)
    cidr = network.vpc_cidr(params.vpc_id)
    found = network.subnets([*params.public_subnet_ids, *params.private_subnet_ids])
    inside = {i: s for i, s in found.items() if s.vpc_id == params.vpc_id}
    problems = [
        f"{s.id} is in {s.vpc_id}, not in {params.vpc_id}"
        for s in found.values()
        if s.id not in inside
    ]
    for kind, ids in (("public", params.public_subnet_ids), ("private", params.private_subnet_ids)):
        if len({inside[i].zone for i in ids if i in inside}) < 2:
            problems.append(f"the {kind} subnets are all in one zone: a load balancer needs two")
    if problems:
        raise ValidationError(
            f"the subnets do not fit {params.vpc_id}:\n  " + "\n  ".join(problems),
            hint="list the VPC's subnets: aws ec2 describe-subnets "
            f"--filters Name=vpc-id,Values={params.vpc_id}",
        )
    return dataclasses.replace(params, vpc_cidr=cidr)
