"""Sandbox ECS tasks: moto Task objects that start, run and fail the way ECS tasks do.

The rules (which task fails, with which words) are listed in git_lift.sandbox.rollout.
moto is imported on first use: its ECS models pull in EC2's, half a second of start-up.
"""

from __future__ import annotations

import datetime
import json
import types
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

CRASH_SWITCH = "LIFT_SANDBOX_CRASH"
UNHEALTHY_SWITCH = "LIFT_SANDBOX_UNHEALTHY"
HEALTH_FAILURE = "Task failed container health checks"
PENDING_STATES = ("PROVISIONING", "PENDING")
SECRETS_FAILURE = (
    "ResourceInitializationError: unable to pull secrets or registry auth: "
    "execution resource retrieval failed: unable to retrieve secrets from ssm: "
    "service call has been retried 1 time(s): invalid ssm parameters: "
)
CRASH_FAILURE = "Essential container in task exited"
ASM_FAILURE = (
    "ResourceInitializationError: unable to pull secrets or registry auth: "
    "execution resource retrieval failed: unable to retrieve secret from asm: "
)


def launch(
    backend: Any, service: Any, deployment: Mapping[str, Any], now: datetime.datetime
) -> Any:
    """A PROVISIONING task of `deployment`, listed in moto's backend like a RunTask task."""
    from moto.ecs.models import Task

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


def advance(task: Any, backend: Any, account: str, region: str, now: datetime.datetime) -> bool:
    """Move a pending task one state on: PROVISIONING -> PENDING -> RUNNING.

    Returns True when the task failed instead: missing SSM parameters when it leaves
    PROVISIONING, the crash switch when it would start running.
    """
    task_definition = find_task_definition(backend, task.task_definition_arn)
    definitions = task_definition.container_definitions if task_definition else []
    if task.last_status == "PROVISIONING":
        missing = missing_parameters(definitions, account, region)
        if missing:
            stop(task, now, SECRETS_FAILURE + " ".join(missing), "TaskFailedToStart")
            return True
        received, failures = secrets_manager_values(definitions)
        if failures:
            stop(task, now, ASM_FAILURE + failures[0], "TaskFailedToStart")
            return True
        task.lift_secrets = received
        task.last_status = "PENDING"
        task.pull_started_at = now
        return False
    crashing = [definition["name"] for definition in definitions if crashes(definition)]
    if crashing:
        task.started_at = now
        exit_codes = {name: 1 for name in crashing}
        stop(task, now, CRASH_FAILURE, "EssentialContainerExited", exit_codes)
        return True
    task.last_status = "RUNNING"
    task.started_at = task.connectivity_at = task.pull_stopped_at = now
    task.connectivity = "CONNECTED"
    task.health_status = "UNKNOWN"
    for container in task.containers:
        container.last_status = "RUNNING"
    task.lift_checks = {d["name"]: d["healthCheck"] for d in definitions if d.get("healthCheck")}
    task.lift_unhealthy = {d["name"] for d in definitions if switched(d, UNHEALTHY_SWITCH)}
    return False


def check_health(task: Any, now: datetime.datetime) -> bool:
    """Run a RUNNING task's container health checks once (a step): HEALTHY once the start
    period is over, UNHEALTHY at once with the switch (the output in the container's reason).
    Returns True when the task was UNHEALTHY already: ECS stops it (and replaces it)."""
    checks: dict[str, Any] = getattr(task, "lift_checks", {})
    if not checks or task.last_status != "RUNNING" or task.started_at == now:
        return False  # a check runs from the step after the container started
    if task.health_status == "UNHEALTHY":
        stop(task, now, HEALTH_FAILURE, "ServiceSchedulerInitiated", exit_codes=137)
        return True
    running_for = (now - task.started_at).total_seconds()
    for container in task.containers:
        check = checks.get(container.name)
        if check is None:
            continue
        if container.name in task.lift_unhealthy:
            container.health_status = "UNHEALTHY"
            container.reason = failing_output(check)
        elif running_for >= int(check.get("startPeriod") or 0):
            container.health_status = "HEALTHY"
    states = {c.health_status for c in task.containers if c.name in checks}
    task.health_status = next((s for s in ("UNHEALTHY", "UNKNOWN") if s in states), "HEALTHY")
    return False


def failing_output(check: Mapping[str, Any]) -> str:
    """What a failing check says in the sandbox: its command, and why it failed."""
    command = " ".join(str(part) for part in list(check.get("command") or [])[1:])
    return f"health check failed (exit 1): {command} ({UNHEALTHY_SWITCH} is set in the sandbox)"


def healthy_enough(task: Any) -> bool:
    """A running task counts for a deployment once its health checks (if any) pass."""
    return not getattr(task, "lift_checks", {}) or task.health_status == "HEALTHY"


