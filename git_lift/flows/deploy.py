"""Deploy a task definition and wait until it really runs; roll back when it does not.

Success means the new deployment reached COMPLETED with the desired count running, never
less (ecs-deploy's "Deployment successful" while ECS had rolled back is the lesson).
Polling backs off from `lift.pollInterval` (1 s) to 5 s: at most one DescribeServices a second.
A ship only ever rolls back what it started: a deployment it did not create becoming PRIMARY
(another ship after `unlock --force`, the console) stops the watch with Superseded instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from git_lift import ui
from git_lift.aws.ecs import Deployment, Ecs, ServiceState, TaskHealth, TrafficShift
from git_lift.errors import AwsError, DeployFailed, LiftError

MAX_INTERVAL = 5.0
FIRST_POLL = 0.5  # the second look comes sooner: a rollout often moves right after it starts
# DescribeServices failures in a row (each already retried by botocore) before the watch
# gives up and says what ECS was last doing.
LOST_POLLS = 3


class Superseded(LiftError):
    """A deployment this ship did not start became PRIMARY; nothing is rolled back."""


class WatchLost(LiftError):
    """AWS stopped answering while we watched; ECS goes on without us."""


@dataclass
class Watch:
    ecs: Ecs
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    interval: float = 1.0
    seen_events: set[str] = field(default_factory=set)
    seen_tasks: set[str] = field(default_factory=set)
    before: Deployment | None = None  # the PRIMARY deployment before ours
    last: str = ""  # what ECS was last seen doing, for messages when we stop watching
    lost: int = 0
    fail_fast: int = 0  # stop after this many tasks of ours stopped in a row (0: never)
    last_reason: str = ""  # why the last task of ours stopped
    # Called before each DescribeServices: renews the deploy lock (rollout.Lease.beat), so
    # a wait as long as the timeout, and a rollback's as long again, keep it.
    heartbeat: Callable[[], None] = lambda: None
    checked: dict[str, bool] = field(default_factory=dict)  # task definition -> health check?
    unhealthy: set[str] = field(default_factory=set)  # tasks told UNHEALTHY
    last_check: str = ""  # the last failing container health check's output
    last_shift: str = ""  # where a traffic shift was last told

    def prime(self, state: ServiceState) -> None:
        """Events from before this deploy are history, not news."""
        self.seen_events.update(e.id for e in state.events)
        self.before = state.primary
        self._saw(state)

    def _saw(self, state: ServiceState) -> None:
        primary = state.primary
        if primary is not None:
            self.last = (
                f"{short(primary.task_definition)} {primary.running}/{primary.desired} "
                f"running, {primary.rollout_state}"
            )

    def describe(self, waiting_for: str) -> ServiceState:
        """DescribeServices, tolerating LOST_POLLS - 1 failures in a row."""
        while True:
            self.heartbeat()
            try:
                state = self.ecs.describe()
            except AwsError as exc:
                self.lost += 1
                if self.lost >= LOST_POLLS:
                    raise WatchLost(
                        f"lost touch with AWS while waiting for {short(waiting_for)} "
                        f"({exc.message}); ECS goes on without git lift, last seen: "
                        f"{self.last or 'nothing yet'}",
                        hint=f"see what runs: git lift status -e {self.ecs.env}",
                    ) from exc
                ui.warn(f"  cannot reach ECS ({exc.message}); asking again")
                self.sleep(self.interval * MAX_INTERVAL)  # 5 s at the default interval
                continue
            self.lost = 0
            self._saw(state)
            return state

    def _is_ecs_rollback(self, deployment: Deployment) -> bool:
        """ECS's circuit breaker brings the deployment before ours back (same id, or at
        least the same task definition): following it is not undoing someone else's work."""
        before = self.before
        return before is not None and (
            deployment.id == before.id or deployment.task_definition == before.task_definition
        )

    def check_primary(self, state: ServiceState, ours: Deployment | None) -> None:
        """Raise Superseded when the PRIMARY deployment is neither ours nor ECS's rollback."""
        primary = state.primary
        if primary is None or self._is_ecs_rollback(primary):
            return
        if ours is not None and primary.id == ours.id:
            return
        raise Superseded(
            f"ECS now deploys {short(primary.task_definition)}, which this ship did not "
            f"start; nothing was rolled back",
            hint=f"see what runs: git lift status -e {self.ecs.env}",
        )

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
            self.last_reason = "; ".join([task.reason, *task.containers])

    def has_health_check(self, task_definition: str) -> bool:
        """Whether a container of the task definition has a health check (asked once, unless
        the release that registered it said: `knows`)."""
        if task_definition not in self.checked:
            self.knows(task_definition, self.ecs.task_definition(task_definition))
        return self.checked[task_definition]

    def knows(self, task_definition: str, definition: dict[str, Any]) -> None:
        """What a release registered as `task_definition`: no need to read it back."""
        containers = definition.get("containerDefinitions", [])
        self.checked[task_definition] = any(c.get("healthCheck") for c in containers)

    def healthy(self, task_definition: str, ours: Deployment) -> bool:
        """With a container health check, done means the desired count of tasks HEALTHY (ECS
        counts a task as running before its check passes); each UNHEALTHY task is told once,
        with what its check said."""
        if not self.has_health_check(task_definition):
            return True
        tasks = self.ecs.task_health(ours.id)
        for task in tasks:
            if task.status == "UNHEALTHY" and task.arn not in self.unhealthy:
                self._told_unhealthy(task)
        healthy = sum(1 for t in tasks if t.status == "HEALTHY")
        ui.progress(f"  {short(task_definition)}: {healthy}/{ours.desired} HEALTHY")
        return healthy >= ours.desired

    def _told_unhealthy(self, task: TaskHealth) -> None:
        self.unhealthy.add(task.arn)
        self.last_check = task.output or "no output"
        ui.info(f"  task {task.arn.rsplit('/', 1)[-1]} is UNHEALTHY: {self.last_check}")

    def until_done(
        self, task_definition: str, timeout: float, deployment_id: str | None = None
    ) -> None:
        """Return when `task_definition` runs at the desired count; raise DeployFailed if not,
        Superseded if a deployment we did not start took over, WatchLost if AWS is gone."""
        try:
            self._wait(task_definition, timeout, deployment_id)
        finally:
            ui.progress_done()

    def _wait(self, task_definition: str, timeout: float, deployment_id: str | None) -> None:
        deadline = self.clock() + timeout
        interval, last_progress, failed_seen = self.interval, "", 0
        polls = 0
        streak = Streak(self.fail_fast)
        while True:
            state = self.describe(task_definition)
            changed = self._news(state)
            ours = (
                state.deployment(deployment_id)
                if deployment_id
                else next(
                    (d for d in state.deployments if d.task_definition == task_definition), None
                )
            )
            self.check_primary(state, ours)
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
            if streak.broken(ours):
                raise DeployFailed(
                    f"{streak.count} tasks of {short(task_definition)} stopped in a row "
                    f"(failFast); the last one: {self.last_reason or 'no reason given'}"
                )
            if state.strategy != "ROLLING" and ours.rollout_state == "IN_PROGRESS":
                changed = self._told_shift() or changed
            progress = f"{ours.running}/{ours.desired} running, {ours.pending} pending"
            if progress != last_progress:
                ui.progress(f"  {short(task_definition)}: {progress} ({ours.rollout_state})")
                last_progress, changed = progress, True
            if (
                ours.rollout_state == "COMPLETED"
                and ours.status == "PRIMARY"
                and ours.running >= ours.desired
                and self.healthy(task_definition, ours)
            ):
                return
            if self.clock() >= deadline:
                check = f"; the last failing health check: {self.last_check}"
                raise DeployFailed(
                    f"timed out after {timeout:.0f}s waiting for {short(task_definition)}"
                    + (check if self.last_check else "")
                )
            interval = self.interval if changed else min(MAX_INTERVAL, interval * 1.5)
            polls += 1
            wait = min(FIRST_POLL, interval) if polls == 1 else interval
            self.sleep(min(wait, max(0.0, deadline - self.clock())))

    def _told_shift(self) -> bool:
        """Where ECS is in a blue/green, canary or linear deployment, told when it moves."""
        shift = self.ecs.traffic_shift()
        said = "" if shift is None else shift_text(shift)
        if not said or said == self.last_shift:
            return False
        self.last_shift = said
        ui.info(f"  {said}")
        return True


