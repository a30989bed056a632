"""A monorepo in the layout `git lift init` writes (issue 18): the first service at the root
(`path = .`), a second one in `worker/`. At the top, `config check` and `status` cover every
service, the hooks name the service on each line, and a service not set up in an
environment is said as such, not as a failure to read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.ecs import create_service
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import add_keys, commit, push, put, put_all

GITLIFT = """[service "api"]
\tpath = .
[service "worker"]
\tpath = worker
"""


@pytest.fixture
def monorepo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(
        tmp_path / "platform",
        origin=tmp_path / "remote" / "platform.git",
        files={".gitlift": GITLIFT, "env.sample": "API_DB=x\n", "worker/env.sample": "QUEUE=x\n"},
    )
    assert Lift(repo.path)("hooks", "install").returncode == 0
    return repo


def test_config_check_at_the_top_checks_the_service_in_a_folder_too(
    aws: Any, monorepo: GitRepo
) -> None:
    for env in ("staging", "production"):
        put("API_DB", env, "api")
    put("QUEUE", "staging", "worker")  # the worker lacks its production key
    lift = Lift(monorepo.path)
    top = lift("config", "check")
    assert top.returncode == 1, top.stderr
    assert (
        "error: production: worker/env.sample names keys missing from worker's config: QUEUE"
        in top.stderr
    )
    assert "hint: git lift config set -s worker -e production QUEUE=..." in top.stderr
    # Each ok line names its service: two services, two lines, never "staging: ok" twice.
    assert "staging: api: ok" in top.stderr and "staging: worker: ok" in top.stderr
    assert "staging: ok" not in top.stderr
    # Inside the root service's own files (not the worker's folder), still the root service.
    monorepo.write("src/app.txt", "v1\n")
    inside = lift("config", "check", cwd=monorepo.path / "src")
    assert inside.returncode == 0, inside.stderr
    assert "worker" not in inside.stderr
    api_only = lift("config", "check", "-s", "api")
    assert api_only.returncode == 0 and "worker" not in api_only.stderr


def test_status_at_the_top_shows_every_service(aws: Any, monorepo: GitRepo) -> None:
    result = Lift(monorepo.path)("status", "-e", "staging", "--output", "json")
    rows = json.loads(result.stdout)
    assert sorted(r["service"] for r in rows) == ["api", "worker"]


def test_the_hooks_name_the_service_on_every_line(aws: Any, monorepo: GitRepo) -> None:
    put_all(["API_DB", "API_NEW"], "staging", "api")
    put_all(["QUEUE", "QUEUE_NEW"], "staging", "worker")
    add_keys(monorepo, "API_NEW")
    add_keys(monorepo, "QUEUE_NEW", path="worker/env.sample")
    result = commit(monorepo, "Two new keys")
    assert result.returncode == 0, result.stderr
    assert "staging: api: ok" in result.stderr and "staging: worker: ok" in result.stderr
    assert "staging: ok" not in result.stderr


def test_status_all_says_not_set_up_and_exits_0(aws: Any, monorepo: GitRepo) -> None:
    create_service("staging", "api")  # api runs in staging; the worker was never created
    lift = Lift(monorepo.path)
    result = lift("status", "--all", "-e", "staging")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not read" not in result.stderr
    assert "staging: worker\n  not set up" in result.stdout
    assert "set it up: git lift setup -e staging -s worker" in result.stdout
    assert "staging: api\n  no release yet (0/2 running)" in result.stdout
    rows = json.loads(lift("status", "--all", "-e", "staging", "--output", "json").stdout)
    assert [(r["service"], r["set_up"], r["error"]) for r in rows] == [
        ("api", True, None),
        ("worker", False, None),
    ]
    # An environment without its cluster is not set up either, for every service.
    everywhere = lift("status", "-e", "production")
    assert everywhere.returncode == 0, everywhere.stderr
    assert everywhere.stdout.count("not set up") == 2
    assert "not set up: there is no ECS cluster lift-production" in everywhere.stdout
    assert "set it up: git lift setup -e production -s api" in everywhere.stdout


def test_a_push_names_each_service_file_it_checked(aws: Any, monorepo: GitRepo) -> None:
    put_all(["API_DB", "API_NEW"], "staging", "api")
    put_all(["QUEUE", "QUEUE_NEW"], "staging", "worker")
    add_keys(monorepo, "API_NEW")
    add_keys(monorepo, "QUEUE_NEW", path="worker/env.sample")
    monorepo.commit("Two new keys", verify=False)
    pushed = push(monorepo, "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "env.sample adds API_NEW; worker/env.sample adds QUEUE_NEW" in pushed.stderr
    assert "staging: api: ok" in pushed.stderr and "staging: worker: ok" in pushed.stderr
