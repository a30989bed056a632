"""The deploy lock and the release record, for the executor (executor.py) and its steps.

The lock is renewed on each poll while a release waits (Lease), so it outlives the slowest
failing ship: the deploy's wait, then the rollback's. Losing it stops the wait with LockLost,
naming who holds it. A lock whose holder is a process of this machine that is gone is taken
over, with a word. A record that cannot be written is kept in `.git/lift/` for
`ship --record-only`. Waits, pauses and clocks come from ctx.aws.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from git_lift import proc, ui
from git_lift.aws import store as records  # DELETING: a lock `service delete` holds
from git_lift.aws.ecs import Ecs
from git_lift.aws.store import LockHeld, LockLost, Release, Store
from git_lift.errors import (
    AwsError,
    DeployFailed,
    Interrupted,
    LiftError,
    ReleaseCommandFailed,
    ValidationError,
)
from git_lift.flows import config_state
from git_lift.flows.context import Context
from git_lift.flows.deploy import Superseded, Watch, short
from git_lift.flows.local_state import json_object, read_local
from git_lift.flows.release import record_tag
from git_lift.target import Target

T = TypeVar("T")
# A lock outlives its holder's silence by this much: renewed on each poll (at most every
# HEARTBEAT seconds) to the wait's timeout plus this margin from then.
LOCK_MARGIN = 5 * 60
HEARTBEAT = 30.0
# Writing the record after a deploy: rounds of botocore's own retries, with a pause between
# them that doubles from lift.pollInterval up to MAX_RECORD_PAUSE (minutes in all, bounded).
RECORD_ROUNDS = 6
MAX_RECORD_PAUSE = 30.0
# What an exception while the lock is held means for the release record.
OUTCOMES: tuple[tuple[type[BaseException], str], ...] = (
    (ReleaseCommandFailed, "release command failed"),
    (DeployFailed, "failed"),
    (Superseded, "superseded"),
    (KeyboardInterrupt, "interrupted"),
)


def poll_interval(ctx: Context) -> float:
    return ctx.settings.poll_interval


@dataclass
class Lease:
    """The deploy lock this process holds: taken with the release number, renewed while
    we wait, dropped with the record."""

    ctx: Context
    target: Target
    timeout: float  # one wait's timeout: each renewal keeps the lock that long and a margin
    owner: str = field(default_factory=proc.holder_name)
    renewed: float = 0.0
    held: bool = False  # taken, and neither dropped nor lost since

    @property
    def store(self) -> Store:
        return self.ctx.aws.table(self.target.env)

    @property
    def ttl(self) -> float:
        return self.timeout + LOCK_MARGIN

    def take(self) -> int:
        """The lock and the next release number (LockHeld when someone else deploys). The
        lock of a process of this machine that is gone is taken over, with a word."""
        number = taking_over(
            self.target,
            lambda gone: self.store.begin_release(
                self.target, self.owner, self.ttl, replacing=gone
            ),
        )
        self.held, self.renewed = True, self.ctx.aws.clock()
        return number

    def drop(self) -> None:
        """Drop the lock if it is still ours (AwsError when AWS does not answer)."""
        self.store.release_lock(self.target, self.owner)
        self.held = False

    def beat(self) -> None:
        """Renew the lock (at most every HEARTBEAT s). LockLost when it was taken or removed;
        an AWS error only warns: the lock still has its margin, the next beat tries again."""
        if self.ctx.aws.clock() - self.renewed < HEARTBEAT:
            return
        try:
            self.store.renew_lock(self.target, self.owner, self.ttl)
        except LockLost:
            raise
        except AwsError as exc:
            ui.warn(f"  could not renew the deploy lock ({exc.message}); trying again")
            return
        self.renewed = self.ctx.aws.clock()


def taking_over(target: Target, take: Callable[[str], T]) -> T:
    """`take("")` the deploy lock; when a process of this machine that is gone holds it,
    `take(its name)` to take it over, with a word (the others' LockHeld stands)."""
    try:
        return take("")
    except LockHeld as held:
        gone = held.holder
        if gone is None or proc.holder_alive(gone) is not False:
            raise
        taken = take(gone)
        left = (
            "CloudFormation goes on with any deletion it started"
            if gone.endswith(records.DELETING)
            else "what it was deploying is not recorded"
        )
        ui.warn(
            f"took over the deploy lock of {target} from {gone.removesuffix(records.DELETING)}, "
            f"whose process is gone; {left}"
        )
        return taken


def watch_for(ctx: Context, ecs: Ecs, lease: Lease | None) -> Watch:
    return Watch(
        ecs,
        sleep=ctx.aws.sleep,
        clock=ctx.aws.clock,
        interval=poll_interval(ctx),
        fail_fast=ecs.target.environment.fail_fast_after,
        heartbeat=lease.beat if lease else lambda: None,
    )


class Stopped(KeyboardInterrupt):
    """An interrupt while we watched, with what ECS was doing then."""

    def __init__(self, doing: str) -> None:
        super().__init__(doing)
        self.doing = doing


def told_interrupted(lease: Lease, stopped: KeyboardInterrupt, deploying: str) -> None:
    """What an interrupt left: what ECS does, and the lock (released unless AWS would not)."""
    if isinstance(stopped, Stopped):
        doing = stopped.doing
    elif deploying:
        doing = f"ECS may be rolling out {short(deploying)}"
    else:
        doing = "nothing was deployed"
    env = lease.target.env
    lock = "the lock is still held" if lease.held else "the lock is released"
    ui.warn(f"interrupted: {doing}; {lock}. Watch it with: git lift status -e {env}")


def finished_first(target: Target, done: Release, *, tagged: bool) -> Interrupted:
    """An interrupt once the deploy was done waited for the record, the tag and the note."""
    tag = target.release_tag(done.number)
    if not done.released:  # --no-wait: the deployment started, nothing more is known
        when, what = "the deployment started", f"is recorded ({done.outcome})"
    elif done.dirty:
        when, what = "the rollout", "runs, recorded (a dirty build is not tagged)"
    elif tagged:
        when, what = "the rollout", f"runs, recorded and tagged {tag}"
    else:
        when, what = (
            "the rollout",
            f"runs, recorded; its tag {tag} could not be made (see the warning above)",
        )
    return Interrupted(
        f"interrupted after {when}: release {done.number} of {target} {what}",
        hint=f"see what runs: git lift status -e {target.env}",
    )


def outcome_of(stopped: BaseException) -> str:
    """An AWS error, a lost watch or a lost lock leaves ECS doing what it does: unverified."""
    return next((o for kind, o in OUTCOMES if isinstance(stopped, kind)), "unverified")


def give_up(ctx: Context, lease: Lease, drafted: Release, stopped: BaseException) -> None:
    """Record how a deploy ended and drop the lock; a Ctrl-C does not wait for AWS long.
    An attempt stopped before its task definition existed is recorded only when interrupted
    (history lists every interrupted attempt); another error just drops the lock."""
    try:
        if not drafted.task_definition and not isinstance(stopped, KeyboardInterrupt):
            lease.drop()
            return
        rounds = 1 if isinstance(stopped, KeyboardInterrupt) else RECORD_ROUNDS
        keep_record(ctx, lease, replace(drafted, outcome=outcome_of(stopped)), rounds)
    except LockLost as lost:
        if isinstance(stopped, Superseded):  # the reason it was superseded: say that first
            raise LockLost(f"{lost.message}: {stopped.message}", lost.holder, lost.hint) from lost
        if not isinstance(stopped, LockLost):  # else the error says it already
            ui.warn(lost.message)
    except LiftError as unrecorded:
        ui.warn(unrecorded.message)
        if unrecorded.hint:
            ui.hint(unrecorded.hint)


def keep_record(
    ctx: Context,
    lease: Lease,
    record: Release,
    rounds: int,
    hurry: Callable[[], bool] = lambda: False,
) -> None:
    """Write the record and drop the lock, trying `rounds` times (no more once `hurry`: an
    interrupt waits for one try); when AWS never takes it, keep the record for
    `git lift ship --record-only` and say so. LockLost passes through."""
    pause = poll_interval(ctx)
    for round_ in range(1, rounds + 1):
        try:
            lease.store.finish_release(lease.target, record, lease.owner)
        except LockLost:
            lease.held = False
            raise
        except AwsError as exc:
            if round_ == rounds or hurry():
                raise unrecorded(ctx, lease, record, exc) from exc
            ui.warn(f"could not record release {record.number} yet ({exc.message}); retrying")
            ctx.aws.sleep(pause)
            pause = min(pause * 2, MAX_RECORD_PAUSE)
        else:
            lease.held = False
            return


def unrecorded(ctx: Context, lease: Lease, record: Release, exc: AwsError) -> LiftError:
    """The error for a record AWS would not take, kept locally; drops the lock if it can."""
    config_state.write_atomic(
        pending_path(ctx, lease.target), json.dumps(asdict(record), sort_keys=True) + "\n"
    )
    env = lease.target.env
    try:
        lease.drop()
        lock = ""
    except LiftError:
        lock = f"; the deploy lock is still held: git lift unlock -e {env}"
    what = "is running in" if record.released else f"({record.outcome}) of {record.service} in"
    return LiftError(
        f"release {record.number} {what} {env} but could not be recorded: {exc.message}",
        hint=f"record it when AWS answers: git lift ship --record-only -e {env}{lock}",
    )


def pending_path(ctx: Context, target: Target) -> Path:
    """The record kept for `--record-only`: 0600 under .git/lift/ (0700), as config state is."""
    return config_state.private_path(ctx, target, "unrecorded", ".json")


def record_only(ctx: Context, target: Target) -> int:
    """`git lift ship --record-only`: write the record a ship could not (kept by it)."""
    path = pending_path(ctx, target)
    record = read_local(
        path,
        lambda text: Release.from_doc(json_object(text)),
        lost=f"check the release history: git lift history -e {target.env}",
    )
    if record is None:
        raise ValidationError(
            f"no unrecorded release of {target} on this machine",
            hint=f"see what runs: git lift status -e {target.env}",
        )
    ctx.aws.table(target.env).put_release(target, record)
    path.unlink()
    tag_if_released(ctx, target, record)
    ui.info(f"recorded release {record.number} of {target} ({record.outcome})")
    return 0


def tag_if_released(ctx: Context, target: Target, done: Release) -> bool:
    """Only a release that ran, of a committed tree, gets its tag and note; whether it has."""
    return done.released and not done.dirty and record_tag(ctx, target, done)


def report(ctx: Context, done: Release) -> None:
    """`--output json`: the release record on stdout, for CI."""
    if ctx.options.output == "json":
        ui.out(json.dumps(asdict(done), indent=2, sort_keys=True))
