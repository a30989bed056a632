"""An image built once is copied by digest into another registry (an environment in another
account or region): two real registries, a real image, the same digest on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from git_lift import registry
from git_lift.image_copy import Endpoint, copy
from git_lift.sandbox.local_registry import RegistryHandle, start_registry
from tests.support.image import layer_files, needs_buildah, needs_registry, scratch_image

pytestmark = [needs_buildah, needs_registry]


@pytest.fixture
def second_registry(tmp_path: Path) -> Iterator[RegistryHandle]:
    with start_registry(str(tmp_path / "second")) as handle:
        yield handle


def test_an_image_is_copied_by_digest_once(
    tmp_path: Path,
    local_registry: RegistryHandle,
    second_registry: RegistryHandle,
    buildah_root: str,
) -> None:
    digest = scratch_image(
        tmp_path / "build",
        local_registry.address,
        "api",
        "c0ffee",
        buildah_root=buildah_root,
        files={"app.txt": "built once\n"},
    )
    source = Endpoint(local_registry.address, "api")
    destination = Endpoint(second_registry.address, "prod-api")
    first = copy(source, digest, destination, "c0ffee")
    assert first.blobs_copied >= 2 and first.blobs_present == 0
    assert (
        registry.manifest_digest(second_registry.address, "prod-api", "c0ffee", insecure=True)
        == digest
    )
    assert layer_files(second_registry.address, "prod-api", digest)["app.txt"] == b"built once\n"
    again = copy(source, digest, destination, "c0ffee")
    assert again.blobs_copied == 0 and again.blobs_present == first.blobs_copied


def test_copying_an_image_the_source_lacks_says_so(
    local_registry: RegistryHandle, second_registry: RegistryHandle
) -> None:
    from git_lift.errors import LiftError

    missing = "sha256:" + "0" * 64
    with pytest.raises(LiftError, match="has no image api@sha256:0000"):
        copy(
            Endpoint(local_registry.address, "api"),
            missing,
            Endpoint(second_registry.address, "api"),
            "x",
        )
