"""`git lift run`: a one-off task of a release's task definition, its image and its config
exactly as that release runs them (the same secrets references, pinned snapshot included),
where the service runs (task_watch.py). The running release's by default; `--release N` a
recorded one's; `--ref REF` that commit's image, found or built as ship finds or builds it,
in a new revision of the running task definition that no service runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from git_lift import ui
from git_lift.errors import Interrupted, LiftError, NotSetUp, UsageError
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.image import build_platform, find_image, image_tag, make_image
from git_lift.flows.interrupts import shielded
from git_lift.flows.release_history import release_of
from git_lift.flows.release_steps import next_revision
from git_lift.flows.shipping import commit_files
from git_lift.flows.task_watch import container_of, start, watched
from git_lift.plan import architecture_of
from git_lift.target import WEB, Target


@dataclass(frozen=True)
class RunRequest:
    command: tuple[str, ...]
    release: int | None = None
    ref: str | None = None
    cpu: int | None = None
    memory: int | None = None
    detach: bool = False
    job: str | None = None  # a scheduled job of the service config (job_run.py)
    timeout: float | None = None  # stop the task past it (a job's `timeout`)


def run(ctx: Context, target: Target, request: RunRequest) -> int:
    """Start the task and, unless detached, print its output until it stops; the
    container's exit code (1 for a task that never started, with AWS's reason)."""
    if request.release is not None and request.ref is not None:
        raise UsageError("--release and --ref name two things to run", hint="give one of them")
    arn = task_definition(ctx, target, request)
    with shielded() as shield:  # the task's ARN is known before a signal may stop us
        # A job's run joins its schedule's task group: `status` finds its last run there.
        group = target.job_task_group(request.job) if request.job else None
        task = start(
            ctx,
            target,
            arn,
            list(request.command) or None,  # none: the process's own (`--process P`)
            cpu=request.cpu,
            memory=request.memory,
            group=group,
        )
        if request.detach:
            ui.info(f"started task {task.id} of {short(arn)}; it runs on its own")
            ui.out(task.id)
            return 0
        # The command is not echoed: its arguments are the user's, and may hold a value.
        ui.info(f"task {task.id} of {short(arn)} started; its output follows")
        try:
            with shield.interruptible():
                done = watched(ctx, target, task, ui.out, timeout=request.timeout)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted: task {task.id} stopped",
                hint=f"see its output: git lift logs -e {target.env}",
            ) from None
    if not done.task.stopped:
        raise LiftError(
            f"task {task.id} did not finish in {done.seconds:.0f}s (the job's timeout): "
            "it is stopped",
            hint=f"see its output: git lift logs -e {target.env}",
        )
    if done.exit_code is None:
        reason = done.task.stopped_reason or done.task.container_reason or "no reason given"
        raise LiftError(
            f"task {task.id} stopped before its command ran: {reason}",
            hint=f"see the service's state: git lift status -e {target.env}",
        )
    ui.info(f"task {task.id}: {done.summary()}")
    return done.exit_code


def task_definition(ctx: Context, target: Target, request: RunRequest) -> str:
    """The task definition the task runs, refused clearly when the service is not set up."""
    ecs = ctx.aws.ecs(target)
    try:
        state = ecs.describe()
    except NotSetUp as missing:
        raise ctx.not_set_up(missing.message, target) from None
    if request.release is not None:
        return released(ctx, target, request.release)
    if request.ref is None:
        return state.task_definition
    return with_commit_image(ctx, target, state.task_definition, request.ref)


def released(ctx: Context, target: Target, number: int) -> str:
    """Release `number`'s task definition of the target's process (the record keeps each
    process's revision: Release.processes)."""
    release = release_of(ctx, target, number)
    if target.process == WEB:
        return release.task_definition
    found = release.processes.get(target.process)
    if found is None:
        raise LiftError(
            f"release {number} did not run {target.process} (it was not in the service config)",
            hint=f"run what runs now: git lift run -e {target.env} --process {target.process}",
        )
    return found


def with_commit_image(ctx: Context, target: Target, running: str, ref: str) -> str:
    """A revision of the running task definition with `ref`'s image (found in the registry,
    copied or built as ship would), registered and not deployed: the config is the running
    release's."""
    sha = ctx.repo.resolve(ref)
    ecs = ctx.aws.ecs(target)
    current = ecs.task_definition(running)
    architecture = architecture_of(current)
    tag = image_tag(ctx, target, sha, None, {}, architecture)
    source = find_image(ctx, target, tag, build_platform(architecture))
    image = source.image or make_image(
        ctx, target, source, sha, {}, lambda: commit_files(ctx, sha, None)
    )
    container = container_of(current, target)
    secrets = next(
        list(c.get("secrets") or [])
        for c in current.get("containerDefinitions", [])
        if c.get("name") == container
    )
    registered = ecs.register(next_revision(current, target, image.pinned, secrets))
    ui.info(f"registered {short(registered)} with {sha[:12]}'s image (no service runs it)")
    return registered
