"""ECS rollout simulator: makes moto's ECS services deploy the way real ECS does.

moto 5.2.5 keeps one deployment per service forever and never starts a task. The sandbox
server calls this module around ECS requests and it edits moto's own objects
(`moto.ecs.models.ecs_backends[account][region]`), so every ECS API answers consistently.
Nothing runs in the background: the simulator moves only when a client asks.

Rules
-----
- A new deployment starts when CreateService runs, when the service's task definition
  changes (UpdateService, or a CloudFormation stack update), or on forceNewDeployment. It
  becomes PRIMARY (rolloutState IN_PROGRESS, runningCount 0, pendingCount = desiredCount) and
  the previous PRIMARY becomes ACTIVE, its tasks still running.
- Each DescribeServices call moves every service it names one step. A step advances tasks
  PROVISIONING -> PENDING -> RUNNING, starts tasks until the PRIMARY deployment has
  desiredCount live ones ("has started N tasks"), and completes the deployment once all its
  tasks run: the other deployments' tasks stop ("has stopped N running tasks"), those
  deployments are removed, rolloutState becomes COMPLETED ("deployment completed", then
  "has reached a steady state"). A healthy rollout completes on the third DescribeServices.
- A task fails to start, with ECS's wording, when a container's `secrets[].valueFrom` names an
  SSM parameter (name or ARN) missing from the sandbox's Parameter Store when the task
  leaves PROVISIONING: stopCode TaskFailedToStart, stoppedReason "ResourceInitializationError:
  unable to pull secrets or registry auth: ... invalid ssm parameters: NAME".
- Breaking a release on purpose: a container whose `environment` or `secrets` has an entry
  named LIFT_SANDBOX_CRASH (any value) exits with code 1 as it starts: stopCode
  EssentialContainerExited, stoppedReason "Essential container in task exited".
- Failed tasks count in the deployment's failedTasks and are replaced. When the service's
  deploymentConfiguration.deploymentCircuitBreaker is enabled and failedTasks reaches
  max(2, desiredCount / 2) (real ECS: max(3, ...)), the deployment gets rolloutState FAILED,
  "ECS deployment circuit breaker: tasks failed to start." and starts no more tasks. With
  rollback=true, the last COMPLETED deployment becomes PRIMARY again, IN_PROGRESS ("rolling back
  to deploymentId ..."; event "rolling back to deployment ..."), and completes on the next
  step, removing the failed one; ECS does exactly this, keeping the old deployment's id.
  With rollback=false the FAILED deployment stays PRIMARY until the caller updates the
  service. Without a circuit breaker, failing tasks are replaced forever, as ECS does.
- Stopped tasks stay listed: ListTasks(desiredStatus="STOPPED") and DescribeTasks show
  stoppedReason, stopCode and containers[].exitCode. ListTasks honours serviceName and
  defaults to desiredStatus RUNNING, as ECS does (moto ignores both).
- CloudFormation-created services are adopted the first time DescribeServices names them;
  their DeploymentConfiguration and LaunchType are read from the stack's template.
"""

from __future__ import annotations

import copy
import datetime
import math
import sys
import threading
import types
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from moto.core.utils import pascal_to_camelcase, remap_nested_keys, utcnow
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import Container, Task, ecs_backends
from moto.moto_api._internal import mock_random
from moto.ssm.models import ssm_backends

CRASH_SWITCH = "LIFT_SANDBOX_CRASH"
MIN_FAILED_TASKS = 2
MAX_FAILED_TASKS = 200
EVENTS_KEPT = 100
PENDING_STATES = ("PROVISIONING", "PENDING")

DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

ServiceKey = tuple[str, str, str, str]  # account, region, cluster name, service name


@dataclass
class _Tracked:
    service: Any  # the moto Service object this state belongs to
    config: dict[str, Any]
    launched: set[str] = field(default_factory=set)
    from_stack: bool = False  # created by a CloudFormation stack
    stack_task_definition: str | None = None  # what the stack's template named when last seen


