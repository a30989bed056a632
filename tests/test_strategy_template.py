"""The service template carries the deployment strategy (issue 21): ECS's strategy, bake time
and canary/linear steps, the alarms that roll back, and for a traffic-shifting strategy the
alternate target group, the rule forwarding to both and the role ECS shifts with. cfn-lint,
checkov and the golden file cover the "canary", "blue-green" and "linear" entries of the
matrix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.templates import BASE, SERVICES, render_service

pytestmark = pytest.mark.fast


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def service(template: dict[str, Any]) -> dict[str, Any]:
    (svc,) = of_type(template, "AWS::ECS::Service").values()
    return svc


def test_rolling_keeps_one_target_group_and_no_alarms() -> None:
    t = render_service(BASE)
    config = service(t)["Properties"]["DeploymentConfiguration"]
    assert config.get("Strategy", "ROLLING") == "ROLLING"
    assert "Alarms" not in config and "BakeTimeInMinutes" not in config
    assert len(of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup")) == 1
    assert "AdvancedConfiguration" not in service(t)["Properties"]["LoadBalancers"][0]


def test_canary_shifts_its_percent_bakes_and_rolls_back_on_the_generated_alarms() -> None:
    t = render_service(SERVICES["canary"])
    svc = service(t)
    config = svc["Properties"]["DeploymentConfiguration"]
    assert config["Strategy"] == "CANARY"
    assert config["CanaryConfiguration"] == {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5}
    assert config["BakeTimeInMinutes"] == 5
    names = ["lift-staging-api-5xx-rate", "lift-staging-api-unhealthy-hosts"]
    assert config["Alarms"] == {"AlarmNames": names, "Enable": True, "Rollback": True}
    alarms = of_type(t, "AWS::CloudWatch::Alarm")
    assert sorted(a["Properties"]["AlarmName"] for a in alarms.values()) == names
    assert set(alarms) <= set(svc["DependsOn"])
    # Each alarm watches both target groups: the canary's tasks are in the alternate one.
    for alarm in alarms.values():
        groups = {
            str(d["Value"])
            for m in alarm["Properties"]["Metrics"]
            if "MetricStat" in m
            for d in m["MetricStat"]["Metric"]["Dimensions"]
            if d["Name"] == "TargetGroup"
        }
        assert len(groups) == 2


def test_a_traffic_shift_gets_the_alternate_group_a_rule_to_both_and_the_ecs_role() -> None:
    t = render_service(SERVICES["blue-green"])
    assert set(of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup")) == {
        "TargetGroup",
        "AlternateTargetGroup",
    }
    (rule,) = of_type(t, "AWS::ElasticLoadBalancingV2::ListenerRule").values()
    (action,) = rule["Properties"]["Actions"]
    assert action["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": {"Ref": "TargetGroup"}, "Weight": 100},
        {"TargetGroupArn": {"Ref": "AlternateTargetGroup"}, "Weight": 0},
    ]
    (lb,) = service(t)["Properties"]["LoadBalancers"]
    assert lb["TargetGroupArn"] == {"Ref": "TargetGroup"}
    assert lb["AdvancedConfiguration"] == {
        "AlternateTargetGroupArn": {"Ref": "AlternateTargetGroup"},
        "ProductionListenerRule": {"Ref": "ListenerRule"},
        "RoleArn": {"Fn::GetAtt": ["TrafficRole", "Arn"]},
    }
    role = t["Resources"]["TrafficRole"]["Properties"]
    assert role["RoleName"] == "lift-staging-api-traffic"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
    ]
    config = service(t)["Properties"]["DeploymentConfiguration"]
    assert config["Strategy"] == "BLUE_GREEN" and config["BakeTimeInMinutes"] == 15
    assert config["Alarms"]["AlarmNames"] == ["api-p99"]
    assert not of_type(t, "AWS::CloudWatch::Alarm")  # named alarms are the user's own


def test_linear_steps_and_waits_between_steps() -> None:
    config = service(render_service(SERVICES["linear"]))["Properties"]["DeploymentConfiguration"]
    assert config["Strategy"] == "LINEAR"
    assert config["LinearConfiguration"] == {"StepPercent": 20.0, "StepBakeTimeInMinutes": 2}
    assert "Alarms" not in config
