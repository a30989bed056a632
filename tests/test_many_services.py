"""One process for many services: `config check` and `status` over every service and
environment of a repository (--all, or at its top), one listing per service and environment."""

from __future__ import annotations

import json
from typing import Any

from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import PLATFORM_SERVICES as SERVICES
from tests.support.hooks import put_all

ENVS = ("qa", "staging")


def test_config_check_at_the_top_checks_every_service_in_every_environment(
    aws: Any,
    platform: GitRepo,
) -> None:
    lift = Lift(platform.path)
    for name in SERVICES:
        for env in ENVS:
            put_all([f"K_{n:02}" for n in range(60)] + ["BASE_A", "BASE_B"], env, name)
    aws.reset_counts()
    top = lift("config", "check")  # 62 keys each, 60 of them extra: warnings, exit 0
    assert top.returncode == 0, top.stderr
    # one listing per service and environment, of ceil(62 / 50) pages
    assert aws.request_counts() == {"ssm.DescribeParameters": 2 * len(SERVICES) * len(ENVS)}
    for name in SERVICES:
        extra = f"warning: qa: {name}'s config has keys {name}/env.sample does not name"
        assert extra in top.stderr

    platform.write("billing/env.sample", "BASE_A=x\nBASE_B=x\nLATE=x\n")
    inside = lift(
        "config", "check", "--all", "-e", "staging", "--output", "json", cwd=platform.path / "api"
    )
    assert inside.returncode == 1
    rows = json.loads(inside.stdout)
    assert [(r["service"], r["environment"]) for r in rows] == [
        (name, "staging") for name in sorted(SERVICES)
    ]
    assert [r["missing"] for r in rows] == [[], ["LATE"], []]
    assert "git lift config set -s billing -e staging LATE=..." in inside.stderr

    one = lift("config", "check", "-e", "staging", cwd=platform.path / "api")
    assert one.returncode == 0 and "billing" not in one.stderr  # in a service's folder: that one


def test_status_all_has_a_row_per_service_and_environment(
    aws: Any,
    platform: GitRepo,
) -> None:
    result = Lift(platform.path)("status", "--all", "--output", "json")
    # No ECS service exists yet: every row says so, a state rather than a failure (issue 18).
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert all(not r["set_up"] and r["error"] is None for r in rows)
    assert sorted((r["service"], r["env"]) for r in rows) == sorted(
        (name, env) for name in SERVICES for env in ENVS
    )