class RolloutSimulator:
    """Per-service rollout state on top of moto's ECS backend; callers hold `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._tracked: dict[ServiceKey, _Tracked] = {}

    def reset(self) -> None:
        with self.lock:
            self._tracked.clear()

    # Hooks the server calls around ECS requests -----------------------------------------

    def service_written(
        self, account: str, region: str, params: Mapping[str, Any], *, created: bool
    ) -> tuple[str, str] | None:
        """After a successful CreateService/UpdateService; returns (cluster, service ARN)."""
        backend = ecs_backends[account][region]
        name_key = "serviceName" if created else "service"
        service = _find_service(backend, params.get("cluster"), str(params.get(name_key, "")))
        if service is None or not _rolling_update(service):
            return None
        tracked = self._reconcile(account, region, backend, service)
        if params.get("deploymentConfiguration"):
            tracked.config = _merge(tracked.config, params["deploymentConfiguration"])
            service.deployment_configuration = copy.deepcopy(tracked.config)
        if params.get("forceNewDeployment") and not created:
            self._start_deployment(tracked, str(service.task_definition))
        self._refresh(backend, tracked)
        return str(service.cluster_name), str(service.arn)

    def services_described(self, account: str, region: str, params: Mapping[str, Any]) -> None:
        """Before DescribeServices: adopt new services, then move each named one a step."""
        backend = ecs_backends[account][region]
        for name in params.get("services") or []:
            service = _find_service(backend, params.get("cluster"), str(name))
            if service is None or not _rolling_update(service):
                continue
            if service.status != "ACTIVE":
                self._drain_deleted(backend, service)
                continue
            tracked = self._reconcile(account, region, backend, service)
            self._step(account, region, backend, tracked)
            self._refresh(backend, tracked)

    def service_deleted(self, account: str, region: str, params: Mapping[str, Any]) -> None:
        backend = ecs_backends[account][region]
        service = _find_service(backend, params.get("cluster"), str(params.get("service", "")))
        if service is not None:
            self._drain_deleted(backend, service)

    def stacks_changed(self, account: str, region: str) -> None:
        """After a CloudFormation request: repair the task definitions a stack update wrote.

        moto registers a stack update's task definition with the template's PascalCase keys
        ("Image", "Secrets"), which DescribeTaskDefinition then drops; a stack create gets
        camelCase keys. Give both the keys the ECS API uses.
        """
        backend = ecs_backends[account][region]
        for revisions in backend.task_definitions.values():
            for task_definition in revisions.values():
                definitions = task_definition.container_definitions
                if any(key[:1].isupper() for d in definitions for key in d):
                    task_definition.container_definitions = remap_nested_keys(
                        definitions, pascal_to_camelcase
                    )

    def visible_task_arns(
        self, account: str, region: str, params: Mapping[str, Any], arns: Iterable[str]
    ) -> list[str]:
        """ListTasks as ECS filters it: by serviceName, and desiredStatus RUNNING by default."""
        backend = ecs_backends[account][region]
        tasks: dict[str, Any] = {}
        for cluster_tasks in backend.tasks.values():
            tasks.update(cluster_tasks)
        wanted_status = params.get("desiredStatus") or "RUNNING"
        service_name = str(params.get("serviceName") or "").split("/")[-1]
        visible = []
        for arn in arns:
            task = tasks.get(arn)
            if task is None:
                continue
            if task.desired_status != wanted_status:
                continue
            if service_name and task.group != f"service:{service_name}":
                continue
            visible.append(arn)
        return visible

    # Reconciling moto's view with ours ---------------------------------------------------

    def _reconcile(self, account: str, region: str, backend: Any, service: Any) -> _Tracked:
        key: ServiceKey = (account, region, str(service.cluster_name), str(service.name))
        tracked = self._tracked.get(key)
        if tracked is None or tracked.service is not service:
            tracked = self._adopt(account, region, service)
            self._tracked[key] = tracked
        if tracked.from_stack:
            # moto does not update a service when only a Ref it uses changed (a stack update
            # that registers a new task definition); CloudFormation does, so follow the stack.
            named = _stack_task_definition(account, region, service)
            if named and named != tracked.stack_task_definition:
                service.task_definition = tracked.stack_task_definition = named
        if service.task_definition:
            # moto stores what UpdateService was given ("family:3"); ECS answers with the ARN.
            service.task_definition = backend.describe_task_definition(
                str(service.task_definition)
            ).arn
        primary = service.deployments[0] if service.deployments else None
        if service.task_definition and (
            primary is None or primary["taskDefinition"] != service.task_definition
        ):
            self._start_deployment(tracked, str(service.task_definition))
        elif primary is not None:
            primary["id"] = primary.get("_lift_id", primary["id"])  # undo moto's forced rename
        return tracked

    def _adopt(self, account: str, region: str, service: Any) -> _Tracked:
        config = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
        found = _stack_resource(account, region, service)
        template_properties = found[1] if found else {}
        if isinstance(template_properties.get("DeploymentConfiguration"), dict):
            config = _merge(config, _camel_keys(template_properties["DeploymentConfiguration"]))
        if isinstance(template_properties.get("LaunchType"), str):
            service.launch_type = template_properties["LaunchType"]
        existing = getattr(service, "deployment_configuration", None)
        if isinstance(existing, dict):
            config = _merge(config, existing)
        service.deployment_configuration = copy.deepcopy(config)
        tracked = _Tracked(service=service, config=config, from_stack=found is not None)
        if found is not None:
            tracked.stack_task_definition = _stack_task_definition(account, region, service)
        for deployment in service.deployments:
            deployment["id"] = deployment["_lift_id"] = _deployment_id()  # 19 digits, as ECS
            state = "completed" if deployment["rolloutState"] == "COMPLETED" else "in progress"
            deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} {state}."
            deployment["platformFamily"] = "Linux"
        return tracked

    def _start_deployment(self, tracked: _Tracked, task_definition: str) -> None:
        service = tracked.service
        for previous in service.deployments:
            if previous["status"] == "PRIMARY":
                previous["status"] = "ACTIVE"
        now = utcnow()
        deployment_id = _deployment_id()
        deployment: dict[str, Any] = {
            "id": deployment_id,
            "_lift_id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": service.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "launchType": service.launch_type,
            "platformFamily": "Linux",
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        }
        if service.platform_version:
            deployment["platformVersion"] = service.platform_version
        if service.network_configuration:
            deployment["networkConfiguration"] = service.network_configuration
        service.deployments.insert(0, deployment)

    # One step of the world ---------------------------------------------------------------

    def _step(self, account: str, region: str, backend: Any, tracked: _Tracked) -> None:
        service = tracked.service
        if not service.deployments:
            return
        log = _EventLog(service)
        tasks = _service_tasks(backend, service)
        for task in tasks:
            if task.last_status in PENDING_STATES:
                self._advance(account, region, backend, service, task, log.now)
        primary = service.deployments[0]
        if self._circuit_breaker_trips(tracked, primary):
            self._fail(tracked, primary, log)
            log.flush()
            return
        if primary["rolloutState"] != "FAILED":
            self._scale(backend, tracked, primary, log)
        if primary["rolloutState"] == "IN_PROGRESS" and primary["_lift_id"] in tracked.launched:
            self._complete_if_ready(backend, tracked, primary, log)
        log.flush()

    def _advance(
        self,
        account: str,
        region: str,
        backend: Any,
        service: Any,
        task: Any,
        now: datetime.datetime,
    ) -> None:
        task_definition = _task_definition(backend, task.task_definition_arn)
        definitions = task_definition.container_definitions if task_definition else []
        if task.last_status == "PROVISIONING":
            missing = _missing_parameters(definitions, account, region)
            if missing:
                reason = (
                    "ResourceInitializationError: unable to pull secrets or registry auth: "
                    "execution resource retrieval failed: unable to retrieve secrets from ssm: "
                    "service call has been retried 1 time(s): invalid ssm parameters: "
                    + " ".join(missing)
                )
                _stop_task(task, now, reason, "TaskFailedToStart")
                _count_failure(service, task)
                return
            task.last_status = "PENDING"
            task.pull_started_at = now
            return
        crashing = [c["name"] for c in definitions if _crashes(c)]
        if crashing:
            task.started_at = now
            _stop_task(
                task,
                now,
                "Essential container in task exited",
                "EssentialContainerExited",
                exit_codes={name: 1 for name in crashing},
            )
            _count_failure(service, task)
            return
        task.last_status = "RUNNING"
        task.started_at = task.connectivity_at = task.pull_stopped_at = now
        task.connectivity = "CONNECTED"
        task.health_status = "UNKNOWN"
        for container in task.containers:
            container.last_status = "RUNNING"

    def _circuit_breaker_trips(self, tracked: _Tracked, primary: dict[str, Any]) -> bool:
        breaker = tracked.config.get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable") or primary["rolloutState"] != "IN_PROGRESS":
            return False
        threshold = min(
            MAX_FAILED_TASKS, max(MIN_FAILED_TASKS, math.ceil(int(primary["desiredCount"]) / 2))
        )
        return int(primary["failedTasks"]) >= threshold

    def _fail(self, tracked: _Tracked, primary: dict[str, Any], log: _EventLog) -> None:
        service = tracked.service
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        primary["updatedAt"] = log.now
        log.add(f"(deployment {primary['id']}) deployment failed: tasks failed to start.")
        breaker = tracked.config.get("deploymentCircuitBreaker") or {}
        target = next(
            (d for d in service.deployments[1:] if d["rolloutState"] == "COMPLETED"), None
        )
        if not breaker.get("rollback") or target is None:
            return
        primary["status"] = "ACTIVE"
        service.deployments.remove(target)
        service.deployments.insert(0, target)
        target.update(
            status="PRIMARY",
            desiredCount=service.desired_count,
            rolloutState="IN_PROGRESS",
            rolloutStateReason=(
                f"ECS deployment circuit breaker: rolling back to deploymentId {target['id']}."
            ),
            updatedAt=log.now,
        )
        tracked.launched.add(target["_lift_id"])
        service.task_definition = target["taskDefinition"]
        log.add(f"rolling back to deployment {target['id']}.")

    def _scale(
        self, backend: Any, tracked: _Tracked, primary: dict[str, Any], log: _EventLog
    ) -> None:
        service = tracked.service
        primary["desiredCount"] = service.desired_count
        live = [
            t
            for t in _service_tasks(backend, service)
            if t.started_by == primary["id"] and t.desired_status == "RUNNING"
        ]
        missing = service.desired_count - len(live)
        if missing > 0 and _task_definition(backend, primary["taskDefinition"]) is not None:
            started = [_launch_task(backend, service, primary, log.now) for _ in range(missing)]
            log.add(_tasks_message("has started {n} tasks:", started))
        elif missing < 0:
            surplus = sorted(live, key=lambda t: t.last_status == "RUNNING")[:-missing]
            reason = f"Scaling activity initiated by (deployment {primary['id']})"
            for task in surplus:
                _stop_task(task, log.now, reason, "ServiceSchedulerInitiated", exit_codes=0)
            log.add(_tasks_message("has stopped {n} running tasks:", surplus))
        tracked.launched.add(primary["_lift_id"])

    def _complete_if_ready(
        self, backend: Any, tracked: _Tracked, primary: dict[str, Any], log: _EventLog
    ) -> None:
        service = tracked.service
        tasks = _service_tasks(backend, service)
        mine = [t for t in tasks if t.started_by == primary["id"]]
        running = sum(1 for t in mine if t.last_status == "RUNNING")
        pending = sum(1 for t in mine if t.last_status in PENDING_STATES)
        if running < primary["desiredCount"] or pending:
            return
        old_ids = {d["id"] for d in service.deployments[1:]}
        retired = [t for t in tasks if t.started_by in old_ids and t.desired_status == "RUNNING"]
        reason = f"Scaling activity initiated by (deployment {primary['id']})"
        for task in retired:
            _stop_task(task, log.now, reason, "ServiceSchedulerInitiated", exit_codes=0)
        if retired:
            log.add(_tasks_message("has stopped {n} running tasks:", retired))
        del service.deployments[1:]
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        primary["updatedAt"] = log.now
        log.add(f"(deployment {primary['id']}) deployment completed.")
        log.add("has reached a steady state.")

    def _refresh(self, backend: Any, tracked: _Tracked) -> None:
        """Recompute the counts ECS reports from the tasks that exist."""
        service = tracked.service
        tasks = _service_tasks(backend, service)
        for deployment in service.deployments:
            mine = [t for t in tasks if t.started_by == deployment["id"]]
            deployment["runningCount"] = sum(1 for t in mine if t.last_status == "RUNNING")
            pending = sum(1 for t in mine if t.last_status in PENDING_STATES)
            not_started = deployment["_lift_id"] not in tracked.launched
            if not_started and deployment["rolloutState"] == "IN_PROGRESS":
                pending = int(deployment["desiredCount"])
            deployment["pendingCount"] = pending
        service.running_count = sum(d["runningCount"] for d in service.deployments)
        service.pending_count = sum(d["pendingCount"] for d in service.deployments)
        _refresh_cluster(backend, str(service.cluster_name))

    def _drain_deleted(self, backend: Any, service: Any) -> None:
        now = utcnow()
        for task in _service_tasks(backend, service):
            if task.desired_status == "RUNNING":
                _stop_task(task, now, "Service was deleted", "ServiceSchedulerInitiated", 0)
        service.running_count = service.pending_count = 0
        _refresh_cluster(backend, str(service.cluster_name))


class _EventLog:
    """Service events written during one step, stored newest first as ECS returns them."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.now = utcnow()
        self._messages: list[str] = []

    def add(self, message: str) -> None:
        self._messages.append(f"(service {self.service.name}) {message}")

    def flush(self) -> None:
        for offset, message in enumerate(self._messages):
            event = {
                "id": str(uuid.uuid4()),
                "createdAt": self.now + datetime.timedelta(milliseconds=offset),
                "message": message,
            }
            self.service.events.insert(0, event)
        del self.service.events[EVENTS_KEPT:]
        self._messages.clear()


