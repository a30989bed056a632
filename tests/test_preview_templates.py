"""A preview's stack (issue 23): its base's service config made a preview (one task, no
autoscaling, no jobs, no release command, none of the app's own permissions, its own listener
rule) renders a template that cfn-lint passes, as tests/test_templates.py checks the matrix (and
checkov, in tests/test_checkov.py's one run), and whose roles read the base's config only."""

from __future__ import annotations

import json
from typing import Any

from tests.support.templates import ACCOUNT, PREVIEW_BASE, PREVIEW_PROCESSES, REGION
from tests.support.templates import render_preview as render


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def test_a_preview_runs_one_task_without_scaling_jobs_or_the_apps_permissions() -> None:
    """The web process alone: a preview of a service with workers runs no worker (issue 23)."""
    assert PREVIEW_BASE.processes
    template = render()
    (service,) = of_type(template, "AWS::ECS::Service")
    assert service["Properties"]["ServiceName"] == "api--checkout"
    assert service["Properties"]["DesiredCount"] == 1
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert not {k for k in kinds if "ApplicationAutoScaling" in k or "Scheduler" in k}
    (task_role,) = [
        r for r in of_type(template, "AWS::IAM::Role") if "task" in r["Properties"]["RoleName"]
    ]
    assert "ManagedPolicyArns" not in task_role["Properties"]
    assert "s3:" not in json.dumps(task_role)  # APP_PERMISSIONS' actions are the base's
    (rule,) = of_type(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    conditions = json.dumps(rule["Properties"]["Conditions"])
    assert '"/checkout", "/checkout/*"' in conditions
    hosted = of_type(render("preview.example.com"), "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert "checkout.preview.example.com" in json.dumps(hosted[0]["Properties"]["Conditions"])


def test_a_previews_tasks_read_its_overrides_and_its_base_config_only() -> None:
    template = render()
    (definition,) = of_type(template, "AWS::ECS::TaskDefinition")
    secrets = {
        s["Name"]: s["ValueFrom"]
        for s in definition["Properties"]["ContainerDefinitions"][0]["Secrets"]
    }
    assert secrets["A"].endswith(":parameter/staging/api/A")
    assert secrets["B"].endswith(":parameter/preview/api--checkout/B")
    (execution,) = [
        r for r in of_type(template, "AWS::IAM::Role") if "execution" in r["Properties"]["RoleName"]
    ]
    reads = next(
        s
        for policy in execution["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if s["Action"] == "ssm:GetParameters"
    )
    assert sorted(reads["Resource"]) == [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/preview/api--checkout/*",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/staging/api/*",
    ]


def test_a_preview_runs_the_processes_previewprocesses_names_one_task_each() -> None:
    template = render(processes=("worker", "hooks"))
    services = {
        s["Properties"]["ServiceName"]: s["Properties"]
        for s in of_type(template, "AWS::ECS::Service")
    }
    assert sorted(services) == ["api--checkout", "api--checkout_hooks", "api--checkout_worker"]
    assert {name: s["DesiredCount"] for name, s in services.items()} == dict.fromkeys(services, 1)
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert not {k for k in kinds if "ApplicationAutoScaling" in k or "Scheduler" in k}
    # The hooks process's own paths are the base's: every preview would claim them on the one
    # load balancer, so it runs reached by no rule; web keeps its own.
    (rule,) = of_type(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert "/hooks" not in json.dumps(rule)
    assert "LoadBalancers" not in services["api--checkout_hooks"]
    worker = next(
        r
        for r in of_type(template, "AWS::ECS::TaskDefinition")
        if r["Properties"]["Family"].endswith("_worker")
    )
    assert worker["Properties"]["ContainerDefinitions"][0]["Command"] == ["python", "-m", "worker"]


def test_a_previews_template_is_cfn_lint_clean() -> None:
    from cfnlint.api import ManualArgs, lint

    for domain, processes in ((None, ()), ("preview.example.com", ()), (None, PREVIEW_PROCESSES)):
        found = lint(to_json_text(render(domain, processes)), config=ManualArgs(regions=[REGION]))
        assert [str(m) for m in found] == []


def to_json_text(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2)
