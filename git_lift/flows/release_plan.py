"""A release as one data object, from plan to record (as chalice's deploy plan and executor).

`ReleasePlan` holds the service as planned, the record as planned (a `Release` whose number,
task definition, snapshot and time the steps fill in) and the steps, in order. Each step says
in which phase it runs: `prepare` before the deploy lock (build the image, read the config),
`deploy` under the lock where a signal may stop it (snapshot config, register task
definitions, update services, wait), `record` under the lock where it may not (record, unlock,
tag, note). executor.py runs them and undoes, in reverse, the deploy steps before one that
failed. Features add steps (the release command, release_steps.RunReleaseCommand; later
schedules, one update and wait per process), not branches in the executor.

`Run` is what the steps of one execution learn and hand on: the release number, the image,
the task definition registered, the deployment started, the watch that follows it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from git_lift import ui
from git_lift.aws.ecs import ServiceState
from git_lift.aws.store import Release
from git_lift.errors import DeployFailed
from git_lift.flows.context import Context
from git_lift.flows.deploy import Watch, short
from git_lift.flows.image import Image
from git_lift.flows.rollout import Lease
from git_lift.target import Target

Phase = Literal["prepare", "deploy", "record"]


class StepFailed(DeployFailed):
    """A step failed once the release had changed something: the executor undoes the steps
    before it. Other errors (refused, interrupted, superseded, AWS gone) leave things as
    they are, for the record to say."""


class Step(ABC):
    """One thing a release does; `undo` takes back what `run` did (by default nothing is
    left to take back)."""

    phase: ClassVar[Phase] = "deploy"
    name: ClassVar[str] = "step"

    def line(self) -> str:
        return self.name

    def shown(self) -> str | None:
        """A line for the plan shown before confirmation (None: nothing to say)."""
        return None

    @abstractmethod
    def run(self, run: Run) -> None: ...

    def undo(self, run: Run) -> None:
        return None


@dataclass(frozen=True)
class ReleasePlan:
    target: Target
    state: ServiceState  # the service as planned
    current: dict[str, Any]  # the task definition it runs
    record: Release  # the release as planned (number 0, no task definition yet)
    steps: tuple[Step, ...]
    changes: list[tuple[str, str]] = field(default_factory=list)  # the diff shown
    wait: bool = True
    timeout: float = 15 * 60.0
    # Why this release would change nothing (the running release's image digest, task
    # definition and config, all the same): then it is not run, unless forced.
    unchanged: str | None = None
    # The service config the plan read (None: not read): its URL is told without reading it again.
    service_config: dict[str, Any] | None = None

    def phase(self, phase: Phase) -> list[Step]:
        return [step for step in self.steps if step.phase == phase]


def render(plan: ReleasePlan) -> None:
    """The plan as a user reads it before confirming: what runs, and what the release changes
    (or that it changes nothing)."""
    if plan.unchanged:
        ui.info(f"{plan.target}: nothing to release: {plan.unchanged}")
        return
    ui.info(f"{plan.target}: {short(plan.state.task_definition)} ->")
    ui.diff_lines(plan.changes)
    for line in filter(None, (step.shown() for step in plan.steps)):
        ui.info(line)


def steps_of(plan: ReleasePlan) -> list[str]:
    """The steps' names, in order."""
    return [step.line() for step in plan.steps]


@dataclass
class ProcessRun:
    """What a release learned of one process other than web (flows/process_steps.py)."""

    target: Target  # the process's (Target.for_process)
    state: ServiceState  # its ECS service before the release
    arn: str = ""  # the task definition the release runs on it
    registered: dict[str, Any] | None = None  # as registered (None: a rollback's, reused)
    watch: Watch | None = None
    ours: str | None = None  # the deployment the release started on it
    first: bool = False  # it waited at 0 tasks on the placeholder: this release starts it


@dataclass
class Run:
    """One execution of a plan: what its steps learned so far."""

    ctx: Context
    plan: ReleasePlan
    record: Release
    state: ServiceState
    current: dict[str, Any]
    image: Image | None = None
    values: dict[str, str] | None = None  # pinned config read before the lock
    references: dict[str, str] | None = None  # KEY -> valueFrom of its snapshot (pinned)
    lease: Lease | None = None  # the deploy lock, from the release number to the record
    deploying: bool = False  # UpdateService asked ECS to run `record.task_definition`
    ours: str | None = None  # the id of the deployment this release started
    watch: Watch | None = None
    hurry: Callable[[], bool] = lambda: False  # an interrupt came: record with one try
    tagged: bool = False  # the record step made the release's git tag
    registered: dict[str, Any] | None = None  # the task definition RegisterTaskDefinition sent
    processes: dict[str, ProcessRun] = field(default_factory=dict)  # the workers, by name

    @property
    def held(self) -> Lease:
        assert self.lease is not None, "deploy and record steps run under the lock"
        return self.lease

    @property
    def arn(self) -> str:
        return self.record.task_definition

    def fill(self, **fields: Any) -> None:
        self.record = replace(self.record, **fields)


def start(ctx: Context, plan: ReleasePlan) -> Run:
    return Run(ctx, plan, plan.record, plan.state, plan.current)