def _deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


# Tasks ---------------------------------------------------------------------------------------


def _launch_task(
    backend: Any, service: Any, deployment: dict[str, Any], now: datetime.datetime
) -> Any:
    task_definition = backend.describe_task_definition(deployment["taskDefinition"])
    cluster = backend.clusters[service.cluster_name]
    # Real tasks get an ENI; a sandbox task needs none, so moto is shown a view of the task
    # definition without awsvpc and creates no EC2 resources.
    view = types.SimpleNamespace(
        arn=task_definition.arn,
        network_mode=None,
        container_definitions=task_definition.container_definitions,
    )
    task: Any = Task(
        cluster=cluster,
        task_definition=view,  # type: ignore[arg-type]
        container_instance_arn=None,
        resource_requirements=None,
        backend=backend,
        group=f"service:{service.name}",
        launch_type=service.launch_type or "FARGATE",
        started_by=deployment["id"],
        platform_version=service.platform_version,
    )
    task._transitions = []  # moto's own task state machine must not move our tasks
    task.id = uuid.uuid4().hex  # ECS task ids are 32 hex digits
    task.last_status = "PROVISIONING"
    task.created_at = now
    task.cpu = task_definition.cpu
    task.memory = task_definition.memory
    task.availability_zone = f"{service.region_name}a"
    task.platform_family = "Linux"
    task.containers = [
        _container(task, definition, view) for definition in view.container_definitions
    ]
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    return task


