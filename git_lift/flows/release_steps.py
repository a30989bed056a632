"""The steps a release plan lists (release_plan.Step): each does one thing, and says how to
take it back. A ship or a promotion: image, read config (pinned), snapshot config (pinned),
register the task definition, the release command (when the service config has one), update
the service, wait, record. A rollback: relabel its snapshot (pinned), use its task definition,
update, wait, record; it does not run the release command (as Heroku's rollback does not).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_lift import containercfg, limits, ui
from git_lift.aws.ecs import Ecs, ServiceState
from git_lift.aws.store import LockLost, Release
from git_lift.errors import DeployFailed, ReleaseCommandFailed
from git_lift.flows import config_lock, pinned, task_watch
from git_lift.flows.deploy import Watch, rollback, short
from git_lift.flows.image import ImageSource, make_image
from git_lift.flows.release_plan import Run, Step, StepFailed
from git_lift.flows.rollout import RECORD_ROUNDS, Stopped, keep_record, tag_if_released, watch_for
from git_lift.plan import (
    plain_environment,
    registration,
    secrets_for,
    service_container,
    with_image_and_secrets,
    with_sidecar_images,
)
from git_lift.target import Target

Files = Callable[[], AbstractContextManager[Path]]


def ecs_of(run: Run) -> Ecs:
    return run.ctx.aws.ecs(run.plan.target)


@dataclass(frozen=True)
class MakeImage(Step):
    """The image: given, reused, or built from the commit's files (or copied) now, after
    which what runs is read again (it may have changed meanwhile)."""

    source: ImageSource
    build_args: dict[str, str] = field(default_factory=dict)
    files: Files | None = None
    phase = "prepare"
    name = "image"

    def line(self) -> str:
        return f"image {self.source.shown}"

    def run(self, run: Run) -> None:
        run.image = self.source.image
        if run.image is None:
            target, record = run.plan.target, run.record
            run.image = make_image(
                run.ctx, target, self.source, record.commit, self.build_args, self.files
            )
            run.state = ecs_of(run).describe()
            run.current = ecs_of(run).task_definition(run.state.task_definition)
        run.fill(image=run.image.pinned)


@dataclass(frozen=True)
class ReadConfig(Step):
    """Pinned config: the values of the checked versions, read before the lock is taken."""

    phase = "prepare"
    name = "read config"

    def run(self, run: Run) -> None:
        run.values = pinned.read_values(run.ctx, run.plan.target, run.record.config_versions)


@dataclass(frozen=True)
class SnapshotConfig(Step):
    """Pinned config: write the values read as release N's snapshot. A failed release keeps
    it (its record names it), so there is nothing to undo."""

    name = "snapshot config"

    def run(self, run: Run) -> None:
        assert run.values is not None, "ReadConfig comes first"
        parts = pinned.pin(run.ctx, run.plan.target, run.values, run.record.number)
        run.references = pinned.references(parts)
        run.fill(pinned={p.arn: p.version for p in parts})


@dataclass(frozen=True)
class RelabelSnapshot(Step):
    """A rollback with pinned config runs its release's snapshot, labelled with its number."""

    back: Release
    name = "relabel config snapshot"

    def run(self, run: Run) -> None:
        pinned.relabel(run.ctx, self.back, run.record.number)


@dataclass(frozen=True)
class CheckConfigLock(Step):
    """configLock (issue 24): the store still holds what the config lock of the commit says
    (flows/config_lock.py), else the release stops before anything is built or deployed."""

    phase = "prepare"
    name = "check config lock"

    def run(self, run: Run) -> None:
        config_lock.check(run.ctx, run.plan.target, run.record.commit)


@dataclass(frozen=True)
class RegisterTaskDefinition(Step):
    """A new revision: the running one with the release's image and secrets (and the
    sidecars' images, pinned when the plan was made). Undone by deregistering it: a revision
    that never ran is not left behind as a rollback target."""

    sidecar_images: dict[str, str] = field(default_factory=dict)
    name = "register task definition"

    def run(self, run: Run) -> None:
        target, secrets = run.plan.target, release_secrets(run)
        assert run.image is not None, "MakeImage comes first"
        new = next_revision(run.current, target, run.image.pinned, secrets, self.sidecar_images)
        run.fill(task_definition=ecs_of(run).register(new))
        run.registered = new

    def undo(self, run: Run) -> None:
        ecs_of(run).deregister(run.arn)


@dataclass(frozen=True)
class UseTaskDefinition(Step):
    """A rollback's task definition: the one its release ran."""

    arn: str
    name = "use task definition"

    def line(self) -> str:
        return f"use task definition {short(self.arn)}"

    def run(self, run: Run) -> None:
        run.fill(task_definition=self.arn)


