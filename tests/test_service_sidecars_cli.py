"""`git lift service edit` with sidecars (issue 21), through git against moto's server over
HTTP and a real registry: the stack's task definition runs each sidecar with its image pinned
by digest and the app waiting for it; a circle of dependencies is refused with its path and
nothing saved."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from git_lift import registry
from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.helpers import Lift
from tests.support.image import needs_registry
from tests.support.infra import client, doc_file, documents, newest_doc, put_config

pytestmark = needs_registry


def push_blob(address: str, data: bytes, kind: str) -> dict[str, object]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = urllib.request.urlopen(
        urllib.request.Request(f"http://{address}/v2/agent/blobs/uploads/", method="POST")
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


def push_agent(address: str) -> str:
    """`agent:1`, an image of one layer, in the registry; its digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": registry.OCI_MANIFEST,
            "config": push_blob(address, config, "application/vnd.oci.image.config.v1+json"),
            "layers": [push_blob(address, b"agent", "application/vnd.oci.image.layer.v1.tar")],
        }
    ).encode()
    put = urllib.request.Request(
        f"http://{address}/v2/agent/manifests/1",
        data=body,
        method="PUT",
        headers={"Content-Type": registry.OCI_MANIFEST},
    )
    urllib.request.urlopen(put).close()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def created(lift: Lift) -> None:
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr


def running_containers() -> dict[str, dict[str, Any]]:
    ecs = client("ecs")
    (service,) = ecs.describe_services(cluster="lift-staging", services=["payments-api"])[
        "services"
    ]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    return {c["name"]: c for c in definition["taskDefinition"]["containerDefinitions"]}


def test_the_stack_runs_the_sidecar_pinned_and_the_app_waits_for_it(
    aws: Any, lift: Lift, tmp_path: Path, local_registry: RegistryHandle
) -> None:
    created(lift)
    digest = push_agent(local_registry.address)
    agent = {
        "name": "agent",
        "image": f"{local_registry.address}/agent:1",
        "secrets": ["DATABASE_URL"],
        "cpu": 64,
        "memory": 128,
    }
    fields = {"sidecars": [agent], "depends_on": [{"container": "agent"}]}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), fields)
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr
    found = running_containers()
    assert found["agent"]["image"] == f"{local_registry.address}/agent@{digest}"
    assert [s["name"] for s in found["agent"]["secrets"]] == ["DATABASE_URL"]
    assert found["payments-api"]["dependsOn"] == [{"containerName": "agent", "condition": "START"}]


def test_containers_waiting_in_a_circle_are_refused_and_nothing_saved(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    agent = {"name": "agent", "image": "agent:1", "depends_on": [{"container": "app"}]}
    fields = {"sidecars": [agent], "depends_on": [{"container": "agent"}]}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), fields)
    refused = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert refused.returncode != 0
    assert "$.depends_on: containers wait for each other in a circle: app -> agent -> app" in (
        refused.stderr
    )
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]
    assert list(running_containers()) == ["payments-api"]