def _container(task: Any, definition: Mapping[str, Any], view: Any) -> Any:
    container: Any = cast(Any, Container)(view)  # moto marks it abstract for CloudFormation
    container.container_arn = (
        f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/"
        f"{task.cluster_name}/{task.id}/{uuid.uuid4()}"
    )
    container.task_arn = task.task_arn
    container.name = definition.get("name")
    container.image = definition.get("image")
    container.cpu = definition.get("cpu", 0)
    container.memory = definition.get("memory")
    container.last_status = "PENDING"
    container.exitCode = None
    container.reason = None
    container.health_status = "UNKNOWN"
    return container


def _stop_task(
    task: Any,
    now: datetime.datetime,
    reason: str,
    stop_code: str,
    exit_codes: int | Mapping[str, int] | None = None,
) -> None:
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    task.stopping_at = task.stopped_at = task.execution_stopped_at = now
    for container in task.containers:
        container.last_status = "STOPPED"
        if isinstance(exit_codes, int):
            container.exitCode = exit_codes
        elif exit_codes is not None and container.name in exit_codes:
            container.exitCode = exit_codes[container.name]


def _count_failure(service: Any, task: Any) -> None:
    for deployment in service.deployments:
        if deployment["id"] == task.started_by:
            deployment["failedTasks"] = int(deployment["failedTasks"]) + 1
            deployment["updatedAt"] = task.stopped_at


