"""checkov on every template of the matrix in tests/test_templates.py and on a preview's
(tests/test_preview_templates.py): no failed check, and every exception is written in the
template itself, on its resource, with its reason.

checkov pins its own boto3, so it lives in its own venv (`make .venv-checkov/bin/checkov`, which
`make test` builds). CI (CI=true) fails without it; elsewhere the tests skip and say how to get it.
It runs once for the module, offline (--skip-download, no API key, no network needed).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from git_lift.templates import checks
from tests.support.templates import (
    ENVIRONMENTS,
    PREVIEW_PROCESSES,
    SERVICES,
    render_env,
    render_preview,
    render_service,
)

# Read at import: the autouse fixture in conftest.py rewrites the environment of each test.
CHECKOV_VARIABLE = "CHECKOV"
CHECKOV_VENV = Path(__file__).parents[1] / ".venv-checkov" / "bin" / "checkov"
CHECKOV = os.environ.get(CHECKOV_VARIABLE) or (
    str(CHECKOV_VENV) if CHECKOV_VENV.exists() else shutil.which("checkov")
)
IN_CI = os.environ.get("CI") == "true"
TIMEOUT = 300

# The checks a template may excuse itself from, each only where a setting is off (the template
# bucket's access logs: always, its objects living for seconds).
INTENDED = {
    checks.LOG_GROUP_KMS,
    checks.LISTENER_HTTPS,
    checks.LISTENER_TLS,
    checks.LOAD_BALANCER_ACCESS_LOGS,
    checks.INGRESS_PORT_80_OPEN,
    checks.S3_ACCESS_LOGS,  # the template bucket: objects live for seconds (template_bucket.py)
}
# Templates with their skips removed: they prove the run would see what the skips excuse.
CONTROL = "control-"


@dataclass
class Report:
    """checkov's results by template file name: (check id, resource) pairs, skip comments."""

    failed: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    passed: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    skipped: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)
    parsing_errors: list[str] = field(default_factory=list)


def templates() -> dict[str, dict[str, Any]]:
    """Every template of the matrix by file name, and the unskipped controls."""
    rendered: dict[str, dict[str, Any]] = {}
    rendered |= {f"env-{name}.json": render_env(p) for name, p in ENVIRONMENTS.items()}
    rendered |= {f"service-{name}.json": render_service(c) for name, c in SERVICES.items()}
    rendered["preview.json"] = render_preview()
    rendered["preview-processes.json"] = render_preview(processes=PREVIEW_PROCESSES)
    for name in ("env-default-nat.json", "env-internal-no-access-logs.json", "service-worker.json"):
        rendered[CONTROL + name] = without_skips(rendered[name])
    return rendered


def without_skips(template: dict[str, Any]) -> dict[str, Any]:
    bare = copy.deepcopy(template)
    for resource in bare["Resources"].values():
        resource.get("Metadata", {}).pop("checkov", None)
    return bare


def run_checkov(folder: Path, home: Path) -> list[dict[str, Any]]:
    if CHECKOV is None:
        missing = "checkov is not installed: make .venv-checkov/bin/checkov (or set CHECKOV)"
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    args = [CHECKOV, "-d", str(folder), "--framework", "cloudformation", "-o", "json"]
    args += ["--skip-download", "--skip-results-upload"]
    # A bare environment: no API key reaches checkov, so nothing is uploaded or fetched.
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}
    result = subprocess.run(
        args, cwd=folder.parent, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode in (0, 1), f"checkov failed ({result.returncode}): {result.stderr}"
    output = json.loads(result.stdout)
    return output if isinstance(output, list) else [output]


def collect(runs: list[dict[str, Any]]) -> Report:
    report = Report()
    for scan in runs:
        results = scan.get("results", {})
        report.parsing_errors += results.get("parsing_errors", [])
        for kind, into in (("failed_checks", report.failed), ("passed_checks", report.passed)):
            for r in results.get(kind, []):
                into.setdefault(file_name(r), set()).add((r["check_id"], r["resource"]))
        for r in results.get("skipped_checks", []):
            comment = r["check_result"].get("suppress_comment", "")
            report.skipped.setdefault(file_name(r), {})[(r["check_id"], r["resource"])] = comment
    return report


def file_name(result: dict[str, Any]) -> str:
    return Path(result["file_path"]).name


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("checkov") / "templates"
    folder.mkdir()
    for name, template in templates().items():
        (folder / name).write_text(json.dumps(template, indent=2))
    return collect(run_checkov(folder, tmp_path_factory.mktemp("home")))


def of_matrix(by_file: dict[str, Any]) -> dict[str, Any]:
    return {name: v for name, v in by_file.items() if not name.startswith(CONTROL)}


def test_every_template_of_the_matrix_passes_checkov(report: Report) -> None:
    assert report.parsing_errors == []
    scanned = set(report.passed) | set(report.failed)
    assert {n for n in templates() if not n.startswith(CONTROL)} <= scanned
    failed = {name: sorted(found) for name, found in of_matrix(report.failed).items() if found}
    assert failed == {}, "checkov failed checks (fix them, or skip in the template with a reason)"


def test_every_skip_is_an_intended_one_with_its_reason(report: Report) -> None:
    skips = {
        (name, check, comment)
        for name, found in of_matrix(report.skipped).items()
        for (check, _), comment in found.items()
    }
    assert skips, "the matrix has settings that are off: their skips must show"
    assert {check for _, check, _ in skips} <= INTENDED
    # checkov says "No comment provided" for a skip without one.
    assert all(len(comment) > 20 and "No comment" not in comment for _, _, comment in skips)


@pytest.mark.parametrize(
    ("name", "check", "resource"),
    [
        ("service-encrypted-logs.json", checks.LOG_GROUP_KMS, "AWS::Logs::LogGroup.LogGroup"),
        (
            "env-everything.json",
            checks.LOAD_BALANCER_ACCESS_LOGS,
            "AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancer",
        ),
        (
            "env-everything.json",
            checks.LOAD_BALANCER_ACCESS_LOGS,
            "AWS::ElasticLoadBalancingV2::LoadBalancer.InternalLoadBalancer",
        ),
        (
            "env-https.json",
            checks.LISTENER_HTTPS,
            "AWS::ElasticLoadBalancingV2::Listener.HttpListener",
        ),
    ],
)
def test_a_setting_that_is_on_passes_the_check_its_absence_skips(
    report: Report, name: str, check: str, resource: str
) -> None:
    assert (check, resource) in report.passed[name]
    assert (check, resource) not in report.skipped.get(name, {})


def test_checkov_sees_what_the_skips_excuse(report: Report) -> None:
    """The controls are matrix templates stripped of their skips: each skip becomes a failure."""
    controls = {n for n in templates() if n.startswith(CONTROL)}
    assert set(report.failed) == controls
    for control in controls:
        assert report.failed[control] == set(report.skipped[control.removeprefix(CONTROL)])
