"""Release by pushing a tag, end to end: the installed pre-push hook ships the pushed commit
with the real `git lift ship` (buildah, a real registry, moto's server and the sandbox's ECS
rollout simulator) and lets the tag reach the remote only when the release succeeded."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import push, put, remote_has
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]


@pytest.fixture
def releasing(shipping: GitRepo, lift: Lift) -> GitRepo:
    """A service ready to ship and pushed (test_ship's fixture), with the hooks installed."""
    assert lift("hooks", "install").returncode == 0
    return shipping


def test_pushing_a_release_tag_ships_it_before_the_tag_reaches_the_remote(
    releasing: GitRepo, aws: Any
) -> None:
    sha = releasing.head()
    releasing.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    aws.reset_counts()
    result = push(releasing, "v1.0.0")
    assert result.returncode == 0, result.stderr
    assert (
        f"releasing payments-api to production: commit {sha[:12]} (refs/tags/v1.0.0)"
        in result.stderr
    )
    assert remote_has(releasing, "refs/tags/v1.0.0")
    assert remote_has(releasing, "refs/tags/lift/production/payments-api/1")
    image = running_task_definition("production")["containerDefinitions"][0]["image"]
    assert "@sha256:" in image
    # The hook's config check and the release share one listing of the names (one page).
    assert aws.request_counts()["ssm.DescribeParameters"] == 1


def test_a_release_that_fails_keeps_its_tag_off_the_remote(releasing: GitRepo) -> None:
    good = running_task_definition("production")["taskDefinitionArn"]
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/production/payments-api/LIFT_SANDBOX_CRASH", Value="1", Type="SecureString"
    )
    put("LIFT_SANDBOX_CRASH")
    releasing.write("env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_CRASH=1\n")
    releasing.commit("Break the service on purpose")
    assert push(releasing, "main").returncode == 0
    releasing.git("tag", "v1.1.0")
    result = push(releasing, "v1.1.0")
    assert result.returncode != 0
    assert (
        "the release of payments-api to production failed, so the push is stopped" in result.stderr
    )
    assert not remote_has(releasing, "refs/tags/v1.1.0")
    assert running_task_definition("production")["taskDefinitionArn"] == good
