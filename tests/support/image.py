"""Helpers for tests that build and push real images.

Their fixtures live in tests/conftest.py: `local_registry` is Debian's docker-registry on a free
loopback port, one per session; `buildah_root` points GIT_LIFT_BUILDAH_ROOT at a session temp
folder. Both skip the test, with the reason, when the tool is absent (`.ci/run` installs both).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import pytest

from git_lift import proc
from git_lift.build import BuildahBuilder, host_platform
from git_lift.flows.context import Context, load_settings
from git_lift.flows.image import source_tag
from git_lift.options import Options
from git_lift.registry import OCI_MANIFEST, blob, manifest
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


def push_random_image(registry: str, repository: str, tag: str, size: int, folder: Path) -> str:
    """Push an image whose one layer is `size` bytes of random data straight through the
    registry API (a file streamed in one PUT: no buildah, nothing held in memory); return the
    manifest's digest."""
    layer = folder / "layer.bin"
    hasher = hashlib.sha256()
    with layer.open("wb") as handle:
        for start in range(0, size, 1 << 20):
            chunk = os.urandom(min(1 << 20, size - start))
            hasher.update(chunk)
            handle.write(chunk)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {}}).encode()
    layer_digest, config_digest = f"sha256:{hasher.hexdigest()}", _sha256(config)
    with layer.open("rb") as handle:
        _push_blob(registry, repository, layer_digest, handle, size)
    _push_blob(registry, repository, config_digest, io.BytesIO(config), len(config))
    manifest_body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": size}],
        }
    ).encode()
    _put(f"http://{registry}/v2/{repository}/manifests/{tag}", manifest_body, OCI_MANIFEST)
    return _sha256(manifest_body)


OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _push_blob(registry: str, repository: str, digest: str, data: BinaryIO, size: int) -> None:
    start = urllib.request.Request(
        f"http://{registry}/v2/{repository}/blobs/uploads/", method="POST", data=b""
    )
    with urllib.request.urlopen(start) as reply:
        location = urllib.parse.urljoin(reply.url, reply.headers["Location"])
    joiner = "&" if urllib.parse.urlsplit(location).query else "?"
    url = f"{location}{joiner}{urllib.parse.urlencode({'digest': digest})}"
    request = urllib.request.Request(url, method="PUT", data=data)
    request.add_header("Content-Length", str(size))
    request.add_header("Content-Type", "application/octet-stream")
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 201, reply.status


def _put(url: str, body: bytes, content_type: str) -> None:
    request = urllib.request.Request(url, method="PUT", data=body)
    request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 201, reply.status
