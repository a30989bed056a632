"""Fixtures and helpers for tests that build and push real images.

Import the fixtures into a test module (or a conftest) to use them:

    from tests.image_support import buildah_root, buildah_storage, local_registry  # noqa: F401

`local_registry` is Debian's docker-registry on a free loopback port, one per session;
`buildah_root` points GIT_LIFT_BUILDAH_ROOT at a session temp folder (import `buildah_storage`
with it). Both skip the test, with the reason, when the tool is absent (`.ci/run` installs both).
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from git_lift import proc
from git_lift.build import ROOT_VARIABLE, BuildahBuilder
from git_lift.registry import blob, manifest
from git_lift.sandbox.local_registry import RegistryHandle, find_registry_binary, start_registry

HAVE_BUILDAH = proc.which("buildah") is not None
HAVE_REGISTRY = find_registry_binary() is not None

needs_buildah = pytest.mark.skipif(
    not HAVE_BUILDAH, reason="buildah is not installed (apt-get install buildah)"
)
needs_registry = pytest.mark.skipif(
    not HAVE_REGISTRY, reason="docker-registry is not installed (apt-get install docker-registry)"
)


@pytest.fixture(scope="session")
def buildah_storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One buildah storage root for the whole session: layers are reused between tests."""
    if not HAVE_BUILDAH:
        pytest.skip("buildah is not installed (apt-get install buildah)")
    return str(tmp_path_factory.mktemp("buildah"))


@pytest.fixture
def buildah_root(buildah_storage: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's buildah root, exported as GIT_LIFT_BUILDAH_ROOT for this test so that
    `detect_builder()` and `git lift` subprocesses use it (conftest clears GIT_LIFT_* first)."""
    monkeypatch.setenv(ROOT_VARIABLE, buildah_storage)
    return buildah_storage


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryHandle]:
    """A real registry on 127.0.0.1:<free port>, stopped at the end of the session."""
    if not HAVE_REGISTRY:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    with start_registry(str(tmp_path_factory.mktemp("registry"))) as handle:
        yield handle


def write_scratch_context(
    folder: Path,
    files: Mapping[str, str],
    extra_lines: tuple[str, ...] = (),
) -> tuple[str, str]:
    """Write `files` and a Dockerfile `FROM scratch` that copies them (plus `extra_lines`);
    return (context_dir, dockerfile)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["FROM scratch", *extra_lines]
    for name, content in files.items():
        (folder / name).write_text(content)
        lines.append(f"COPY {name} /{name}")
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text("\n".join(lines) + "\n")
    return str(folder), str(dockerfile)


def scratch_image(
    folder: Path,
    registry: str,
    repository: str,
    tag: str,
    *,
    buildah_root: str,
    files: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """Build a tiny image with buildah, push it to a loopback registry, return its digest."""
    context_dir, dockerfile = write_scratch_context(folder, files or {"app.txt": tag})
    builder = BuildahBuilder(buildah_root)
    uri = f"{registry}/{repository}:{tag}"
    builder.build(context_dir, dockerfile, uri, {}, dict(labels or {}))
    return builder.push(uri, insecure_registry=True, auth=None)


def layer_files(registry: str, repository: str, digest: str) -> dict[str, bytes]:
    """Every regular file of every layer, fetched through the registry API."""
    found = manifest(registry, repository, digest, insecure=True)
    assert found is not None
    files: dict[str, bytes] = {}
    for layer in found["layers"]:
        data = blob(registry, repository, layer["digest"], insecure=True)
        assert data is not None
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
            for member in archive.getmembers():
                extracted = archive.extractfile(member)
                if extracted is not None:
                    files[member.name.lstrip("./")] = extracted.read()
    return files
