"""Copy an image by digest from one registry to another through the OCI distribution API, so
an environment in another account or region runs byte for byte what was built once: the
manifest travels as the exact bytes it was pushed as, so its digest is unchanged.

Blobs the destination already has are skipped (HEAD first); a multi-arch index brings each
of its manifests. A blob streams from one registry to the other in chunks (the distribution
API's chunked upload: PATCH each chunk, then PUT with the digest), hashed on the way, so a
gigabyte layer costs one chunk of memory; the upload is completed only when the bytes read
match the digest.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.parse
from dataclasses import dataclass

from git_lift import registry
from git_lift.errors import LiftError
from git_lift.registry import INDEX_TYPES, MANIFEST_TYPES, RegistryAuth

# ECR takes an upload in parts of at most 20 MiB (UploadLayerPart: layerPartBlob at most
# 20971520 bytes, botocore's ecr service model) and ECR Public in parts of at least 5 MiB but
# the last (LayerPartTooSmallException): 10 MiB chunks suit both.
CHUNK = 10 * 1024 * 1024
OCTETS = "application/octet-stream"


@dataclass(frozen=True)
class Endpoint:
    """One side of a copy: a repository in a registry, with its credentials."""

    registry: str
    repository: str
    auth: RegistryAuth | None = None

    @property
    def loopback(self) -> bool:
        return registry.is_loopback(self.registry)

    def url(self, path: str) -> str:
        return registry._url(self.registry, self.loopback, f"{self.repository}/{path}")


@dataclass
class CopyReport:
    digest: str
    blobs_copied: int = 0
    blobs_present: int = 0


def copy(source: Endpoint, digest: str, destination: Endpoint, tag: str) -> CopyReport:
    """Make `destination:tag` the image `source@digest`; returns what was moved."""
    report = CopyReport(digest)
    _copy_manifest(source, digest, destination, tag, report)
    return report


def _copy_manifest(
    source: Endpoint, reference: str, destination: Endpoint, tag: str | None, report: CopyReport
) -> None:
    body, media_type = _manifest_bytes(source, reference)
    document = registry._json_object(body, f"manifest {source.repository}@{reference}")
    if media_type in INDEX_TYPES:
        for entry in document.get("manifests") or []:
            _copy_manifest(source, str(entry["digest"]), destination, None, report)
    else:
        for item in [document.get("config") or {}, *(document.get("layers") or [])]:
            if item.get("digest"):
                _copy_blob(source, str(item["digest"]), destination, report)
    # Children of an index are pushed by digest; the image itself under its tag.
    _send(destination, "PUT", destination.url(f"manifests/{tag or reference}"), body, media_type)


def _manifest_bytes(source: Endpoint, reference: str) -> tuple[bytes, str]:
    response = registry._request(
        "GET",
        source.url(f"manifests/{reference}"),
        source.auth,
        accept=MANIFEST_TYPES,
        loopback=source.loopback,
    )
    if response is None:
        raise LiftError(
            f"registry {source.registry} has no image {source.repository}@{reference}",
            hint="ship the commit to an environment that builds it first",
        )
    if reference.startswith("sha256:") and _digest(response.body) != reference:
        raise LiftError(f"registry {source.registry} returned a manifest that is not {reference}")
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return response.body, media_type or registry.OCI_MANIFEST


def _copy_blob(source: Endpoint, digest: str, destination: Endpoint, report: CopyReport) -> None:
    present = registry._request(
        "HEAD",
        destination.url(f"blobs/{digest}"),
        destination.auth,
        accept=("*/*",),
        loopback=destination.loopback,
    )
    if present is not None:
        report.blobs_present += 1
        return
    hasher = hashlib.sha256()
    with registry.open_blob(
        source.registry, source.repository, digest, auth=source.auth, insecure=source.loopback
    ) as stream:
        if stream is None:
            raise LiftError(f"registry {source.registry} lost blob {digest} of the image")
        upload = _next_location(destination, destination.url("blobs/uploads/"), "POST", b"")
        offset = 0
        while chunk := _read_chunk(stream, source):
            hasher.update(chunk)
            end = offset + len(chunk)
            upload = _next_location(
                destination, upload, "PATCH", chunk, {"Content-Range": f"{offset}-{end - 1}"}
            )
            offset = end
    if "sha256:" + hasher.hexdigest() != digest:  # never completed: the destination lacks it
        raise registry.blob_mismatch(source.registry, digest)
    joiner = "&" if urllib.parse.urlsplit(upload).query else "?"
    target = f"{upload}{joiner}{urllib.parse.urlencode({'digest': digest})}"
    _send(destination, "PUT", target, b"", OCTETS)
    report.blobs_copied += 1


def _next_location(
    destination: Endpoint,
    url: str,
    method: str,
    data: bytes,
    headers: dict[str, str] | None = None,
) -> str:
    """Start an upload (POST) or send it a chunk (PATCH); the address of its next step."""
    answer = _send(destination, method, url, data, OCTETS if data else None, headers)
    location = answer.headers.get("Location")
    if not location:
        raise LiftError(f"registry {destination.registry} gave no upload address")
    return urllib.parse.urljoin(url, location)


def _read_chunk(stream: http.client.HTTPResponse, source: Endpoint) -> bytes:
    """The next CHUNK bytes of a blob (fewer at its end, none after it)."""
    parts: list[bytes] = []
    left = CHUNK
    try:
        while left and (part := stream.read(left)):
            parts.append(part)
            left -= len(part)
    except (OSError, http.client.HTTPException) as exc:
        raise LiftError(f"cannot read a blob from registry {source.registry}: {exc}") from exc
    return b"".join(parts)


def _send(
    destination: Endpoint,
    method: str,
    url: str,
    data: bytes,
    content_type: str | None,
    headers: dict[str, str] | None = None,
) -> registry._Response:
    response = registry._request(
        method,
        url,
        destination.auth,
        accept=("*/*",),
        loopback=destination.loopback,
        data=data,
        content_type=content_type,
        headers=headers,
    )
    if response is None:
        raise LiftError(f"registry {destination.registry} answered 404 to {method} {url}")
    return response


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
