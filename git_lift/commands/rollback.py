"""`git lift rollback`: redeploy an earlier release (its task definition, and with pinned
config its snapshot), recorded as a new release."""

from __future__ import annotations

import dataclasses

from git_lift import ui
from git_lift.aws.ecs import ServiceState
from git_lift.aws.store import Release
from git_lift.errors import DeployFailed
from git_lift.flows import job_schedules, pinned, process_steps
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.executor import execute
from git_lift.flows.release import deployer
from git_lift.flows.release_plan import ReleasePlan
from git_lift.flows.release_steps import (
    RecordRelease,
    RelabelSnapshot,
    UpdateService,
    UseTaskDefinition,
    WaitForService,
)
from git_lift.flows.rollout import report
from git_lift.flows.service_state import saved_config
from git_lift.target import Target


def chosen(target: Target, releases: list[Release], to: int | None) -> Release:
    """Release `to`, or the newest whose task definition differs from the current one's."""
    current = releases[0]
    if to is not None:
        found = [r for r in releases if r.number == to]
        if not found:
            raise DeployFailed(
                f"there is no successful release {to} of {target}",
                hint=f"list them: git lift history -e {target.env}",
            )
        return found[0]
    earlier = [r for r in releases[1:] if r.task_definition != current.task_definition]
    if not earlier:
        raise DeployFailed(
            f"release {current.number} is the only one of {target}",
            hint="there is nothing earlier to go back to",
        )
    return earlier[0]


def roll_back(ctx: Context, target: Target, to: int | None, timeout: float) -> int:
    store = ctx.aws.table(target.env)
    releases = [r for r in store.releases(target, limit=100) if r.released]
    if not releases:
        raise DeployFailed(
            f"{target.name} has no releases in {target.env} to roll back",
            hint=f"ship one: git lift ship -e {target.env}",
        )
    current, back = releases[0], chosen(target, releases, to)
    ecs = ctx.aws.ecs(target)
    state = ecs.describe()
    if back.task_definition == state.task_definition:
        ui.info(f"release {back.number} ({short(back.task_definition)}) is what runs already")
        return 0
    if back.pinned:
        pinned.require_kept(ctx, back)
    ui.info(
        f"rolling {target.name} in {target.env} back from release {current.number} to release "
        f"{back.number} ({back.commit[:12]}, {short(back.task_definition)})"
    )
    done = execute(ctx, rollback_plan(ctx, target, state, current, back, timeout))
    report(ctx, done)
    config = "code and config" if back.pinned else "code (config is not pinned)"
    ui.info(
        f"rolled back {config}: release {done.number} runs {back.commit[:12]} "
        f"({target.release_tag(done.number)})"
    )
    return 0


def rollback_plan(
    ctx: Context,
    target: Target,
    state: ServiceState,
    current: Release,
    back: Release,
    timeout: float,
) -> ReleasePlan:
    """Release `back` again: its task definition, with pinned config its snapshot labelled
    anew; recorded as a new release that names the one it undid."""
    planned = dataclasses.replace(
        back,
        number=0,
        deployed_by=deployer(ctx),
        rolled_back_from=current.number,
        outcome="released",
        release_command=None,  # a rollback runs no release command (README: "Release phase")
        processes={},  # each process's, as UseProcess finds it
    )
    # Each process its release ran that the service config still has (process_steps).
    configured = process_steps.names(saved_config(ctx, target))
    workers = sorted(p for p in back.processes if p in configured)
    steps = (
        *([RelabelSnapshot(back)] if back.pinned else []),
        UseTaskDefinition(back.task_definition),
        *process_steps.uses(back, configured),
        UpdateService(),
        *process_steps.updates(workers),
        *job_schedules.steps(ctx, target),
        WaitForService(),
        *process_steps.waits(workers),
        RecordRelease(),
    )
    return ReleasePlan(target, state, {}, planned, steps, timeout=timeout)
