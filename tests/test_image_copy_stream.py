"""A big image is copied between registries without passing through memory: each blob is
streamed in chunks, checked against its digest on the way (issue 22, "Big images"). Two real
registries; the copy runs in its own Python, whose peak RSS is what a user's machine sees.
Linux only (the peak is read from /proc)."""

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


# The copy's own peak: VmHWM, its memory's high-water mark since exec. getrusage's ru_maxrss
# would not do: Linux carries the parent's peak into a child across fork and exec, so it
# would report pytest's.
PEAK = (
    "import re\n"
    "status = open('/proc/self/status').read()\n"
    "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024)\n"
)


def copy_peak_rss(source: str, digest: str, destination: str) -> int:
    """Copy in a fresh Python; returns its peak resident set in bytes."""
    code = (
        "from git_lift.image_copy import Endpoint, copy\n"
        f"report = copy(Endpoint({source!r}, 'big'), {digest!r}, "
        f"Endpoint({destination!r}, 'prod-big'), 'v1')\n"
        "assert report.blobs_copied == 2, report\n"
    ) + PEAK
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
