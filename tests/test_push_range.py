"""The pre-push hook checks what a branch push changes: the keys its commits add to each
service's env.sample, in every environment the branch maps to; request counts from the
sandbox. A ref that releases is checked in full (tests/test_hooks.py)."""

from __future__ import annotations

from typing import Any

from tests.support.helpers import GitRepo
from tests.support.hooks import PLATFORM_SERVICES as SERVICES
from tests.support.hooks import add_keys, push, put_all


def test_a_push_adding_keys_asks_one_request_per_ten_added_keys_per_service_and_env(
    aws: Any, platform: GitRepo
) -> None:
    added = [f"NEW_{n:02}" for n in range(12)]
    for name in SERVICES:
        add_keys(platform, *added, path=f"{name}/env.sample")
        for env in ("staging", "qa"):
            put_all(["BASE_A", "BASE_B", *added], env, name)
    platform.commit("Twelve keys for everyone", verify=False)
    aws.reset_counts()
    result = push(platform, "main")
    assert result.returncode == 0, result.stderr
    for env in ("staging", "qa"):
        assert f"goes to {env}; checked what it changes since" in result.stderr
    # 2 environments x 3 services x ceil(12 / 10): the added keys only, never a listing; and
    # per environment, its services' saved secret_refs at once (rotation): no table yet, and
    # the hook creates none
    assert aws.request_counts() == {"ssm.GetParameters": 12, "dynamodb.BatchGetItem": 2}


def test_an_app_only_push_asks_nothing_and_a_new_branch_compares_with_its_merge_base(
    aws: Any, platform: GitRepo
) -> None:
    platform.write("api/app.txt", "v2\n")
    platform.commit("App only")
    aws.reset_counts()
    assert push(platform, "main").returncode == 0
    assert aws.request_counts() == {}

    platform.git("checkout", "-q", "-b", "feature/x")
    platform.write("billing/app.txt", "feature\n")
    platform.commit("Feature work")
    first = push(platform, "feature/x")
    assert first.returncode == 0, first.stderr
    assert "goes to qa; checked what it changes since" in first.stderr
    assert "no key added" in first.stderr and aws.request_counts() == {}

    add_keys(platform, "FEATURE_KEY", path="billing/env.sample")
    platform.commit("Feature key", verify=False)
    refused = push(platform, "feature/x")
    assert refused.returncode != 0
    assert (
        "error: qa: billing/env.sample names keys missing from billing's config: FEATURE_KEY"
        in (refused.stderr)
    )
    assert aws.request_counts() == {"ssm.GetParameters": 1}