SHIFT_LABELS = {"BLUE_GREEN": "blue/green", "CANARY": "canary", "LINEAR": "linear"}


def shift_text(shift: TrafficShift) -> str:
    """`canary 10%: baking 5 min, 2 alarms green`."""
    label = SHIFT_LABELS.get(shift.strategy, shift.strategy.lower())
    if shift.stage == "SCALE_UP" or not shift.stage:
        what = "starting the new revision"
    elif shift.stage in ("PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME") and shift.bake_minutes:
        what = f"baking {shift.bake_minutes} min"
    else:
        what = shift.stage.lower().replace("_", " ")
    if shift.triggered:
        watch = f"alarm {shift.triggered[0]} fired"
    elif shift.alarms:
        n = len(shift.alarms)
        watch = f"{n} alarm{'s' if n != 1 else ''} green"
    else:
        watch = "no alarms"
    return f"{label} {shift.weight:g}%: {what}, {watch}"


@dataclass
class Streak:
    """Tasks of one deployment that stopped since one last started running: a release whose
    tasks all crash fails in seconds, not at the timeout (the circuit breaker waits longer)."""

    limit: int
    base: int = 0  # failed tasks counted when the running count last rose
    running: int = 0
    count: int = 0

    def broken(self, deployment: Deployment) -> bool:
        if deployment.running > self.running:
            self.base = deployment.failed_tasks
        self.running = deployment.running
        self.count = deployment.failed_tasks - self.base
        return self.limit > 0 and self.count >= self.limit


def short(task_definition_arn: str) -> str:
    return task_definition_arn.rsplit("/", 1)[-1]


def rollback(watch: Watch, ours: str | None, previous: str, timeout: float) -> None:
    """Bring `previous` back: follow ECS's circuit-breaker rollback, or start one ourselves,
    but only over our own deployment `ours`: never undo one that someone else started."""
    state = watch.describe(previous)
    primary = state.primary
    if primary is not None and primary.task_definition == previous:
        ui.info(f"ECS is rolling back to {short(previous)}")
        following: str | None = primary.id
    else:
        if primary is not None and ours is not None and primary.id != ours:
            watch.check_primary(state, None)
        ui.info(f"rolling back to {short(previous)}")
        following = watch.ecs.deploy(previous)
    watch.until_done(previous, timeout, following)
