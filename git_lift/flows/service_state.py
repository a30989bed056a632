"""What runs for a service now, and its deploy lock: what `status` and `unlock` read."""

from __future__ import annotations

from git_lift.aws.ecs import ServiceState
from git_lift.aws.store import Lock
from git_lift.flows.context import Context
from git_lift.target import Target


def running_now(ctx: Context, target: Target) -> tuple[ServiceState, str | None]:
    """The ECS service's state and the image its task definition runs."""
    ecs = ctx.aws.ecs(target)
    state = ecs.describe()
    return state, ecs.image(state.task_definition, target.container)


def held_lock(ctx: Context, target: Target) -> tuple[Lock, int] | None:
    """The target's deploy lock and the seconds left before it expires (negative: expired);
    None when nobody holds it."""
    held = ctx.aws.table(target.env).lock(target)
    if held is None:
        return None
    return held, int(held.expires - ctx.aws.wall_clock())


def drop_lock(ctx: Context, target: Target, owner: str) -> bool:
    """Remove the lock `owner` holds; False when it changed hands meanwhile."""
    return ctx.aws.table(target.env).release_lock(target, owner)
