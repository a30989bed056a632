"""A ship or a promotion planned before anything is built or deployed: a ReleasePlan
(release_plan.py) whose record names the commit, the config versions and where the image
comes from, whose diff says what the new task definition changes, and whose steps make the
image, (pinned) read and snapshot the config, register, run the service config's release
command (when it has one), update, wait and record. `ship`,
`promote` and a pushed tag each resolve one, show it, confirm, and execute it, so a
confirmation always comes after the plan it confirms.
"""

from __future__ import annotations

from typing import Any

from git_lift import servicecfg, sidecarcfg, ui
from git_lift.aws.ecs import ServiceState
from git_lift.aws.secrets import value_from
from git_lift.aws.store import Release
from git_lift.errors import NotSetUp
from git_lift.flows import job_schedules, process_steps, secret_versions
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.executor import execute as run_plan
from git_lift.flows.image import ImageSource
from git_lift.flows.release import deployer
from git_lift.flows.release_history import Running
from git_lift.flows.release_history import running_release as decide_running
from git_lift.flows.release_plan import ReleasePlan, Step, render
from git_lift.flows.release_steps import (
    CheckConfigLock,
    Files,
    MakeImage,
    ReadConfig,
    RecordRelease,
    RegisterTaskDefinition,
    RunReleaseCommand,
    SnapshotConfig,
    UpdateService,
    WaitForService,
    next_revision,
    parameter_secrets,
)
from git_lift.flows.rollout import report
from git_lift.flows.service_state import saved_config
from git_lift.flows.sidecar_images import pinned_images
from git_lift.plan import registration, secrets_for, service_container, task_definition_changes
from git_lift.target import Target, arn

DEFAULT_TIMEOUT = 15 * 60


def planned_secrets(target: Target, state: ServiceState, keys: list[str]) -> list[dict[str, str]]:
    """The secrets the release will register, as long as they will be: with pinned config
    each names its snapshot's ARN and version, known only once written (a ship checks the size
    in its plan, before the image is built or the snapshot written)."""
    if not target.environment.pins_config:
        return parameter_secrets(target, state, keys)
    region, account = state.arn.split(":")[3:5]
    # The longest forms: a later part's name (`.../99`), the ARN's six random characters and
    # a version id as long as a UUID.
    secret = arn("secretsmanager", region, account, f"secret:{target.snapshot_secret(99)}-AbCdEf")
    return secrets_for(keys, {key: value_from(secret, key, "0" * 36) for key in keys})


def plan_ship(
    ctx: Context,
    target: Target,
    commit: str,
    source: ImageSource,
    versions: dict[str, int],
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    build_args: dict[str, str] | None = None,
    files: Files | None = None,
    running: tuple[ServiceState, dict[str, Any]] | None = None,
    runs: Running | None = None,
    force: bool = False,
    **record: Any,
) -> ReleasePlan:
    """Read what runs (no cluster or service: said before anything is built), unless the
    caller read it (`running`, from what_runs), and diff the revision this release registers
    against it; a release that would change nothing is planned as such (`unchanged`), unless
    `force`. `runs`: the release that runs, when the caller decided it (running_release):
    not read again. `record`: the record's dirty, gate_skipped and promoted_from."""
    state, current = running or what_runs(ctx, target)
    saved = saved_config(ctx, target)
    sidecars = servicecfg.sidecars_of_document(saved) if saved else sidecarcfg.Sidecars()
    sidecarcfg.refuse_unknown(target, sidecars, [*versions])  # env.sample changed since
    sidecar_images = pinned_images(sidecars)
    secrets = planned_secrets(target, state, [*versions])
    new = next_revision(current, target, source.shown, secrets, sidecar_images)
    found = runs or running_release(ctx, target, (state, current))
    released = found.release if found else None
    changes = task_definition_changes(current, new) + config_changes(released, versions) or [
        ("change", "(same image, secrets and config: a fresh deployment)")
    ]
    unchanged = None if force else nothing_changed(target, current, new, released, versions)
    if released is not None and sorted(released.processes) != process_steps.names(saved):
        unchanged = None  # a process added (or removed) since runs no release yet
    if found is not None and found.edited and target.environment.pins_config:
        unchanged = None  # the stack's revision names Parameter Store, not the snapshot
    planned = Release(
        number=0,
        env=target.env,
        service=target.name,
        commit=commit,
        image="",
        task_definition="",
        deployed_by=deployer(ctx),
        deployed_at=0.0,
        config_versions=versions,
        **record,
    )
    image = MakeImage(source, build_args or {}, files)
    command = servicecfg.release_command(saved) if saved else None
    schedules = job_schedules.steps_for(saved)
    processes = process_steps.names(saved)
    changes += process_changes(ctx, target, processes)
    steps = ship_steps(target, image, wait, command, sidecar_images, schedules, processes)
    noted = secret_versions.steps_for(ctx, target, commit, saved)  # rotation (issue 24)
    steps = (*steps[:1], *noted, *steps[1:])
    if target.environment.config_lock:  # checked first: a refused release builds nothing
        steps = (CheckConfigLock(), *steps)
    return ReleasePlan(
        target, state, current, planned, steps, changes, wait, timeout, unchanged, saved
    )


