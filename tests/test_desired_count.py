"""Who owns a service's task count, through git against the sandbox over HTTP: the service
config without autoscaling, Application Auto Scaling with it. A stack update must not set
back a count autoscaling moved (CloudFormation sends DesiredCount whenever the template has
it; aws/aws-cdk#13130). The sandbox supplies the AWS behaviour these tests watch: a stack
update whose ECS service has DesiredCount sets the count, one without it keeps the running
count (sandbox/scalable_targets.py), and a scalable target's bounds move a count outside
them inside (RegisterScalableTarget)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.helpers import Lift
from tests.support.infra import client, doc_file, newest_doc, put_config

IMAGE = "public.ecr.aws/example/payments:1"


def created(lift: Lift, tmp_path: Path, change: dict[str, Any] | None = None) -> None:
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr
    if change:
        edited(lift, tmp_path, change)


def edited(lift: Lift, tmp_path: Path, change: dict[str, Any], *extra: str) -> str:
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), change)
    done = lift("service", "edit", "-e", "staging", "--yes", "--file", path, *extra)
    assert done.returncode == 0, done.stderr
    return done.stderr


def running_count(service: str = "payments-api") -> int:
    found = client("ecs").describe_services(cluster="lift-staging", services=[service])
    count: int = found["services"][0]["desiredCount"]
    return count


def autoscaler_sets(count: int, service: str = "payments-api") -> None:
    """What Application Auto Scaling does when a policy fires: ECS UpdateService."""
    client("ecs").update_service(cluster="lift-staging", service=service, desiredCount=count)


def test_an_unrelated_edit_keeps_the_count_autoscaling_set(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    scaling = {"desired_count": 2, "autoscaling": {"min": 2, "max": 20, "memory_target": 70}}
    created(lift, tmp_path, scaling)
    assert running_count() == 2  # the scalable target raised the new count to its min
    autoscaler_sets(12)
    # A stack update that changes the ECS service (a new task definition, another size).
    edited(lift, tmp_path, {"cpu": 512, "memory": 1024, "environment": {"LOG_LEVEL": "debug"}})
    assert running_count() == 12
    # A new desired_count changes nothing that runs, and the edit says so.
    said = edited(lift, tmp_path, {"desired_count": 5})
    assert "warning: web autoscales (2-20): its desired_count changes no running count" in said
    assert running_count() == 12
    # Raising the floor above the count moves it up at once, as RegisterScalableTarget does.
    raised = lift("scale", "-e", "staging", "--min", "14", "--yes")
    assert raised.returncode == 0, raised.stderr
    assert running_count() == 14


def test_without_autoscaling_the_count_is_the_configs(aws: Any, lift: Lift, tmp_path: Path) -> None:
    created(lift, tmp_path)
    autoscaler_sets(5)  # by hand, outside git lift
    edited(lift, tmp_path, {"environment": {"LOG_LEVEL": "debug"}})
    assert running_count() == 1


def test_a_process_keeps_the_count_autoscaling_set(aws: Any, lift: Lift, tmp_path: Path) -> None:
    worker = {
        "command": ["bin/worker"],
        "autoscaling": {"min": 1, "max": 8, "cpu_target": 60},
    }
    # An image of its own: on the placeholder a worker waits at 0 tasks for its first ship.
    created(lift, tmp_path)
    edited(lift, tmp_path, {"processes": {"worker": worker}}, "--image", IMAGE)
    assert running_count("payments-api_worker") == 1
    autoscaler_sets(6, "payments-api_worker")
    bigger = {"processes": {"worker": {**worker, "cpu": 512, "memory": 1024}}}
    edited(lift, tmp_path, bigger, "--image", IMAGE)
    assert running_count("payments-api_worker") == 6


def test_a_waiting_autoscaled_process_is_raised_to_its_min(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    """README "Processes", Not yet: on the placeholder a worker's stack count is 0, and its
    scalable target's registration raises it to min, as RegisterScalableTarget does."""
    worker = {"command": ["bin/worker"], "autoscaling": {"min": 2, "max": 8, "cpu_target": 60}}
    created(lift, tmp_path, {"processes": {"worker": {**worker, "desired_count": 2}}})
    assert running_count("payments-api_worker") == 2
