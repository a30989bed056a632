"""The OCI distribution client (git_lift/registry.py) and the copy by digest
(git_lift/image_copy.py) against Debian's docker-registry on loopback, with images pushed by
hand through the same API: exact manifest bytes, so every digest here is computed, not read.
No image builder needed."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from git_lift import registry
from git_lift.errors import LiftError
from git_lift.image_copy import Endpoint, copy
from git_lift.sandbox.local_registry import RegistryHandle, start_registry
from tests.support.image import needs_registry

pytestmark = needs_registry


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(address: str, repository: str, data: bytes) -> dict[str, object]:
    """A monolithic upload: POST for an address, PUT the bytes with their digest."""
    started = urllib.request.urlopen(
        urllib.request.Request(f"http://{address}/v2/{repository}/blobs/uploads/", method="POST")
    )
    location = urllib.parse.urljoin(f"http://{address}/", started.headers["Location"])
    joiner = "&" if "?" in location else "?"
    put = urllib.request.Request(
        f"{location}{joiner}digest={digest_of(data)}",
        data=data,
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},
    )
    urllib.request.urlopen(put).close()
    return {"mediaType": "application/octet-stream", "digest": digest_of(data), "size": len(data)}


def push_manifest(address: str, repository: str, reference: str, body: bytes, kind: str) -> str:
    put = urllib.request.Request(
        f"http://{address}/v2/{repository}/manifests/{reference}",
        data=body,
        method="PUT",
        headers={"Content-Type": kind},
    )
    urllib.request.urlopen(put).close()
    return digest_of(body)


def push_image(
    address: str, repository: str, tag: str, *, layer: bytes, labels: dict[str, str]
) -> str:
    """An image of one layer; its digest, the hash of the manifest's exact bytes."""
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "config": {"Labels": labels}}
    ).encode()
    config_ref = push_blob(address, repository, config)
    config_ref["mediaType"] = "application/vnd.oci.image.config.v1+json"
    layer_ref = push_blob(address, repository, layer)
    layer_ref["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": registry.OCI_MANIFEST,
            "config": config_ref,
            "layers": [layer_ref],
        },
        indent=1,  # not the registry's own formatting: the bytes must travel as pushed
    ).encode()
    return push_manifest(address, repository, tag, body, registry.OCI_MANIFEST)


def push_index(address: str, repository: str, tag: str, children: dict[str, str]) -> str:
    """A multi-arch index of pushed manifests, by architecture."""
    entries = []
    for arch, digest in children.items():
        size = len(registry.blob(address, repository, digest, insecure=True) or b"")
        entries.append(
            {
                "mediaType": registry.OCI_MANIFEST,
                "digest": digest,
                "size": size,
                "platform": {"architecture": arch, "os": "linux"},
            }
        )
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": registry.OCI_INDEX, "manifests": entries}
    ).encode()
    return push_manifest(address, repository, tag, body, registry.OCI_INDEX)


