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
- A `secrets[].valueFrom` naming Secrets Manager (`ARN[:json-key:[stage]:[version-id]]`) is
  resolved as the task leaves PROVISIONING; a missing secret, version or JSON key fails the
  task ("... unable to retrieve secret from asm: ..."), and the values a task received are
  kept on it (`lift_secrets`) for tests to read.
- Breaking a release on purpose: a container whose `environment` or `secrets` has an entry
  named LIFT_SANDBOX_CRASH (any value) exits with code 1 as it starts: stopCode
  EssentialContainerExited, stoppedReason "Essential container in task exited".
  With desiredCount 1 a crashing release fails on the 5th DescribeServices, a missing
  parameter on the 3rd (with a circuit breaker; see below).
- Container health checks (a container definition's `healthCheck`) run once a step while the
  task runs: a container becomes HEALTHY on the first step after it runs once `startPeriod`
  (real seconds) has passed, and the task's healthStatus follows its checked containers. A
  deployment completes only once its tasks are HEALTHY, as ECS counts them. With an
  `environment` or `secrets` entry named LIFT_SANDBOX_UNHEALTHY, the check fails instead: the
  container is UNHEALTHY with the check's output as its `reason` for one step, then ECS stops
  the task (stoppedReason "Task failed container health checks", exit code 137) and it counts
  as a failed task, so the circuit breaker trips as for a crash. The sandbox does not run the
  check's command: the simulator decides.
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
- Scaling (UpdateService desiredCount) starts or stops tasks of the PRIMARY deployment, and
  DeleteService stops the service's tasks.
- A stack's DesiredCount and scalable targets set a service's count as CloudFormation and
  Application Auto Scaling do: see sandbox/stack_counts.py.
- CloudFormation-created services are adopted the first time DescribeServices names them;
  their DeploymentConfiguration and LaunchType are read from the stack's template, and a
  stack update that gives the service another task definition starts a deployment.
- BLUE_GREEN, CANARY and LINEAR deployments shift traffic, bake, and roll back when an alarm
  fires (switch LIFT_SANDBOX_ALARM) once their tasks run: see sandbox/traffic.py.
- A deployment's rolloutState, rolloutStateReason, failedTasks, counts and timestamps, the
  service events and the tasks have the shapes of the ECS API (boto3 parses them as usual).
"""

from __future__ import annotations

import copy
import datetime
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from git_lift.sandbox import ecs_tasks
from git_lift.sandbox.moto_state import (
    camel_keys,
    ecs_backend,
    find_service,
    merge,
    repair_task_definitions,
    rolling_update,
    stack_resource,
    stack_task_definition,
)
from git_lift.sandbox.one_off import OneOffTasks
from git_lift.sandbox.stack_counts import StackCounts
from git_lift.sandbox.traffic import ALARM_SWITCH, TrafficShifts

MIN_FAILED_TASKS = 2
MAX_FAILED_TASKS = 200
EVENTS_KEPT = 100

DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

MAX_TIME_STEPS = 4
ServiceKey = tuple[str, str, str, str]  # account, region, cluster name, service name


@dataclass
class _Tracked:
    service: Any  # the moto Service object this state belongs to
    config: dict[str, Any]
    launched: set[str] = field(default_factory=set)
    from_stack: bool = False  # created by a CloudFormation stack
    stack_task_definition: str | None = None  # what the stack's template named when last seen
    stack_deployment: dict[str, Any] | None = None  # its DeploymentConfiguration, likewise


class RolloutSimulator:
    """Per-service rollout state on top of moto's ECS backend; callers hold `lock`."""

    def __init__(
        self, seconds_per_step: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lock = threading.RLock()
        self._tracked: dict[ServiceKey, _Tracked] = {}
        # With time too: a DescribeServices after a quiet while moves one step more for each
        # `seconds_per_step` gone by (at most MAX_TIME_STEPS), so a client backing off waits as
        # it would for real ECS, not for its own next poll. None: by requests only (tests).
        self._seconds_per_step = seconds_per_step
        self._clock = clock
        self._stepped: dict[int, float] = {}  # id(moto service) -> when it last moved
        self.one_offs = OneOffTasks(self.lock)  # RunTask's tasks: sandbox/one_off.py
        self.traffic = TrafficShifts()  # blue/green, canary, linear: sandbox/traffic.py
        self._service_deployments: dict[str, tuple[Any, str]] = {}  # ARN -> (service, id)
        self.stack_counts = StackCounts()  # DesiredCount and scalable targets: stack_counts.py

    def reset(self) -> None:
        with self.lock:
            self._tracked.clear()
            self._stepped.clear()
            self.one_offs.reset()
            self.traffic.reset()
            self._service_deployments.clear()
            self.stack_counts.reset()

    # Hooks the server calls around ECS requests -----------------------------------------

    def service_written(
        self, account: str, region: str, params: Mapping[str, Any], *, created: bool
    ) -> tuple[str, str] | None:
        """After a successful CreateService/UpdateService; returns (cluster, service ARN)."""
        backend = ecs_backend(account, region)
        name_key = "serviceName" if created else "service"
        service = find_service(backend, params.get("cluster"), str(params.get(name_key, "")))
        if service is None or not rolling_update(service):
            return None
        self._stepped.pop(id(service), None)  # a new rollout's time starts now
        primary_before = service.deployments[0].get("_lift_id") if service.deployments else None
        tracked = self._reconcile(account, region, backend, service)
        if params.get("deploymentConfiguration"):
            tracked.config = merge(tracked.config, params["deploymentConfiguration"])
            service.deployment_configuration = copy.deepcopy(tracked.config)
        unchanged = service.deployments and service.deployments[0]["_lift_id"] == primary_before
        if params.get("forceNewDeployment") and unchanged:
            self._start_deployment(tracked, str(service.task_definition))
        self._refresh(backend, tracked)
        return str(service.cluster_name), str(service.arn)

    def services_described(self, account: str, region: str, params: Mapping[str, Any]) -> None:
        """Before DescribeServices: adopt new services, then move each named one a step."""
        backend = ecs_backend(account, region)
        for name in params.get("services") or []:
            service = find_service(backend, params.get("cluster"), str(name))
            if service is None or not rolling_update(service):
                continue
            if service.status != "ACTIVE":
                self._drain_deleted(backend, service)
                continue
            tracked = self._reconcile(account, region, backend, service)
            for _ in range(self._steps_due(service)):
                self._step(account, region, backend, tracked)
            self._refresh(backend, tracked)

    def _steps_due(self, service: Any) -> int:
        """1, plus one for each `seconds_per_step` since the service last moved."""
        if self._seconds_per_step is None:
            return 1
        now, last = self._clock(), self._stepped.get(id(service))
        self._stepped[id(service)] = now
        if last is None:
            return 1
        return 1 + min(MAX_TIME_STEPS, int((now - last) / self._seconds_per_step))

    def service_deleted(self, account: str, region: str, params: Mapping[str, Any]) -> None:
        backend = ecs_backend(account, region)
        service = find_service(backend, params.get("cluster"), str(params.get("service", "")))
        if service is not None:
            self._drain_deleted(backend, service)

    def stacks_changed(self, account: str, region: str) -> None:
        """After a CloudFormation request (see moto_state.repair_task_definitions)."""
        repair_task_definitions(account, region)
        self.stack_counts.settle(account, region)

    def visible_task_arns(
        self, account: str, region: str, params: Mapping[str, Any], arns: Iterable[str]
    ) -> list[str]:
        """ListTasks as ECS filters it: by serviceName, and desiredStatus RUNNING by default."""
        backend = ecs_backend(account, region)
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
            named = stack_task_definition(account, region, service)
            if named and named != tracked.stack_task_definition:
                service.task_definition = tracked.stack_task_definition = named
            # Nor its deployment configuration (a `service edit` to a canary): follow it too.
            configured = _stack_deployment(account, region, service)
            if configured != tracked.stack_deployment:
                tracked.stack_deployment = configured
                tracked.config = merge(DEFAULT_DEPLOYMENT_CONFIGURATION, configured or {})
                service.deployment_configuration = copy.deepcopy(tracked.config)
        for deployment in service.deployments:  # forceNewDeployment makes moto rename one
            deployment["id"] = deployment["_lift_id"]
        # moto stores what UpdateService was given ("family:3"); ECS answers with the ARN.
        task_definition = ecs_tasks.find_task_definition(backend, service.task_definition)
        if task_definition is not None:
            service.task_definition = task_definition.arn
        primary = service.deployments[0] if service.deployments else None
        if service.task_definition and (
            primary is None or primary["taskDefinition"] != service.task_definition
        ):
            self._start_deployment(tracked, str(service.task_definition))
        return tracked

    def _adopt(self, account: str, region: str, service: Any) -> _Tracked:
        config = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
        found = stack_resource(account, region, service)
        template_properties = found[1] if found else {}
        configured = _stack_deployment(account, region, service) if found else None
        if configured is not None:
            config = merge(config, configured)
        if isinstance(template_properties.get("LaunchType"), str):
            service.launch_type = template_properties["LaunchType"]
        existing = getattr(service, "deployment_configuration", None)
        if isinstance(existing, dict):
            config = merge(config, existing)
        service.deployment_configuration = copy.deepcopy(config)
        tracked = _Tracked(service=service, config=config, from_stack=found is not None)
        if found is not None:
            tracked.stack_task_definition = stack_task_definition(account, region, service)
            tracked.stack_deployment = configured
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
        tasks = ecs_tasks.service_tasks(backend, service)
        for task in tasks:
            failed = task.last_status in ecs_tasks.PENDING_STATES and ecs_tasks.advance(
                task, backend, account, region, log.now
            )
            if failed or ecs_tasks.check_health(task, log.now):
                _count_failure(service, task)
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

    def _circuit_breaker_trips(self, tracked: _Tracked, primary: dict[str, Any]) -> bool:
        breaker = tracked.config.get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable") or primary["rolloutState"] != "IN_PROGRESS":
            return False
        threshold = min(
            MAX_FAILED_TASKS, max(MIN_FAILED_TASKS, math.ceil(int(primary["desiredCount"]) / 2))
        )
        return int(primary["failedTasks"]) >= threshold

    def _fail(
        self,
        tracked: _Tracked,
        primary: dict[str, Any],
        log: _EventLog,
        alarm: str = "",
        stopped: bool = False,
    ) -> None:
        """The circuit breaker tripped, (`alarm`: ECS's reason) a deployment alarm fired, or
        (`stopped`) StopServiceDeployment asked for a rollback."""
        service = tracked.service
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = (
            alarm or "ECS deployment circuit breaker: tasks failed to start."
        )
        primary["updatedAt"] = log.now
        why = "an alarm fired" if alarm else "tasks failed to start"
        if stopped:
            why = "stopped, rolling back"
        log.add(f"(deployment {primary['id']}) deployment failed: {why}.")
        guard = tracked.config.get("alarms" if alarm else "deploymentCircuitBreaker") or {}
        target = next(
            (d for d in service.deployments[1:] if d["rolloutState"] == "COMPLETED"), None
        )
        if not (stopped or guard.get("rollback")) or target is None:
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
        if alarm or stopped:
            cause = "alarms" if alarm else "stopped"
            target["rolloutStateReason"] = (
                f"ECS deployment {cause}: rolling back to {target['id']}."
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
            for t in ecs_tasks.service_tasks(backend, service)
            if t.started_by == primary["id"] and t.desired_status == "RUNNING"
        ]
        missing = service.desired_count - len(live)
        if (
            missing > 0
            and ecs_tasks.find_task_definition(backend, primary["taskDefinition"]) is not None
        ):
            started = [ecs_tasks.launch(backend, service, primary, log.now) for _ in range(missing)]
            log.add(_tasks_message("has started {n} tasks:", started))
        elif missing < 0:
            surplus = sorted(live, key=lambda t: t.last_status == "RUNNING")[:-missing]
            reason = f"Scaling activity initiated by (deployment {primary['id']})"
            for task in surplus:
                ecs_tasks.stop(task, log.now, reason, "ServiceSchedulerInitiated", exit_codes=0)
            log.add(_tasks_message("has stopped {n} running tasks:", surplus))
        tracked.launched.add(primary["_lift_id"])

    def _complete_if_ready(
        self, backend: Any, tracked: _Tracked, primary: dict[str, Any], log: _EventLog
    ) -> None:
        service = tracked.service
        tasks = ecs_tasks.service_tasks(backend, service)
        mine = [t for t in tasks if t.started_by == primary["id"]]
        running = sum(1 for t in mine if t.last_status == "RUNNING" and ecs_tasks.healthy_enough(t))
        pending = sum(1 for t in mine if t.last_status in ecs_tasks.PENDING_STATES)
        if running < primary["desiredCount"] or pending:
            return
        if not self._traffic_moved(backend, tracked, primary, log):
            return
        old_ids = {d["id"] for d in service.deployments[1:]}
        retired = [t for t in tasks if t.started_by in old_ids and t.desired_status == "RUNNING"]
        reason = f"Scaling activity initiated by (deployment {primary['id']})"
        for task in retired:
            ecs_tasks.stop(task, log.now, reason, "ServiceSchedulerInitiated", exit_codes=0)
        if retired:
            log.add(_tasks_message("has stopped {n} running tasks:", retired))
        del service.deployments[1:]
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        primary["updatedAt"] = log.now
        log.add(f"(deployment {primary['id']}) deployment completed.")
        log.add("has reached a steady state.")

    def _traffic_moved(
        self, backend: Any, tracked: _Tracked, primary: dict[str, Any], log: _EventLog
    ) -> bool:
        """A traffic-shifting deployment moves one minute on (sandbox/traffic.py); a rollback
        moves all traffic back at once, as ECS does."""
        if "rolling back" in str(primary.get("rolloutStateReason", "")):
            return True
        task_definition = ecs_tasks.find_task_definition(backend, primary["taskDefinition"])
        definitions = task_definition.container_definitions if task_definition else []
        alarmed = any(ecs_tasks.switched(d, ALARM_SWITCH) for d in definitions)
        state, said = self.traffic.advance(tracked.config, primary["id"], alarmed)
        if state == "alarm":
            self._fail(tracked, primary, log, alarm=str(said))
        return state == "done"

    def service_deployments(
        self, account: str, region: str, action: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """ListServiceDeployments (the deployments in progress) and DescribeServiceDeployments
        (sandbox/traffic.py) for the services the simulator tracks."""
        backend = ecs_backend(account, region)
        if action == "ListServiceDeployments":
            service = find_service(backend, params.get("cluster"), str(params.get("service", "")))
            wanted = params.get("status") or ["IN_PROGRESS"]
            found = (
                []
                if service is None or "IN_PROGRESS" not in wanted
                else [d for d in service.deployments if d["rolloutState"] == "IN_PROGRESS"]
            )
            briefs = []
            for deployment in found:
                arns = self._deployment_arns(account, region, service, deployment)
                self._service_deployments[arns["deployment"]] = (service, deployment["id"])
                briefs.append(
                    {
                        "serviceDeploymentArn": arns["deployment"],
                        "serviceArn": arns["service"],
                        "clusterArn": arns["cluster"],
                        "targetServiceRevisionArn": deployment["taskDefinition"],
                        "status": "IN_PROGRESS",
                    }
                )
            return {"serviceDeployments": briefs}
        described, failures = [], []
        for arn in params.get("serviceDeploymentArns") or []:
            service, deployment_id = self._service_deployments.get(arn, (None, ""))
            deployment = next(
                (d for d in getattr(service, "deployments", []) if d["id"] == deployment_id), None
            )
            tracked = self._tracked.get(
                (
                    account,
                    region,
                    str(getattr(service, "cluster_name", "")),
                    str(getattr(service, "name", "")),
                )
            )
            if deployment is None or tracked is None or deployment["rolloutState"] != "IN_PROGRESS":
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            arns = self._deployment_arns(account, region, service, deployment)
            described.append(self.traffic.describe(tracked.config, deployment, arns))
        return {"serviceDeployments": described, "failures": failures}

    def stop_service_deployment(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """StopServiceDeployment with stopType ROLLBACK: traffic and tasks go back to the last
        COMPLETED deployment at once, as for an alarm (sandbox/traffic.py)."""
        arn = str(params.get("serviceDeploymentArn", ""))
        service, deployment_id = self._service_deployments.get(arn, (None, ""))
        key = (
            account,
            region,
            str(getattr(service, "cluster_name", "")),
            str(getattr(service, "name", "")),
        )
        tracked = self._tracked.get(key)
        primary = service.deployments[0] if service is not None and service.deployments else None
        if tracked is None or primary is None or primary["id"] != deployment_id:
            return {}
        if primary["rolloutState"] == "IN_PROGRESS":
            log = _EventLog(service)
            self.traffic.forget(deployment_id)
            self._fail(tracked, primary, log, stopped=True)
            log.flush()
        return {"serviceDeploymentArn": arn}

    @staticmethod
    def _deployment_arns(
        account: str, region: str, service: Any, deployment: Mapping[str, Any]
    ) -> dict[str, str]:
        cluster, name = str(service.cluster_name), str(service.name)
        number = str(deployment["id"]).rsplit("/", 1)[-1]
        base = f"arn:aws:ecs:{region}:{account}"
        return {
            "deployment": f"{base}:service-deployment/{cluster}/{name}/{number}",
            "service": str(service.arn),
            "cluster": f"{base}:cluster/{cluster}",
        }

    def _refresh(self, backend: Any, tracked: _Tracked) -> None:
        """Recompute the counts ECS reports from the tasks that exist."""
        service = tracked.service
        tasks = ecs_tasks.service_tasks(backend, service)
        for deployment in service.deployments:
            mine = [t for t in tasks if t.started_by == deployment["id"]]
            deployment["runningCount"] = sum(1 for t in mine if t.last_status == "RUNNING")
            pending = sum(1 for t in mine if t.last_status in ecs_tasks.PENDING_STATES)
            not_started = deployment["_lift_id"] not in tracked.launched
            if not_started and deployment["rolloutState"] == "IN_PROGRESS":
                pending = int(deployment["desiredCount"])
            deployment["pendingCount"] = pending
        service.running_count = sum(d["runningCount"] for d in service.deployments)
        service.pending_count = sum(d["pendingCount"] for d in service.deployments)
        ecs_tasks.refresh_cluster(backend, str(service.cluster_name))

    def _drain_deleted(self, backend: Any, service: Any) -> None:
        now = utcnow()
        for task in ecs_tasks.service_tasks(backend, service):
            if task.desired_status == "RUNNING":
                ecs_tasks.stop(task, now, "Service was deleted", "ServiceSchedulerInitiated", 0)
        service.running_count = service.pending_count = 0
        ecs_tasks.refresh_cluster(backend, str(service.cluster_name))


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


def _count_failure(service: Any, task: Any) -> None:
    for deployment in service.deployments:
        if deployment["id"] == task.started_by:
            deployment["failedTasks"] = int(deployment["failedTasks"]) + 1
            deployment["updatedAt"] = task.stopped_at


def _tasks_message(template: str, tasks: list[Any]) -> str:
    listed = " ".join(f"(task {t.id})" for t in tasks)
    return f"{template.format(n=len(tasks))} {listed}."


def _stack_deployment(account: str, region: str, service: Any) -> dict[str, Any] | None:
    """The DeploymentConfiguration the service's stack template gives it, as the ECS API
    spells it; None when it gives none."""
    found = stack_resource(account, region, service)
    configured = found[1].get("DeploymentConfiguration") if found else None
    return dict(camel_keys(configured)) if isinstance(configured, dict) else None