@dataclass(frozen=True)
class RunReleaseCommand(Step):
    """The service config's `release_command` (a migration), as a one-off task of the new
    task definition (new image, new config) before the service is updated. A non-zero exit
    stops the release with nothing deployed (ReleaseCommandFailed, recorded as "release
    command failed"); how it ended goes into the record and its tag's trailers. Nothing to
    undo: the task has stopped, and a migration is the app's to take back."""

    command: tuple[str, ...]
    name = "release command"

    def line(self) -> str:
        return f"release command: {shlex.join(self.command)}"

    def shown(self) -> str:
        return self.line()

    def run(self, run: Run) -> None:
        target, shown = run.plan.target, shlex.join(self.command)
        task = task_watch.start(run.ctx, target, run.arn, list(self.command))
        ui.info(f"running the release command in task {task.id}: {shown}")
        try:
            done = task_watch.watched(
                run.ctx,
                target,
                task,
                lambda line: ui.info(f"  | {line}"),
                heartbeat=run.held.beat,  # the deploy lock outlives a long migration
                timeout=run.plan.timeout,
            )
        except KeyboardInterrupt:
            raise Stopped(
                f"the release command's task {task.id} is stopped; nothing was deployed"
            ) from None
        run.fill(release_command=done.summary())
        if done.exit_code == 0:
            ui.info(f"release command: {done.summary()}")
            return
        if not done.task.stopped:
            ended = f"did not finish in {done.seconds:.0f}s (--timeout): its task is stopped"
        elif done.exit_code is None:
            why = done.task.stopped_reason or done.task.container_reason or "no reason given"
            ended = f"did not start: {why}"
        else:
            ended = f"exited {done.exit_code} after {done.seconds:.0f}s"
        lines = "".join(f"\n  | {line}" for line in done.last_lines)
        raise ReleaseCommandFailed(
            f"the release command ({shown}) {ended}: nothing was deployed, {target.ecs_service} "
            f"still runs {short(run.state.task_definition)}"
            + (f"; its last lines:{lines}" if lines else ""),
            hint=f"see its output: git lift logs -e {target.env}; fix it, then ship again",
        )


@dataclass(frozen=True)
class UpdateService(Step):
    """Ask ECS to run the task definition (the lock says what, for `cancel`). Undone by
    bringing back what ran before: ECS's circuit breaker's rollback followed, or ours."""

    name = "update service"

    def run(self, run: Run) -> None:
        lease, ecs, arn = run.held, ecs_of(run), run.arn
        lease.store.note_deploying(lease.target, lease.owner, run.state.task_definition, arn)
        run.deploying = True
        if not run.plan.wait:
            ecs.deploy(arn)
            return
        run.watch = watch = watch_for(run.ctx, ecs, lease)
        watch.prime(run.state)
        try:
            run.ours = ecs.deploy(arn)
            watch.last = f"{short(arn)} deployment started, no task seen yet"
            ui.info(f"deploying {short(arn)} to {ecs.service} in {ecs.cluster}")
        except KeyboardInterrupt:
            raise stopped(watch, arn) from None

    def undo(self, run: Run) -> None:
        if run.watch is None:
            return
        previous, ecs = run.state.task_definition, ecs_of(run)
        try:
            rollback(run.watch, run.ours, previous, run.plan.timeout)
        except DeployFailed as stuck:
            raise DeployFailed(
                f"{short(run.arn)} did not start, and going back to {short(previous)} "
                f"did not finish either: {stuck.message}",
                hint=f"{ecs.service} may be down: git lift status -e {ecs.env}, "
                f"then git lift rollback -e {ecs.env} --to N",
            ) from stuck


@dataclass(frozen=True)
class WaitForService(Step):
    """Until the task definition runs at the desired count (StepFailed when it does not)."""

    name = "wait"

    def run(self, run: Run) -> None:
        watch = run.watch
        assert watch is not None, "UpdateService comes first"
        if run.registered is not None:
            watch.knows(run.arn, run.registered)
        try:
            watch.until_done(run.arn, run.plan.timeout, run.ours)
        except DeployFailed as failed:
            raise StepFailed(failed.message, hint=failed.hint) from failed
        except KeyboardInterrupt:
            raise stopped(watch, run.arn) from None


@dataclass(frozen=True)
class RecordRelease(Step):
    """The record and the unlock in one write (retried; kept locally when AWS never takes
    it), then the tag and the note of a release that ran."""

    phase = "record"
    name = "record"

    def run(self, run: Run) -> None:
        done = run.record
        try:
            keep_record(run.ctx, run.held, done, RECORD_ROUNDS, hurry=run.hurry)
        except LockLost as lost:
            ui.warn(f"{lost.message}; release {done.number} ran and is recorded")
        run.tagged = tag_if_released(run.ctx, run.plan.target, done)


def stopped(watch: Watch, arn: str) -> Stopped:
    return Stopped(f"ECS goes on rolling out {short(arn)} (last seen: {watch.last})")


def next_revision(
    current: dict[str, Any],
    target: Target,
    image: str,
    secrets: list[dict[str, str]],
    sidecar_images: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The revision to register, refused over ECS's task definition size limit, or when a
    plain variable of the service config has the name of an env.sample key. `sidecar_images`:
    the sidecars' images, pinned (flows/sidecar_images.py)."""
    environment = plain_environment(service_container(current, target.container))
    containercfg.refuse_clashes(target, environment, [s["name"] for s in secrets])
    try:
        new = with_image_and_secrets(current, target.container, image, secrets)
        new = with_sidecar_images(new, target.container, sidecar_images or {})
    except ValueError as exc:
        raise DeployFailed(
            str(exc), hint="set container in .gitlift to the container's name"
        ) from exc
    size = limits.json_size(registration(new))
    limits.check_task_definition(size, str(target), len(secrets))
    return new


def release_secrets(run: Run) -> list[dict[str, str]]:
    """The secrets the release's task definitions name: its snapshot's (pinned config) or
    each key's parameter."""
    keys = [*run.record.config_versions]
    if run.references is not None:
        return secrets_for(keys, run.references)
    return parameter_secrets(run.plan.target, run.state, keys)


def parameter_secrets(target: Target, state: ServiceState, keys: list[str]) -> list[dict[str, str]]:
    """The container's secrets: each key's parameter, in the service's own region and account."""
    region, account = state.arn.split(":")[3:5]
    return secrets_for(keys, {k: target.config_arn(k, region, account) for k in keys})
