"""`git lift ship` end to end with the container's fields (issue 20): real git, buildah, the
registry, moto's server over HTTP and the sandbox's rollout simulator, whose container health
checks pass (HEALTHY) or fail (the LIFT_SANDBOX_UNHEALTHY switch)."""

from __future__ import annotations

import re
from typing import Any

import boto3

from git_lift.registry import image_config
from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.ecs import deploy_behind_git_lifts_back, running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]

CHECK = {
    "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
    "interval": 5,
    "timeout": 2,
    "retries": 1,
    "startPeriod": 0,
}
# The container as the service stack renders it from a config with every container field.
FIELDS: dict[str, Any] = {
    "environment": [{"name": "LOG_FORMAT", "value": "json"}],
    "healthCheck": CHECK,
    "entryPoint": ["/bin/app"],
    "command": ["serve"],
    "stopTimeout": 90,
    "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
    "readonlyRootFilesystem": True,
}


def with_every_field() -> None:
    running = running_task_definition("staging")["containerDefinitions"][0]
    deploy_behind_git_lifts_back("staging", {**running, **FIELDS})


def test_ship_registers_every_container_field_and_waits_for_healthy_tasks(
    shipping: GitRepo, lift: Lift
) -> None:
    with_every_field()
    result = lift("ship", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert "2/2 HEALTHY" in result.stderr
    registered = running_task_definition("staging")
    (container,) = registered["containerDefinitions"]
    assert {k: container[k] for k in FIELDS} == FIELDS
    assert container["image"].split("@")[0].endswith("payments-api")
    status = lift("status", "-e", "staging")
    assert "env       LOG_FORMAT=json" in status.stdout
    assert "postgres://secret" not in status.stdout + status.stderr


def test_tasks_whose_check_fails_stop_the_release_with_the_checks_output(
    shipping: GitRepo, lift: Lift
) -> None:
    with_every_field()
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/staging/payments-api/LIFT_SANDBOX_UNHEALTHY", Value="1", Type="SecureString"
    )
    shipping.write("env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_UNHEALTHY=1\n")
    shipping.commit("Fail the health check on purpose")
    before = running_task_definition("staging")["taskDefinitionArn"]
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1, result.stderr
    assert "Task failed container health checks" in result.stderr
    assert "health check failed (exit 1): curl -f http://localhost/ || exit 1" in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == before  # rolled back


def test_ship_refuses_a_plain_variable_that_env_sample_names_before_building(
    shipping: GitRepo, lift: Lift
) -> None:
    running = running_task_definition("staging")["containerDefinitions"][0]
    deploy_behind_git_lifts_back(
        "staging", {**running, "environment": [{"name": "DATABASE_URL", "value": "sqlite://"}]}
    )
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1, result.stderr
    assert "error: DATABASE_URL: in the service config's environment and in env.sample" in (
        result.stderr
    )
    assert "hint: remove it from environment (git lift service edit -e staging" in result.stderr
    assert "building" not in result.stderr


def runs_on(architecture: str) -> None:
    """The running task definition asks for `architecture`, as a stack with that
    cpu_architecture makes it."""
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    current = running_task_definition("staging")
    arn = ecs.register_task_definition(
        family=current["family"],
        containerDefinitions=current["containerDefinitions"],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        runtimePlatform={"cpuArchitecture": architecture, "operatingSystemFamily": "LINUX"},
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="lift-staging", service="payments-api", taskDefinition=arn)


def pushed_architecture(registry_address: str, image: str) -> str:
    digest = image.partition("@")[2]
    config = image_config(registry_address, "payments-api", digest, insecure=True)
    assert config is not None
    return str(config["architecture"])


def test_the_build_follows_cpu_architecture_and_never_reuses_the_other_ones_image(
    shipping: GitRepo, lift: Lift, local_registry: RegistryHandle
) -> None:
    runs_on("ARM64")
    arm = lift("ship", "-e", "staging")
    assert arm.returncode == 0, arm.stderr
    arm_tag = re.search(r"payments-api:(tree-[0-9a-f]{32}) for linux/arm64", arm.stderr)
    assert arm_tag, arm.stderr
    registered = running_task_definition("staging")
    assert registered["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    image = registered["containerDefinitions"][0]["image"]
    assert pushed_architecture(local_registry.address, image) == "arm64"

    runs_on("X86_64")
    x86 = lift("ship", "-e", "staging")
    assert x86.returncode == 0, x86.stderr
    x86_tag = re.search(r"payments-api:(tree-[0-9a-f]{32}) for linux/amd64", x86.stderr)
    assert x86_tag and x86_tag[1] != arm_tag[1]  # built, not the ARM64 one reused
    image = running_task_definition("staging")["containerDefinitions"][0]["image"]
    assert pushed_architecture(local_registry.address, image) == "amd64"
