"""The sandbox's ECS rollout simulator (sandbox/rollout.py, sandbox/ecs_tasks.py) in process:
moto's ECS in memory, the simulator called around each request as the sandbox server calls
it, and an injected clock. What the HTTP tests (tests/test_rollout_simulator.py) leave out:
the clock's steps, the breaker's threshold by desired count, Secrets Manager references, a
breaker with nothing to roll back to, scaling down, the event log's bound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from git_lift.sandbox import ecs_tasks
from git_lift.sandbox.rollout import EVENTS_KEPT, MAX_TIME_STEPS, RolloutSimulator, _Tracked

ACCOUNT, REGION, CLUSTER, SERVICE = "123456789012", "eu-west-1", "lift-staging", "api"
BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


class SimulatedEcs:
    """An ECS client as the sandbox server serves it: the simulator around moto's answers."""

    def __init__(self, client: Any, simulator: RolloutSimulator) -> None:
        self.client = client
        self.simulator = simulator

    def create_service(self, **params: Any) -> None:
        with self.simulator.lock:
            self.client.create_service(**params)
            self.simulator.service_written(ACCOUNT, REGION, params, created=True)

    def update_service(self, **params: Any) -> None:
        with self.simulator.lock:
            self.client.update_service(**params)
            self.simulator.service_written(ACCOUNT, REGION, params, created=False)

    def describe(self) -> Any:
        params = {"cluster": CLUSTER, "services": [SERVICE]}
        with self.simulator.lock:
            self.simulator.services_described(ACCOUNT, REGION, params)
            return self.client.describe_services(**params)["services"][0]

    def tasks(self, status: str = "RUNNING") -> list[Any]:
        params = {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": status}
        with self.simulator.lock:
            arns = self.client.list_tasks(**params)["taskArns"]
            visible = self.simulator.visible_task_arns(ACCOUNT, REGION, params, arns)
        if not visible:
            return []
        return list(self.client.describe_tasks(cluster=CLUSTER, tasks=visible)["tasks"])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def clients(moto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Fresh moto state for each test, with credentials (conftest clears AWS_* per test)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from moto.backends import get_backend

    services = ("ecs", "ssm", "secretsmanager")
    for name in services:
        get_backend(name).reset()  # type: ignore[no-untyped-call]
    made = {name: boto3.client(name, region_name=REGION) for name in services}
    made["ecs"].create_cluster(clusterName=CLUSTER)
    yield made


def simulated(
    clients: dict[str, Any], clock: Clock | None = None, step: float | None = None
) -> SimulatedEcs:
    simulator = RolloutSimulator(step, clock or Clock())
    return SimulatedEcs(clients["ecs"], simulator)


def register(ecs: SimulatedEcs, **container: Any) -> str:
    definition = {"name": "app", "image": "registry/api@sha256:1", "essential": True, **container}
    answer = ecs.client.register_task_definition(
        family="staging-api",
        containerDefinitions=[definition],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def create(ecs: SimulatedEcs, task_definition: str, desired: int = 1, config: Any = None) -> None:
    extra = {"deploymentConfiguration": config} if config else {}
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=task_definition,
        desiredCount=desired,
        launchType="FARGATE",
        **extra,
    )


CRASH = [{"name": ecs_tasks.CRASH_SWITCH, "value": "1"}]


def test_a_quiet_while_moves_the_rollout_one_step_per_period_up_to_a_bound(
    clients: dict[str, Any],
) -> None:
    clock = Clock()
    ecs = simulated(clients, clock, step=1.0)
    create(ecs, register(ecs), desired=1)
    assert ecs.describe()["deployments"][0]["pendingCount"] == 1  # first look: one step
    clock.now += 0.9  # under a period: still one step (the task reaches PENDING)
    assert ecs.describe()["deployments"][0]["runningCount"] == 0
    clock.now += 1.0  # one period: two steps, running and completed
    assert ecs.describe()["deployments"][0]["rolloutState"] == "COMPLETED"


def test_time_never_moves_more_than_the_bound_in_one_look(clients: dict[str, Any]) -> None:
    clock = Clock()
    ecs = simulated(clients, clock, step=1.0)
    # no breaker, a crashing task: each task fails on its second step and is replaced
    create(ecs, register(ecs, environment=CRASH))
    ecs.describe()  # one step: the first task is PROVISIONING
    clock.now += 3600  # an hour of quiet is at most MAX_TIME_STEPS + 1 steps, not 3600
    primary = ecs.describe()["deployments"][0]
    assert 1 <= primary["failedTasks"] <= (MAX_TIME_STEPS + 1) // 2


def test_without_a_clock_period_each_look_is_one_step_however_long_the_wait(
    clients: dict[str, Any],
) -> None:
    clock = Clock()
    ecs = simulated(clients, clock, step=None)
    create(ecs, register(ecs))
    ecs.describe()
    clock.now += 3600
    assert ecs.describe()["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert ecs.describe()["deployments"][0]["rolloutState"] == "COMPLETED"  # the third look


def looks_until_failed(ecs: SimulatedEcs, limit: int = 20) -> tuple[Any, int]:
    for look in range(1, limit + 1):
        service = ecs.describe()
        failed = [d for d in service["deployments"] if d["rolloutState"] == "FAILED"]
        if failed:
            return failed[0], look
    raise AssertionError("the breaker never tripped")


@pytest.mark.parametrize(
    ("desired", "threshold"), [(1, 2), (4, 2), (5, 3), (6, 3), (9, 5), (1000, 200)]
)
def test_the_breaker_trips_at_half_the_desired_count_at_least_two_at_most_200(
    desired: int, threshold: int
) -> None:
    simulator = RolloutSimulator()
    tracked = _Tracked(service=None, config=BREAKER)
    primary = {"desiredCount": desired, "rolloutState": "IN_PROGRESS", "failedTasks": 0}
    trips = []
    for failed in range(threshold + 1):
        primary["failedTasks"] = failed
        trips.append(simulator._circuit_breaker_trips(tracked, primary))
    assert trips == [False] * threshold + [True]
    off = _Tracked(service=None, config={"deploymentCircuitBreaker": {"enable": False}})
    assert not simulator._circuit_breaker_trips(off, primary)


def test_a_crashing_release_trips_the_breaker_with_ecs_words(clients: dict[str, Any]) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs, environment=CRASH), desired=1, config=BREAKER)
    failed, _ = looks_until_failed(ecs)
    assert failed["failedTasks"] == 2  # one task at a time, each replaced, until two failed
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."


def test_a_first_release_that_fails_has_nothing_to_roll_back_to_and_stays_failed(
    clients: dict[str, Any],
) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs, environment=CRASH), config=BREAKER)
    failed, _ = looks_until_failed(ecs)
    for _ in range(3):
        service = ecs.describe()
    [only] = service["deployments"]
    assert (only["id"], only["status"], only["rolloutState"]) == (failed["id"], "PRIMARY", "FAILED")
    assert ecs.tasks("RUNNING") == []  # a failed deployment starts no more tasks


