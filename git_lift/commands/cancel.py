"""`git lift cancel -e ENV`: roll back a deployment git lift started and still has in flight.

The ship holding the deploy lock wrote into it what it deploys and what ran before. Its
process, when it runs on this host, is told to stop as Ctrl-C stops it (it records the release
as interrupted and releases the lock); a ship elsewhere (CI) cannot be told, so its lock is
removed. Then what ran before is deployed again, under our own lock, and waited for.
"""

from __future__ import annotations

import os
import signal
import time

from git_lift import ui
from git_lift.aws.ecs import Ecs
from git_lift.aws.store import Lock, Store
from git_lift.commands.context import Context
from git_lift.commands.deploy import Watch, short
from git_lift.commands.rollout import LOCK_MARGIN, OWNER, holder_alive, lock_owner, poll_interval
from git_lift.commands.ship import DEFAULT_TIMEOUT
from git_lift.errors import LiftError, ValidationError

STOP_WAIT = 30.0  # seconds a local ship gets to record itself and drop its lock


def cancel(ctx: Context, env: str, timeout: float = DEFAULT_TIMEOUT) -> int:
    service = ctx.service().name
    env = ctx.environment(env).name
    store = Store(ctx.clients.dynamodb)
    held = store.lock(env, service)
    if held is None:
        raise ValidationError(
            f"no deployment of {service} in {env} is in flight",
            hint=f"to go back to an earlier release: git lift rollback -e {env}",
        )
    if held.previous is None or held.deploying is None:
        raise ValidationError(
            f"{service} in {env} is locked by {held.owner}, which has not started a "
            "deployment (or is not a git lift ship)",
            hint=f"wait for it; if it is stale: git lift unlock -e {env}",
        )
    ui.info(
        f"cancelling {short(held.deploying)} (release {held.number}, {held.owner}); "
        f"going back to {short(held.previous)}"
    )
    stop_holder(store, env, service, held)
    back_to_previous(ctx, store, env, service, held.previous, timeout)
    ui.info(f"cancelled: {service} in {env} runs {short(held.previous)} again; lock released")
    return 0


def stop_holder(store: Store, env: str, service: str, held: Lock) -> None:
    """Stop the ship that holds the lock, or take its lock away when it cannot be told."""
    found = OWNER.match(held.owner)
    if found is not None and holder_alive(held.owner):
        os.kill(int(found["pid"]), signal.SIGTERM)  # the ship treats it as Ctrl-C
        deadline = time.monotonic() + STOP_WAIT
        while time.monotonic() < deadline:
            now = store.lock(env, service)
            if now is None or now.owner != held.owner:
                return
            time.sleep(0.2)
    if store.release_lock(env, service, held.owner):
        ui.warn(f"removed the deploy lock of {held.owner}")


def back_to_previous(
    ctx: Context, store: Store, env: str, service: str, previous: str, timeout: float
) -> None:
    """Deploy `previous` again under our own lock and wait until it runs."""
    owner = lock_owner()
    store.begin_release(env, service, owner, timeout + LOCK_MARGIN)
    try:
        ecs = Ecs(ctx.clients.ecs, env, service)
        state = ecs.describe()
        watch = Watch(ecs, interval=poll_interval(ctx))
        watch.prime(state)
        following: str | None = None
        if state.primary is not None and state.primary.task_definition == previous:
            ui.info(f"ECS is already going back to {short(previous)}")
            following = state.primary.id
        else:
            following = ecs.deploy(previous)
        watch.until_done(previous, timeout, following)
    finally:
        try:
            store.release_lock(env, service, owner)
        except LiftError as exc:
            ui.warn(exc.message)
