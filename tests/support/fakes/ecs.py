"""ECS for one service, in memory: one step of a rollout per DescribeServices.

A deployment of a task definition whose tasks "start" gains a running task per look until it
completes (its tasks HEALTHY; "unhealthy" ones run the same with their health check failing);
one whose tasks "crash" loses a task per look and, with the circuit breaker on, fails after
BREAKER_AFTER of them while ECS brings the deployment before it back; one whose tasks "hang"
stays pending for ever.

One-off tasks (RunTask) go PROVISIONING -> RUNNING -> STOPPED, a state per DescribeTasks;
`one_off(command)` says what they print (into the task's awslogs stream, in `log_groups`) and
their exit code (None: the task never starts); with `one_off_hangs` they run for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from git_lift.aws.ecs import (
    Deployment,
    Ecs,
    Event,
    ServiceState,
    StoppedTask,
    TaskHealth,
    TaskStatus,
    TrafficShift,
)
from git_lift.aws.job_runs import JobRun, last_runs
from git_lift.aws.logs import LogEvent
from git_lift.errors import AwsError, LiftError
from git_lift.target import PROCESS_SEPARATOR, WEB, Target
from tests.support.fakes.client import NoClient

BREAKER_AFTER = 2  # failed tasks after which the fake circuit breaker fails a deployment
ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-payments-api:{}"
SERVICE_ARN = "arn:aws:ecs:eu-west-1:123456789012:service/lift-staging/payments-api"
OLD_IMAGE = "registry.example.com/payments-api@sha256:" + "1" * 64
NEW_IMAGE = "registry.example.com/payments-api@sha256:" + "2" * 64
CHECK_OUTPUT = "curl: (7) Failed to connect to localhost port 80: Connection refused"
TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/lift-staging/{:032x}"
LOG_GROUP = "/lift/staging/payments-api"
NEVER_STARTED = "CannotPullContainerError: pull image manifest has been retried 5 time(s)"
OneOff = Callable[[list[str] | None], tuple[int | None, list[str]]]


@dataclass
class FakeDeployment:
    id: str
    task_definition: str
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    running: int = 0
    failed: int = 0
    reason: str = ""
    created_at: float = 0.0

    def frozen(self, desired: int) -> Deployment:
        return Deployment(
            self.id,
            self.status,
            self.task_definition,
            self.rollout_state,
            self.reason,
            desired,
            self.running,
            0,
            self.failed,
            self.created_at,
        )


class FakeEcs(Ecs):
    """One ECS service running revision 1 of its family at the desired count."""

    def __init__(
        self,
        target: Target,
        *,
        tasks: Callable[[str], str] = lambda arn: "start",
        breaker: bool = True,
    ) -> None:
        super().__init__(NoClient("ecs"), target)
        # What tasks of a task definition do: "start", "unhealthy", "crash" or "hang".
        self.tasks = tasks
        self.breaker = breaker
        self.desired = 2
        # A process other than web is a service and family of its own (Target.for_process);
        # web's keep ARN's family in every environment, as the tests expect.
        own = f"payments-api{PROCESS_SEPARATOR}{target.process}:"
        self.arn = ARN if target.process == WEB else ARN.replace("payments-api:", own)
        first = self.arn.format(1)
        self.definitions: dict[str, dict[str, Any]] = {first: definition(first, OLD_IMAGE)}
        self.deployments = [FakeDeployment("ecs-svc/1", first, "PRIMARY", "COMPLETED", 2)]
        self.deployed: list[str] = []  # task definitions UpdateService was asked to run
        self.deregistered: list[str] = []
        self.on_poll: Callable[[int], None] = lambda polls: None
        self.polls = 0
        self.sessions: list[tuple[str, str]] = []  # ECS Exec: (container, command)
        self.region = "eu-west-1"
        self.one_off: OneOff = lambda command: (0, [])
        self.one_off_hangs = False
        self.runs: list[dict[str, Any]] = []  # what RunTask was asked, in order
        self.one_off_tasks: dict[str, TaskStatus] = {}
        self.stopped_by_us: list[tuple[str, str]] = []  # StopTask: (task ARN, reason)
        self.log_groups: dict[str, list[LogEvent]] = {}  # FakeAws shares its own
        self.shift: TrafficShift | None = None  # what traffic_shift answers
        self.strategy = "ROLLING"  # deploymentConfiguration.strategy
        self.stopped_shifts = 0  # StopServiceDeployment calls that rolled back
        self.stop_refused = False  # StopServiceDeployment answers AccessDenied
        # Tasks as DescribeTasks answers them that ECS still keeps (scheduled jobs' runs);
        # RunTask's tasks of a group join them. `job_runs_calls` counts the reads.
        self.task_history: list[dict[str, Any]] = []
        self.job_runs_calls = 0
        self.definition_reads = 0  # DescribeTaskDefinition calls

    @property
    def running_definition(self) -> str:
        return next(d.task_definition for d in self.deployments if d.status == "PRIMARY")

    def describe(self) -> ServiceState:
        self.polls += 1
        self.on_poll(self.polls)
        self._step()
        return ServiceState(
            SERVICE_ARN,
            self.running_definition,
            self.desired,
            sum(d.running for d in self.deployments),
            [d.frozen(self.desired) for d in self.deployments],
            [Event("e1", "(service payments-api) has reached a steady state.")],
            strategy=self.strategy,
        )

    def _step(self) -> None:
        primary = next(d for d in self.deployments if d.status == "PRIMARY")
        if primary.rollout_state != "IN_PROGRESS":
            return
        behaviour = self.tasks(primary.task_definition)
        if behaviour == "hang":
            return
        if behaviour in ("start", "unhealthy"):
            primary.running += 1
            if primary.running >= self.desired:
                primary.rollout_state = "COMPLETED"
                self.deployments = [primary]
            return
        primary.failed += 1
        if self.breaker and primary.failed >= BREAKER_AFTER:
            primary.rollout_state = "FAILED"
            primary.reason = "ECS deployment circuit breaker: tasks failed to start."
            before = next(d for d in self.deployments if d is not primary)
            self._start(before.task_definition)

    def _start(self, task_definition: str) -> str:
        for deployment in self.deployments:
            deployment.status = "ACTIVE"
        new = FakeDeployment(f"ecs-svc/{len(self.deployed) + 10}", task_definition)
        self.deployments.append(new)
        return new.id

    def traffic_shift(self) -> TrafficShift | None:
        return self.shift

    def stop_shift(self) -> bool:
        """ECS brings the last completed deployment's revision back as a new PRIMARY."""
        if self.stop_refused:
            raise AwsError("AccessDeniedException: not authorized to ecs:StopServiceDeployment")
        primary = next((d for d in self.deployments if d.status == "PRIMARY"), None)
        done = [d for d in self.deployments if d.rollout_state == "COMPLETED"]
        if primary is None or primary.rollout_state != "IN_PROGRESS" or not done:
            return False
        primary.status, primary.rollout_state = "ACTIVE", "FAILED"
        back = FakeDeployment(f"ecs-svc/{len(self.deployments) + 1}", done[-1].task_definition)
        self.deployments.append(back)
        self.stopped_shifts += 1
        return True

    def deploy(self, task_definition_arn: str, desired_count: int | None = None) -> str | None:
        self.deployed.append(task_definition_arn)
        if desired_count is not None:
            self.desired = desired_count
        return self._start(task_definition_arn)

    def task_definition(self, arn: str) -> dict[str, Any]:
        self.definition_reads += 1
        return dict(self.definitions[arn])

    def register(self, definition: dict[str, Any]) -> str:
        arn = self.arn.format(len(self.definitions) + 1)
        self.definitions[arn] = {**definition, "taskDefinitionArn": arn}
        return arn

    def deregister(self, arn: str) -> None:
        self.deregistered.append(arn)

    def stopped_tasks(self, deployment_id: str) -> list[StoppedTask]:
        found = next(d for d in self.deployments if d.id == deployment_id)
        return [
            StoppedTask(f"arn:task/{deployment_id}-{n}", "Essential container in task exited", [])
            for n in range(found.failed)
        ]

    def task_health(self, deployment_id: str) -> list[TaskHealth]:
        found = next(d for d in self.deployments if d.id == deployment_id)
        sick = self.tasks(found.task_definition) == "unhealthy"
        status, output = ("UNHEALTHY", f"payments-api: {CHECK_OUTPUT}") if sick else ("HEALTHY", "")
        return [
            TaskHealth(f"arn:task/{deployment_id}-r{n}", status, output)
            for n in range(found.running)
        ]

    def image(self, task_definition_arn: str, container: str) -> str | None:
        return str(self.definitions[task_definition_arn]["containerDefinitions"][0]["image"])

    def run_task(
        self,
        task_definition_arn: str,
        container: str,
        command: list[str] | None,
        *,
        cpu: int | None = None,
        memory: int | None = None,
        group: str | None = None,
    ) -> str:
        self.task_definition(task_definition_arn)  # KeyError: a revision never registered
        arn = TASK_ARN.format(len(self.runs) + 1)
        self.runs.append(
            {"task_definition": task_definition_arn, "container": container, "command": command}
            | {"cpu": cpu, "memory": memory, "arn": arn, "group": group}
        )
        self.one_off_tasks[arn] = TaskStatus(arn, "PROVISIONING")
        return arn

    def task(self, task_arn: str, container: str) -> TaskStatus:
        now = self.one_off_tasks[task_arn]
        if now.stopped:
            return now
        run = next(r for r in self.runs if r["arn"] == task_arn)
        exit_code, lines = self.one_off(run["command"])
        if now.last_status == "PROVISIONING":
            if exit_code is None:
                later = TaskStatus(task_arn, "STOPPED", "TaskFailedToStart", NEVER_STARTED)
            else:
                later = TaskStatus(task_arn, "RUNNING")
                stream = f"ecs/{container}/{now.id}"
                self.log_groups.setdefault(LOG_GROUP, []).extend(
                    LogEvent(n, stream, line, f"{stream}/{n}") for n, line in enumerate(lines)
                )
        elif self.one_off_hangs:
            later = now
        else:
            reason = "Essential container in task exited"
            later = TaskStatus(task_arn, "STOPPED", "EssentialContainerExited", reason, exit_code)
        self.one_off_tasks[task_arn] = later
        return later

    def job_runs(self, container: str) -> dict[str, JobRun]:
        self.job_runs_calls += 1
        started = [
            {
                "taskArn": run["arn"],
                "group": run["group"],
                "lastStatus": self.one_off_tasks[run["arn"]].last_status,
                "createdAt": float(n),
                "containers": [
                    {"name": run["container"], "exitCode": self.one_off_tasks[run["arn"]].exit_code}
                ],
            }
            for n, run in enumerate(self.runs)
            if run["group"]
        ]
        return last_runs([*self.task_history, *started], container)

    def stop_task(self, task_arn: str, reason: str) -> None:
        self.stopped_by_us.append((task_arn, reason))
        self.one_off_tasks[task_arn] = TaskStatus(task_arn, "STOPPED", "UserInitiated", reason)

    def exec_session(self, container: str, command: str) -> tuple[dict[str, Any], str]:
        if not any(d.running for d in self.deployments):
            raise LiftError(
                f"{self.service} has no running task in {self.env}",
                hint=f"see why: git lift status -e {self.env}",
            )
        self.sessions.append((container, command))
        session = {"sessionId": f"ecs-execute-command-{len(self.sessions)}", "streamUrl": "wss://x"}
        return session, self.region


def definition(arn: str, image: str) -> dict[str, Any]:
    return {
        "taskDefinitionArn": arn,
        "family": "staging-payments-api",
        "containerDefinitions": [
            {
                "name": "payments-api",
                "image": image,
                "secrets": [],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": LOG_GROUP, "awslogs-stream-prefix": "ecs"},
                },
            }
        ],
    }
