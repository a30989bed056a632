from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from git_lift import proc
from git_lift.errors import LiftError, UsageError
from git_lift.registry import (
    ImageRef,
    RegistryAuth,
    auth_from_ecr_token,
    is_loopback,
    manifest_digest,
    parse_image,
)
from git_lift.sandbox.local_registry import (
    RegistryHandle,
    find_registry_binary,
    start_registry,
    stop_pid,
)
from tests.support.image import needs_registry

# -- pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("127.0.0.1:5000/api:abc", ImageRef("127.0.0.1:5000", "api", "abc")),
        ("localhost/team/api", ImageRef("localhost", "team/api")),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api:1f2e",
            ImageRef("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "payments-api", "1f2e"),
        ),
        ("nginx:1.25", ImageRef("docker.io", "library/nginx", "1.25")),
        ("acme/api", ImageRef("docker.io", "acme/api")),
        (
            "127.0.0.1:5000/api@sha256:" + "a" * 64,
            ImageRef("127.0.0.1:5000", "api", None, "sha256:" + "a" * 64),
        ),
    ],
)
def test_parse_image(uri: str, expected: ImageRef) -> None:
    assert parse_image(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "127.0.0.1:5000/api@sha256:" + "a" * 64 + "\nRolled-Back-From: 7",  # a forged trailer
        "127.0.0.1:5000/api:v1\n",
        "127.0.0.1:5000/api@sha256:" + "a" * 63,
        "127.0.0.1:5000/api@sha256:" + "A" * 64,
        "127.0.0.1:5000/api@latest",
        "127.0.0.1:5000/Api:v1",
        "127.0.0.1:5000/api:",
        "127.0.0.1:5000/api:-v1",
        "127.0.0.1:5000/api:" + "x" * 129,
        "127.0.0.1:5000//api:v1",
        "bad host.example/api:v1",
        "api v1",
        "",
    ],
)
def test_parse_image_refuses_what_docker_would_not_read(uri: str) -> None:
    with pytest.raises(UsageError, match="not an image reference"):
        parse_image(uri)


@pytest.mark.parametrize(
    ("registry", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("127.8.9.10", True),
        ("localhost:443", True),
        ("[::1]:5000", True),
        ("10.0.0.1:5000", False),
        ("localhost.evil.example:5000", False),
        ("123.dkr.ecr.eu-west-1.amazonaws.com", False),
    ],
)
def test_is_loopback(registry: str, loopback: bool) -> None:
    assert is_loopback(registry) is loopback


def test_ecr_token_decodes_to_basic_credentials() -> None:
    token = base64.b64encode(b"AWS:s3cr3t:with:colons").decode()
    auth = auth_from_ecr_token(token)
    assert auth == RegistryAuth("AWS", "s3cr3t:with:colons")
    assert "s3cr3t" not in repr(auth)


@pytest.mark.parametrize("token", ["not base64!", base64.b64encode(b"no-colon").decode()])
def test_malformed_ecr_token_is_refused(token: str) -> None:
    with pytest.raises(LiftError, match="ECR returned an authorization token"):
        auth_from_ecr_token(token)


def test_plain_http_is_refused_for_a_remote_registry() -> None:
    with pytest.raises(UsageError, match="only a loopback registry may be insecure"):
        manifest_digest("registry.example.com", "api", "latest", insecure=True)


def test_unreachable_registry_says_so() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LiftError, match=f"cannot reach registry 127.0.0.1:{port}"):
        manifest_digest(f"127.0.0.1:{port}", "api", "latest", insecure=True)


# -- a registry that wants a Bearer token (the Docker Hub / GHCR flow) ----------------------

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "x"}).encode()


