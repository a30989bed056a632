"""Copy an image by digest from one registry to another through the OCI distribution API, so
an environment in another account or region runs byte for byte what was built once: the
manifest travels as the exact bytes it was pushed as, so its digest is unchanged.

Blobs the destination already has are skipped (HEAD first); a multi-arch index brings each
of its manifests. Blobs pass through memory, one at a time.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from dataclasses import dataclass

from git_lift import registry
from git_lift.errors import LiftError
from git_lift.registry import INDEX_TYPES, MANIFEST_TYPES, RegistryAuth


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
    data = registry.blob(
        source.registry,
        source.repository,
        digest,
        auth=source.auth,
        insecure=source.loopback,
    )
    if data is None:
        raise LiftError(f"registry {source.registry} lost blob {digest} of the image")
    started = _send(destination, "POST", destination.url("blobs/uploads/"), b"", None)
    location = started.headers.get("Location")
    if not location:
        raise LiftError(f"registry {destination.registry} gave no upload address")
    upload = urllib.parse.urljoin(destination.url("blobs/uploads/"), location)
    joiner = "&" if urllib.parse.urlsplit(upload).query else "?"
    target = f"{upload}{joiner}{urllib.parse.urlencode({'digest': digest})}"
    _send(destination, "PUT", target, data, "application/octet-stream")
    report.blobs_copied += 1


def _send(
    destination: Endpoint, method: str, url: str, data: bytes, content_type: str | None
) -> registry._Response:
    response = registry._request(
        method,
        url,
        destination.auth,
        accept=("*/*",),
        loopback=destination.loopback,
        data=data,
        content_type=content_type,
    )
    if response is None:
        raise LiftError(f"registry {destination.registry} answered 404 to {method} {url}")
    return response


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
