"""`env delete`: refused while service stacks live in the environment; otherwise the
environment stack goes (network, cluster, load balancers, the CloudFormation role, the template
bucket), then its record. What services left (config values, release records, service config
history, images) and the boundary policies, made outside the stack, stay."""

from __future__ import annotations

from git_lift import names, ui
from git_lift.aws.cfn import CloudFormation
from git_lift.errors import LiftError
from git_lift.flows.context import Context
from git_lift.flows.teardown import Listing, confirm_deletion, delete_stack, list_stack
from git_lift.target import Environment


def command(env: Environment) -> str:
    return f"git lift env delete -e {env.name}"


def service_stacks(ctx: Context, env: Environment, cfn: CloudFormation) -> list[str]:
    """The services whose stacks live in the environment. `lift-qa-` also starts environment
    `qa-1`'s stacks: those of another environment .gitlift declares are left out (one it does
    not declare is caught by CloudFormation, which keeps exports that a stack imports)."""
    others = [
        Environment(ctx.environment(name)).stack
        for name in ctx.settings.environments
        if name != env.name and name.startswith(f"{env.name}-")
    ]
    found = []
    for name in cfn.stack_names(env.service_stack_prefix):
        if any(name == other or name.startswith(f"{other}-") for other in others):
            continue
        found.append(name.removeprefix(env.service_stack_prefix))
    return found


def delete_environment(ctx: Context, name: str, timeout: float) -> int:
    env = Environment(ctx.environment(name))
    table = ctx.aws.table(env.name)
    record = table.environment(env.name)
    cfn = ctx.aws.stacks(env.name)
    services = service_stacks(ctx, env, cfn)
    if services:
        commands = "; ".join(f"git lift service delete -e {env.name} -s {s}" for s in services)
        raise LiftError(
            f"environment {env.name} still has {names.plural(len(services), 'service')}: "
            f"{names.listed(services)}; nothing was deleted",
            hint=f"delete {'them' if len(services) > 1 else 'it'} first: {commands}",
        )
    stack = cfn.stack(env.stack)
    resources = cfn.resources(stack.id) if stack is not None else []
    listing = Listing()
    list_stack(listing, resources)
    if record is not None:
        listing.goes.append(f"the record of {env.name} in the git-lift table")
    listing.stays += [
        f"config values under {env.parameter_path}/ in Parameter Store, the services' release "
        "records and service config history in the git-lift table, their ECR images",
        f"the permissions boundary {env.boundary_policy} and the CloudFormation role's, "
        f"{env.stack_boundary_policy} (made outside the stack)",
    ]
    listing.show(f"environment {env.name}" + (f" (stack {env.stack})" if stack else ""))
    if stack is None and record is None:
        ui.info(f"environment {env.name} has no stack and no record: nothing to delete")
        return 0
    confirm_deletion(ctx, env.name, typed=env.settings.confirm, what=f"environment {env.name}")
    if stack is not None:
        delete_stack(ctx, cfn, stack, resources, role_arn=None, timeout=timeout, again=command(env))
    if record is not None:
        try:
            table.delete_environment(env.name)
        except LiftError as exc:
            exc.message += f" (stack {env.stack} is deleted; its record is not)"
            exc.hint = f"run it again to remove the record: {command(env)}"
            raise
    ui.info(f"environment {env.name} is deleted")
    ui.hint(f"create it again with: git lift env create -e {env.name}")
    return 0