def test_a_task_receives_the_secrets_manager_values_of_the_version_it_names(
    clients: dict[str, Any],
) -> None:
    sm = clients["secretsmanager"]
    secret = sm.create_secret(Name="lift/staging/api", SecretString=json.dumps({"TOKEN": "one"}))
    pinned = sm.put_secret_value(SecretId=secret["ARN"], SecretString=json.dumps({"TOKEN": "two"}))[
        "VersionId"
    ]
    sm.put_secret_value(SecretId=secret["ARN"], SecretString=json.dumps({"TOKEN": "three"}))
    ecs = simulated(clients)
    reference = f"{secret['ARN']}:TOKEN::{pinned}"
    create(ecs, register(ecs, secrets=[{"name": "TOKEN", "valueFrom": reference}]))
    for _ in range(3):
        service = ecs.describe()
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    from moto.ecs.models import ecs_backends

    tasks = ecs_backends[ACCOUNT][REGION].tasks[CLUSTER].values()
    assert [t.lift_secrets for t in tasks] == [{"TOKEN": "two"}]


def test_a_secret_named_by_staging_label_gives_that_versions_value(
    clients: dict[str, Any],
) -> None:
    sm = clients["secretsmanager"]
    secret = sm.create_secret(Name="lift/staging/api", SecretString=json.dumps({"TOKEN": "one"}))
    sm.put_secret_value(
        SecretId=secret["ARN"], SecretString=json.dumps({"TOKEN": "two"}), VersionStages=["lift-2"]
    )
    ecs = simulated(clients)
    secrets = [
        {"name": "PINNED", "valueFrom": f"{secret['ARN']}:TOKEN:lift-2:"},
        {"name": "CURRENT", "valueFrom": f"{secret['ARN']}:TOKEN::"},
        {"name": "WHOLE", "valueFrom": secret["ARN"]},
    ]
    create(ecs, register(ecs, secrets=secrets))
    ecs.describe()
    ecs.describe()
    from moto.ecs.models import ecs_backends

    [task] = ecs_backends[ACCOUNT][REGION].tasks[CLUSTER].values()
    assert task.lift_secrets == {
        "PINNED": "two",
        "CURRENT": "one",  # AWSCURRENT did not move: only the release's label was given
        "WHOLE": json.dumps({"TOKEN": "one"}),
    }


