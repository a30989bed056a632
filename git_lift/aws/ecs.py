"""ECS: one service's state, task definitions, deployments, stopped tasks, ECS Exec, one-off
tasks. Takes its client and the Target whose cluster and service it acts on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from git_lift.aws.clients import translate_errors
from git_lift.aws.job_runs import JobRun, last_runs
from git_lift.errors import LiftError, NotSetUp
from git_lift.plan import registration
from git_lift.target import Target

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str
    rollout_state: str  # IN_PROGRESS | COMPLETED | FAILED
    reason: str
    desired: int
    running: int
    pending: int
    failed_tasks: int
    # When ECS started it (DescribeServices' deployments[].createdAt, botocore's ecs model):
    # its tasks started after, reading their secrets then. 0.0: not said.
    created_at: float = 0.0


@dataclass(frozen=True)
class Event:
    id: str
    message: str


@dataclass(frozen=True)
class ServiceState:
    arn: str
    task_definition: str
    desired: int
    running: int
    deployments: list[Deployment]
    events: list[Event] = field(default_factory=list)  # oldest first
    strategy: str = "ROLLING"  # deploymentConfiguration.strategy

    def deployment(self, deployment_id: str) -> Deployment | None:
        return next((d for d in self.deployments if d.id == deployment_id), None)

    @property
    def primary(self) -> Deployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


@dataclass(frozen=True)
class TrafficShift:
    """Where ECS is in a blue/green, canary or linear deployment (a ServiceDeployment)."""

    strategy: str  # BLUE_GREEN | CANARY | LINEAR
    stage: str  # lifecycleStage: SCALE_UP, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME...
    weight: float  # the share of production traffic on the new revision, percent
    bake_minutes: int  # the bake the stage waits: the canary's or a step's, or the final one
    alarms: tuple[str, ...]
    triggered: tuple[str, ...]


def parse_shift(raw: dict[str, Any]) -> TrafficShift:
    config = raw.get("deploymentConfiguration") or {}
    weight = float(
        (raw.get("targetServiceRevision") or {}).get("requestedProductionTrafficWeight", 0)
    )
    stage = str(raw.get("lifecycleStage", ""))
    strategy = str(config.get("strategy", "ROLLING"))
    step_bake = {
        "CANARY": (config.get("canaryConfiguration") or {}).get("canaryBakeTimeInMinutes", 0),
        "LINEAR": (config.get("linearConfiguration") or {}).get("stepBakeTimeInMinutes", 0),
    }.get(strategy, 0)
    final = stage == "BAKE_TIME" or weight >= 100
    alarms = raw.get("alarms") or {}
    return TrafficShift(
        strategy=strategy,
        stage=stage,
        weight=weight,
        bake_minutes=int(config.get("bakeTimeInMinutes", 0) if final else step_bake),
        alarms=tuple(alarms.get("alarmNames") or ()) if alarms.get("status") != "DISABLED" else (),
        triggered=tuple(alarms.get("triggeredAlarmNames") or ()),
    )


@dataclass(frozen=True)
class StoppedTask:
    arn: str
    reason: str
    containers: list[str]


@dataclass(frozen=True)
class TaskHealth:
    arn: str
    status: str  # the task's healthStatus: HEALTHY | UNHEALTHY | UNKNOWN
    # The reason ECS gives on its unhealthy containers (the sandbox puts the failing check's
    # output there; ECS's API has no field for the output itself).
    output: str


# RunTask's startedBy takes up to 128 letters, numbers, hyphens, slashes and underscores (no
# spaces: botocore's ECS model, RunTaskRequest.startedBy), so "git-lift run" is written thus.
STARTED_BY = "git-lift-run"


@dataclass(frozen=True)
class TaskStatus:
    """One task as DescribeTasks reports it, and its container's end (the one named)."""

    arn: str
    last_status: str  # PROVISIONING | PENDING | ACTIVATING | RUNNING | ... | STOPPED
    stop_code: str = ""  # TaskFailedToStart | EssentialContainerExited | UserInitiated | ...
    stopped_reason: str = ""
    exit_code: int | None = None  # None: the container never ran (or has not ended)
    container_reason: str = ""

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"


