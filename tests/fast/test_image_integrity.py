"""A registry that answers with other bytes than the digest asked for is refused: the copy
by digest (git_lift/image_copy.py) and blob reads (git_lift/registry.py) check what they
received. The lying registry is a small HTTP server on loopback, in process."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from git_lift import registry
from git_lift.errors import LiftError
from git_lift.image_copy import Endpoint, copy

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": registry.OCI_MANIFEST}).encode()
EVIL = b"not what was asked for"


class Lying(BaseHTTPRequestHandler):
    """Answers any manifest or blob with fixed bytes, whatever digest was asked; records
    every write it is sent."""

    writes: ClassVar[list[str]] = []

    def log_message(self, *_: object) -> None:
        return None

    def _answer(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        if "/manifests/" in self.path:
            self._answer(MANIFEST, registry.OCI_MANIFEST)
        else:
            self._answer(EVIL, "application/octet-stream")

    do_HEAD = do_GET

    def do_PUT(self) -> None:
        Lying.writes.append(self.path)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT


@pytest.fixture
def lying() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Lying)
    Lying.writes = []
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_manifest_that_is_not_the_digest_asked_for_is_refused_before_any_write(
    lying: str,
) -> None:
    asked = "sha256:" + hashlib.sha256(b"the image that was built").hexdigest()
    destination = Endpoint(lying, "prod-api")
    with pytest.raises(LiftError) as raised:
        copy(Endpoint(lying, "api"), asked, destination, "v1")
    assert raised.value.message == f"registry {lying} returned a manifest that is not {asked}"
    assert Lying.writes == []


def test_a_blob_that_does_not_match_its_digest_is_refused(lying: str) -> None:
    asked = "sha256:" + hashlib.sha256(b"the real layer").hexdigest()
    with pytest.raises(LiftError) as raised:
        registry.blob(lying, "api", asked, insecure=True)
    assert raised.value.message == f"registry {lying} returned a blob that does not match {asked}"


def test_a_blob_that_matches_is_returned(lying: str) -> None:
    digest = "sha256:" + hashlib.sha256(EVIL).hexdigest()
    assert registry.blob(lying, "api", digest, insecure=True) == EVIL
