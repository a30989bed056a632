"""The service template with sidecars (issue 21): each sidecar's container beside the app's,
the app waiting for what its config says (and for the log router), its logs through FireLens
when a router is set, and a sidecar that names a key env.sample lacks, or takes the app's
container name, refused. cfn-lint, checkov and the golden file cover the "sidecars" entry of
the matrix in tests/support/templates.py."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from git_lift import servicecfg as sc
from git_lift.errors import ValidationError
from tests.support.templates import BASE, SERVICES, render_service

pytestmark = pytest.mark.fast


def containers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (task,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    return {c["Name"]: c for c in task["ContainerDefinitions"]}


def test_sidecars_run_beside_the_app_which_waits_for_them() -> None:
    found = containers(render_service(SERVICES["sidecars"]))
    assert list(found) == ["api", "log_router", "proxy", "metrics"]
    app, proxy, metrics = found["api"], found["proxy"], found["metrics"]
    assert app["DependsOn"] == [
        {"ContainerName": "proxy", "Condition": "HEALTHY"},
        {"ContainerName": "log_router", "Condition": "START"},
    ]
    assert metrics["DependsOn"] == [{"ContainerName": "api", "Condition": "START"}]
    assert metrics["Essential"] is False and proxy["Essential"] is True
    assert proxy["PortMappings"] == [{"ContainerPort": 9901, "Protocol": "tcp"}]
    assert proxy["Environment"] == [{"Name": "ENVOY_UID", "Value": "0"}]
    assert proxy["Secrets"] == [
        {
            "Name": "DATABASE_URL",
            "ValueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/api/DATABASE_URL",
        }
    ]
    assert proxy["HealthCheck"]["Command"][0] == "CMD-SHELL"
    assert (proxy["Cpu"], proxy["Memory"]) == (128, 256)
    assert proxy["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == "proxy"


def test_a_log_router_takes_the_apps_logs_through_firelens() -> None:
    found = containers(render_service(SERVICES["sidecars"]))
    router = found["log_router"]
    assert router["FirelensConfiguration"]["Type"] == "fluentbit"
    assert router["Image"] == "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    assert router["LogConfiguration"]["LogDriver"] == "awslogs"  # the router's own logs
    app_logs = found["api"]["LogConfiguration"]
    assert app_logs["LogDriver"] == "awsfirelens"
    assert app_logs["Options"]["Name"] == "cloudwatch_logs"


def test_pinned_images_replace_the_configs_tags() -> None:
    pinned = "public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:" + "e" * 64
    t = render_service(SERVICES["sidecars"], sidecar_images={"log_router": pinned})
    assert containers(t)["log_router"]["Image"] == pinned


def test_without_sidecars_the_task_has_the_apps_container_alone() -> None:
    found = containers(render_service(BASE))
    assert list(found) == ["api"] and "DependsOn" not in found["api"]
    assert found["api"]["LogConfiguration"]["LogDriver"] == "awslogs"


def sidecar(**fields: Any) -> sc.ServiceConfig:
    doc = {**sc.default_document(False), "sidecars": [{"name": "proxy", "image": "p:1", **fields}]}
    return sc.parse(doc)


def test_a_sidecar_secret_env_sample_lacks_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        render_service(sidecar(secrets=["STRIPE_KEY"]))  # env.sample: DATABASE_URL, API_KEY
    assert "sidecars.proxy.secrets: STRIPE_KEY is not in env.sample" in info.value.message
    assert info.value.hint is not None and "env.sample" in info.value.hint


def test_a_sidecar_named_as_the_apps_container_is_refused() -> None:
    cfg = dataclasses.replace(
        sidecar(), sidecars=(dataclasses.replace(sidecar().sidecars[0], name="api"),)
    )
    with pytest.raises(ValidationError) as info:
        render_service(cfg)
    assert "sidecars.api: the app's container is named 'api' (.gitlift)" in info.value.message