def _service_tasks(backend: Any, service: Any) -> list[Any]:
    group = f"service:{service.name}"
    tasks = backend.tasks.get(service.cluster_name, {}).values()
    return [t for t in tasks if getattr(t, "group", None) == group]


def _refresh_cluster(backend: Any, cluster_name: str) -> None:
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        return
    tasks = list(backend.tasks.get(cluster_name, {}).values())
    cluster.running_tasks_count = sum(1 for t in tasks if t.last_status == "RUNNING")
    cluster.pending_tasks_count = sum(1 for t in tasks if t.last_status in PENDING_STATES)


def _tasks_message(template: str, tasks: list[Any]) -> str:
    listed = " ".join(f"(task {t.id})" for t in tasks)
    return f"{template.format(n=len(tasks))} {listed}."


# Task definition rules -----------------------------------------------------------------------


def _crashes(container_definition: Mapping[str, Any]) -> bool:
    entries = list(container_definition.get("environment") or [])
    entries += list(container_definition.get("secrets") or [])
    return any(entry.get("name") == CRASH_SWITCH for entry in entries)


def _missing_parameters(
    container_definitions: Iterable[Mapping[str, Any]], account: str, region: str
) -> list[str]:
    missing = []
    for definition in container_definitions:
        for secret in definition.get("secrets") or []:
            value_from = str(secret.get("valueFrom", ""))
            where = _parameter_location(value_from, account, region)
            if where is not None and not _parameter_exists(*where):
                missing.append(value_from)
    return missing


