"""`git lift dashboard`'s server: one page on loopback, read-only (GET and nothing else), and
the static file a CI job publishes."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from git_lift import ui
from git_lift.errors import LiftError
from git_lift.flows.dashboard_page import POLICY

LOOPBACK = "127.0.0.1"
FRESH = 5.0  # seconds a page is served again before AWS is read anew (a reload storm)
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Pages:
    """The page, built on demand and kept FRESH seconds."""

    def __init__(self, build: Callable[[], str], first: str) -> None:
        self.build, self.text, self.at = build, first, time.monotonic()

    def current(self) -> str:
        if time.monotonic() - self.at > FRESH:
            self.text, self.at = self.build(), time.monotonic()
        return self.text


def serve(pages: Pages, port: int, ready: Callable[[str], None]) -> None:
    """Serve the page at http://127.0.0.1:PORT/ until interrupted (port 0: a free one)."""

    class Page(BaseHTTPRequestHandler):
        server_version = "git-lift"
        sys_version = ""

        def do_GET(self) -> None:
            # A page on loopback is still reachable from a browser through DNS rebinding (a
            # site whose name resolves to 127.0.0.1): only our own host names are answered.
            if self.headers.get("Host", "") not in allowed:
                self.send_error(421, "Misdirected Request")
                return
            if self.path.partition("?")[0] != "/":
                self.send_error(404, "Not Found")
                return
            try:
                body = pages.current().encode()
            except LiftError as exc:
                ui.error(exc.message, hint=exc.hint)
                self.send_error(503, "AWS could not be read: see the terminal")
                return
            self.send_response(200)
            for name, value in HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            ui.detail(f"dashboard: {self.address_string()} {format % args}")

    try:
        server = HTTPServer((LOOPBACK, port), Page)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LiftError(
                f"port {port} on {LOOPBACK} is in use",
                hint="give another with --port, or leave --port out for a free one",
            ) from None
        raise LiftError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from None
    bound = server.server_address[1]
    allowed = {f"{LOOPBACK}:{bound}", f"localhost:{bound}"}
    try:
        ready(f"http://{LOOPBACK}:{bound}/")
        server.serve_forever()
    finally:
        server.server_close()


def write_page(path: Path, text: str) -> None:
    """The static page, replaced in one step (a publishing job never reads half of it); it
    holds no value, so it is as readable as the user's umask makes new files."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LiftError(
            f"cannot write {path}: {exc.strerror}",
            hint=f"give a path in a folder that exists and you may write: mkdir -p {path.parent}",
        ) from None
