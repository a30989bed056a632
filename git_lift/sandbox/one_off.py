"""Sandbox one-off tasks: what RunTask starts (not a service) runs, writes its output to
CloudWatch Logs and stops with an exit code, as on ECS.

moto's RunTask tasks are RUNNING at once and never stop (and moto 5.2.5 fails making the
network interface of an awsvpc one), so the sandbox starts them itself, in the subnet
RunTask names, and each DescribeTasks naming one moves it a state: PROVISIONING -> PENDING
(its secrets resolved: a missing SSM parameter or Secrets Manager value stops it,
TaskFailedToStart, as rollout.py's tasks) -> RUNNING, when its container's command starts in
a thread (`image_runner.run_image`: the image's entrypoint with the task's command,
environment and resolved secrets) -> STOPPED once that ends (stopCode
EssentialContainerExited, the container's exit code). Each output line goes to the task
definition's awslogs group, stream PREFIX/CONTAINER/TASK-ID as ECS names it. Where the image
cannot be run here, the task is simulated: one line "(sandbox: simulated; the image was not
run)" and exit code 0, or N when an argument of its command holds LIFT_SANDBOX_EXIT=N.
StopTask stops it with stopCode UserInitiated and exit code 143 (SIGTERM), as a container
that ends on the signal ECS sends it.

moto has no EventBridge delivery to CloudWatch Logs, so when a job's task (group `job:NAME`)
stops, the sandbox writes its "ECS Task State Change" event into the service's job-runs log
group itself, as the service stack's rule would (templates/jobs.py): the task's awslogs group
+ "/job-runs" (`Target.job_runs_log_group`), when the stack made that group.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from git_lift.sandbox import ecs_tasks, image_runner
from git_lift.sandbox.moto_state import ecs_backend

EXIT_SWITCH = "LIFT_SANDBOX_EXIT"
SIMULATED = "(sandbox: simulated; the image was not run)"
RUN_TIMEOUT = 30 * 60.0
STOPPED_BY_SIGTERM = image_runner.STOPPED_BY_SIGTERM  # how a container ends on StopTask
_EXIT_SWITCH = re.compile(rf"\b{EXIT_SWITCH}=(\d{{1,3}})\b")


@dataclass
class _Run:
    """A RUNNING task's command in its thread: what it ended with, once it has."""

    thread: threading.Thread | None = None
    exit_code: int | None = None
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)  # StopTask came


