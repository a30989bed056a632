"""Deploy a task definition and wait until it really runs; roll back when it does not.

Success means the new deployment reached COMPLETED with the desired count running, never
less (ecs-deploy's "Deployment successful" while ECS had rolled back is the lesson).
Polling backs off from `lift.pollInterval` (1 s) to 5 s: at most one DescribeServices a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from git_lift import ui
from git_lift.aws.ecs import Ecs, ServiceState
from git_lift.errors import DeployFailed

MAX_INTERVAL = 5.0


@dataclass
class Watch:
    ecs: Ecs
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    interval: float = 1.0
    seen_events: set[str] = field(default_factory=set)
    seen_tasks: set[str] = field(default_factory=set)

    def prime(self, state: ServiceState) -> None:
        """Events from before this deploy are history, not news."""
        self.seen_events.update(e.id for e in state.events)

    def _news(self, state: ServiceState) -> bool:
        fresh = [e for e in state.events if e.id not in self.seen_events]
        for event in fresh:
            self.seen_events.add(event.id)
            ui.info(f"  event: {event.message}")
        return bool(fresh)

    def _stopped_reasons(self, deployment_id: str) -> None:
        """Why the tasks of this deployment stopped, each told once."""
        for task in self.ecs.stopped_tasks(deployment_id):
            if task.arn in self.seen_tasks:
                continue
            self.seen_tasks.add(task.arn)
            ui.info(f"  stopped task {task.arn.rsplit('/', 1)[-1]}: {task.reason}")
            for container in task.containers:
                ui.info(f"    {container}")

    def until_done(self, task_definition: str, timeout: float) -> None:
        """Return when `task_definition` runs at the desired count; raise DeployFailed if not."""
        try:
            self._wait(task_definition, timeout)
        finally:
            ui.progress_done()

    def _wait(self, task_definition: str, timeout: float) -> None:
        deadline = self.clock() + timeout
        interval, last_progress, failed_seen = self.interval, "", 0
        while True:
            state = self.ecs.describe()
            changed = self._news(state)
            ours = next(
                (d for d in state.deployments if d.task_definition == task_definition), None
            )
            if ours is None:
                raise DeployFailed(f"ECS replaced the deployment of {short(task_definition)}")
            # Ask why tasks stopped once per poll that saw new failures, or the end of the rollout.
            if ours.failed_tasks > failed_seen or ours.rollout_state == "FAILED":
                failed_seen = ours.failed_tasks
                self._stopped_reasons(ours.id)
            if ours.rollout_state == "FAILED":
                raise DeployFailed(
                    ours.reason or f"the deployment of {short(task_definition)} failed"
                )
            progress = f"{ours.running}/{ours.desired} running, {ours.pending} pending"
            if progress != last_progress:
                ui.progress(f"  {short(task_definition)}: {progress} ({ours.rollout_state})")
                last_progress, changed = progress, True
            if (
                ours.rollout_state == "COMPLETED"
                and ours.status == "PRIMARY"
                and ours.running >= ours.desired
            ):
                return
            if self.clock() >= deadline:
                raise DeployFailed(
                    f"timed out after {timeout:.0f}s waiting for {short(task_definition)}"
                )
            interval = self.interval if changed else min(MAX_INTERVAL, interval * 1.5)
            self.sleep(min(interval, max(0.0, deadline - self.clock())))


def short(task_definition_arn: str) -> str:
    return task_definition_arn.rsplit("/", 1)[-1]


def rollback(watch: Watch, failed: str, previous: str, timeout: float, *, discard: bool) -> None:
    """Bring `previous` back: follow ECS's circuit-breaker rollback, or start one ourselves."""
    state = watch.ecs.describe()
    primary = state.primary
    if primary is not None and primary.task_definition == previous:
        ui.info(f"ECS is rolling back to {short(previous)}")
    else:
        ui.info(f"rolling back to {short(previous)}")
        watch.ecs.deploy(previous)
    watch.until_done(previous, timeout)
    if discard:  # a revision that never ran is not left behind as a rollback target
        watch.ecs.deregister(failed)