@pytest.fixture(scope="module")
def second_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryHandle]:
    with start_registry(str(tmp_path_factory.mktemp("second-registry"))) as handle:
        yield handle


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A repository of this test's own in the session's registry."""
    return "t/" + request.node.name.lower().replace("_", "-")[:60].strip("-[]")


def test_a_tags_digest_is_the_hash_of_the_manifest_bytes_pushed(
    local_registry: RegistryHandle, name: str
) -> None:
    address = local_registry.address
    digest = push_image(address, name, "v1", layer=b"layer one", labels={"a": "1"})
    assert registry.manifest_digest(address, name, "v1", insecure=True) == digest
    assert registry.manifest_digest(address, name, "v2", insecure=True) is None
    assert registry.manifest_digest(address, "t/never-pushed", "v1", insecure=True) is None
    by_digest = registry.manifest(address, name, digest, insecure=True)
    assert by_digest is not None and by_digest["layers"][0]["digest"] == digest_of(b"layer one")


def test_a_retag_moves_the_digest_and_the_old_one_stays_readable(
    local_registry: RegistryHandle, name: str
) -> None:
    address = local_registry.address
    first = push_image(address, name, "live", layer=b"one", labels={})
    second = push_image(address, name, "live", layer=b"two", labels={})
    assert first != second
    assert registry.manifest_digest(address, name, "live", insecure=True) == second
    assert registry.manifest(address, name, first, insecure=True) is not None


def test_the_image_config_gives_its_labels(local_registry: RegistryHandle, name: str) -> None:
    address = local_registry.address
    push_image(address, name, "v1", layer=b"x", labels={"org.opencontainers.image.revision": "c1"})
    config = registry.image_config(address, name, "v1", insecure=True)
    assert config is not None
    assert config["config"]["Labels"] == {"org.opencontainers.image.revision": "c1"}
    assert registry.image_config(address, name, "absent", insecure=True) is None


def test_a_multi_arch_index_gives_the_linux_amd64_config(
    local_registry: RegistryHandle, name: str
) -> None:
    address = local_registry.address
    arm = push_image(address, name, "arm", layer=b"arm", labels={"arch": "arm64"})
    amd = push_image(address, name, "amd", layer=b"amd", labels={"arch": "amd64"})
    push_index(address, name, "multi", {"arm64": arm, "amd64": amd})  # arm listed first
    config = registry.image_config(address, name, "multi", insecure=True)
    assert config is not None and config["config"]["Labels"] == {"arch": "amd64"}


def test_a_blob_is_read_whole_and_checked_against_its_digest(
    local_registry: RegistryHandle, name: str
) -> None:
    address = local_registry.address
    data = os.urandom(3 * 1024 * 1024)
    pushed = push_blob(address, name, data)
    assert registry.blob(address, name, str(pushed["digest"]), insecure=True) == data
    assert registry.blob(address, name, digest_of(b"never pushed"), insecure=True) is None


def test_an_image_and_its_blob_larger_than_a_buffer_are_copied_byte_for_byte(
    local_registry: RegistryHandle, second_registry: RegistryHandle, name: str
) -> None:
    layer = os.urandom(9 * 1024 * 1024)  # larger than any one read or write buffer
    digest = push_image(local_registry.address, name, "built", layer=layer, labels={})
    source = Endpoint(local_registry.address, name)
    destination = Endpoint(second_registry.address, name + "-prod")
    report = copy(source, digest, destination, "release-1")
    assert (report.digest, report.blobs_copied, report.blobs_present) == (digest, 2, 0)
    copied = registry.manifest_digest(
        destination.registry, destination.repository, "release-1", insecure=True
    )
    assert copied == digest  # the exact bytes travelled, so the digest is the same
    got = registry.blob(
        destination.registry, destination.repository, digest_of(layer), insecure=True
    )
    assert got == layer
    again = copy(source, digest, destination, "release-2")
    assert (again.blobs_copied, again.blobs_present) == (0, 2)
    assert (
        registry.manifest_digest(
            destination.registry, destination.repository, "release-2", insecure=True
        )
        == digest
    )


def test_copying_an_index_brings_every_platform_under_the_same_digest(
    local_registry: RegistryHandle, second_registry: RegistryHandle, name: str
) -> None:
    address = local_registry.address
    arm = push_image(address, name, "arm", layer=b"arm layer", labels={"arch": "arm64"})
    amd = push_image(address, name, "amd", layer=b"amd layer", labels={"arch": "amd64"})
    index = push_index(address, name, "multi", {"arm64": arm, "amd64": amd})
    destination = Endpoint(second_registry.address, name + "-prod")
    report = copy(Endpoint(address, name), index, destination, "v1")
    assert report.blobs_copied == 4  # two configs, two layers
    dest = second_registry.address
    assert registry.manifest_digest(dest, destination.repository, "v1", insecure=True) == index
    for child in (arm, amd):
        assert registry.manifest(dest, destination.repository, child, insecure=True) is not None
    config = registry.image_config(dest, destination.repository, "v1", insecure=True)
    assert config is not None and config["config"]["Labels"] == {"arch": "amd64"}


def test_a_copy_by_a_digest_the_source_does_not_hold_writes_nothing(
    local_registry: RegistryHandle, second_registry: RegistryHandle, name: str
) -> None:
    push_image(local_registry.address, name, "v1", layer=b"x", labels={})
    missing = digest_of(b"no such manifest")
    destination = Endpoint(second_registry.address, name + "-prod")
    with pytest.raises(LiftError) as raised:
        copy(Endpoint(local_registry.address, name), missing, destination, "v1")
    assert raised.value.hint == "ship the commit to an environment that builds it first"
    assert (
        registry.manifest_digest(destination.registry, destination.repository, "v1", insecure=True)
        is None
    )


def test_endpoints_on_loopback_speak_plain_http() -> None:
    local = Endpoint("127.0.0.1:5000", "api")
    assert local.loopback and local.url("manifests/v1") == (
        "http://127.0.0.1:5000/v2/api/manifests/v1"
    )
    remote = Endpoint("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "api")
    assert not remote.loopback and remote.url("blobs/uploads/").startswith("https://")