class OneOffTasks:
    """The sandbox's RunTask tasks; the server calls it around ECS requests, holding `lock`
    (the rollout simulator's), which the threads take too to write their logs."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._runs: dict[str, _Run] = {}  # task ARN -> its command's run

    def reset(self) -> None:
        self._runs.clear()

    def run(self, account: str, region: str, params: Mapping[str, Any]) -> list[str] | None:
        """RunTask: its tasks, PROVISIONING, as ECS makes them (a 32-hex-digit id, a network
        interface in the subnet asked for, a container per container definition); their
        ARNs. None when moto should answer instead: the refusals (no such cluster or task
        definition, awsvpc without a network, a launch type and a capacity provider strategy
        both) are its own."""
        from moto.ecs.models import Task

        backend = ecs_backend(account, region)
        cluster = backend.clusters.get(str(params.get("cluster") or "default").split("/")[-1])
        definition = ecs_tasks.find_task_definition(backend, params.get("taskDefinition"))
        network = (params.get("networkConfiguration") or {}).get("awsvpcConfiguration")
        strategy = params.get("capacityProviderStrategy") or []
        if (
            cluster is None
            or definition is None
            or (definition.network_mode == "awsvpc") != (network is not None)
            or (strategy and params.get("launchType"))
        ):
            return None
        view = SimpleNamespace(
            arn=definition.arn,
            network_mode=None,  # no ENI from moto: attached below
            container_definitions=definition.container_definitions,
        )
        overrides = dict(params.get("overrides") or {})
        arns = []
        for _ in range(int(params.get("count") or 1)):
            task: Any = Task(
                cluster=cluster,
                task_definition=view,  # type: ignore[arg-type]
                container_instance_arn=None,
                resource_requirements=None,
                backend=backend,
                group=str(params.get("group") or f"family:{definition.family}"),
                launch_type=str(params.get("launchType") or ""),
                overrides=overrides,
                started_by=str(params.get("startedBy") or ""),
                tags=list(params.get("tags") or []),
                platform_version=params.get("platformVersion"),
                capacity_provider_name=strategy[0]["capacityProvider"] if strategy else None,
            )
            task._transitions = []  # moto's own state machine must not move it
            task.id = uuid.uuid4().hex
            task.last_status = "PROVISIONING"
            task.created_at = _now()
            task.cpu = overrides.get("cpu") or definition.cpu
            task.memory = overrides.get("memory") or definition.memory
            task.availability_zone = f"{region}a"
            task.platform_family = "Linux"
            task.enable_execute_command = bool(params.get("enableExecuteCommand"))
            task.containers = ecs_tasks.containers_of(task, definition)
            if network is not None:
                task.network_configuration = {"awsvpcConfiguration": network}
                task.attachments = [_interface(network)]
            backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
            arns.append(task.task_arn)
        return arns

    def described(self, account: str, region: str, arns: list[str]) -> None:
        """Before DescribeTasks: move each one-off task it names one state on."""
        backend = ecs_backend(account, region)
        for arn in arns:
            task = _find(backend, arn)[1]
            if _one_off(task):
                was = task.last_status
                self._step(backend, account, region, task)
                if was != "STOPPED" and task.last_status == "STOPPED":
                    _record_job_run(backend, account, region, task)

    def stopped(self, account: str, region: str, task_arn: str) -> None:
        """After moto's StopTask: the stop code and exit code ECS gives a task stopped so."""
        task = _find(ecs_backend(account, region), task_arn)[1]
        if task is None or not _one_off(task):
            return
        run = self._runs.pop(task.task_arn, None)
        if run is not None:
            run.stop.set()  # its container ends, as ECS's does
        ran = run is not None and run.thread is not None
        exit_codes = STOPPED_BY_SIGTERM if ran else None
        reason = task.stopped_reason or "Task stopped by user"
        ecs_tasks.stop(task, _now(), reason, "UserInitiated", exit_codes)
        _record_job_run(ecs_backend(account, region), account, region, task)

    def _step(self, backend: Any, account: str, region: str, task: Any) -> None:
        if task.last_status == "STOPPED":
            return
        definitions = _definitions(backend, task)
        now = _now()
        if task.last_status == "PROVISIONING":  # secrets resolved, or it fails to start
            ecs_tasks.advance(task, backend, account, region, now)
            return
        if task.last_status == "PENDING":
            task.last_status = "RUNNING"
            task.started_at = task.pull_stopped_at = task.connectivity_at = now
            task.connectivity = "CONNECTED"
            for container in task.containers:
                container.last_status = "RUNNING"
            self._runs[task.task_arn] = self._start(account, region, task, definitions)
            return
        run = self._runs.get(task.task_arn)
        if run is not None and run.done.is_set():
            del self._runs[task.task_arn]
            code = 0 if run.exit_code is None else run.exit_code
            ecs_tasks.stop(
                task, now, ecs_tasks.CRASH_FAILURE, "EssentialContainerExited", {_main(task): code}
            )

    def _start(self, account: str, region: str, task: Any, definitions: list[Any]) -> _Run:
        container: dict[str, Any] = next(
            (d for d in definitions if d.get("name") == _main(task)), {}
        )
        command = _command(task, container)
        environment = {
            str(e.get("name")): str(e.get("value", "")) for e in container.get("environment") or []
        }
        environment.update(_secrets(account, region, task, [container]))
        where = _log_stream(container, task.id)
        run = _Run()

        def write(line: str) -> None:
            if where is not None:
                with self.lock:
                    _put_log(account, region, *where, line)

        def work() -> None:
            try:
                code = image_runner.run_image(
                    str(container.get("image", "")),
                    command,
                    environment,
                    on_line=write,
                    timeout=RUN_TIMEOUT,
                    stop=run.stop,
                )
                if code is None:
                    write(SIMULATED)
                    code = simulated_exit(command)
                run.exit_code = code
            finally:
                run.done.set()

        run.thread = threading.Thread(target=work, name=f"sandbox-task-{task.id}", daemon=True)
        run.thread.start()
        return run


def _interface(network: Mapping[str, Any]) -> dict[str, Any]:
    """The task's ENI as DescribeTasks shows it, in the first subnet asked for."""
    return {
        "id": str(uuid.uuid4()),
        "type": "ElasticNetworkInterface",
        "status": "ATTACHED",
        "details": [
            {"name": "subnetId", "value": str((network.get("subnets") or [""])[0])},
            {"name": "networkInterfaceId", "value": f"eni-{uuid.uuid4().hex[:17]}"},
            {"name": "privateIPv4Address", "value": "10.0.1.10"},
        ],
    }


def simulated_exit(command: list[str] | None) -> int:
    """0, or N when an argument of the command holds LIFT_SANDBOX_EXIT=N."""
    for argument in command or []:
        found = _EXIT_SWITCH.search(argument)
        if found:
            return int(found.group(1)) % 256
    return 0


def _find(backend: Any, arn: str) -> tuple[str, Any]:
    for cluster, tasks in backend.tasks.items():
        if arn in tasks:
            return cluster, tasks[arn]
        for task_arn, task in tasks.items():
            if task_arn.rsplit("/", 1)[-1] == arn.rsplit("/", 1)[-1]:
                return cluster, task
    return "", None


