"""The registry client's HTTP rules (git_lift/registry.py) against scripted registries on
loopback, in process: credentials never follow a redirect to another host, a token is asked
for only from a safe address, and a registry's odd answers are named, not trusted."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from git_lift import registry
from git_lift.errors import LiftError, UsageError
from git_lift.image_copy import Endpoint, copy
from git_lift.registry import RegistryAuth

BLOB = b"layer bytes"
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
AUTH = RegistryAuth("ci", "pw")


@dataclass
class Script:
    """What a scripted registry answers, by path, and the requests it saw."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    uploads: list[tuple[str, int]] = field(default_factory=list)  # (method, bytes) taken


def serve(script: Script) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return None

        def do_GET(self) -> None:
            script.seen.append((self.path, self.headers.get("Authorization")))
            code, headers, body = script.routes.get(self.path, (404, {}, b"{}"))
            self.send_response(code)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET

        def do_POST(self) -> None:
            """An upload: each step taken, its address the next one's."""
            size = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(size)
            script.uploads.append((self.command, size))
            self.send_response(201 if self.command == "PUT" else 202)
            self.send_header("Location", "/v2/api/blobs/uploads/u1")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PATCH = do_PUT = do_POST

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    return server, int(server.server_address[1])


@pytest.fixture
def scripts() -> Iterator[tuple[Script, int, Script, int]]:
    """Two registries: `first` at 127.0.0.1, `other` reached as `localhost` (another host)."""
    first, other = Script(), Script()
    servers = [serve(first), serve(other)]
    yield first, servers[0][1], other, servers[1][1]
    for server, _ in servers:
        server.shutdown()
        server.server_close()


def test_credentials_do_not_follow_a_redirect_to_another_host(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, storage, storage_port = scripts
    first.routes[f"/v2/api/blobs/{BLOB_DIGEST}"] = (
        307,
        {"Location": f"http://localhost:{storage_port}/bucket/blob"},
        b"",
    )
    storage.routes["/bucket/blob"] = (200, {}, BLOB)
    got = registry.blob(f"127.0.0.1:{port}", "api", BLOB_DIGEST, auth=AUTH, insecure=True)
    assert got == BLOB
    assert first.seen[0][1] is not None and first.seen[0][1].startswith("Basic ")
    assert storage.seen == [("/bucket/blob", None)]  # S3 would refuse a second scheme


def test_credentials_follow_a_redirect_on_the_same_host(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    first.routes[f"/v2/api/blobs/{BLOB_DIGEST}"] = (307, {"Location": "/elsewhere"}, b"")
    first.routes["/elsewhere"] = (200, {}, BLOB)
    assert registry.blob(f"127.0.0.1:{port}", "api", BLOB_DIGEST, auth=AUTH, insecure=True)
    assert [auth is not None for _, auth in first.seen] == [True, True]


def challenge(realm: str) -> tuple[int, dict[str, str], bytes]:
    return (401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="reg"'}, b"{}")


def test_a_token_is_never_asked_from_plain_http_off_loopback(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    first.routes["/v2/api/manifests/v1"] = challenge("http://tokens.example.com/token")
    with pytest.raises(LiftError) as raised:
        registry.manifest_digest(f"127.0.0.1:{port}", "api", "v1", auth=AUTH, insecure=True)
    assert raised.value.message == (
        "registry asked for a token from an unsafe address: 'http://tokens.example.com/token'"
    )


def test_a_token_service_that_gives_no_token_is_named(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    realm = f"http://127.0.0.1:{port}/token"
    first.routes["/v2/api/manifests/v1"] = challenge(realm)
    first.routes["/token?service=reg"] = (200, {}, b'{"expires_in": 300}')
    with pytest.raises(LiftError) as raised:
        registry.manifest_digest(f"127.0.0.1:{port}", "api", "v1", auth=AUTH, insecure=True)
    assert raised.value.message == f"the token service {realm} answered without a token"


def test_a_digest_header_that_is_not_a_digest_is_refused(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    first.routes["/v2/api/manifests/v1"] = (200, {"Docker-Content-Digest": "md5:abc"}, b"")
    with pytest.raises(LiftError) as raised:
        registry.manifest_digest(f"127.0.0.1:{port}", "api", "v1", insecure=True)
    assert (
        raised.value.message == f"registry 127.0.0.1:{port} answered an unexpected digest 'md5:abc'"
    )


def test_a_server_error_names_the_registry_and_the_status(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    first.routes["/v2/api/manifests/v1"] = (503, {}, b"")
    with pytest.raises(LiftError) as raised:
        registry.manifest(f"127.0.0.1:{port}", "api", "v1", insecure=True)
    assert raised.value.message.startswith(f"registry 127.0.0.1:{port} answered 503 ")
    assert raised.value.message.endswith(f"for http://127.0.0.1:{port}/v2/api/manifests/v1")


def test_a_forbidden_read_names_the_credentials_to_check(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    first.routes["/v2/api/manifests/v1"] = (403, {}, b"")
    with pytest.raises(LiftError) as raised:
        registry.manifest(f"127.0.0.1:{port}", "api", "v1", auth=AUTH, insecure=True)
    assert raised.value.message == f"registry 127.0.0.1:{port} refused access (403 Forbidden)"
    assert raised.value.hint == (
        f"check the credentials for 127.0.0.1:{port} and that they may read this repository"
    )


def test_a_manifest_that_is_not_a_json_object_is_named(
    scripts: tuple[Script, int, Script, int],
) -> None:
    first, port, _, _ = scripts
    first.routes["/v2/api/manifests/v1"] = (200, {}, b"[1, 2]")
    with pytest.raises(LiftError) as raised:
        registry.manifest(f"127.0.0.1:{port}", "api", "v1", insecure=True)
    assert raised.value.message == "manifest api:v1 is not a JSON object"


def test_docker_hub_is_reached_at_its_api_host_and_only_over_https() -> None:
    assert registry._url("docker.io", False, "library/nginx/manifests/1") == (
        "https://registry-1.docker.io/v2/library/nginx/manifests/1"
    )
    with pytest.raises(UsageError):
        registry._url("docker.io", True, "library/nginx/manifests/1")


def test_a_copied_blob_that_is_not_its_digest_is_never_completed(
    scripts: tuple[Script, int, Script, int],
) -> None:
    """Blobs stream from one registry to the other in chunks, hashed on the way: bytes that
    are not the digest are refused before the upload is completed (no PUT), so the
    destination never holds a blob under a digest it does not have."""
    source, port, destination, destination_port = scripts
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": BLOB_DIGEST}
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": registry.OCI_MANIFEST, "layers": [layer]}
    ).encode()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    source.routes[f"/v2/api/manifests/{digest}"] = (
        200,
        {"Content-Type": registry.OCI_MANIFEST},
        manifest,
    )
    source.routes[f"/v2/api/blobs/{BLOB_DIGEST}"] = (200, {}, b"not the layer's bytes")
    with pytest.raises(LiftError) as raised:
        copy(
            Endpoint(f"127.0.0.1:{port}", "api"),
            digest,
            Endpoint(f"localhost:{destination_port}", "api"),
            "v1",
        )
    assert raised.value.message == (
        f"registry 127.0.0.1:{port} returned a blob that does not match {BLOB_DIGEST}"
    )
    assert destination.uploads == [("POST", 0), ("PATCH", len(b"not the layer's bytes"))]
