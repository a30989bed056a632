"""The sandbox: moto's AWS emulator on 127.0.0.1, with request counts and ECS rollouts.

Clients point at it with AWS_ENDPOINT_URL=<url>, region eu-west-1 and any credentials
(AWS_ACCESS_KEY_ID=testing). On top of moto's server it adds:

- `GET /_lift/requests`: how many requests each "service.Action" got, e.g.
  {"ssm.GetParametersByPath": 2}; `POST /_lift/requests/reset` zeroes the counts.
- `POST /_lift/reset`: empties moto, the rollout simulator and the counts.
  moto's own `POST /moto-api/reset` works too and resets the simulator along with moto.
- `GET /_lift/health`: {"status": "ok", "pid": ...} (how `git lift sandbox stop` knows
  that the process it is about to stop is this server).
- ECS services that deploy like real ECS: see git_lift.sandbox.rollout; one-off tasks
  (RunTask) that run, log and stop: see git_lift.sandbox.one_off.
- AWS's limits moto lacks (a TemplateBody over 51,200 bytes, a task definition over 64 KiB),
  refused as AWS refuses them: see git_lift.sandbox.limits.
- Parameter Store that pages as AWS does (DescribeParameters up to 50 a page, both listings
  indexed by path): see git_lift.sandbox.moto_state.patch_ssm.

Run it with `python -m git_lift.sandbox.server --port N`; it prints "ready URL" once serving.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from git_lift.errors import LiftError

try:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
    from werkzeug.serving import BaseWSGIServer, make_server
except ImportError as exc:  # moto without its [server] extras (flask, werkzeug)
    raise LiftError(
        "the sandbox needs moto[server], which is not installed",
        hint="pip install 'git-lift[sandbox]'",
    ) from exc

from git_lift.sandbox import cloudformation, iam_roles, limits, moto_speed, moto_state
from git_lift.sandbox.rollout import RolloutSimulator
from git_lift.sandbox.wsgi import (
    AwsCall,
    Environ,
    RequestCounter,
    StartResponse,
    Throttle,
    WsgiApp,
    identify,
    json_object,
    json_response,
    read_body,
    respond,
    run_app,
)


class LiftApplication:
    """WSGI middleware around moto's server app: counts, control endpoints, ECS hooks."""

    def __init__(
        self,
        moto_app: WsgiApp,
        simulator: RolloutSimulator,
        counter: RequestCounter,
        reset_all: Callable[[], None],
        throttle: Throttle,
    ) -> None:
        self.throttle = throttle
        self.moto_app = moto_app
        self.simulator = simulator
        self.counter = counter
        self.reset_all = reset_all

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_lift/"):
            return self._control(method, path, environ.get("QUERY_STRING", ""), start_response)
        if path.startswith("/moto-api/"):
            if method == "POST" and path.rstrip("/") == "/moto-api/reset":
                with self.simulator.lock:
                    status, headers, out = run_app(self.moto_app, environ)
                    self.simulator.reset()
                return respond(start_response, status, headers, out)
            return self.moto_app(environ, start_response)
        body = read_body(environ)
        call = identify(environ, body)
        self.counter.add(call.key)
        if self.throttle.take(call.key):
            return json_response(
                start_response,
                "400 Bad Request",
                {"__type": "ThrottlingException", "message": "Rate exceeded (sandbox)"},
            )
        refused = limits.refusal(call, body)
        if refused is not None:
            code, message = refused
            if call.service == "cloudformation":
                xml = [("Content-Type", "text/xml")]
                return respond(start_response, "400 Bad Request", xml, limits.query_error(*refused))
            return json_response(
                start_response, "400 Bad Request", {"__type": code, "message": message}
            )
        if call.service == "ecs":
            return self._ecs(call, environ, body, start_response)
        if call.service == "cloudformation":
            with self.simulator.lock:
                account = _account(environ, call.access_key)
                deleting = call.action == "DeleteStack"
                if deleting:
                    left = cloudformation.left_behind(account, call.region, body)
                    cloudformation.remove(account, call.region, left)
                status, headers, out = run_app(self.moto_app, environ)
                cloudformation.repair(account, call.region)
                self.simulator.stacks_changed(account, call.region)
            return respond(start_response, status, headers, out)
        return self.moto_app(environ, start_response)

    def _control(
        self, method: str, path: str, environ_query: str, start_response: StartResponse
    ) -> list[bytes]:
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_lift/requests"):
            return json_response(start_response, "200 OK", self.counter.snapshot())
        if route == ("POST", "/_lift/requests/reset"):
            self.counter.reset()
            return json_response(start_response, "200 OK", {"status": "ok"})
        if route == ("POST", "/_lift/reset"):
            self.reset_all()
            return json_response(start_response, "200 OK", {"status": "ok"})
        if method == "POST" and route[1].startswith("/_lift/throttle/"):
            count_text = parse_qs(environ_query).get("count", ["1"])[0]
            if not count_text.isdigit():
                error = {"error": f"count must be a whole number, not {count_text!r}"}
                return json_response(start_response, "400 Bad Request", error)
            count = int(count_text)
            self.throttle.arm(route[1].removeprefix("/_lift/throttle/"), count)
            return json_response(start_response, "200 OK", {"status": "ok"})
        if route == ("GET", "/_lift/health"):
            return json_response(start_response, "200 OK", {"status": "ok", "pid": os.getpid()})
        return json_response(start_response, "404 Not Found", {"error": f"no route {path}"})

    def _ecs(
        self, call: AwsCall, environ: Environ, body: bytes, start_response: StartResponse
    ) -> list[bytes]:
        params = json_object(body)
        account = _account(environ, call.access_key)
        simulator = self.simulator
        one_offs = simulator.one_offs
        with simulator.lock:
            if call.action == "DescribeServices":
                simulator.services_described(account, call.region, params)
            elif call.action == "DescribeTasks":
                one_offs.described(account, call.region, list(params.get("tasks") or []))
            elif call.action in ("ListServiceDeployments", "DescribeServiceDeployments"):
                # moto has neither: the simulator answers (sandbox/traffic.py).
                answer = simulator.service_deployments(account, call.region, call.action, params)
                return json_response(start_response, "200 OK", answer)
            elif call.action == "StopServiceDeployment":
                answer = simulator.stop_service_deployment(account, call.region, params)
                return json_response(start_response, "200 OK", answer)
            elif call.action == "RunTask":
                started = one_offs.run(account, call.region, params)
                if started is not None:
                    tasks = self._describe_tasks(environ, params.get("cluster"), started)
                    return json_response(start_response, "200 OK", {"tasks": tasks, "failures": []})
            status, headers, out = run_app(self.moto_app, environ)
            if not status.startswith("200"):
                return respond(start_response, status, headers, out)
            if call.action in ("CreateService", "UpdateService"):
                created = call.action == "CreateService"
                written = simulator.service_written(account, call.region, params, created=created)
                if written is not None:
                    out = self._render_service(environ, *written) or out
            elif call.action == "DeleteService":
                simulator.service_deleted(account, call.region, params)
            elif call.action == "StopTask":
                one_offs.stopped(account, call.region, str(params.get("task", "")))
                tasks = self._describe_tasks(environ, params.get("cluster"), [params["task"]])
                out = json.dumps({"task": tasks[0]}).encode() if tasks else out
            elif call.action == "ListTasks":
                listed = json_object(out)
                arns = listed.get("taskArns") or []
                listed["taskArns"] = simulator.visible_task_arns(account, call.region, params, arns)
                out = json.dumps(listed).encode()
        return respond(start_response, status, headers, out)

    def _render_service(self, environ: Environ, cluster: str, service_arn: str) -> bytes | None:
        """Serialise the service again after the simulator changed it, as moto would."""
        body = {"cluster": cluster, "services": [service_arn], "include": ["TAGS"]}
        services = self._moto_ecs(environ, "DescribeServices", body).get("services") or []
        return json.dumps({"service": services[0]}).encode() if services else None

    def _describe_tasks(self, environ: Environ, cluster: object, arns: list[str]) -> list[Any]:
        """The tasks as moto serialises them, after the sandbox changed them (not a step)."""
        body = {"cluster": cluster or "default", "tasks": arns}
        return list(self._moto_ecs(environ, "DescribeTasks", body).get("tasks") or [])

    def _moto_ecs(self, environ: Environ, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """moto's answer to another ECS action, asked with this request's credentials; {}
        when it refuses."""
        target_prefix = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[0]
        text = json.dumps(body).encode()
        request = {k: v for k, v in environ.items() if not k.startswith("werkzeug.")}
        request.update(
            {
                "wsgi.input": io.BytesIO(text),
                "CONTENT_LENGTH": str(len(text)),
                "HTTP_X_AMZ_TARGET": f"{target_prefix}.{action}",
            }
        )
        status, _, out = run_app(self.moto_app, request)
        return json_object(out) if status.startswith("200") else {}


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """moto's server plus the git lift additions, serving from a thread of this process."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_requests: bool = False,
        seconds_per_step: float | None = None,
    ):
        self._host = host
        self._port = port
        self._log_requests = log_requests
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.simulator = RolloutSimulator(seconds_per_step)
        self._throttle = Throttle()
        self._counter = RequestCounter()

    def start(self) -> None:
        if self._server is not None:
            raise LiftError(f"the sandbox server is already serving at {self.url}")
        moto_state.patch_ssm()  # Parameter Store pages and paths as AWS has them
        iam_roles.patch_roles()  # a stack's roles get their policies, on update too
        cloudformation.patch_updates()  # a resource removed then put back is made again
        moto_speed.read_json_templates_as_json()
        moto_speed.remember_method_names()
        app = LiftApplication(
            moto_speed.Dispatcher(create_backend_app),
            self.simulator,
            self._counter,
            self.reset,
            self._throttle,
        )
        handler = MotoRequestHandler if self._log_requests else _QuietRequestHandler
        listener = _listen(self._host, self._port)
        try:
            server = make_server(
                self._host,
                self._port,
                app,
                threaded=True,
                request_handler=handler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves from its own duplicate of the descriptor
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="git-lift-sandbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    @property
    def url(self) -> str:
        if self._server is None:
            raise LiftError("the sandbox server is not started")
        return f"http://{self._host}:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget every AWS resource, every rollout and every count."""
        from moto.moto_api._internal.models import moto_api_backend

        with self.simulator.lock:
            moto_api_backend.reset()
            self.simulator.reset()
        self._counter.reset()
        self._throttle.reset()

    def throttle(self, action: str, count: int) -> None:
        """Refuse the next `count` requests of "service.Action" with ThrottlingException."""
        self._throttle.arm(action, count)

    def request_counts(self) -> dict[str, int]:
        return self._counter.snapshot()

    def reset_counts(self) -> None:
        self._counter.reset()


# What `git lift sandbox` serves: rollouts also move with time (a step each half second), so
# a ship's back-off does not slow it; tests build SandboxServer() and step by requests only.
ROLLOUT_STEP = 0.5


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket; werkzeug would call sys.exit() itself when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        raise LiftError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another port with --port, or 0 for any free one",
        ) from exc
    return listener


def _account(environ: Environ, access_key: str) -> str:
    """The account moto files this request under (same order of precedence as moto)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    if not access_key:
        return str(DEFAULT_ACCOUNT_ID)
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


# Entry point --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m git_lift.sandbox.server",
        description="Serve git lift's local AWS emulator (moto) until SIGTERM or Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    parser.add_argument("--log-requests", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    server = SandboxServer(
        args.host, args.port, log_requests=args.log_requests, seconds_per_step=ROLLOUT_STEP
    )
    try:
        server.start()
    except LiftError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    print(f"ready {server.url}", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
