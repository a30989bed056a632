"""Built once, copied by digest (issue 12): staging in account A builds the image into its
registry; production in account B ships the same digest, copied into its own registry through
the OCI distribution API, never rebuilt. Two real registries, buildah, moto's server with two
accounts, and the sandbox's rollout simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from git_lift import registry
from git_lift.sandbox.local_registry import RegistryHandle, start_registry
from tests.support.accounts import GITLIFT, in_account_b
from tests.support.ecs import create_service
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry, shipped_tag

pytestmark = [needs_buildah, needs_registry]


@pytest.fixture
def production_registry(tmp_path: Path) -> Iterator[RegistryHandle]:
    with start_registry(str(tmp_path / "production-registry")) as handle:
        yield handle


def production_service(aws: Any) -> None:
    """production's ECS service, in account B (us-east-1)."""
    ecs = in_account_b("ecs", aws)
    ecs.create_cluster(clusterName="lift-production")
    definition = ecs.register_task_definition(
        family="production-payments-api",
        containerDefinitions=[
            {"name": "payments-api", "image": "placeholder:1", "memory": 512, "essential": True}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="lift-production",
        serviceName="payments-api",
        taskDefinition=definition,
        desiredCount=1,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    in_account_b("ssm", aws).put_parameter(
        Name="/production/payments-api/DATABASE_URL", Value="prod", Type="SecureString"
    )


def test_production_in_another_account_runs_the_digest_staging_built(
    aws: Any,
    repo: GitRepo,
    lift: Lift,
    local_registry: RegistryHandle,
    production_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    repo.write("Dockerfile", "FROM scratch\nCOPY app.txt /app.txt\n")
    repo.write("env.sample", "DATABASE_URL=postgres://localhost/dev\n")
    repo.write(".gitlift", GITLIFT)
    repo.commit("Production in its own account")
    repo.git("push", "-q", "origin", "main")
    assert lift("trust", "--yes").returncode == 0
    # Each environment's registry is the user's own setting (no trust needed).
    repo.git("config", "lift.env.staging.registry", local_registry.address)
    repo.git("config", "lift.env.production.registry", production_registry.address)
    create_service("staging")
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/staging/payments-api/DATABASE_URL", Value="staging", Type="SecureString"
    )
    production_service(aws)

    staged = lift("ship", "-e", "staging")
    assert staged.returncode == 0, staged.stderr
    tag = shipped_tag(repo.path)
    built = registry.manifest_digest(local_registry.address, "payments-api", tag, insecure=True)
    assert built is not None

    released = lift("ship", "-e", "production", "--yes")
    assert released.returncode == 0, released.stderr
    lines = released.stderr.splitlines()
    assert any(line.startswith("copying ") for line in lines)
    assert not any(line.startswith("building ") for line in lines)
    copied = registry.manifest_digest(
        production_registry.address, "payments-api", tag, insecure=True
    )
    assert copied == built
    ecs = in_account_b("ecs", aws)
    running = ecs.describe_services(cluster="lift-production", services=["payments-api"])
    definition = ecs.describe_task_definition(
        taskDefinition=running["services"][0]["taskDefinition"]
    )["taskDefinition"]
    image = definition["containerDefinitions"][0]["image"]
    assert image == f"{production_registry.address}/payments-api@{built}"
