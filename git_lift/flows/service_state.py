"""What runs for a service now, its saved config and its deploy lock: what `status`, `unlock`
and a release read."""

from __future__ import annotations

from typing import Any

from git_lift import servicecfg
from git_lift.aws.ecs import ServiceState
from git_lift.aws.store import Lock
from git_lift.flows.context import Context
from git_lift.plan import service_container
from git_lift.target import Target


def saved_config(ctx: Context, target: Target) -> dict[str, Any] | None:
    """The service config's newest saved version (None: not git lift's stack): one read that
    a release, and each row of `status`, shares among what needs it."""
    document = ctx.aws.table(target.env).service_document(target)
    return document.doc if document else None


def saved_service_config(ctx: Context, target: Target) -> servicecfg.ServiceConfig:
    """The newest saved service config, parsed (the defaults when none is saved)."""
    doc = saved_config(ctx, target)
    return servicecfg.parse(doc) if doc is not None else servicecfg.ServiceConfig()


def running_container(ctx: Context, target: Target) -> tuple[ServiceState, dict[str, Any]]:
    """The ECS service's state and its container as the running task definition has it ({}
    when it has no such container)."""
    ecs = ctx.aws.ecs(target)
    state = ecs.describe()
    return state, service_container(ecs.task_definition(state.task_definition), target.container)


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
