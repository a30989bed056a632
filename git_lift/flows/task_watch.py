"""A one-off ECS task, from RunTask to its exit code: started where the service runs its own
tasks (its network, security groups, launch type), its container's CloudWatch log stream
printed while it runs, stopped on Ctrl-C. `git lift run` (one_off.py) and a release's
release command (release_steps.RunReleaseCommand) both run one so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from git_lift import ui
from git_lift.aws.ecs import TaskStatus
from git_lift.aws.store import LockLost
from git_lift.flows.context import Context
from git_lift.plan import container_index
from git_lift.target import Target

# The lines a failed release command's error repeats (its whole output was streamed above).
LAST_LINES = 10
STOP_REASON = "interrupted: git lift run"


@dataclass(frozen=True)
class OneOffTask:
    """A task started: its ARN, its task definition and the container that runs the command."""

    arn: str
    definition: dict[str, Any]
    container: str
    started: float

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def log_stream(self) -> tuple[str, str] | None:
        """(group, stream) of the container's awslogs output, named as ECS names it
        (PREFIX/CONTAINER/TASK-ID); None when its logs go nowhere we can read."""
        for c in self.definition.get("containerDefinitions", []):
            if c.get("name") != self.container:
                continue
            config = c.get("logConfiguration") or {}
            options = config.get("options") or {}
            group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
            if config.get("logDriver") == "awslogs" and group and prefix:
                return str(group), f"{prefix}/{self.container}/{self.id}"
        return None


@dataclass
class Finished:
    """How a task ended: its last status, and its output's last lines."""

    task: TaskStatus
    seconds: float
    last_lines: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int | None:
        return self.task.exit_code

    def summary(self) -> str:
        """`exit 0 in 42s`, `did not start` or `did not finish in 900s` (a trailer and the
        record say it)."""
        if not self.task.stopped:
            return f"did not finish in {self.seconds:.0f}s"
        if self.exit_code is None:
            return "did not start"
        return f"exit {self.exit_code} in {self.seconds:.0f}s"


def container_of(definition: dict[str, Any], target: Target) -> str:
    """The service's container (the only one when none has its name), as a release runs it;
    its name from .gitlift when there is neither (RunTask then says what is wrong)."""
    index = container_index(definition, target.container)
    containers = definition.get("containerDefinitions", [])
    return str(containers[index].get("name")) if index >= 0 else target.container


def start(
    ctx: Context,
    target: Target,
    task_definition: str,
    command: list[str] | None,
    *,
    cpu: int | None = None,
    memory: int | None = None,
    group: str | None = None,
) -> OneOffTask:
    """RunTask of `task_definition` with `command` (None: its own), as the service runs;
    `group`: its ECS task group (a scheduled job's, `Target.job_task_group`)."""
    ecs = ctx.aws.ecs(target)
    definition = ecs.task_definition(task_definition)
    container = container_of(definition, target)
    arn = ecs.run_task(task_definition, container, command, cpu=cpu, memory=memory, group=group)
    return OneOffTask(arn, definition, container, ctx.aws.clock())


def follow(
    ctx: Context,
    target: Target,
    task: OneOffTask,
    on_line: Callable[[str], None],
    *,
    heartbeat: Callable[[], None] = lambda: None,
    timeout: float | None = None,
) -> Finished:
    """Poll the task until it stops (or `timeout` seconds went by: then it still runs), each
    new line of its log stream to `on_line`, `heartbeat` on each poll (a release renews its
    deploy lock)."""
    ecs, logs = ctx.aws.ecs(target), ctx.aws.logs(target)
    where = task.log_stream()
    if where is None:
        ui.info(f"task {task.id}: its container's logs are not sent to CloudWatch Logs")
    token: str | None = None
    last: deque[str] = deque(maxlen=LAST_LINES)
    shown = ""

    def read() -> None:
        nonlocal token
        if where is None:
            return
        events, token = logs.stream_events(*where, token)
        for event in events:
            line = event.message.rstrip("\n")
            last.append(line)
            on_line(line)

    while True:
        status = ecs.task(task.arn, task.container)
        if status.last_status != shown:
            shown = status.last_status
            ui.detail(f"task {task.id}: {shown.lower()}")
        read()
        took = ctx.aws.clock() - task.started
        if status.stopped:
            read()  # what the container wrote last may reach CloudWatch after it stopped
            return Finished(status, took, list(last))
        if timeout is not None and took >= timeout:
            return Finished(status, took, list(last))
        heartbeat()
        ctx.aws.sleep(ctx.settings.poll_interval)


def stop(ctx: Context, target: Target, task: OneOffTask) -> None:
    """StopTask on Ctrl-C; ECS sends the container SIGTERM, then SIGKILL after its
    stopTimeout."""
    ctx.aws.ecs(target).stop_task(task.arn, STOP_REASON)


def watched(
    ctx: Context,
    target: Target,
    task: OneOffTask,
    on_line: Callable[[str], None],
    *,
    heartbeat: Callable[[], None] = lambda: None,
    timeout: float | None = None,
) -> Finished:
    """`follow`; on Ctrl-C (KeyboardInterrupt) or a lost deploy lock stop the task and
    re-raise (the caller says that it stopped: `git lift run` as its error, a release with
    what it left); past `timeout`, stop it and return how it stood."""
    try:
        done = follow(ctx, target, task, on_line, heartbeat=heartbeat, timeout=timeout)
    except (KeyboardInterrupt, LockLost):
        stop(ctx, target, task)
        raise
    if not done.task.stopped:
        stop(ctx, target, task)
    return done
