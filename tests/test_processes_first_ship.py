"""A newcomer's first hour with processes (issue 21): a service created with a worker before
any ship, then shipped; `git lift run --process` and `git lift logs --process` on each
process. Real git, buildah, a real registry, `git lift` as a subprocess, moto over HTTP with
the sandbox's rollout simulator; the stack made by CloudFormation (moto)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from git_lift.sandbox.local_registry import RegistryHandle
from git_lift.servicecfg import default_document
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry
from tests.support.infra import active_services, client, doc_file, put_config

pytestmark = [needs_buildah, needs_registry]

WORKER = {"worker": {"command": ["bin/worker"], "cpu": 256, "memory": 512, "desired_count": 2}}


def counts() -> dict[str, tuple[int, int]]:
    """Each ECS service's (desired, running) tasks."""
    return {name: (s["desiredCount"], s["runningCount"]) for name, s in active_services().items()}


@pytest.fixture
def created(
    aws: Any,
    repo: GitRepo,
    lift: Lift,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> GitRepo:
    """`service create` with a worker in the service config, from an empty store: nothing
    shipped yet; a Dockerfile to ship."""
    monkeypatch.setenv("GIT_LIFT_REGISTRY", local_registry.address)
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    repo.write("Dockerfile", "FROM scratch\nCOPY app.txt /app.txt\n")
    repo.write("app.txt", "v1\n")
    repo.write(".test-id", f"{repo.path.parent.name}\n")
    repo.commit("Add Dockerfile")
    repo.git("push", "-q", "origin", "main")
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    path = doc_file(tmp_path, default_document(False), {"processes": WORKER})
    made = lift("service", "create", "-e", "staging", "--yes", "--file", path)
    assert made.returncode == 0, made.stderr
    assert "worker: no task until the first ship" in made.stderr
    return repo


def test_a_worker_created_before_any_ship_waits_then_the_first_ship_starts_it(
    created: GitRepo, lift: Lift
) -> None:
    # The placeholder image with the worker's command would fail: the worker waits at 0.
    assert counts()["payments-api_worker"] == (0, 0)
    shipped = lift("ship", "-e", "staging")
    assert shipped.returncode == 0, shipped.stderr
    assert counts() == {"payments-api": (1, 1), "payments-api_worker": (2, 2)}


def task_id(stderr: str) -> str:
    """The task `git lift run` started, as it says so."""
    line = next(x for x in stderr.splitlines() if x.startswith("task ") and "started" in x)
    return line.split()[1]


def test_run_and_logs_name_a_process(created: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    ecs = client("ecs")
    worker_revision = ecs.describe_services(
        cluster="lift-staging", services=["payments-api_worker"]
    )["services"][0]["taskDefinition"]

    # The worker's revision, its own command (no override) unless one is given.
    own = lift("run", "-e", "staging", "--process", "worker", "--detach")
    assert own.returncode == 0, own.stderr
    (task,) = ecs.describe_tasks(cluster="lift-staging", tasks=[own.stdout.strip()])["tasks"]
    assert task["taskDefinitionArn"] == worker_revision
    assert not task.get("overrides", {}).get("containerOverrides")
    ran = lift("run", "-e", "staging", "--process", "worker", "--", "bin/once")
    assert ran.returncode == 0, ran.stderr
    web = lift("run", "-e", "staging", "--", "true")
    assert web.returncode == 0, web.stderr
    by_release = lift("run", "-e", "staging", "--process", "worker", "--release", "1", "--detach")
    assert by_release.returncode == 0, by_release.stderr

    # Each process's logs apart: the worker's task in the worker's, web's in web's.
    worker_logs = lift("logs", "-e", "staging", "--process", "worker")
    assert worker_logs.returncode == 0, worker_logs.stderr
    web_logs = lift("logs", "-e", "staging", "--process", "web")
    assert task_id(ran.stderr)[:12] in worker_logs.stdout
    assert task_id(web.stderr)[:12] not in worker_logs.stdout
    assert task_id(web.stderr)[:12] in web_logs.stdout
    assert task_id(ran.stderr)[:12] not in web_logs.stdout


def test_an_unknown_process_is_refused_naming_the_processes(created: GitRepo, lift: Lift) -> None:
    for command in (
        ["run", "-e", "staging", "--process", "wroker", "--", "true"],
        ["logs", "-e", "staging", "--process", "wroker"],
    ):
        refused = lift(*command)
        assert refused.returncode == 2, refused.stderr
        assert "has no process 'wroker' (its processes: web, worker)" in refused.stderr
        assert "hint: " in refused.stderr
    both = lift("run", "-e", "staging", "--process", "worker", "--job", "nightly")
    assert both.returncode == 2 and "hint: " in both.stderr
