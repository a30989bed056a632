"""A release planned before anything is built or deployed: `ShipPlan` (commit, environment,
image source, config versions, the task-definition diff), shown, then executed under the
deploy lock (rollout.release). `ship` and `promote` both resolve one, show it, confirm, and
execute it, so a confirmation always comes after the plan it confirms.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_lift import limits, ui
from git_lift.aws.ecs import ServiceState
from git_lift.aws.secrets import value_from
from git_lift.aws.store import Release
from git_lift.errors import DeployFailed
from git_lift.flows import pinned
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.image import Image, ImageSource, make_image
from git_lift.flows.release import deployer
from git_lift.flows.rollout import release, report
from git_lift.plan import registration, secrets_for, task_definition_changes, with_image_and_secrets
from git_lift.target import Target, arn


@dataclass(frozen=True)
class ShipPlan:
    target: Target
    commit: str
    source: ImageSource
    versions: dict[str, int]  # the config keys and the versions checked
    state: ServiceState  # the service as planned
    current: dict[str, Any]  # the task definition it runs
    changes: list[tuple[str, str]]  # what the new revision changes (display lines)
    build_args: dict[str, str] = field(default_factory=dict)
    dirty: str | None = None  # the diff hash of an --allow-dirty build
    gate_skipped: str | None = None
    promoted_from: str | None = None  # "staging@4": the release whose image this one runs


def next_revision(
    current: dict[str, Any], target: Target, image: str, secrets: list[dict[str, str]]
) -> dict[str, Any]:
    """The revision to register, refused over ECS's task definition size limit."""
    try:
        new = with_image_and_secrets(current, target.container, image, secrets)
    except ValueError as exc:
        raise DeployFailed(
            str(exc), hint="set container in .gitlift to the container's name"
        ) from exc
    size = limits.json_size(registration(new))
    limits.check_task_definition(size, str(target), len(secrets))
    return new


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


def parameter_secrets(target: Target, state: ServiceState, keys: list[str]) -> list[dict[str, str]]:
    """The container's secrets: each key's parameter, in the service's own region and account."""
    region, account = state.arn.split(":")[3:5]
    return secrets_for(keys, {k: target.parameter_arn(k, region, account) for k in keys})


def plan_ship(
    ctx: Context,
    target: Target,
    commit: str,
    source: ImageSource,
    versions: dict[str, int],
    **extra: Any,
) -> ShipPlan:
    """Read what runs (no cluster or service: said before anything is built) and diff the
    revision this release registers against it."""
    ecs = ctx.aws.ecs(target)
    state = ecs.describe()
    current = ecs.task_definition(state.task_definition)
    new = next_revision(current, target, source.shown, planned_secrets(target, state, [*versions]))
    changes = task_definition_changes(current, new) + config_changes(
        running_release(ctx, target, state), versions
    ) or [("change", "(same image, secrets and config: a fresh deployment)")]
    return ShipPlan(target, commit, source, versions, state, current, changes, **extra)


def running_release(ctx: Context, target: Target, state: ServiceState) -> Release | None:
    """The record of the release whose task definition the service runs (None: no record)."""
    releases = ctx.aws.table(target.env).releases(target, limit=20)
    return next((r for r in releases if r.task_definition == state.task_definition), None)


def config_changes(running: Release | None, versions: dict[str, int]) -> list[tuple[str, str]]:
    """Keys whose value changed since the running release: same names, so the task definition
    looks alike, but this release runs the new values (pinned: a new snapshot of them)."""
    before = running.config_versions if running else {}
    return [
        ("change", f"~ config {key}: a new value (v{before[key]} -> v{version})")
        for key, version in sorted(versions.items())
        if key in before and before[key] != version
    ]


def show(plan: ShipPlan) -> None:
    ui.info(f"{plan.target}: {short(plan.state.task_definition)} ->")
    ui.diff_lines(plan.changes)


Files = Callable[[], AbstractContextManager[Path]]


def execute(
    ctx: Context, plan: ShipPlan, *, wait: bool, timeout: float, files: Files | None = None
) -> int:
    """Build the image from `files` if the plan says so, then deploy it under the lock and
    record it. With pinned config the values are read first and snapshotted under the lock."""
    target, ecs = plan.target, ctx.aws.ecs(plan.target)
    image = plan.source.image
    state, current = plan.state, plan.current
    if image is None:  # built or copied now: what runs may have changed meanwhile
        image = make_image(ctx, target, plan.source, plan.commit, plan.build_args, files)
        state = ecs.describe()
        current = ecs.task_definition(state.task_definition)
    values = (
        pinned.read_values(ctx, target, plan.versions) if target.environment.pins_config else None
    )
    snapshot: dict[str, str] = {}

    def prepare(number: int) -> str:
        secrets = parameter_secrets(target, state, [*plan.versions])
        if values is not None:
            parts = pinned.pin(ctx, target, values, number)
            snapshot.update({p.arn: p.version for p in parts})
            secrets = secrets_for([*plan.versions], pinned.references(parts))
        return ecs.register(next_revision(current, target, image.pinned, secrets))

    def draft(number: int, arn: str) -> Release:
        return drafted(ctx, plan, image, number, arn, dict(snapshot))

    done = release(
        ctx, ecs, state, prepare=prepare, draft=draft, wait=wait, timeout=timeout, fresh=True
    )
    report(ctx, done)
    said(plan, done, wait)
    return 0


def drafted(
    ctx: Context, plan: ShipPlan, image: Image, number: int, arn: str, snapshot: dict[str, str]
) -> Release:
    return Release(
        number=number,
        env=plan.target.env,
        service=plan.target.name,
        commit=plan.commit,
        image=image.pinned,
        task_definition=arn,
        deployed_by=deployer(ctx),
        deployed_at=ctx.aws.wall_clock(),
        config_versions=plan.versions,
        dirty=plan.dirty,
        pinned=snapshot,
        gate_skipped=plan.gate_skipped,
        promoted_from=plan.promoted_from,
    )


def said(plan: ShipPlan, done: Release, wait: bool) -> None:
    target = plan.target
    if not wait:
        ui.info(
            f"deploying {short(done.task_definition)}; not waiting, so release {done.number} "
            f"is recorded as unverified. Watch it with: git lift status -e {target.env}"
        )
        return
    recorded = (
        f"dirty build {plan.dirty}, not tagged" if plan.dirty else target.release_tag(done.number)
    )
    ui.info(
        f"released {target.name} {plan.commit[:12]} to {target.env}: "
        f"release {done.number} ({recorded})"
    )