def _parameter_location(value_from: str, account: str, region: str) -> tuple[str, str, str] | None:
    """(account, region, name) of an SSM parameter reference; None for other services."""
    if not value_from.startswith("arn:"):
        return account, region, value_from
    parts = value_from.split(":", 5)
    if len(parts) < 6 or parts[2] != "ssm" or not parts[5].startswith("parameter"):
        return None
    name = parts[5][len("parameter") :]
    if name.count("/") == 1:  # "parameter/NAME" names the flat parameter "NAME"
        name = name[1:]
    return parts[4], parts[3], name


def _parameter_exists(account: str, region: str, name: str) -> bool:
    try:
        backend = ssm_backends[account][region]
    except KeyError:
        return False
    return backend.get_parameter(name.split(":")[0]) is not None


# moto lookups --------------------------------------------------------------------------------


def _task_definition(backend: Any, arn: str | None) -> Any:
    """The task definition, or None when there is none (a service without one, or deleted)."""
    if not arn:
        return None
    try:
        return backend.describe_task_definition(arn)
    except TaskDefinitionNotFoundException:
        return None


def _find_service(backend: Any, cluster: object, name_or_arn: str) -> Any:
    cluster_name = str(cluster or "default").split("/")[-1]
    return backend.services.get(f"{cluster_name}:{name_or_arn.split('/')[-1]}")


def _rolling_update(service: Any) -> bool:
    """Only the ECS deployment controller rolls deployments; CODE_DEPLOY/EXTERNAL do not."""
    return bool((service.deployment_controller or {}).get("type", "ECS") == "ECS")


def _stack_resource(account: str, region: str, service: Any) -> tuple[Any, dict[str, Any]] | None:
    """The stack that created `service` and the resource's template Properties, if any."""
    # moto imports a backend on its first request: without it, no stack exists. (Importing it
    # here would add a second to the sandbox's start.)
    models = sys.modules.get("moto.cloudformation.models")
    if models is None:
        return None
    try:
        stacks = list(models.cloudformation_backends[account][region].stacks.values())
    except KeyError:
        return None
    for stack in stacks:
        parsed = getattr(stack.resource_map, "_parsed_resources", {})
        for logical_id, resource in list(parsed.items()):
            if resource is service:
                resource_json = stack.template_dict.get("Resources", {}).get(logical_id, {})
                properties = resource_json.get("Properties", {})
                return stack, properties if isinstance(properties, dict) else {}
    return None


def _stack_task_definition(account: str, region: str, service: Any) -> str | None:
    """The task definition ARN the service's stack template names now."""
    found = _stack_resource(account, region, service)
    if found is None:
        return None
    stack, properties = found
    value = properties.get("TaskDefinition")
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        parsed = getattr(stack.resource_map, "_parsed_resources", {})
        arn = getattr(parsed.get(value["Ref"]), "arn", None)
        return arn if isinstance(arn, str) else None
    return value if isinstance(value, str) else None


def _camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase properties as the ECS API's camelCase, "true" as True."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel_keys(v) for k, v in value.items()}
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
