"""A minimal client for the OCI distribution API: does a tag exist, what is its digest.

urllib only. https always, plain http only for a registry on a loopback address (the sandbox's
registry, a test's registry). Credentials travel as Basic auth, or are traded for a Bearer
token when the registry asks for one (Docker Hub, GHCR); ECR takes Basic auth directly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from git_lift.errors import LiftError, UsageError

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
TIMEOUT = 30.0
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# The parts of a reference as docker's grammar (distribution/reference) spells them: a
# reference that fits can carry no newline, space or other text into a tag, label or log.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
REGISTRY = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class RegistryAuth:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way docker reads it: `registry/repository[:tag][@digest]`."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Message
    body: bytes


def parse_image(uri: str) -> ImageRef:
    """Split an image URI: `127.0.0.1:5000/api:abc`, `1234.dkr.ecr.../api@sha256:...`;
    anything that does not fit docker's reference grammar is refused."""
    rest, at, digest = uri.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, rest
        if "/" not in path:
            path = f"library/{path}"
    name, colon, tag = path.rpartition(":")
    if not colon or "/" in tag:
        name, colon, tag = path, "", ""
    if not (
        REGISTRY.fullmatch(registry)
        and REPOSITORY.fullmatch(name)
        and (not colon or TAG.fullmatch(tag))
        and (not at or DIGEST.fullmatch(digest))
    ):
        shown = repr(uri if len(uri) <= 100 else uri[:97] + "...")
        raise UsageError(
            f"not an image reference: {shown}",
            hint="use REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:<64 hex digits>",
        )
    return ImageRef(registry, name, tag or None, digest or None)


