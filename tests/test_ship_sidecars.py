"""`git lift ship` with sidecars (issue 21), end to end: real git, `git lift` as a subprocess,
a real registry (a sidecar's tag is pinned by digest), moto's server over HTTP and the
sandbox's rollout simulator running tasks of several containers."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
import urllib.request
from typing import Any

import boto3
import pytest

from git_lift import registry
from git_lift.aws.store import ServiceDocument
from git_lift.sandbox.local_registry import RegistryHandle
from git_lift.servicecfg import default_document
from tests.support.ecs import running_task_definition, store, target
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_registry
from tests.support.release import gitlift, image, prepare

pytestmark = needs_registry

PARAMETER = "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/DATABASE_URL"


def push_blob(address: str, repository: str, data: bytes, kind: str) -> dict[str, object]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = urllib.request.urlopen(
        urllib.request.Request(f"http://{address}/v2/{repository}/blobs/uploads/", method="POST")
    )
    location = urllib.parse.urljoin(f"http://{address}/", started.headers["Location"])
    joiner = "&" if "?" in location else "?"
    put = urllib.request.Request(
        f"{location}{joiner}digest={digest}",
        data=data,
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},
    )
    urllib.request.urlopen(put).close()
    return {"mediaType": kind, "digest": digest, "size": len(data)}


def push_image(address: str, repository: str, tag: str, content: str) -> str:
    """An image of one layer holding `content`, under `tag`; its digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": registry.OCI_MANIFEST,
            "config": push_blob(
                address, repository, config, "application/vnd.oci.image.config.v1+json"
            ),
            "layers": [
                push_blob(
                    address, repository, content.encode(), "application/vnd.oci.image.layer.v1.tar"
                )
            ],
        }
    ).encode()
    manifest = urllib.request.Request(
        f"http://{address}/v2/{repository}/manifests/{tag}",
        data=body,
        method="PUT",
        headers={"Content-Type": registry.OCI_MANIFEST},
    )
    urllib.request.urlopen(manifest).close()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def save_config(document: dict[str, Any]) -> None:
    """A service config with sidecars, as `git lift service edit` saves it."""
    versions = [d.version for d in store().service_documents(target())]
    saved = ServiceDocument(
        "staging", "payments-api", max(versions, default=0) + 1, document, "Test Dev", time.time()
    )
    store().save_service_document(target(), saved)


def runs_with_proxy(proxy_image: str, **proxy_fields: Any) -> None:
    """The running task definition as the service stack renders a config with a proxy
    sidecar the app waits for (the stack's own rendering is tested in test_templates.py)."""
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    app = running_task_definition("staging")["containerDefinitions"][0]
    app = {**app, "dependsOn": [{"containerName": "proxy", "condition": "START"}]}
    proxy = {
        "name": "proxy",
        "image": proxy_image,
        "essential": True,
        "cpu": 64,
        "memory": 128,
        "secrets": [{"name": "DATABASE_URL", "valueFrom": PARAMETER}],
        **proxy_fields,
    }
    arn = ecs.register_task_definition(
        family="staging-payments-api",
        containerDefinitions=[app, proxy],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="lift-staging", service="payments-api", taskDefinition=arn)


@pytest.fixture
def with_proxy(
    aws: Any, repo: GitRepo, local_registry: RegistryHandle, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A service whose config has a proxy sidecar tagged `proxy:v1` in the registry; the
    proxy's image reference."""
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    proxy = f"{local_registry.address}/proxy:v1"
    push_image(local_registry.address, "proxy", "v1", "first")
    document = {
        **default_document(False),
        "sidecars": [
            {"name": "proxy", "image": proxy, "secrets": ["DATABASE_URL"], "cpu": 64, "memory": 128}
        ],
        "depends_on": [{"container": "proxy", "condition": "START"}],
    }
    save_config(document)
    runs_with_proxy(proxy)
    return proxy


def containers(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in definition["containerDefinitions"]}


def test_ship_pins_the_sidecars_image_and_runs_tasks_of_both_containers(
    with_proxy: str, local_registry: RegistryHandle, lift: Lift
) -> None:
    digest = registry.manifest_digest(local_registry.address, "proxy", "v1", insecure=True)
    pinned = f"{local_registry.address}/proxy@{digest}"
    result = lift("ship", "-e", "staging", "--image", image(1))
    assert result.returncode == 0, result.stderr
    assert f"~ proxy image {with_proxy}\n" in result.stderr  # the plan's diff, pinned
    assert f"    -> {pinned}\n" in result.stderr
    registered = containers(running_task_definition("staging"))
    assert registered["proxy"]["image"] == pinned
    assert registered["proxy"]["secrets"] == [{"name": "DATABASE_URL", "valueFrom": PARAMETER}]
    assert registered["payments-api"]["image"] == image(1)
    assert registered["payments-api"]["dependsOn"] == [
        {"containerName": "proxy", "condition": "START"}
    ]
    # The simulator ran the release's task, both containers in it.
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    arns = ecs.list_tasks(cluster="lift-staging", serviceName="payments-api")["taskArns"]
    (task,) = ecs.describe_tasks(cluster="lift-staging", tasks=arns)["tasks"]
    assert task["lastStatus"] == "RUNNING"
    assert sorted(c["name"] for c in task["containers"]) == ["payments-api", "proxy"]


def test_a_moved_sidecar_tag_shows_in_the_diff_and_ships_the_new_digest(
    with_proxy: str, local_registry: RegistryHandle, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    before = containers(running_task_definition("staging"))["proxy"]["image"]
    moved = push_image(local_registry.address, "proxy", "v1", "second")
    result = lift("ship", "-e", "staging", "--image", image(1))
    assert result.returncode == 0, result.stderr
    after = f"{local_registry.address}/proxy@{moved}"
    shown = result.stderr.split("->\n", 1)[1]  # the plan's diff, after its first line
    assert f"~ proxy image {before}\n" in shown and f"-> {after}\n" in shown
    assert containers(running_task_definition("staging"))["proxy"]["image"] == after


def test_a_sidecar_tag_the_registry_lacks_stops_the_ship_before_anything_runs(
    with_proxy: str, local_registry: RegistryHandle, lift: Lift
) -> None:
    document = {
        **default_document(False),
        "sidecars": [{"name": "proxy", "image": f"{local_registry.address}/proxy:v9"}],
    }
    save_config(document)
    before = running_task_definition("staging")["taskDefinitionArn"]
    result = lift("ship", "-e", "staging", "--image", image(1))
    assert result.returncode == 1, result.stderr
    assert f"error: the registry has no image {local_registry.address}/proxy:v9" in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == before


def test_a_sidecars_health_check_is_waited_for_with_the_apps(with_proxy: str, lift: Lift) -> None:
    check = {"command": ["CMD", "/ready"], "interval": 5, "timeout": 2, "retries": 1}
    runs_with_proxy(with_proxy, healthCheck={**check, "startPeriod": 0})
    result = lift("ship", "-e", "staging", "--image", image(1))
    assert result.returncode == 0, result.stderr
    assert "1/1 HEALTHY" in result.stderr
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    arns = ecs.list_tasks(cluster="lift-staging", serviceName="payments-api")["taskArns"]
    (task,) = ecs.describe_tasks(cluster="lift-staging", tasks=arns)["tasks"]
    assert task["healthStatus"] == "HEALTHY"
    assert {c["name"]: c.get("healthStatus") for c in task["containers"]}["proxy"] == "HEALTHY"