def test_a_missing_json_key_fails_the_task_with_ecs_words(clients: dict[str, Any]) -> None:
    sm = clients["secretsmanager"]
    secret = sm.create_secret(Name="lift/staging/api", SecretString=json.dumps({"OTHER": "x"}))
    ecs = simulated(clients)
    reference = f"{secret['ARN']}:TOKEN::"
    create(ecs, register(ecs, secrets=[{"name": "TOKEN", "valueFrom": reference}]))
    ecs.describe()
    ecs.describe()
    [stopped] = ecs.tasks("STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"] == (
        ecs_tasks.ASM_FAILURE
        + "retrieved secret from Secrets Manager did not contain json key TOKEN"
    )


def test_a_parameter_named_by_arn_is_found_and_a_missing_one_is_named(
    clients: dict[str, Any],
) -> None:
    clients["ssm"].put_parameter(Name="/staging/api/TOKEN", Value="v", Type="SecureString")
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter"
    present = f"{arn}/staging/api/TOKEN"
    missing = f"{arn}/staging/api/GONE"
    ecs = simulated(clients)
    secrets = [{"name": "TOKEN", "valueFrom": present}, {"name": "GONE", "valueFrom": missing}]
    create(ecs, register(ecs, secrets=secrets))
    ecs.describe()
    ecs.describe()
    [stopped] = ecs.tasks("STOPPED")
    assert stopped["stoppedReason"] == ecs_tasks.SECRETS_FAILURE + missing


def test_scaling_down_stops_the_surplus_and_keeps_the_rest_running(
    clients: dict[str, Any],
) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs), desired=3)
    for _ in range(3):
        ecs.describe()
    assert len(ecs.tasks("RUNNING")) == 3
    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=1)
    service = ecs.describe()
    assert len(ecs.tasks("RUNNING")) == 1 and len(ecs.tasks("STOPPED")) == 2
    assert service["runningCount"] == 1
    assert "has stopped 2 running tasks" in service["events"][0]["message"]


def test_the_event_log_keeps_the_newest_events_up_to_ecs_bound(clients: dict[str, Any]) -> None:
    clock = Clock()
    ecs = simulated(clients, clock, step=1.0)
    create(ecs, register(ecs, environment=CRASH))  # no breaker: replaced for ever
    for _ in range(50):  # 5 steps a look; a task is started (one event) every second step
        clock.now += 10
        service = ecs.describe()
    events = service["events"]
    assert len(events) == EVENTS_KEPT
    stamps = [e["createdAt"] for e in events]
    assert stamps == sorted(stamps, reverse=True)  # newest first, as ECS gives them


@pytest.mark.parametrize(
    ("value_from", "where"),
    [
        ("/staging/api/TOKEN", (ACCOUNT, REGION, "/staging/api/TOKEN")),
        ("TOKEN", (ACCOUNT, REGION, "TOKEN")),
        (
            "arn:aws:ssm:us-east-1:210987654321:parameter/flat",
            ("210987654321", "us-east-1", "flat"),
        ),
        (
            "arn:aws:ssm:us-east-1:210987654321:parameter/staging/api/X",
            ("210987654321", "us-east-1", "/staging/api/X"),
        ),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:lift/x", None),
    ],
)
def test_a_secrets_value_from_names_a_parameter_as_ecs_reads_it(
    value_from: str, where: tuple[str, str, str] | None
) -> None:
    assert ecs_tasks._parameter_location(value_from, ACCOUNT, REGION) == where


def test_the_crash_switch_is_named_in_the_environment_or_the_secrets() -> None:
    assert ecs_tasks.crashes({"environment": CRASH})
    assert ecs_tasks.crashes({"secrets": [{"name": ecs_tasks.CRASH_SWITCH, "valueFrom": "x"}]})
    assert not ecs_tasks.crashes({"environment": [{"name": "OTHER", "value": "1"}]})
    assert not ecs_tasks.crashes({})


