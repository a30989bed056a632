"""The service stack's scaling: a target-tracking policy per target, cooldowns, the capacity
provider strategy; cfn-lint and golden (checkov runs on the same matrix in test_checkov.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from git_lift.templates import to_json
from git_lift.templates.service import service_template
from tests.support.infra import target
from tests.support.templates import (
    ACCOUNT,
    BASE,
    ENVIRONMENTS,
    IMAGE,
    KMS_KEY,
    REGION,
    SERVICES,
    render_env,
    render_service,
    secrets_for,
)

# Read at import: the autouse fixture in conftest.py clears GIT_LIFT_* before each test.
UPDATE_GOLDEN = os.environ.get("GIT_LIFT_UPDATE_GOLDEN") == "1"
GOLDEN = Path(__file__).parent / "golden" / "service-scaling.json"


def policies(t: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: v["Properties"]
        for k, v in t["Resources"].items()
        if v["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"
    }


def test_each_target_is_a_policy_with_its_value_and_the_cooldowns() -> None:
    found = policies(render_service(SERVICES["scaling"]))
    assert sorted(found) == [
        "CpuScalingPolicy",
        "MemoryScalingPolicy",
        "QueueScalingPolicy",
        "RequestsScalingPolicy",
    ]
    tracking = {k: p["TargetTrackingScalingPolicyConfiguration"] for k, p in found.items()}
    assert {k: c["TargetValue"] for k, c in tracking.items()} == {
        "CpuScalingPolicy": 70.0,
        "MemoryScalingPolicy": 80.0,
        "RequestsScalingPolicy": 500.0,
        "QueueScalingPolicy": 20.0,
    }
    assert {(c["ScaleOutCooldown"], c["ScaleInCooldown"]) for c in tracking.values()} == {(30, 600)}
    assert sorted(p["PolicyName"] for p in found.values()) == [
        "staging-api-cpu",
        "staging-api-memory",
        "staging-api-queue",
        "staging-api-requests",
    ]
    requests = tracking["RequestsScalingPolicy"]["PredefinedMetricSpecification"]
    assert requests["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    label = requests["ResourceLabel"]["Fn::Join"][1]
    assert label[-1] == {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]}


def test_queue_depth_is_backlog_per_running_task() -> None:
    found = policies(render_service(SERVICES["worker-queue-spot"]))
    assert list(found) == ["QueueScalingPolicy"]  # cpu_target null: no CPU policy
    spec = found["QueueScalingPolicy"]["TargetTrackingScalingPolicyConfiguration"]
    messages, tasks, backlog = spec["CustomizedMetricSpecification"]["Metrics"]
    assert messages["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "QueueName", "Value": "acme-jobs"}
    ]
    assert messages["MetricStat"]["Metric"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert tasks["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert tasks["MetricStat"]["Metric"]["MetricName"] == "RunningTaskCount"
    assert backlog == {
        "Expression": "messages / tasks",
        "Id": "backlog",
        "Label": "messages per running task",
        "ReturnData": True,
    }


def test_capacity_is_the_services_strategy_on_providers_the_cluster_has() -> None:
    service = render_service(SERVICES["scaling"])["Resources"]["Service"]["Properties"]
    assert service["CapacityProviderStrategy"] == [
        {"Base": 2, "CapacityProvider": "FARGATE", "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    default = render_service(BASE)["Resources"]["Service"]["Properties"]
    assert default["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE", "Weight": 1}]
    cluster = render_env(ENVIRONMENTS["https"])
    providers = cluster["Resources"]["Cluster"]["Properties"]["CapacityProviders"]
    assert set(providers) >= {"FARGATE", "FARGATE_SPOT"}


def render_scaling() -> str:
    template = service_template(
        target(),
        SERVICES["scaling"],
        image=IMAGE,
        secrets=secrets_for("api", "DATABASE_URL"),
        region=REGION,
        account_id=ACCOUNT,
        kms_key_arn=KMS_KEY,
    )
    return to_json(template) + "\n"


def test_golden() -> None:
    text = render_scaling()
    if UPDATE_GOLDEN:
        GOLDEN.write_text(text)
    assert json.loads(GOLDEN.read_text()) == json.loads(text), (
        f"{GOLDEN.name} differs; if intended: GIT_LIFT_UPDATE_GOLDEN=1 python -m pytest {__file__}"
    )


@pytest.mark.parametrize("name", ["scaling", "worker-queue-spot"])
def test_cfn_lint_clean(name: str) -> None:
    from cfnlint.api import ManualArgs, lint

    text = json.dumps(render_service(SERVICES[name]))
    assert [str(m) for m in lint(text, config=ManualArgs(regions=[REGION]))] == []
