"""Roll a task definition out under the deploy lock, roll back on failure, record the release.

Shared by `ship` (a new image) and `rollback` (an earlier release's task definition).
SIGTERM and SIGHUP act as Ctrl-C while the lock is held: the lock is released and ECS's state
is told. A record that cannot be written is kept in `.git/lift/` for `ship --record-only`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from git_lift import ui
from git_lift.aws.ecs import Ecs, ServiceState
from git_lift.aws.store import LockLost, Release, Store
from git_lift.commands import pinned
from git_lift.commands.context import Context
from git_lift.commands.deploy import Superseded, Watch, rollback, short
from git_lift.commands.editor import interrupt_on_termination
from git_lift.commands.image import Image
from git_lift.commands.release import deployer, record_tag, tag_name
from git_lift.errors import AwsError, DeployFailed, LiftError, ValidationError
from git_lift.plan import secrets_for, task_definition_changes, with_image_and_secrets
from git_lift.settings import ServiceSettings

LOCK_MARGIN = 5 * 60
# Writing the record after a deploy: rounds of botocore's own retries, with a pause between
# them that doubles from lift.pollInterval up to MAX_RECORD_PAUSE (minutes in all, bounded).
RECORD_ROUNDS = 6
MAX_RECORD_PAUSE = 30.0
OWNER = re.compile(r"^(?P<user>.*)@(?P<host>\S+) pid (?P<pid>\d+) ")
# What an exception while the lock is held means for the release record.
OUTCOMES: tuple[tuple[type[BaseException], str], ...] = (
    (DeployFailed, "failed"),
    (Superseded, "superseded"),
    (KeyboardInterrupt, "interrupted"),
)


def lock_owner() -> str:
    user = os.environ.get("USER") or "someone"
    return f"{user}@{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"


def holder_alive(owner: str) -> bool | None:
    """Whether a lock holder's process lives: known only for holders on this host."""
    found = OWNER.match(owner)
    if found is None or found["host"] != socket.gethostname():
        return None
    try:
        os.kill(int(found["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        return True
    return True


def poll_interval(ctx: Context) -> float:
    return float(ctx.settings.lift.get("pollinterval", "1"))


def deploy_and_wait(
    ctx: Context, ecs: Ecs, state: ServiceState, arn: str, timeout: float, *, fresh: bool
) -> None:
    fail_fast = ctx.environment(ecs.env).fail_fast_after
    watch = Watch(ecs, interval=poll_interval(ctx), fail_fast=fail_fast)
    watch.prime(state)
    ours: str | None = None
    try:
        ours = ecs.deploy(arn)
        watch.last = f"{short(arn)} deployment started, no task seen yet"
        ui.info(f"deploying {short(arn)} to {ecs.service} in {ecs.cluster}")
        watch.until_done(arn, timeout, ours)
    except DeployFailed as failure:
        ui.error(f"deploy failed: {failure.message}")
        try:
            rollback(watch, arn, ours, state.task_definition, timeout, discard=fresh)
        except DeployFailed as stuck:
            raise DeployFailed(
                f"{short(arn)} did not start, and going back to {short(state.task_definition)} "
                f"did not finish either: {stuck.message}",
                hint=f"{ecs.service} may be down: git lift status -e {ecs.env}, "
                f"then git lift rollback -e {ecs.env} --to N",
            ) from failure
        raise DeployFailed(
            f"{short(arn)} did not start; {ecs.service} is back on {short(state.task_definition)}",
            hint=f"see why above, and the logs: git lift logs -e {ecs.env}",
        ) from failure
    except KeyboardInterrupt:
        ui.warn(
            f"interrupted: ECS goes on rolling out {short(arn)} (last seen: {watch.last}); "
            f"the lock is released. Watch it with: git lift status -e {ecs.env}"
        )
        raise


def release(
    ctx: Context,
    ecs: Ecs,
    state: ServiceState,
    *,
    prepare: Callable[[int], str],
    draft: Callable[[int, str], Release],
    wait: bool,
    timeout: float,
    fresh: bool,
) -> Release:
    """Under the lock: `prepare` the task definition of release N, deploy it, record the outcome.

    The lock and the release number come in one DynamoDB write, the record and the unlock in
    another, whatever happened: a failed deploy is recorded as failed, an interrupted or
    unwatchable one as interrupted or unverified (history shows them; only a release is
    tagged). SIGTERM and SIGHUP count as Ctrl-C from the moment the lock is taken.
    """
    store = Store(ctx.clients.dynamodb)
    owner = lock_owner()
    with interrupt_on_termination():
        number = store.begin_release(ecs.env, ecs.service, owner, timeout + LOCK_MARGIN)
        arn: str | None = None
        try:
            arn = prepare(number)
            store.note_deploying(ecs.env, ecs.service, owner, state.task_definition, arn)
            if wait:
                deploy_and_wait(ctx, ecs, state, arn, timeout, fresh=fresh)
            else:
                ecs.deploy(arn)
        except BaseException as stopped:
            give_up(ctx, store, owner, ecs, draft(number, arn) if arn else None, stopped)
            raise
        done = replace(draft(number, arn), outcome="released" if wait else "unverified")
        try:
            keep_record(ctx, store, done, owner, rounds=RECORD_ROUNDS)
        except LockLost as lost:
            ui.warn(f"{lost.message}; release {done.number} ran and is recorded")
    if done.released and not done.dirty:
        record_tag(ctx, done)
    return done


def outcome_of(stopped: BaseException) -> str:
    """An AWS error or a lost watch leaves ECS doing what it does: unverified."""
    return next((o for kind, o in OUTCOMES if isinstance(stopped, kind)), "unverified")


def give_up(
    ctx: Context,
    store: Store,
    owner: str,
    ecs: Ecs,
    drafted: Release | None,
    stopped: BaseException,
) -> None:
    """Record how a deploy ended and drop the lock; a Ctrl-C does not wait for AWS long."""
    try:
        if drafted is None:
            store.release_lock(ecs.env, ecs.service, owner)
            return
        rounds = 1 if isinstance(stopped, KeyboardInterrupt) else RECORD_ROUNDS
        keep_record(ctx, store, replace(drafted, outcome=outcome_of(stopped)), owner, rounds)
    except LockLost as lost:
        if isinstance(stopped, Superseded):  # the reason it was superseded: say that first
            raise LockLost(f"{lost.message}: {stopped.message}", lost.holder, lost.hint) from lost
        ui.warn(lost.message)
    except LiftError as unrecorded:
        ui.warn(unrecorded.message)
        if unrecorded.hint:
            ui.hint(unrecorded.hint)


def keep_record(ctx: Context, store: Store, record: Release, owner: str, rounds: int) -> None:
    """Write the record and drop the lock, trying `rounds` times; when AWS never takes it,
    keep the record for `git lift ship --record-only` and say so. LockLost passes through."""
    pause = poll_interval(ctx)
    for round_ in range(1, rounds + 1):
        try:
            store.finish_release(record, owner)
        except AwsError as exc:
            if round_ == rounds:
                raise unrecorded(ctx, store, record, owner, exc) from exc
            ui.warn(f"could not record release {record.number} yet ({exc.message}); retrying")
            time.sleep(pause)
            pause = min(pause * 2, MAX_RECORD_PAUSE)
        else:
            return


def unrecorded(ctx: Context, store: Store, record: Release, owner: str, exc: AwsError) -> LiftError:
    """The error for a record AWS would not take, kept locally; drops the lock if it can."""
    path = pending_path(ctx, record.env, record.service)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(record), sort_keys=True) + "\n")
    try:
        store.release_lock(record.env, record.service, owner)
        lock = ""
    except LiftError:
        lock = f"; the deploy lock is still held: git lift unlock -e {record.env}"
    what = "is running in" if record.released else f"({record.outcome}) of {record.service} in"
    return LiftError(
        f"release {record.number} {what} {record.env} but could not be recorded: {exc.message}",
        hint=f"record it when AWS answers: git lift ship --record-only -e {record.env}{lock}",
    )


def pending_path(ctx: Context, env: str, service: str) -> Path:
    return ctx.repo.git_dir / "lift" / f"unrecorded-{env}-{service}.json"


def record_only(ctx: Context, service: ServiceSettings, env: str) -> int:
    """`git lift ship --record-only`: write the record a ship could not (kept by it)."""
    path = pending_path(ctx, env, service.name)
    if not path.exists():
        raise ValidationError(
            f"no unrecorded release of {service.name} in {env} on this machine",
            hint=f"see what runs: git lift status -e {env}",
        )
    record = Release(**json.loads(path.read_text()))
    Store(ctx.clients.dynamodb).put_release(record)
    path.unlink()
    if record.released and not record.dirty:
        record_tag(ctx, record)
    ui.info(f"recorded release {record.number} of {service.name} in {env} ({record.outcome})")
    return 0


def next_revision(
    current: dict[str, Any], service: ServiceSettings, image: Image, secrets: list[dict[str, str]]
) -> dict[str, Any]:
    try:
        return with_image_and_secrets(current, service.container, image.pinned, secrets)
    except ValueError as exc:
        raise DeployFailed(
            str(exc), hint="set container in .gitlift to the container's name"
        ) from exc


def roll_out(
    ctx: Context,
    service: ServiceSettings,
    env: str,
    sha: str,
    image: Image,
    versions: dict[str, int],
    wait: bool,
    timeout: float,
    *,
    state: ServiceState | None = None,
    dirty: str | None = None,
    gate_skipped: str | None = None,
    promoted_from: str | None = None,
) -> int:
    """Deploy `image`; `state` is the service as the ship checked it before building, good
    enough when nothing was built meanwhile; `dirty` the diff hash of an --allow-dirty build.
    With pinned config the values are read first and snapshotted under the lock."""
    ecs = Ecs(ctx.clients.ecs, env, service.name)
    if state is None or image.built:
        state = ecs.describe()
    current = ecs.task_definition(state.task_definition)
    region, account = state.arn.split(":")[3:5]
    params = ctx.store(env, service.name)
    keys = list(versions)
    new = next_revision(
        current,
        service,
        image,
        secrets_for(keys, {k: params.arn(k, region, account) for k in keys}),
    )
    values = (
        pinned.read_values(ctx, env, service.name, versions)
        if ctx.environment(env).pins_config
        else None
    )
    ui.info(f"{service.name} in {env}: {short(state.task_definition)} ->")
    ui.diff_lines(
        task_definition_changes(current, new)
        or [("change", "(same image and secrets: a fresh deployment)")]
    )
    snapshot: dict[str, str] = {}

    def prepare(number: int) -> str:
        if values is None:
            return ecs.register(new)
        parts = pinned.pin(ctx, env, service.name, values, number)
        snapshot.update({p.arn: p.version for p in parts})
        refs = pinned.references(parts)
        return ecs.register(next_revision(current, service, image, secrets_for(keys, refs)))

    def draft(number: int, arn: str) -> Release:
        return Release(
            number=number,
            env=env,
            service=service.name,
            commit=sha,
            image=image.pinned,
            task_definition=arn,
            deployed_by=deployer(ctx),
            deployed_at=time.time(),
            config_versions=versions,
            dirty=dirty,
            pinned=dict(snapshot),
            gate_skipped=gate_skipped,
            promoted_from=promoted_from,
        )

    done = release(
        ctx,
        ecs,
        state,
        prepare=prepare,
        draft=draft,
        wait=wait,
        timeout=timeout,
        fresh=True,
    )
    report(ctx, done)
    if not wait:
        ui.info(
            f"deploying {short(done.task_definition)}; not waiting, so release {done.number} "
            f"is recorded as unverified. Watch it with: git lift status -e {env}"
        )
        return 0
    recorded = (
        f"dirty build {dirty}, not tagged" if dirty else tag_name(env, service.name, done.number)
    )
    ui.info(f"released {service.name} {sha[:12]} to {env}: release {done.number} ({recorded})")
    return 0


def report(ctx: Context, done: Release) -> None:
    """`--output json`: the release record on stdout, for CI."""
    if ctx.options.output == "json":
        ui.out(json.dumps(asdict(done), indent=2, sort_keys=True))


def roll_back(
    ctx: Context, service: ServiceSettings, env: str, to: int | None, timeout: float
) -> int:
    store = Store(ctx.clients.dynamodb)
    releases = [r for r in store.releases(env, service.name, limit=100) if r.released]
    if not releases:
        raise DeployFailed(
            f"{service.name} has no releases in {env} to roll back",
            hint=f"ship one: git lift ship -e {env}",
        )
    current = releases[0]
    if to is None:
        earlier = [r for r in releases[1:] if r.task_definition != current.task_definition]
        if not earlier:
            raise DeployFailed(
                f"release {current.number} is the only one of {service.name} in {env}",
                hint="there is nothing earlier to go back to",
            )
        target = earlier[0]
    else:
        found = [r for r in releases if r.number == to]
        if not found:
            raise DeployFailed(
                f"there is no successful release {to} of {service.name} in {env}",
                hint=f"list them: git lift history -e {env}",
            )
        target = found[0]
    ecs = Ecs(ctx.clients.ecs, env, service.name)
    state = ecs.describe()
    if target.task_definition == state.task_definition:
        ui.info(f"release {target.number} ({short(target.task_definition)}) is what runs already")
        return 0
    if target.pinned:
        pinned.require_kept(ctx, target)
    ui.info(
        f"rolling {service.name} in {env} back from release {current.number} to release "
        f"{target.number} ({target.commit[:12]}, {short(target.task_definition)})"
    )

    def draft(number: int, arn: str) -> Release:
        return replace(
            target,
            number=number,
            task_definition=arn,
            deployed_by=deployer(ctx),
            deployed_at=time.time(),
            rolled_back_from=current.number,
        )

    done = release(
        ctx,
        ecs,
        state,
        prepare=lambda number: back_to(ctx, target, number),
        draft=draft,
        wait=True,
        timeout=timeout,
        fresh=False,
    )
    report(ctx, done)
    config = "code and config" if target.pinned else "code (config is not pinned)"
    ui.info(
        f"rolled back {config}: release {done.number} runs {target.commit[:12]} "
        f"({tag_name(env, service.name, done.number)})"
    )
    return 0


def back_to(ctx: Context, target: Release, number: int) -> str:
    """The task definition of a rollback: the target's own, its snapshot labelled anew."""
    if target.pinned:
        pinned.relabel(ctx, target, number)
    return target.task_definition