class TokenRegistry(BaseHTTPRequestHandler):
    token_queries: list[str] = []  # noqa: RUF012 - shared with the test on purpose

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        if self.path.startswith("/token"):
            expected = "Basic " + base64.b64encode(b"ci:pw").decode()
            if self.headers.get("Authorization") != expected:
                self._send(401, b"{}")
                return
            self.token_queries.append(self.path)
            self._send(200, json.dumps({"token": "tok"}).encode())
            return
        if self.headers.get("Authorization") != "Bearer tok":
            challenge = (
                f'Bearer realm="http://{self.headers["Host"]}/token",service="reg",'
                'scope="repository:team/api:pull"'
            )
            self._send(401, b"{}", {"WWW-Authenticate": challenge})
            return
        if self.path != "/v2/team/api/manifests/v1":
            self._send(404, b"{}")
            return
        # No Docker-Content-Digest header: the client must hash the manifest itself.
        self._send(200, MANIFEST if body else b"", {"Content-Type": "x"})

    def _send(self, code: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def token_registry() -> Iterator[str]:
    TokenRegistry.token_queries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenRegistry)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_bearer_challenge_is_answered_with_a_token(token_registry: str) -> None:
    auth = RegistryAuth("ci", "pw")
    digest = manifest_digest(token_registry, "team/api", "v1", auth=auth, insecure=True)
    assert digest == "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    assert TokenRegistry.token_queries
    assert "service=reg" in TokenRegistry.token_queries[0]
    assert "scope=repository%3Ateam%2Fapi%3Apull" in TokenRegistry.token_queries[0]
    assert manifest_digest(token_registry, "team/api", "v2", auth=auth, insecure=True) is None


def test_wrong_credentials_are_reported(token_registry: str) -> None:
    with pytest.raises(LiftError, match="refused access \\(401") as caught:
        manifest_digest(
            token_registry, "team/api", "v1", auth=RegistryAuth("ci", "no"), insecure=True
        )
    assert caught.value.hint is not None and token_registry in caught.value.hint


# -- the real registry ------------------------------------------------------------------------


@needs_registry
def test_unknown_tag_has_no_digest(local_registry: RegistryHandle) -> None:
    assert manifest_digest(local_registry.address, "nothing/here", "v1", insecure=True) is None


@needs_registry
def test_registry_starts_answers_and_stops(tmp_path: Path) -> None:
    handle = start_registry(str(tmp_path / "data"))
    assert handle.address.startswith("127.0.0.1:")
    with urllib.request.urlopen(f"http://{handle.address}/v2/", timeout=5) as reply:
        assert reply.status == 200
    assert (tmp_path / "data" / "registry.yml").exists()
    stop_pid(handle.pid)  # as the sandbox does, from a later process that only kept the pid
    assert handle.process is not None and handle.process.poll() is not None
    handle.stop()  # already stopped: nothing to do
    with pytest.raises(LiftError, match="cannot reach"):
        manifest_digest(handle.address, "api", "v1", insecure=True)


def test_stop_pid_leaves_other_processes_alone() -> None:
    sleeper = proc.start_background(["sleep", "30"])
    try:
        stop_pid(sleeper.pid)  # a recycled pid must not be killed
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_missing_registry_binary_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_registry_binary() is None
    with pytest.raises(LiftError, match="docker-registry is not installed") as caught:
        start_registry(str(tmp_path / "data"))
    assert caught.value.hint == "apt-get install docker-registry"
    assert not os.path.exists(tmp_path / "data")


@needs_registry
def test_a_taken_port_is_refused(tmp_path: Path, local_registry: RegistryHandle) -> None:
    port = int(local_registry.address.rsplit(":", 1)[1])
    with pytest.raises(LiftError, match=f"127.0.0.1:{port} is already in use"):
        start_registry(str(tmp_path / "second"), port)


def test_a_registry_that_dies_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "docker-registry"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'configuration error: boom' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(LiftError, match="docker-registry exited with code 3") as caught:
        start_registry(str(tmp_path / "data"), sleep=lambda _: None)
    assert "configuration error: boom" in caught.value.message
    assert caught.value.hint == f"see {tmp_path / 'data' / 'registry.log'}"
    log = (tmp_path / "data" / "registry.log").read_text()
    assert log.count("boom") == 3, "a registry that dies at once is retried on fresh ports"
