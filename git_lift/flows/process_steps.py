"""The steps a release takes for each process other than web (processcfg.py): a release is
the whole service, so each worker gets the release's image and config too.

A ship registers a revision per process (the one its ECS service runs, with the release's
image, secrets and sidecar images: its command and size are the stack's), starts every
process's deployment right after web's, then waits for each in turn. A rollback uses the
revisions its release recorded. When any wait fails, the executor undoes the steps before it
in reverse: every process started goes back to what it ran before, as web does
(release_steps.UpdateService), and the registered revisions are deregistered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from git_lift import ui
from git_lift.aws.ecs import Ecs
from git_lift.aws.store import Release
from git_lift.errors import DeployFailed
from git_lift.flows.context import Context
from git_lift.flows.deploy import Watch, rollback, short
from git_lift.flows.release_plan import ProcessRun, Run, Step, StepFailed
from git_lift.flows.release_steps import next_revision, release_secrets, stopped
from git_lift.flows.rollout import Lease, watch_for
from git_lift.flows.service_stack import PLACEHOLDER_IMAGE
from git_lift.flows.service_state import saved_service_config


def ecs_for(run: Run, process: str) -> Ecs:
    return run.ctx.aws.ecs(run.plan.target.for_process(process))


def started(run: Run, process: str) -> ProcessRun:
    """The process as it runs before the release (read under the lock, after the image)."""
    ecs = ecs_for(run, process)
    found = ProcessRun(ecs.target, ecs.describe())
    run.processes[process] = found
    return found


def _recorded(run: Run, process: str, arn: str) -> None:
    run.fill(processes={**run.record.processes, process: arn})


@dataclass(frozen=True)
class RegisterProcess(Step):
    """The process's revision: the one its ECS service runs, with the release's image,
    secrets and sidecar images. Undone by deregistering it."""

    process: str
    sidecar_images: dict[str, str] = field(default_factory=dict)
    name = "register process task definition"

    def line(self) -> str:
        return f"register task definition of {self.process}"

    def run(self, run: Run) -> None:
        p, ecs = started(run, self.process), ecs_for(run, self.process)
        assert run.image is not None, "MakeImage comes first"
        current = ecs.task_definition(p.state.task_definition)
        secrets = release_secrets(run)
        new = next_revision(current, p.target, run.image.pinned, secrets, self.sidecar_images)
        p.arn, p.registered = ecs.register(new), new
        _recorded(run, self.process, p.arn)

    def undo(self, run: Run) -> None:
        p = run.processes.get(self.process)
        if p is not None and p.arn:
            ecs_for(run, self.process).deregister(p.arn)


@dataclass(frozen=True)
class UseProcess(Step):
    """A rollback's revision of the process: the one its release ran."""

    process: str
    arn: str
    name = "use process task definition"

    def line(self) -> str:
        return f"use task definition {short(self.arn)} for {self.process}"

    def run(self, run: Run) -> None:
        started(run, self.process).arn = self.arn
        _recorded(run, self.process, self.arn)


@dataclass(frozen=True)
class UpdateProcess(Step):
    """Ask ECS to run the process's revision. Undone by bringing back what it ran before."""

    process: str
    name = "update process"

    def line(self) -> str:
        return f"update {self.process}"

    def run(self, run: Run) -> None:
        p = run.processes[self.process]
        ecs = ecs_for(run, self.process)
        if p.arn == p.state.task_definition:
            return  # it runs that revision already: nothing to deploy
        count = first_count(run, p)
        p.first = count is not None
        if not run.plan.wait:
            ecs.deploy(p.arn, count)
            return
        p.watch = watch = watch_for(run.ctx, ecs, run.held)
        watch.prime(p.state)
        try:
            p.ours = ecs.deploy(p.arn, count)
            watch.last = f"{short(p.arn)} deployment started, no task seen yet"
            ui.info(f"deploying {short(p.arn)} to {ecs.service} ({self.process})")
        except KeyboardInterrupt:
            raise stopped(watch, p.arn) from None

    def undo(self, run: Run) -> None:
        p = run.processes.get(self.process)
        if p is None or p.watch is None:
            return
        previous = p.state.task_definition
        if p.first:  # back to no task on the placeholder, as the stack made it
            ecs_for(run, self.process).deploy(previous, 0)
            return
        try:
            rollback(p.watch, p.ours, previous, run.plan.timeout)
        except DeployFailed as stuck:
            env = run.plan.target.env
            raise DeployFailed(
                f"{self.process}: going back to {short(previous)} did not finish: {stuck.message}",
                hint=f"git lift status -e {env}, then git lift rollback -e {env} --to N",
            ) from stuck


