"""Helpers for tests that build and push real images.

Their fixtures live in tests/conftest.py: `local_registry` is Debian's docker-registry on a free
loopback port, one per session; `buildah_root` points GIT_LIFT_BUILDAH_ROOT at a session temp
folder. Both skip the test, with the reason, when the tool is absent (`.ci/run` installs both).
"""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from git_lift import proc
from git_lift.build import BuildahBuilder, host_platform
from git_lift.flows.context import Context, load_settings
from git_lift.flows.image import source_tag
from git_lift.options import Options
from git_lift.registry import blob, manifest
from git_lift.repo import Repo
from git_lift.sandbox.local_registry import find_registry_binary

HAVE_BUILDAH = proc.which("buildah") is not None
HAVE_REGISTRY = find_registry_binary() is not None

needs_buildah = pytest.mark.skipif(
    not HAVE_BUILDAH, reason="buildah is not installed (apt-get install buildah)"
)
needs_registry = pytest.mark.skipif(
    not HAVE_REGISTRY, reason="docker-registry is not installed (apt-get install docker-registry)"
)
# Debian's busybox-static: one static binary, so a `FROM scratch` image can run a shell offline.
BUSYBOX = "/bin/busybox"
needs_busybox = pytest.mark.skipif(
    not Path(BUSYBOX).is_file(),
    reason="busybox is not installed (apt-get install busybox-static)",
)
# Its applets as symlinks made at build: the image has sh, echo, wc, env, sleep...
BUSYBOX_LINES = ("COPY busybox /bin/busybox", 'RUN ["/bin/busybox", "--install", "-s", "/bin"]')


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


def busybox_image(
    folder: Path,
    registry: str,
    repository: str,
    tag: str,
    *,
    buildah_root: str,
    files: Mapping[str, str] | None = None,
    extra_lines: tuple[str, ...] = (),
) -> str:
    """A runnable image (static busybox in `FROM scratch`, plus `files` and `extra_lines`: a
    CMD, ENV...) built with buildah and pushed to a loopback registry; `registry/repo@digest`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BUSYBOX, folder / "busybox")
    context_dir, dockerfile = write_scratch_context(
        folder, files or {}, (*BUSYBOX_LINES, *extra_lines)
    )
    builder = BuildahBuilder(buildah_root)
    uri = f"{registry}/{repository}:{tag}"
    builder.build(context_dir, dockerfile, uri, {}, {})
    return f"{registry}/{repository}@{builder.push(uri, insecure_registry=True, auth=None)}"


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


def shipped_tag(
    path: Path,
    sha: str | None = None,
    build_args: Mapping[str, str] | None = None,
    service: str | None = None,
) -> str:
    """The tag `git lift ship` gives the image of commit `sha` (HEAD) of the repository at
    `path`: its tree tag, built for this machine's platform."""
    repo = Repo.discover(str(path))
    ctx = Context(repo=repo, settings=load_settings(repo, Options()), options=Options(), cwd=path)
    chosen = ctx.settings.services[service] if service else ctx.service()
    commit = sha or repo.head_sha()
    return source_tag(
        ctx, ctx.target("staging", chosen), commit, dict(build_args or {}), host_platform()
    )