def _one_off(task: Any) -> bool:
    """Started by RunTask: not in a service's group ("service:NAME")."""
    return task is not None and not str(getattr(task, "group", "")).startswith("service:")


def _definitions(backend: Any, task: Any) -> list[Any]:
    found = ecs_tasks.find_task_definition(backend, task.task_definition_arn)
    return list(found.container_definitions) if found else []


def _main(task: Any) -> str:
    """The container RunTask's override names, else the first (the service's own)."""
    overrides = task.overrides.get("containerOverrides") or []
    if overrides and overrides[0].get("name"):
        return str(overrides[0]["name"])
    return str(task.containers[0].name) if task.containers else ""


def _command(task: Any, container: Mapping[str, Any]) -> list[str] | None:
    for override in task.overrides.get("containerOverrides") or []:
        if override.get("name") == container.get("name") and override.get("command"):
            return [str(a) for a in override["command"]]
    command = container.get("command")
    return [str(a) for a in command] if command else None


def _secrets(account: str, region: str, task: Any, containers: list[Any]) -> dict[str, str]:
    """What the task's secrets resolved to: Secrets Manager's (kept on the task as it left
    PROVISIONING) and Parameter Store's."""
    values = dict(getattr(task, "lift_secrets", {}) or {})
    for container in containers:
        for secret in container.get("secrets") or []:
            name, value_from = str(secret.get("name")), str(secret.get("valueFrom", ""))
            if name not in values:
                value = ecs_tasks.parameter_value(value_from, account, region)
                if value is not None:
                    values[name] = value
    return values


def _log_stream(container: Mapping[str, Any], task_id: str) -> tuple[str, str] | None:
    config = container.get("logConfiguration") or {}
    options = config.get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if config.get("logDriver") != "awslogs" or not group or not prefix:
        return None
    return str(group), f"{prefix}/{container.get('name')}/{task_id}"


def _put_log(account: str, region: str, group: str, stream: str, line: str) -> None:
    from moto.logs.models import logs_backends

    backend = logs_backends[account][region]
    if group not in backend.groups:
        return  # the service stack makes the group; without it, ECS's awslogs fails too
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    event = {"timestamp": int(time.time() * 1000), "message": line}
    backend.put_log_events(group, stream, [event])


JOB_GROUP = "job:"  # Target.job_task_group's prefix
JOB_RUNS = "/job-runs"  # Target.job_runs_log_group: the service's log group's, plus this


def _record_job_run(backend: Any, account: str, region: str, task: Any) -> None:
    """What the stack's EventBridge rule sends its log group when a job's task stops: the
    event, its `detail` the task with ISO times (ECS developer guide, "Amazon ECS task state
    change events")."""
    if not str(getattr(task, "group", "") or "").startswith(JOB_GROUP):
        return
    main = _main(task)
    container: dict[str, Any] = next(
        (d for d in _definitions(backend, task) if d.get("name") == main), {}
    )
    where = _log_stream(container, task.id)
    if where is None:
        return
    detail = {
        "clusterArn": getattr(task, "cluster_arn", ""),
        "taskArn": task.task_arn,
        "taskDefinitionArn": task.task_definition_arn,
        "group": task.group,
        "lastStatus": task.last_status,
        "stopCode": getattr(task, "stop_code", ""),
        "stoppedReason": task.stopped_reason or "",
        "createdAt": _iso(getattr(task, "created_at", None)),
        "startedAt": _iso(getattr(task, "started_at", None)),
        "stoppedAt": _iso(getattr(task, "stopped_at", None)),
        "containers": [
            {"name": c.name, **({"exitCode": c.exitCode} if _exit(c) is not None else {})}
            for c in task.containers
        ],
    }
    detail = {k: v for k, v in detail.items() if v is not None}
    event = {
        "version": "0",
        "source": "aws.ecs",
        "detail-type": "ECS Task State Change",
        "account": account,
        "region": region,
        "resources": [task.task_arn],
        "detail": detail,
    }
    _put_log(account, region, where[0] + JOB_RUNS, task.id, json.dumps(event))


def _exit(container: Any) -> int | None:
    return getattr(container, "exitCode", None)


def _iso(value: Any) -> str | None:
    """A moto task time (a datetime, naive UTC, or epoch seconds) as an event's ISO string."""
    if isinstance(value, int | float):
        value = datetime.datetime.fromtimestamp(value, datetime.UTC)
    if not isinstance(value, datetime.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return str(value.astimezone(datetime.UTC).isoformat()).replace("+00:00", "Z")


def _now() -> datetime.datetime:
    from moto.core.utils import utcnow

    return utcnow()
