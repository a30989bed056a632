"""`git lift cancel -e ENV`: roll back a deployment git lift started and still has in flight.

The ship holding the deploy lock wrote into it what it deploys and what ran before. Its
process, when it runs on this host, is told to stop as Ctrl-C stops it (it records the release
as interrupted and releases the lock); a ship elsewhere (CI) cannot be told, so its lock is
removed (its next heartbeat stops it with LockLost). Then what ran before is deployed again,
under our own lock, and waited for.
"""

from __future__ import annotations

import os
import signal

from git_lift import proc, ui
from git_lift.aws.ecs import Ecs
from git_lift.aws.store import Lock, Store
from git_lift.errors import AwsError, LiftError, ValidationError
from git_lift.flows import process_steps
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.interrupts import shielded
from git_lift.flows.notices import cancelling
from git_lift.flows.rollout import Lease, watch_for
from git_lift.flows.ship_plan import DEFAULT_TIMEOUT
from git_lift.target import Target

STOP_WAIT = 30.0  # seconds a local ship gets to record itself and drop its lock


def cancel(ctx: Context, env: str, timeout: float = DEFAULT_TIMEOUT) -> int:
    target = ctx.target(env)
    store = ctx.aws.table(target.env)
    held = store.lock(target)
    if held is None:
        raise ValidationError(
            f"no deployment of {target} is in flight",
            hint=f"to go back to an earlier release: git lift rollback -e {target.env}",
        )
    if held.previous is None or held.deploying is None:
        raise ValidationError(
            f"{target} is locked by {held.owner}, which has not started a "
            "deployment (or is not a git lift ship)",
            hint=f"wait for it; if it is stale: git lift unlock -e {target.env}",
        )
    ui.info(
        f"cancelling {short(held.deploying)} (release {held.number}, {held.owner}); "
        f"going back to {short(held.previous)}"
    )
    with cancelling(ctx, target, held.number):
        stop_holder(ctx, store, target, held)
        back_to_previous(ctx, target, held.previous, timeout)
        ui.info(f"cancelled: {target} runs {short(held.previous)} again; lock released")
    return 0


def stop_holder(ctx: Context, store: Store, target: Target, held: Lock) -> None:
    """Stop the ship that holds the lock, or take its lock away when it cannot be told."""
    pid = proc.holder_pid(held.owner)
    if pid is not None and proc.alive(pid):
        os.kill(pid, signal.SIGTERM)  # the ship treats it as Ctrl-C
        deadline = ctx.aws.clock() + STOP_WAIT
        while ctx.aws.clock() < deadline:
            now = store.lock(target)
            if now is None or now.owner != held.owner:
                return
            ctx.aws.sleep(0.2)
    if store.release_lock(target, held.owner):
        ui.warn(f"removed the deploy lock of {held.owner}")


def back_to_previous(ctx: Context, target: Target, previous: str, timeout: float) -> None:
    """Deploy `previous` again under our own lock and wait until it runs. As for a ship, a
    signal stops the wait, never the taking or the dropping of the lock."""
    lease = Lease(ctx, target, timeout)
    with shielded() as shield:
        shield.stop_if_interrupted()
        lease.take()
        try:
            with shield.interruptible():
                wait_for_previous(ctx, lease, previous, timeout)
                process_steps.back_to_released(ctx, lease, timeout)  # the workers too
        finally:
            try:
                lease.drop()
            except LiftError as exc:
                ui.warn(exc.message)


def _stopped_shift(ecs: Ecs, previous: str) -> bool:
    """Mid-shift, ECS itself moves traffic back to the revision that had it; when it may
    not (StopServiceDeployment refused), cancel deploys what ran before instead."""
    try:
        stopped = ecs.stop_shift()
    except AwsError as exc:
        ui.warn(f"could not stop the traffic shift ({exc.message}); deploying instead")
        return False
    if stopped:
        ui.info(f"stopped the traffic shift: ECS moves traffic back to {short(previous)}")
    return stopped


def wait_for_previous(ctx: Context, lease: Lease, previous: str, timeout: float) -> None:
    ecs = ctx.aws.ecs(lease.target)
    state = ecs.describe()
    watch = watch_for(ctx, ecs, lease)
    watch.fail_fast = 0  # going back: wait for what ran before, as long as it takes
    watch.prime(state)
    following: str | None = None
    if state.strategy != "ROLLING" and _stopped_shift(ecs, previous):
        state = ecs.describe()
    if state.primary is not None and state.primary.task_definition == previous:
        ui.info(f"ECS is already going back to {short(previous)}")
        following = state.primary.id
    else:
        following = ecs.deploy(previous)
    watch.until_done(previous, timeout, following)
