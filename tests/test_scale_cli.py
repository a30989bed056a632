"""`git lift scale` through git against moto's server over HTTP: a new service config version
saved with who, the stack updated, the ECS service's desired count; contradicting numbers
refused with nothing saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.helpers import Lift
from tests.support.infra import (
    client,
    doc_file,
    documents,
    newest_doc,
    put_config,
    template_text,
)


def created(lift: Lift) -> None:
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr


def desired_count() -> int:
    (service,) = client("ecs").describe_services(cluster="lift-staging", services=["payments-api"])[
        "services"
    ]
    count: int = service["desiredCount"]
    return count


def with_autoscaling(lift: Lift, tmp_path: Path, low: int, high: int) -> None:
    change = {"autoscaling": {"min": low, "max": high, "memory_target": 70}}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), change)
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr


def test_scale_saves_a_version_with_who_and_changes_the_running_count(aws: Any, lift: Lift) -> None:
    created(lift)
    scaled = lift("scale", "-e", "staging", "3", "--yes")
    assert scaled.returncode == 0, scaled.stderr
    assert '-  "desired_count": 1' in scaled.stderr and '+  "desired_count": 3' in scaled.stderr
    assert "saved version 2 of payments-api's config in staging" in scaled.stderr
    versions = documents("staging", "payments-api")
    assert [d["version"] for d in versions] == [1, 2]
    assert versions[-1]["doc"]["desired_count"] == 3 and versions[-1]["author"]
    assert desired_count() == 3
    history = lift("service", "history", "-e", "staging")
    newest = next(line for line in history.stdout.splitlines() if line.startswith("v2"))
    assert newest.endswith("Test Dev <dev@example.com>")


def test_min_and_max_change_autoscalings_bounds(aws: Any, lift: Lift, tmp_path: Path) -> None:
    created(lift)
    with_autoscaling(lift, tmp_path, 1, 4)
    scaled = lift("scale", "-e", "staging", "--min", "2", "--max", "6", "--yes")
    assert scaled.returncode == 0, scaled.stderr
    doc = newest_doc("staging", "payments-api")
    assert doc["autoscaling"] == {"min": 2, "max": 6, "memory_target": 70}
    # The new floor raised the count at once (the sandbox applies RegisterScalableTarget's
    # bounds), and desired_count moved inside them.
    assert doc["desired_count"] == 2 and desired_count() == 2
    # moto's CloudFormation makes no scalable target: the stack's template holds the bounds.
    template = json.loads(template_text("lift-staging-payments-api"))
    target = template["Resources"]["ScalableTarget"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert "MemoryScalingPolicy" in template["Resources"]


def test_contradicting_numbers_are_refused_and_nothing_saved(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    no_bounds = lift("scale", "-e", "staging", "--max", "5", "--yes")
    assert no_bounds.returncode == 2
    assert "this service has no autoscaling" in no_bounds.stderr
    with_autoscaling(lift, tmp_path, 1, 4)
    cases = [
        (("--min", "5"), "error: min 5 is greater than max 4"),
        (("--min", "3", "--max", "2"), "error: min 3 is greater than max 2"),
        (("9",), "error: autoscaling sets this count (1-4): --min and --max set its bounds"),
        (("3",), "error: autoscaling sets this count (1-4)"),
        ((), "error: nothing to change"),
    ]
    for args, expected in cases:
        refused = lift("scale", "-e", "staging", *args, "--yes")
        assert refused.returncode == 2, refused.stderr
        assert expected in refused.stderr, refused.stderr
        assert "hint: git lift scale -e staging" in refused.stderr
    negative = lift("scale", "-e", "staging", "-1", "--yes")
    assert negative.returncode == 2
    assert [d["version"] for d in documents("staging", "payments-api")] == [1, 2]
    assert desired_count() == 1


def test_capacity_reaches_the_service_stack(aws: Any, lift: Lift, tmp_path: Path) -> None:
    created(lift)
    capacity = [{"provider": "FARGATE", "base": 1}, {"provider": "FARGATE_SPOT", "weight": 3}]
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"capacity": capacity})
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr
    # moto's CloudFormation leaves the strategy off the ECS service: the stack holds it.
    template = json.loads(template_text("lift-staging-payments-api"))
    assert template["Resources"]["Service"]["Properties"]["CapacityProviderStrategy"] == [
        {"Base": 1, "CapacityProvider": "FARGATE", "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    wrong = [{"provider": "FARGATE", "base": 1}, {"provider": "FARGATE_SPOT", "base": 1}]
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"capacity": wrong})
    refused = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert refused.returncode == 1
    assert "$.capacity: more than one provider has a base" in refused.stderr
    assert len(documents("staging", "payments-api")) == 2
