"""A big image is copied between registries without passing through memory: each blob is
streamed in chunks, checked against its digest on the way (issue 22, "Big images"). Two real
registries; the copy runs in its own Python, whose peak RSS is what a user's machine sees."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from git_lift import registry
from git_lift.sandbox.local_registry import RegistryHandle, start_registry
from tests.support.helpers import run
from tests.support.image import needs_registry, push_random_image

pytestmark = [needs_registry]

MB = 1 << 20
LAYER = 200 * MB
PEAK_LIMIT = 100 * MB


@pytest.fixture
def second_registry(tmp_path: Path) -> Iterator[RegistryHandle]:
    with start_registry(str(tmp_path / "second")) as handle:
        yield handle


def copy_peak_rss(source: str, digest: str, destination: str) -> int:
    """Copy in a fresh Python; returns its peak resident set in bytes."""
    code = (
        "import resource, sys\n"
        "from git_lift.image_copy import Endpoint, copy\n"
        f"report = copy(Endpoint({source!r}, 'big'), {digest!r}, "
        f"Endpoint({destination!r}, 'prod-big'), 'v1')\n"
        "assert report.blobs_copied == 2, report\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    done = run([sys.executable, "-c", code], Path.cwd())
    return int(done.stdout.strip().splitlines()[-1])


def test_a_200_mb_layer_is_copied_with_peak_rss_under_100_mb(
    tmp_path: Path, local_registry: RegistryHandle, second_registry: RegistryHandle
) -> None:
    digest = push_random_image(local_registry.address, "big", "v1", LAYER, tmp_path)
    peak = copy_peak_rss(local_registry.address, digest, second_registry.address)
    assert peak < PEAK_LIMIT, f"peak RSS {peak / MB:.0f} MB copying a {LAYER // MB} MB layer"
    assert (
        registry.manifest_digest(second_registry.address, "prod-big", "v1", insecure=True) == digest
    )
    layer = registry.manifest(second_registry.address, "prod-big", digest, insecure=True)
    assert layer is not None
    assert [item["size"] for item in layer["layers"]] == [LAYER]
