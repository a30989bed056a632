"""`git lift config lock` and `config sync` (issue 24): the committed config lock of an
environment, written from the store, and the store put back to it."""

from __future__ import annotations

from git_lift.flows import config_apply, config_lock, config_sync
from git_lift.flows.config_check import sample_keys
from git_lift.flows.context import Context


def lock(ctx: Context, env: str) -> int:
    return config_lock.lock_store(ctx, ctx.target(env))


def sync(ctx: Context, env: str, *, allow_removing_required: bool = False) -> int:
    """Through the usual apply: removing env.sample's keys asks as `config unset` asks."""
    t = ctx.target(env)
    config_apply.pending_notice(ctx, t)
    required = frozenset(sample_keys(ctx, t.service))
    return config_sync.sync(ctx, t, config_apply.Removal(required, allowed=allow_removing_required))
