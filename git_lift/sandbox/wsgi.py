"""What the sandbox server reads off a request (which AWS call, from which account key) and
the WSGI plumbing that lets it run moto's app and rewrite the answer."""

from __future__ import annotations

import io
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

DEFAULT_REGION = "eu-west-1"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_RPC_V2_OPERATION = re.compile(r"^/service/[^/]+/operation/([^/]+)$")


@dataclass(frozen=True)
class AwsCall:
    """What one HTTP request asks AWS for, as far as counting and ECS hooks need."""

    service: str
    action: str
    region: str
    access_key: str

    @property
    def key(self) -> str:
        return f"{self.service}.{self.action}"


def identify(environ: Environ, body: bytes) -> AwsCall:
    """Name a request "service.Action" from its signature and X-Amz-Target, form or path."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    credential = environ.get("HTTP_AUTHORIZATION", "")
    if "X-Amz-Credential" in query:  # a presigned URL
        credential = "Credential=" + query["X-Amz-Credential"][0]
    match = _CREDENTIAL.search(credential)
    access_key, region, service = match.groups() if match else ("", DEFAULT_REGION, "unknown")

    target = environ.get("HTTP_X_AMZ_TARGET", "")
    path = environ.get("PATH_INFO", "")
    action = ""
    if "." in target:
        action = target.rsplit(".", 1)[1]
    elif environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    if not action:
        action = query.get("Action", [""])[0]
    if not action and (rpc := _RPC_V2_OPERATION.match(path)):
        action = rpc.group(1)
    if not action:
        action = f"{environ.get('REQUEST_METHOD', 'GET')} {path}"
    return AwsCall(service=service, action=action, region=region, access_key=access_key)


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class Throttle:
    """Fault injection: the next N requests of an action are refused as AWS refuses them when
    the account's rate is exceeded (`POST /_lift/throttle/ssm.GetParametersByPath?count=N`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left: Counter[str] = Counter()

    def arm(self, key: str, count: int) -> None:
        with self._lock:
            self._left[key] = count

    def take(self, key: str) -> bool:
        with self._lock:
            if self._left[key] <= 0:
                return False
            self._left[key] -= 1
            return True

    def reset(self) -> None:
        with self._lock:
            self._left.clear()


# WSGI plumbing ------------------------------------------------------------------------------


def read_body(environ: Environ) -> bytes:
    """Read the request body and put it back so that moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def run_app(app: WsgiApp, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to completion: (status, headers, body)."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(chunks)


def respond(
    start_response: StartResponse, status: str, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(body)))])
    return [body]


def json_response(start_response: StartResponse, status: str, data: object) -> list[bytes]:
    body = json.dumps(data).encode()
    return respond(start_response, status, [("Content-Type", "application/json")], body)


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