def is_loopback(registry: str) -> bool:
    """True for `localhost`, `127.x.y.z` and `[::1]`, with or without a port."""
    host = urllib.parse.urlsplit(f"//{registry}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_from_ecr_token(token: str) -> RegistryAuth:
    """Decode an ECR authorization token (base64 of `AWS:password`) into credentials."""
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise LiftError("ECR returned an authorization token that is not base64") from exc
    username, colon, password = decoded.partition(":")
    if not colon or not username or not password:
        raise LiftError("ECR returned an authorization token without a user name and password")
    return RegistryAuth(username, password)


def manifest_digest(
    registry: str,
    repository: str,
    tag: str,
    *,
    auth: RegistryAuth | None = None,
    insecure: bool = False,
) -> str | None:
    """The digest a tag points at, or None when the registry does not have that tag."""
    url = _url(registry, insecure, f"{repository}/manifests/{tag}")
    response = _request("HEAD", url, auth, accept=MANIFEST_TYPES, loopback=is_loopback(registry))
    if response is None:
        return None
    digest = response.headers.get("Docker-Content-Digest")
    if digest is None:
        # Some registries leave the header off a HEAD; the digest is the hash of the body.
        body = _fetch(registry, repository, f"manifests/{tag}", auth, insecure, MANIFEST_TYPES)
        if body is None:
            return None
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if not DIGEST.fullmatch(digest):
        raise LiftError(f"registry {registry} answered an unexpected digest {digest!r}")
    return digest


def manifest(
    registry: str,
    repository: str,
    reference: str,
    *,
    auth: RegistryAuth | None = None,
    insecure: bool = False,
) -> dict[str, Any] | None:
    """The manifest (or index) a tag or digest names, parsed; None when absent."""
    body = _fetch(registry, repository, f"manifests/{reference}", auth, insecure, MANIFEST_TYPES)
    return None if body is None else _json_object(body, f"manifest {repository}:{reference}")


def blob(
    registry: str,
    repository: str,
    digest: str,
    *,
    auth: RegistryAuth | None = None,
    insecure: bool = False,
) -> bytes | None:
    """A blob's bytes, checked against its digest; None when absent."""
    body = _fetch(registry, repository, f"blobs/{digest}", auth, insecure, ("*/*",))
    if body is not None and "sha256:" + hashlib.sha256(body).hexdigest() != digest:
        raise blob_mismatch(registry, digest)
    return body


def blob_mismatch(registry: str, digest: str) -> LiftError:
    return LiftError(f"registry {registry} returned a blob that does not match {digest}")


@contextmanager
def open_blob(
    registry: str,
    repository: str,
    digest: str,
    *,
    auth: RegistryAuth | None = None,
    insecure: bool = False,
) -> Iterator[http.client.HTTPResponse | None]:
    """A blob's bytes as a stream, for blobs too big to hold (the reader checks the digest);
    None when absent."""
    url = _url(registry, insecure, f"{repository}/blobs/{digest}")
    with _opened("GET", url, auth, accept=("*/*",), loopback=is_loopback(registry)) as reply:
        yield reply


def image_config(
    registry: str,
    repository: str,
    reference: str,
    *,
    auth: RegistryAuth | None = None,
    insecure: bool = False,
) -> dict[str, Any] | None:
    """The image configuration (labels, env, entrypoint); linux/amd64 for a multi-arch index."""
    found = manifest(registry, repository, reference, auth=auth, insecure=insecure)
    if found is not None and found.get("mediaType") in INDEX_TYPES:
        entries = found.get("manifests") or []
        amd64 = [
            entry
            for entry in entries
            if entry.get("platform", {}).get("architecture") == "amd64"
            and entry.get("platform", {}).get("os") == "linux"
        ]
        chosen = (amd64 or entries or [{}])[0].get("digest")
        if not chosen:
            return None
        found = manifest(registry, repository, chosen, auth=auth, insecure=insecure)
    if found is None:
        return None
    config_digest = found.get("config", {}).get("digest")
    if not config_digest:
        raise LiftError(f"manifest {repository}:{reference} names no config blob")
    body = blob(registry, repository, config_digest, auth=auth, insecure=insecure)
    return None if body is None else _json_object(body, f"config {config_digest}")


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise LiftError(f"{what} is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise LiftError(f"{what} is not a JSON object")
    return parsed


def _url(registry: str, insecure: bool, path: str) -> str:
    loopback = is_loopback(registry)
    if insecure and not loopback:
        raise UsageError(
            f"refusing plain http to {registry}: only a loopback registry may be insecure",
            hint="use the registry's https address",
        )
    host = DOCKER_HUB_API if registry == DOCKER_HUB else registry
    scheme = "http" if insecure else "https"
    return f"{scheme}://{host}/v2/{path}"


def _fetch(
    registry: str,
    repository: str,
    path: str,
    auth: RegistryAuth | None,
    insecure: bool,
    accept: tuple[str, ...],
) -> bytes | None:
    url = _url(registry, insecure, f"{repository}/{path}")
    response = _request("GET", url, auth, accept=accept, loopback=is_loopback(registry))
    return None if response is None else response.body


class _NoAuthAcrossHosts(urllib.request.HTTPRedirectHandler):
    """Blobs redirect to storage (S3 for ECR) that refuses a second Authorization header."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != req.host:
            new.remove_header("Authorization")
        return new


def _opener(loopback: bool) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_NoAuthAcrossHosts()]
    if loopback:
        handlers.append(urllib.request.ProxyHandler({}))  # a proxy cannot reach our loopback
    return urllib.request.build_opener(*handlers)


def _request(
    method: str,
    url: str,
    auth: RegistryAuth | None,
    *,
    accept: tuple[str, ...],
    loopback: bool,
    data: bytes | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> _Response | None:
    """Send one request and read its whole answer; None on 404."""
    with _opened(
        method, url, auth, accept=accept, loopback=loopback, data=data,
        content_type=content_type, headers=headers,
    ) as reply:  # fmt: skip
        return None if reply is None else _Response(reply.status, reply.headers, reply.read())


@contextmanager
def _opened(
    method: str,
    url: str,
    auth: RegistryAuth | None,
    *,
    accept: tuple[str, ...],
    loopback: bool,
    data: bytes | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Iterator[http.client.HTTPResponse | None]:
    """Send one request and hand over its answer unread, to be streamed; trade credentials
    for a token when challenged; None on 404."""
    opener = _opener(loopback)
    authorization = _basic(auth) if auth else None
    for attempt in range(2):
        sent = {"Accept": ", ".join(accept), **(headers or {})}
        if authorization:
            sent["Authorization"] = authorization
        if content_type:
            sent["Content-Type"] = content_type
        request = urllib.request.Request(url, method=method, headers=sent, data=data)
        try:
            reply = opener.open(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                yield None
                return
            challenge = exc.headers.get("WWW-Authenticate", "")
            if exc.code == 401 and attempt == 0 and challenge.lower().startswith("bearer"):
                authorization = "Bearer " + _token(opener, challenge, auth)
                continue
            raise _http_error(url, exc) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise _unreachable(url, exc) from exc
        with reply:
            yield reply
        return
    raise LiftError(f"registry refused access to {url}")  # pragma: no cover - loop returns


def _unreachable(url: str, exc: Exception) -> LiftError:
    reason = getattr(exc, "reason", exc)
    host = urllib.parse.urlsplit(url).netloc
    return LiftError(
        f"cannot reach registry {host}: {reason}",
        hint="check the registry address and your network",
    )


def _basic(auth: RegistryAuth) -> str:
    pair = f"{auth.username}:{auth.password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _token(opener: urllib.request.OpenerDirector, challenge: str, auth: RegistryAuth | None) -> str:
    params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = params.pop("realm", "")
    scheme, realm_host = urllib.parse.urlsplit(realm)[:2]
    if not (scheme == "https" or (scheme == "http" and is_loopback(realm_host))):
        raise LiftError(f"registry asked for a token from an unsafe address: {realm!r}")
    query = urllib.parse.urlencode({k: v for k, v in params.items() if k in ("service", "scope")})
    request = urllib.request.Request(f"{realm}?{query}" if query else realm)
    if auth:
        request.add_header("Authorization", _basic(auth))
    try:
        with opener.open(request, timeout=TIMEOUT) as reply:
            answer = json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        raise _http_error(realm, exc) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LiftError(f"cannot get a registry token from {realm}: {exc}") from exc
    token = answer.get("token") or answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise LiftError(f"the token service {realm} answered without a token")
    return token


def _http_error(url: str, exc: urllib.error.HTTPError) -> LiftError:
    host = urllib.parse.urlsplit(url).netloc
    if exc.code in (401, 403):
        return LiftError(
            f"registry {host} refused access ({exc.code} {exc.reason})",
            hint=f"check the credentials for {host} and that they may read this repository",
        )
    return LiftError(f"registry {host} answered {exc.code} {exc.reason} for {url}")