def nothing_changed(
    target: Target,
    current: dict[str, Any],
    new: dict[str, Any],
    running: Release | None,
    versions: dict[str, int],
) -> str | None:
    """Why this release would change nothing, or None: the service runs a recorded release
    whose image digest, rendered task definition and config versions (pinned or not, as
    this environment pins) are this release's. A new image to build or copy, a key added or
    changed, or what runs not being a release: something to release."""
    if running is None or running.config_versions != versions:
        return None
    pins = target.environment.pins_config
    if bool(running.pinned) != pins or rendered(new, pins) != rendered(current, pins):
        return None
    return (
        f"it runs release {running.number} ({running.commit[:12]}) with this image, task "
        "definition and config; --force releases it again"
    )


def rendered(definition: dict[str, Any], pinned: bool) -> dict[str, Any]:
    """A task definition as registered; with pinned config, its secrets by name (each release
    snapshots the same values anew, so their ARNs differ when nothing else does)."""
    found = registration(definition)
    if pinned:
        found["containerDefinitions"] = [
            {**c, "secrets": sorted(s["name"] for s in c.get("secrets") or [])}
            for c in found.get("containerDefinitions", [])
        ]
    return found


def what_runs(ctx: Context, target: Target) -> tuple[ServiceState, dict[str, Any]]:
    """The ECS service's state and its running task definition."""
    ecs = ctx.aws.ecs(target)
    state = ecs.describe()
    return state, ecs.task_definition(state.task_definition)


def ship_steps(
    target: Target,
    image: MakeImage,
    wait: bool,
    command: tuple[str, ...] | None = None,
    sidecar_images: dict[str, str] | None = None,
    schedules: tuple[Step, ...] = (),
    processes: list[str] | None = None,
) -> tuple[Step, ...]:
    """`schedules`: job_schedules.steps, after the update (a failed wait undoes them).
    `processes`: the workers beside web (process_steps), registered after web, started
    right after it, each waited for after it."""
    pins = target.environment.pins_config
    workers = processes or []
    return (
        image,
        *([ReadConfig(), SnapshotConfig()] if pins else []),
        RegisterTaskDefinition(sidecar_images or {}),
        *process_steps.registers(workers, sidecar_images or {}),
        *([RunReleaseCommand(command)] if command else []),
        UpdateService(),
        *process_steps.updates(workers),
        *schedules,
        *([WaitForService()] if wait else []),
        *(process_steps.waits(workers) if wait else []),
        RecordRelease(),
    )


def process_changes(ctx: Context, target: Target, processes: list[str]) -> list[tuple[str, str]]:
    """A line per process the release moves too; each must have its ECS service, said before
    anything is built (a config saved while its stack update failed names one it lacks)."""
    lines = []
    for process in processes:
        try:
            state = ctx.aws.ecs(target.for_process(process)).describe()
        except NotSetUp as missing:
            raise NotSetUp(
                f"{missing.message} (process {process} of the service config)",
                hint=f"apply the service config: git lift service update -e {target.env}",
            ) from missing
        now = short(state.task_definition)
        lines.append(("change", f"~ process {process}: {now} -> the same image and config"))
    return lines


def running_release(
    ctx: Context, target: Target, running: tuple[ServiceState, dict[str, Any]]
) -> Running | None:
    """The release the service runs (what_runs' answer: its state and task definition),
    changed by a stack update or not (release_history.running_release decides; None: no
    record runs)."""
    state, definition = running
    releases = ctx.aws.table(target.env).releases(target, limit=20)
    image = service_container(definition, target.container).get("image")
    return decide_running(releases, state, str(image) if image else None)


def config_changes(running: Release | None, versions: dict[str, int]) -> list[tuple[str, str]]:
    """Keys whose value changed since the running release: same names, so the task definition
    looks alike, but this release runs the new values (pinned: a new snapshot of them)."""
    before = running.config_versions if running else {}
    return [
        ("change", f"~ config {key}: a new value (v{before[key]} -> v{version})")
        for key, version in sorted(versions.items())
        if key in before and before[key] != version
    ]


def show(plan: ReleasePlan) -> None:
    render(plan)


def execute(ctx: Context, plan: ReleasePlan) -> int:
    """Build the image if the plan says so, then deploy it under the lock and record it; a
    plan with nothing to release does nothing (no build, no lock, no release number)."""
    if plan.unchanged:
        return 0
    done = run_plan(ctx, plan)
    report(ctx, done)
    said(plan, done)
    return 0


def said(plan: ReleasePlan, done: Release) -> None:
    target = plan.target
    if not plan.wait:
        ui.info(
            f"deploying {short(done.task_definition)}; not waiting, so release {done.number} "
            f"is recorded as unverified. Watch it with: git lift status -e {target.env}"
        )
        return
    recorded = (
        f"dirty build {done.dirty}, not tagged" if done.dirty else target.release_tag(done.number)
    )
    ui.info(
        f"released {target.name} {done.commit[:12]} to {target.env}: "
        f"release {done.number} ({recorded})"
    )
