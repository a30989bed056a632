"""A fault-injecting HTTP proxy on loopback, in front of the sandbox's moto server.

The `fault_proxy` fixture (tests/conftest.py) starts a proxy in front of the `aws` sandbox and
points AWS_ENDPOINT_URL at it (subprocesses inherit it), passing everything through until a
test adds faults:

    fault_proxy.add(Fault("cut", action="PutParameter", after=20, sticky=True))
    fault_proxy.add(Fault("cut", rate=0.2, seed=7))            # 20% of requests dropped
    fault_proxy.add(Fault("error", status=503, count=3))       # a burst of three 503s
    fault_proxy.add(Fault("stall"))                            # accepts, never answers
    fault_proxy.add(Fault("lose", action="PutParameter"))      # done upstream, answer lost

A fault's `action` matches the AWS API action (X-Amz-Target or the form's Action=); `after`
lets that many matching requests through first; `count` bounds how many it hits; `sticky`
makes it hit every request (whatever its action) once it has hit one: a network that goes
down. The proxy is threads only, bounded in time: it stops itself after `lifetime` seconds,
and a stalled request is held until the proxy stops, never longer.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


@dataclass
class Fault:
    kind: Literal["cut", "lose", "error", "stall"]  # lose: forwarded, answer cut
    action: str | None = None  # None: every request
    after: int = 0  # matching requests let through before the fault starts
    count: int | None = None  # how many requests it hits at most (None: no bound)
    rate: float = 1.0  # chance that a matching request is hit
    seed: int = 0
    status: int = 503  # for "error"
    sticky: bool = False  # once it hit, hit every request
    seen: int = 0
    hits: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def decide(self, action: str) -> bool:
        """Whether this request is hit (called under the proxy's lock, in request order)."""
        if self.count is not None and self.hits >= self.count:
            return False
        if self.sticky and self.hits:
            self.hits += 1
            return True
        if self.action is not None and action != self.action:
            return False
        self.seen += 1
        if self.seen <= self.after or self._random.random() >= self.rate:
            return False
        self.hits += 1
        return True


def action_of(headers: Any, body: bytes) -> str:
    target = headers.get("X-Amz-Target", "")
    if "." in target:
        return str(target.rsplit(".", 1)[1])
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return ""


class FaultProxy:
    """Forwards each request to `upstream` unless a fault hits it; counts what it saw."""

    def __init__(self, upstream: str, *, lifetime: float = 120.0) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        self.requests: list[tuple[str, str]] = []  # (action, what happened), in order
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._lifetime = lifetime

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, action: str, outcome: str | None = None) -> int:
        with self._lock:
            return sum(
                1 for a, o in self.requests if a == action and (outcome is None or o == outcome)
            )

    def start(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()
        timer = threading.Timer(self._lifetime, self.stop)
        timer.daemon = True
        timer.start()
        return self

    def stop(self) -> None:
        if not self.stopped.is_set():
            self.stopped.set()  # releases stalled requests first
            self._server.shutdown()
            self._server.server_close()

    def _verdict(self, action: str) -> Fault | None:
        with self._lock:
            hit = next((f for f in self._faults if f.decide(action)), None)
            self.requests.append((action, hit.kind if hit else "passed"))
            return hit

    def _forward(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
        upstream = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            upstream.request(method, path, body=body or None, headers=sent)
            answer = upstream.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            upstream.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._verdict(action_of(self.headers, body))
                if fault is None:
                    self._reply(*proxy._forward(self.command, self.path, self.headers, body))
                elif fault.kind == "error":
                    message = b'{"__type":"InternalFailure","message":"injected by the proxy"}'
                    self._reply(fault.status, [("Content-Type", "application/json")], message)
                else:
                    if fault.kind == "stall":
                        proxy.stopped.wait()
                    elif fault.kind == "lose":
                        proxy._forward(self.command, self.path, self.headers, body)
                    self.close_connection = True  # "cut": the connection ends, no answer

            def _reply(self, status: int, headers: Any, body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

        return Handler


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    """Poll `condition` every 20 ms until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())