def stop(
    task: Any,
    now: datetime.datetime,
    reason: str,
    stop_code: str,
    exit_codes: int | Mapping[str, int] | None = None,
) -> None:
    """Stop a task: one exit code for every container, or some by name, or none."""
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


def service_tasks(backend: Any, service: Any) -> list[Any]:
    """Every task ECS started for the service, stopped ones included."""
    group = f"service:{service.name}"
    tasks = backend.tasks.get(service.cluster_name, {}).values()
    return [t for t in tasks if getattr(t, "group", None) == group]


def refresh_cluster(backend: Any, cluster_name: str) -> None:
    """The cluster's running and pending counts, from the tasks that exist."""
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        return
    tasks = list(backend.tasks.get(cluster_name, {}).values())
    cluster.running_tasks_count = sum(1 for t in tasks if t.last_status == "RUNNING")
    cluster.pending_tasks_count = sum(1 for t in tasks if t.last_status in PENDING_STATES)


def find_task_definition(backend: Any, arn: str | None) -> Any:
    """The task definition, or None when there is none (a service without one, or deleted)."""
    from moto.ecs.exceptions import TaskDefinitionNotFoundException

    if not arn:
        return None
    try:
        return backend.describe_task_definition(arn)
    except TaskDefinitionNotFoundException:
        return None


def crashes(container_definition: Mapping[str, Any]) -> bool:
    return switched(container_definition, CRASH_SWITCH)


def switched(container_definition: Mapping[str, Any], switch: str) -> bool:
    """Whether a sandbox switch is set: an `environment` or `secrets` entry of that name."""
    entries = list(container_definition.get("environment") or [])
    entries += list(container_definition.get("secrets") or [])
    return any(entry.get("name") == switch for entry in entries)


def missing_parameters(
    container_definitions: Iterable[Mapping[str, Any]], account: str, region: str
) -> list[str]:
    """The `secrets[].valueFrom` that name an SSM parameter the sandbox does not hold."""
    missing = []
    for definition in container_definitions:
        for secret in definition.get("secrets") or []:
            value_from = str(secret.get("valueFrom", ""))
            where = _parameter_location(value_from, account, region)
            if where is not None and not _parameter_exists(*where):
                missing.append(value_from)
    return missing


def secrets_manager_values(
    container_definitions: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, str], list[str]]:
    """What the `secrets[]` naming Secrets Manager (`ARN[:json-key:[stage]:[version-id]]`)
    resolve to at task start, as ECS resolves them, and why those that cannot be failed."""
    received: dict[str, str] = {}
    failures: list[str] = []
    for definition in container_definitions:
        for secret in definition.get("secrets") or []:
            parts = str(secret.get("valueFrom", "")).split(":")
            if len(parts) < 7 or parts[2] != "secretsmanager":
                continue
            key, stage, version = [*parts[7:], "", "", ""][:3]
            try:
                value = _secret_value(":".join(parts[:7]), parts[4], parts[3], stage, version, key)
            except LookupError as missing:
                failures.append(str(missing.args[0]))
                continue
            received[str(secret.get("name"))] = value
    return received, failures


def _secret_value(arn: str, account: str, region: str, stage: str, version: str, key: str) -> str:
    from moto.secretsmanager.models import secretsmanager_backends

    try:
        backend: Any = secretsmanager_backends[account][region]  # takes None for "not given"
        answer = backend.get_secret_value(arn, version or None, stage or None)
    except Exception as exc:  # moto's not-found errors have no common base worth naming
        raise LookupError(f"failed to fetch secret {arn}: {exc}") from exc
    text = str(answer.get("SecretString", ""))
    if not key:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or key not in document:
        raise LookupError(f"retrieved secret from Secrets Manager did not contain json key {key}")
    return str(document[key])


def containers_of(task: Any, task_definition: Any) -> list[Any]:
    """The task's containers, PENDING, one per container definition (moto makes one)."""
    view = types.SimpleNamespace(
        arn=task_definition.arn,
        network_mode=None,
        container_definitions=task_definition.container_definitions,
    )
    return [_container(task, definition, view) for definition in view.container_definitions]


def parameter_value(value_from: str, account: str, region: str) -> str | None:
    """The (decrypted) value of the SSM parameter a `secrets[].valueFrom` names; None when it
    names another service or a parameter the sandbox does not hold."""
    from moto.ssm.models import ssm_backends

    where = _parameter_location(value_from, account, region)
    if where is None:
        return None
    try:
        parameter = ssm_backends[where[0]][where[1]].get_parameter(where[2])
    except KeyError:
        return None
    return None if parameter is None else parameter.decrypt(parameter.value)


def _container(task: Any, definition: Mapping[str, Any], view: Any) -> Any:
    from moto.ecs.models import Container

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
    from moto.ssm.models import ssm_backends

    try:
        backend = ssm_backends[account][region]
    except KeyError:
        return False
    return backend.get_parameter(name.split(":")[0]) is not None