def test_a_deployment_started_mid_rollout_replaces_both_older_ones_when_it_completes(
    clients: dict[str, Any],
) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs), desired=2)
    for _ in range(3):
        ecs.describe()
    second = register(ecs, environment=[{"name": "V", "value": "2"}])
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=second)
    ecs.describe()  # the second deployment's tasks start
    third = register(ecs, environment=[{"name": "V", "value": "3"}])
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=third)
    service = ecs.describe()
    assert [(d["status"], d["taskDefinition"]) for d in service["deployments"]] == [
        ("PRIMARY", third),
        ("ACTIVE", second),
        ("ACTIVE", service["deployments"][2]["taskDefinition"]),
    ]
    assert service["runningCount"] == 2  # the first release serves while the others start
    for _ in range(3):
        service = ecs.describe()
    [only] = service["deployments"]
    assert (only["taskDefinition"], only["rolloutState"]) == (third, "COMPLETED")
    running = ecs.tasks("RUNNING")
    assert len(running) == 2 and {t["taskDefinitionArn"] for t in running} == {third}
    assert len(ecs.tasks("STOPPED")) == 4  # the first release's two, the second's two


def test_tasks_are_listed_by_service_name_or_arn_and_the_cluster_counts_them(
    clients: dict[str, Any],
) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs), desired=2)
    for _ in range(3):
        ecs.describe()
    service_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"
    with ecs.simulator.lock:
        arns = ecs.client.list_tasks(cluster=CLUSTER)["taskArns"]
        by_arn = ecs.simulator.visible_task_arns(
            ACCOUNT, REGION, {"cluster": CLUSTER, "serviceName": service_arn}, arns
        )
        other = ecs.simulator.visible_task_arns(
            ACCOUNT, REGION, {"cluster": CLUSTER, "serviceName": "worker"}, arns
        )
    assert len(by_arn) == 2 and other == []
    [cluster] = ecs.client.describe_clusters(clusters=[CLUSTER])["clusters"]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (2, 0)


# Container health checks (issue 20) -------------------------------------------------------

CHECK = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 5}
UNHEALTHY = [{"name": ecs_tasks.UNHEALTHY_SWITCH, "value": "1"}]


def test_a_checked_task_completes_the_rollout_only_once_healthy(clients: dict[str, Any]) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs, healthCheck=CHECK))
    states = [ecs.describe()["deployments"][0]["rolloutState"] for _ in range(4)]
    # PROVISIONING, PENDING, RUNNING (UNKNOWN), HEALTHY: one look more than without a check
    assert states == ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    [task] = ecs.tasks()
    assert task["healthStatus"] == "HEALTHY"
    assert task["containers"][0]["healthStatus"] == "HEALTHY"


def test_a_start_period_keeps_the_task_unknown_until_it_is_over(clients: dict[str, Any]) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs, healthCheck={**CHECK, "startPeriod": 300}))
    for _ in range(6):
        primary = ecs.describe()["deployments"][0]
    assert primary["rolloutState"] == "IN_PROGRESS" and primary["runningCount"] == 1
    assert ecs.tasks()[0]["healthStatus"] == "UNKNOWN"


def test_an_unhealthy_task_shows_its_checks_output_then_ecs_stops_it(
    clients: dict[str, Any],
) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs, healthCheck=CHECK, environment=UNHEALTHY), config=BREAKER)
    for _ in range(4):
        ecs.describe()
    [task] = ecs.tasks()
    assert task["healthStatus"] == "UNHEALTHY"
    [container] = task["containers"]
    assert container["healthStatus"] == "UNHEALTHY"
    assert "curl -f http://localhost/ || exit 1" in container["reason"]
    assert ecs_tasks.UNHEALTHY_SWITCH in container["reason"]
    failed, _ = looks_until_failed(ecs)
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    stopped = ecs.tasks("STOPPED")
    assert stopped and {t["stoppedReason"] for t in stopped} == {ecs_tasks.HEALTH_FAILURE}
    assert "curl -f" in stopped[0]["containers"][0]["reason"]


def test_the_switch_without_a_health_check_changes_nothing(clients: dict[str, Any]) -> None:
    ecs = simulated(clients)
    create(ecs, register(ecs, environment=UNHEALTHY))
    for _ in range(3):
        service = ecs.describe()
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
