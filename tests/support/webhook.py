"""A webhook on loopback (issue 24): a real HTTP server in a thread on 127.0.0.1 that keeps
the JSON bodies POSTed to it, answering `status` after `delay` seconds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "T000/B000/very-secret-token"  # what a webhook URL's path hides


@dataclass
class Hook:
    bodies: list[dict[str, Any]] = field(default_factory=list)  # with "path" and "type"
    status: int = 200
    delay: float = 0.0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/{TOKEN}"


@contextmanager
def serving() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            time.sleep(state.delay)
            state.bodies.append({"path": self.path, "type": self.headers["Content-Type"], **body})
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    # A short poll: shutdown() waits for it (0.5 s by default, at every test's end).
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
