"""A preview's stack (issue 23): its base's service config made a preview (one task, no
autoscaling, no jobs, no release command, none of the app's own permissions, its own listener
rule) renders a template that cfn-lint and checkov pass, as tests/test_templates.py and
tests/test_checkov.py check the matrix, and whose roles read the base's config only."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from git_lift import servicecfg as sc
from git_lift.flows.previews import preview_config
from git_lift.settings import EnvironmentSettings, PreviewPolicy, ServiceSettings
from git_lift.target import preview_target
from git_lift.templates import checks, to_json
from git_lift.templates.service import service_template
from tests.support.templates import (
    ACCOUNT,
    APP_PERMISSIONS,
    BASE,
    IMAGE,
    JOBS,
    KMS_KEY,
    MANAGED_POLICIES,
    PROCESSES_DOC,
    REGION,
)

CHECKOV_VENV = Path(__file__).parents[1] / ".venv-checkov" / "bin" / "checkov"
CHECKOV = os.environ.get("CHECKOV") or (
    str(CHECKOV_VENV) if CHECKOV_VENV.exists() else shutil.which("checkov")
)
# A busy base: autoscaling, jobs, a release command, the app's own permissions, a worker.
STAGING = dataclasses.replace(
    BASE,
    processes=sc.parse({**sc.default_document(production=False), **PROCESSES_DOC}).processes,
    desired_count=3,
    autoscaling=sc.Autoscaling(min=3, max=9, cpu_target=60),
    jobs=JOBS,
    release_command=("bin/rails", "db:migrate"),
    permissions=APP_PERMISSIONS,
    managed_policies=MANAGED_POLICIES,
)


def render(domain: str | None = None, processes: tuple[str, ...] = ()) -> dict[str, Any]:
    rules = PreviewPolicy("staging", 7 * 86400.0, 10, domain, processes)
    preview = EnvironmentSettings("preview", ("refs/heads/feature/*",), preview=rules)
    staging = EnvironmentSettings("staging", ("refs/heads/main",))
    service = ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "api")
    t = preview_target(preview, staging, service, "refs/heads/feature/checkout", frozenset({"B"}))
    cfg = preview_config(STAGING, rules, "checkout")
    secrets = {key: t.config_arn(key, REGION, ACCOUNT) for key in ("A", "B")}
    template = service_template(
        t, cfg, image=IMAGE, secrets=secrets, region=REGION, account_id=ACCOUNT,
        kms_key_arn=KMS_KEY,
    )  # fmt: skip
    rendered: dict[str, Any] = json.loads(to_json(template))
    return rendered


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def test_a_preview_runs_one_task_without_scaling_jobs_or_the_apps_permissions() -> None:
    """The web process alone: a preview of a service with workers runs no worker (issue 23)."""
    assert STAGING.processes
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


# previewProcesses (previews2): the base's worker, mailer and hooks (an HTTP process).
WITH_PROCESSES = ("worker", "mailer", "hooks")


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

    for domain, processes in ((None, ()), ("preview.example.com", ()), (None, WITH_PROCESSES)):
        found = lint(to_json_text(render(domain, processes)), config=ManualArgs(regions=[REGION]))
        assert [str(m) for m in found] == []


def to_json_text(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2)


def test_a_previews_template_passes_checkov(tmp_path: Path) -> None:
    if CHECKOV is None:
        if os.environ.get("CI") == "true":
            pytest.fail("checkov is not installed: make .venv-checkov/bin/checkov")
        pytest.skip("checkov is not installed: make .venv-checkov/bin/checkov (or set CHECKOV)")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "preview.json").write_text(to_json_text(render()))
    (folder / "processes.json").write_text(to_json_text(render(processes=WITH_PROCESSES)))
    args = [CHECKOV, "-d", str(folder), "--framework", "cloudformation", "-o", "json"]
    args += ["--skip-download", "--skip-results-upload"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    output = json.loads(result.stdout)
    scans = output if isinstance(output, list) else [output]
    results = [scan.get("results", {}) for scan in scans]
    assert [r for scan in results for r in scan.get("parsing_errors", [])] == []
    failed = [(r["check_id"], r["resource"]) for s in results for r in s.get("failed_checks", [])]
    assert failed == []
    assert [r for s in results for r in s.get("passed_checks", [])], "checkov checked nothing"
    skipped = {r["check_id"] for s in results for r in s.get("skipped_checks", [])}
    assert skipped <= {checks.LOG_GROUP_KMS, checks.INGRESS_PORT_80_OPEN}