def task_status(raw: dict[str, Any], container: str) -> TaskStatus:
    containers = [c for c in raw.get("containers", []) if c.get("name") == container]
    mine: dict[str, Any] = dict(containers[0]) if containers else {}
    exit_code = mine.get("exitCode")
    return TaskStatus(
        arn=str(raw.get("taskArn", "")),
        last_status=str(raw.get("lastStatus", "")),
        stop_code=str(raw.get("stopCode", "")),
        stopped_reason=str(raw.get("stoppedReason", "")),
        exit_code=None if exit_code is None else int(exit_code),
        container_reason=str(mine.get("reason", "")),
    )


def launch_of(service: dict[str, Any]) -> dict[str, Any]:
    """RunTask's arguments that place a task as the service places its own: its network
    (subnets, security groups, public IP), launch type or capacity providers, platform
    version and ECS Exec. RunTask takes a launch type or a strategy, never both."""
    launch: dict[str, Any] = {}
    if service.get("capacityProviderStrategy"):
        launch["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    elif service.get("launchType"):
        launch["launchType"] = service["launchType"]
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if network:
        launch["networkConfiguration"] = {"awsvpcConfiguration": network}
    if service.get("platformVersion"):
        launch["platformVersion"] = service["platformVersion"]
    if service.get("enableExecuteCommand"):
        launch["enableExecuteCommand"] = True
    return launch


def _rollout_state(raw: dict[str, Any], alone: bool) -> str:
    """ECS reports rolloutState for services with the ECS deployment controller; without it,
    a deployment is done only once it is the service's only one, at its desired count."""
    if "rolloutState" in raw:
        return str(raw["rolloutState"])
    settled = alone and int(raw.get("runningCount", 0)) >= int(raw.get("desiredCount", 0))
    return "COMPLETED" if settled else "IN_PROGRESS"


def parse_deployment(raw: dict[str, Any], alone: bool) -> Deployment:
    return Deployment(
        id=str(raw.get("id", "")),
        status=str(raw.get("status", "")),
        task_definition=str(raw.get("taskDefinition", "")),
        rollout_state=_rollout_state(raw, alone),
        reason=str(raw.get("rolloutStateReason", "")),
        desired=int(raw.get("desiredCount", 0)),
        running=int(raw.get("runningCount", 0)),
        pending=int(raw.get("pendingCount", 0)),
        failed_tasks=int(raw.get("failedTasks", 0)),
        created_at=_epoch(raw.get("createdAt")),
    )


def _epoch(value: Any) -> float:
    """botocore's timestamp (a datetime) as seconds since the epoch; 0.0 when absent."""
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value or 0.0)