def first_count(run: Run, p: ProcessRun) -> int | None:
    """The task count a process the stack created before any ship starts at: it waits at 0
    tasks on the placeholder image (templates/service.py, `idle_processes`), so the first
    release gives it the service config's count. None for a process that runs a release
    already (its count is its own, or autoscaling's)."""
    if p.state.desired != 0:
        return None
    ecs = ecs_for(run, p.target.process)
    if ecs.image(p.state.task_definition, p.target.container) != PLACEHOLDER_IMAGE:
        return None  # scaled to 0 on purpose: it stays so
    found = saved_service_config(run.ctx, p.target).processes.get(p.target.process)
    # The config keeps desired_count within its autoscaling's bounds (servicecfg).
    return found.desired_count if found is not None else None


@dataclass(frozen=True)
class WaitForProcess(Step):
    """Until the process runs its revision at its desired count (StepFailed when not)."""

    process: str
    name = "wait for process"

    def line(self) -> str:
        return f"wait for {self.process}"

    def run(self, run: Run) -> None:
        p = run.processes[self.process]
        if p.watch is None:
            return  # nothing was deployed to it
        if p.registered is not None:
            p.watch.knows(p.arn, p.registered)
        try:
            p.watch.until_done(p.arn, run.plan.timeout, p.ours)
        except DeployFailed as failed:
            raise StepFailed(f"{self.process}: {failed.message}", hint=failed.hint) from failed
        except KeyboardInterrupt:
            raise stopped(p.watch, p.arn) from None


def registers(processes: list[str], sidecar_images: dict[str, str]) -> tuple[Step, ...]:
    return tuple(RegisterProcess(p, sidecar_images) for p in processes)


def uses(back: Release, configured: list[str]) -> tuple[Step, ...]:
    """A rollback's: each process its release recorded that the service config still names
    (`configured`; a dropped one's ECS service went with the stack). A release from before
    processes has none, and leaves the workers as they run."""
    for gone in sorted(set(back.processes) - set(configured)):
        ui.info(f"{gone} is no longer in the service config: left out of the rollback")
    return tuple(UseProcess(p, arn) for p, arn in sorted(back.processes.items()) if p in configured)


def updates(processes: list[str]) -> tuple[Step, ...]:
    return tuple(UpdateProcess(p) for p in processes)


def waits(processes: list[str]) -> tuple[Step, ...]:
    return tuple(WaitForProcess(p) for p in processes)


def names(doc: dict[str, object] | None) -> list[str]:
    """The processes other than web a saved service config names, in order."""
    found = (doc or {}).get("processes")
    return sorted(found) if isinstance(found, dict) else []


def back_to_released(ctx: Context, lease: Lease, timeout: float) -> None:
    """`cancel`: every process other than web back to what the newest release ran (a
    cancelled ship may have started them all); each deployed, then each waited for."""
    target = lease.target
    table = ctx.aws.table(target.env)
    released = next((r for r in table.releases(target, limit=20) if r.released), None)
    document = table.service_document(target)
    configured = names(document.doc if document else None)  # a dropped one has no service
    following: list[tuple[Watch, str, str | None]] = []
    for process, arn in sorted(released.processes.items() if released else []):
        if process not in configured:
            continue
        ecs = ctx.aws.ecs(target.for_process(process))
        state = ecs.describe()
        if state.task_definition == arn:
            continue
        watch = watch_for(ctx, ecs, lease)
        watch.fail_fast = 0  # going back: as long as it takes
        watch.prime(state)
        ui.info(f"cancelling {process} too: going back to {short(arn)}")
        following.append((watch, arn, ecs.deploy(arn)))
    for watch, arn, deployment in following:
        watch.until_done(arn, timeout, deployment)
