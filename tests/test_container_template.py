"""The service template carries the container's fields of the service config (issue 20):
environment, health check, entrypoint, stop timeout, ulimits, read-only root filesystem, CPU
architecture, and the load balancer's matcher and grace period; a name both plain and secret
is refused. cfn-lint, checkov and the golden file cover the "container" entry of the matrix."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from git_lift.errors import ValidationError
from tests.support.templates import BASE, SERVICES, render_service

pytestmark = pytest.mark.fast


def resource(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]
    props: dict[str, Any] = found
    return props


def test_every_container_field_reaches_the_task_definition() -> None:
    t = render_service(SERVICES["container"])
    task = resource(t, "AWS::ECS::TaskDefinition")
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    (container,) = task["ContainerDefinitions"]
    assert container["Environment"] == [
        {"Name": "LOG_FORMAT", "Value": "json"},
        {"Name": "WORKERS", "Value": "4"},
    ]
    assert container["HealthCheck"] == {
        "Command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
        "Interval": 10,
        "Timeout": 3,
        "Retries": 2,
        "StartPeriod": 20,
    }
    assert container["EntryPoint"] == ["/bin/app"] and container["Command"] == ["serve"]
    assert container["StopTimeout"] == 90
    assert container["Ulimits"] == [{"Name": "nofile", "SoftLimit": 65536, "HardLimit": 65536}]
    assert container["ReadonlyRootFilesystem"] is True
    assert [s["Name"] for s in container["Secrets"]] == ["API_KEY", "DATABASE_URL"]


def test_load_balancer_check_uses_the_matcher_and_the_grace_period() -> None:
    t = render_service(SERVICES["container"])
    assert resource(t, "AWS::ElasticLoadBalancingV2::TargetGroup")["Matcher"] == {
        "HttpCode": "200,204"
    }
    assert resource(t, "AWS::ECS::Service")["HealthCheckGracePeriodSeconds"] == 120


def test_defaults_leave_ecs_defaults_and_run_on_x86() -> None:
    t = render_service(BASE)
    task = resource(t, "AWS::ECS::TaskDefinition")
    assert task["RuntimePlatform"]["CpuArchitecture"] == "X86_64"
    (container,) = task["ContainerDefinitions"]
    for absent in ("Environment", "HealthCheck", "EntryPoint", "StopTimeout", "Ulimits"):
        assert absent not in container
    assert container["ReadonlyRootFilesystem"] is False
    assert resource(t, "AWS::ElasticLoadBalancingV2::TargetGroup")["Matcher"] == {
        "HttpCode": "200-399"
    }
    assert resource(t, "AWS::ECS::Service")["HealthCheckGracePeriodSeconds"] == 60


def test_a_plain_variable_that_env_sample_also_names_is_refused() -> None:
    cfg = dataclasses.replace(BASE, environment={"DATABASE_URL": "postgres://x", "A": "1"})
    with pytest.raises(ValidationError) as info:
        render_service(cfg)  # env.sample: DATABASE_URL and API_KEY
    assert "DATABASE_URL" in info.value.message and "env.sample" in info.value.message
    assert "postgres://x" not in info.value.message  # a plain value, but still not echoed
    assert info.value.hint is not None
    assert "git lift service edit -e staging -s api" in info.value.hint