class Ecs:
    def __init__(
        self,
        client: ECSClient,
        target: Target,
        service_flag: str = "",
        stack_left: Callable[[], bool] = lambda: False,
    ) -> None:
        self._client = client
        self.service_flag = service_flag  # ` -s NAME` in "not set up"'s hint, when needed
        # Whether the service's stack is there (not being deleted): asked only of a deleted
        # ECS service, to tell one deleted behind git lift's back from `service delete`'s.
        self.stack_left = stack_left
        self.target = target
        self.cluster = target.cluster
        self.service = target.ecs_service
        self.env = target.env

    def describe(self) -> ServiceState:
        with translate_errors(f"describing {self.service} in {self.cluster}"):
            try:
                answer = self._client.describe_services(
                    cluster=self.cluster, services=[self.service]
                )
            except self._client.exceptions.ClusterNotFoundException as exc:
                raise NotSetUp(
                    f"there is no ECS cluster {self.cluster}", self.env, self.service_flag
                ) from exc
        found = [s for s in answer.get("services", []) if s.get("status") != "INACTIVE"]
        if not found:
            raise self._missing(answer)
        raw: Any = found[0]
        return ServiceState(
            arn=str(raw["serviceArn"]),
            task_definition=str(raw.get("taskDefinition", "")),
            desired=int(raw.get("desiredCount", 0)),
            running=int(raw.get("runningCount", 0)),
            deployments=[
                parse_deployment(d, alone=len(raw.get("deployments", [])) == 1)
                for d in raw.get("deployments", [])
            ],
            events=[
                Event(str(e.get("id", "")), str(e.get("message", "")))
                for e in reversed(raw.get("events", []))
            ],
            strategy=str((raw.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")),
        )

    def _in_progress(self) -> str | None:
        """The ARN of the service's deployment in progress (ListServiceDeployments)."""
        listed = self._client.list_service_deployments(
            cluster=self.cluster, service=self.service, status=["IN_PROGRESS"]
        ).get("serviceDeployments", [])
        return str(listed[0]["serviceDeploymentArn"]) if listed else None

    def traffic_shift(self) -> TrafficShift | None:
        """The service's deployment in progress, as ECS's service deployments report it
        (ListServiceDeployments, then DescribeServiceDeployments); None when there is none."""
        with translate_errors(f"reading the deployment of {self.service}"):
            arn = self._in_progress()
            if arn is None:
                return None
            found = self._client.describe_service_deployments(serviceDeploymentArns=[arn])
        described = found.get("serviceDeployments", [])
        return parse_shift(dict(described[0])) if described else None

    def stop_shift(self) -> bool:
        """Roll the deployment in progress back, as ECS does it (StopServiceDeployment,
        stopType ROLLBACK: traffic goes back to the revision that had it); False when none
        is in progress."""
        with translate_errors(f"stopping the deployment of {self.service}"):
            arn = self._in_progress()
            if arn is None:
                return False
            self._client.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        return True

    def task_definition(self, arn: str) -> dict[str, Any]:
        with translate_errors(f"reading task definition {arn}"):
            answer = self._client.describe_task_definition(taskDefinition=arn)
        return dict(answer["taskDefinition"])

    def register(self, definition: dict[str, Any]) -> str:
        body = registration(definition)
        with translate_errors(f"registering a revision of {definition.get('family')}"):
            answer = self._client.register_task_definition(**body)
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def deregister(self, arn: str) -> None:
        with translate_errors(f"deregistering {arn}"):
            self._client.deregister_task_definition(taskDefinition=arn)

    def deploy(self, task_definition_arn: str, desired_count: int | None = None) -> str | None:
        """Start a deployment of `task_definition_arn` (at `desired_count` tasks, None: the
        service's count); return the id of the PRIMARY deployment UpdateService reports (the
        one this call created), None if it reports none."""
        with translate_errors(f"updating {self.service} in {self.cluster}"):
            if desired_count is None:
                answer = self._client.update_service(
                    cluster=self.cluster, service=self.service, taskDefinition=task_definition_arn
                )
            else:
                answer = self._client.update_service(
                    cluster=self.cluster,
                    service=self.service,
                    taskDefinition=task_definition_arn,
                    desiredCount=desired_count,
                )
        deployments = answer.get("service", {}).get("deployments", [])
        primary = [d for d in deployments if d.get("status") == "PRIMARY"]
        return str(primary[0]["id"]) if primary and primary[0].get("id") else None

    def image(self, task_definition_arn: str, container: str) -> str | None:
        """The image `container` runs in a task definition (the only container's if one)."""
        containers = self.task_definition(task_definition_arn).get("containerDefinitions", [])
        named = [c for c in containers if c.get("name") == container]
        chosen = named or (containers if len(containers) == 1 else [])
        return str(chosen[0].get("image")) if chosen else None

    def stopped_tasks(self, deployment_id: str) -> list[StoppedTask]:
        """Tasks of one deployment that stopped (ECS tags them with startedBy = its id)."""
        with translate_errors(f"listing stopped tasks of {self.service}"):
            arns = self._client.list_tasks(
                cluster=self.cluster, serviceName=self.service, desiredStatus="STOPPED"
            ).get("taskArns", [])
            if not arns:
                return []
            tasks = self._client.describe_tasks(cluster=self.cluster, tasks=arns[:100])["tasks"]
        return [
            StoppedTask(
                arn=str(task["taskArn"]),
                reason=str(task.get("stoppedReason", "")),
                containers=[
                    f"{c.get('name')}: {c.get('reason') or 'exit code ' + str(c.get('exitCode'))}"
                    for c in task.get("containers", [])
                    if c.get("reason") or c.get("exitCode") not in (None, 0)
                ],
            )
            for task in tasks
            if task.get("startedBy") == deployment_id
        ]

    def task_health(self, deployment_id: str) -> list[TaskHealth]:
        """The health of the running tasks of one deployment (startedBy = its id)."""
        with translate_errors(f"reading the health of {self.service}'s tasks"):
            arns = self._client.list_tasks(
                cluster=self.cluster, serviceName=self.service, desiredStatus="RUNNING"
            ).get("taskArns", [])
            if not arns:
                return []
            tasks = self._client.describe_tasks(cluster=self.cluster, tasks=arns[:100])["tasks"]
        return [
            TaskHealth(
                arn=str(task["taskArn"]),
                status=str(task.get("healthStatus") or "UNKNOWN"),
                output="; ".join(
                    f"{c.get('name')}: {c.get('reason') or 'no output'}"
                    for c in task.get("containers", [])
                    if c.get("healthStatus") == "UNHEALTHY"
                ),
            )
            for task in tasks
            if task.get("startedBy") == deployment_id and task.get("lastStatus") == "RUNNING"
        ]

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
        """Start one task of `task_definition_arn` where the service runs its own, with
        `command` for `container` (None: the task definition's), in task group `group`
        (None: ECS's default, `family:FAMILY`); its ARN."""
        service = self._raw_service()
        overrides: Any = {}
        if command is not None:
            overrides["containerOverrides"] = [{"name": container, "command": command}]
        if cpu is not None:  # TaskOverride.cpu and .memory are strings in ECS's model
            overrides["cpu"] = str(cpu)
        if memory is not None:
            overrides["memory"] = str(memory)
        with translate_errors(f"starting a task of {task_definition_arn} in {self.cluster}"):
            answer = self._client.run_task(
                cluster=self.cluster,
                taskDefinition=task_definition_arn,
                count=1,
                startedBy=STARTED_BY,
                overrides=overrides,
                **launch_of(service) | ({"group": group} if group else {}),
            )
        tasks, failures = answer.get("tasks", []), answer.get("failures", [])
        if not tasks:
            why = "; ".join(f"{f.get('reason')} {f.get('detail') or ''}".strip() for f in failures)
            raise LiftError(
                f"ECS did not start a task of {task_definition_arn}: {why or 'no reason given'}",
                hint=f"see the service's state: git lift status -e {self.env}",
            )
        return str(tasks[0]["taskArn"])

    def task(self, task_arn: str, container: str) -> TaskStatus:
        """DescribeTasks: where the task is, and how `container` ended."""
        with translate_errors(f"reading task {task_arn}"):
            answer = self._client.describe_tasks(cluster=self.cluster, tasks=[task_arn])
        found = answer.get("tasks", [])
        if not found:
            raise LiftError(
                f"ECS does not know task {task_arn} in {self.cluster}",
                hint=f"see the service's state: git lift status -e {self.env}",
            )
        return task_status(dict(found[0]), container)

    def job_runs(self, container: str) -> dict[str, JobRun]:
        """Each scheduled job's newest run ECS still knows (job_runs.py), by job name: the
        family's running and stopped tasks, the newest 100 of each (ListTasks' page), in at
        most four requests whatever the number of jobs."""
        with translate_errors(f"reading the job runs of {self.service}"):
            arns = [
                arn
                for status in ("RUNNING", "STOPPED")
                for arn in self._client.list_tasks(
                    cluster=self.cluster,
                    family=self.target.task_family,
                    desiredStatus=status,
                    maxResults=100,
                ).get("taskArns", [])
            ]
            tasks = [
                task
                for start in range(0, len(arns), 100)  # DescribeTasks takes up to 100
                for task in self._client.describe_tasks(
                    cluster=self.cluster, tasks=arns[start : start + 100]
                ).get("tasks", [])
            ]
        return last_runs([dict(t) for t in tasks], container)

    def stop_task(self, task_arn: str, reason: str) -> None:
        with translate_errors(f"stopping task {task_arn}"):
            self._client.stop_task(cluster=self.cluster, task=task_arn, reason=reason)

    def _raw_service(self) -> dict[str, Any]:
        with translate_errors(f"describing {self.service} in {self.cluster}"):
            answer = self._client.describe_services(cluster=self.cluster, services=[self.service])
        found = [s for s in answer.get("services", []) if s.get("status") == "ACTIVE"]
        if not found:
            raise self._missing(answer)
        return dict(found[0])

    def _missing(self, answer: Any) -> NotSetUp:
        """No active ECS service: never created or deleted with its stack (`setup` creates
        it), or deleted behind git lift's back while its stack stayed. DescribeServices shows
        a deleted service DRAINING then INACTIVE until ECS purges it (botocore's ecs model,
        DeleteService); UpdateService refuses an inactive one (ServiceNotActiveException,
        "You can't update a service that's inactive"), so no stack update (`service update`,
        `setup`) brings it back: deleting the stack, then `setup`, does. Tried in the
        sandbox: `service update` and `setup` stop as ship does; delete then setup works."""
        gone = [s["status"] for s in answer.get("services", []) if s.get("status") != "ACTIVE"]
        if not gone or not self.stack_left():
            return NotSetUp(
                f"there is no ECS service {self.service} in cluster {self.cluster}",
                self.env,
                self.service_flag,
            )
        fix = (
            f"git lift service delete -e {self.env}{self.service_flag}, then: "
            f"git lift setup -e {self.env}{self.service_flag}"
        )
        return NotSetUp(
            f"the ECS service {self.service} in cluster {self.cluster} was deleted outside "
            f"git lift (ECS shows it {gone[0]}), and a stack update cannot bring it back",
            hint=f"delete its stack, then set it up again: {fix}",
            fix=fix,
        )

    def exec_session(self, container: str, command: str) -> tuple[dict[str, Any], str]:
        """ECS Exec into the first running task: the session for session-manager-plugin, and
        the region it is in."""
        with translate_errors(f"opening a shell in {self.service}"):
            tasks = self._client.list_tasks(
                cluster=self.cluster, serviceName=self.service, desiredStatus="RUNNING"
            ).get("taskArns", [])
            if not tasks:
                raise LiftError(
                    f"{self.service} has no running task in {self.env}",
                    hint=f"see why: git lift status -e {self.env}",
                )
            session = self._client.execute_command(
                cluster=self.cluster,
                task=tasks[0],
                container=container,
                interactive=True,
                command=command,
            )["session"]
        return dict(session), self._client.meta.region_name


class EcsLookup:
    """An ECS service named by its cluster and service, not by a Target: what `adopt` reads
    before git lift knows the service's names."""

    def __init__(self, client: ECSClient) -> None:
        self._client = client

    def active_service(self, cluster: str, service: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ACTIVE service (DescribeServices) and its task definition."""
        with translate_errors(f"reading ECS service {service} in cluster {cluster}"):
            found = self._client.describe_services(cluster=cluster, services=[service])
            running = [s for s in found["services"] if s.get("status") == "ACTIVE"]
            if not running:
                raise LiftError(
                    f"there is no active ECS service {service} in cluster {cluster}",
                    hint="list them: aws ecs list-services --cluster " + cluster,
                )
            arn = running[0]["taskDefinition"]
            definition = self._client.describe_task_definition(taskDefinition=arn)
        return dict(running[0]), dict(definition["taskDefinition"])
