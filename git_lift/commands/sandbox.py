"""`git lift sandbox`: a local AWS emulator (and registry), so git lift runs without AWS.

    git lift sandbox            serve in the foreground until Ctrl-C
    git lift sandbox --detach   serve in the background; `git lift sandbox stop` ends it
    git lift sandbox reset      forget every AWS resource the sandbox holds
    git lift sandbox env        the variables that point a shell at it:
                                eval "$(git lift sandbox env)"

A running sandbox is recorded in $XDG_STATE_HOME/git-lift/sandbox.json (pid, URL, registry),
whichever way it was started, so `stop`, `reset` and `env` find it from any shell.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shlex
import signal
import site
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import git_lift
from git_lift import proc
from git_lift.errors import LiftError

if TYPE_CHECKING:
    from git_lift.sandbox.local_registry import RegistryHandle

Echo = Callable[[str], None]
Sleep = Callable[[float], None]

REGION = "eu-west-1"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.1
INSTALL_HINT = "pip install 'git-lift[sandbox]'"
START_HINT = "git lift sandbox --detach"
# moto keeps every AWS resource in memory and has no way to save it: a stop loses them all.
STOP_LOSES = (
    "what it held is gone (moto keeps AWS resources in memory only): config, stacks, "
    "services and releases; the next sandbox starts empty, on new ports "
    '(eval "$(git lift sandbox env)" again)'
)


@dataclass(frozen=True)
class SandboxState:
    """What sandbox.json records about the running sandbox."""

    pid: int
    url: str
    mode: str  # "foreground" or "detached"
    log: str | None = None
    registry_pid: int | None = None
    registry_address: str | None = None

    def to_json(self) -> str:
        ports = {"port": int(self.url.rsplit(":", 1)[1])}
        if self.registry_address:
            ports["registry_port"] = int(self.registry_address.rsplit(":", 1)[1])
        return json.dumps({**asdict(self), **ports}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SandboxState:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def state_dir(environ: dict[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/git-lift, ~/.local/state/git-lift when unset (XDG base directory spec)."""
    environ = dict(os.environ) if environ is None else environ
    base = environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "git-lift"


def export_lines(url: str, registry_address: str | None) -> list[str]:
    """Shell lines that point boto3, the AWS CLI and git lift at the sandbox."""
    variables = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    if registry_address:
        variables["GIT_LIFT_REGISTRY"] = registry_address
    return [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]


# Commands ------------------------------------------------------------------------------------


def serve(
    echo: Echo, *, port: int = 0, registry: bool = True, directory: Path | None = None
) -> int:
    """Serve in this process until Ctrl-C or SIGTERM (`git lift sandbox stop` sends one)."""
    directory = directory or state_dir()
    _require_moto_server()
    _refuse_if_running(directory)
    from git_lift.sandbox.server import SandboxServer

    # SIGTERM (from `git lift sandbox stop`) ends the serving like Ctrl-C, from the start on.
    stopping = threading.Event()
    previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    server = SandboxServer(port=port)
    handle = None
    try:
        server.start()
        handle = _start_registry(echo, directory) if registry else None
        state = SandboxState(
            pid=os.getpid(),
            url=server.url,
            mode="foreground",
            registry_pid=handle.pid if handle else None,
            registry_address=handle.address if handle else None,
        )
        _write_state(directory, state)
        _announce(echo, state, directory)
        echo("Serving until Ctrl-C.")
        with contextlib.suppress(KeyboardInterrupt):
            stopping.wait()
    finally:
        if handle is not None:
            handle.stop()
        server.stop()
        _remove_state(directory, pid=os.getpid())
        signal.signal(signal.SIGTERM, previous_handler)
    echo("sandbox stopped")
    return 0


def detach(
    echo: Echo,
    *,
    port: int = 0,
    registry: bool = True,
    directory: Path | None = None,
    timeout: float = READY_TIMEOUT,
    sleep: Sleep = time.sleep,
) -> int:
    """Start the sandbox server as a background process and record it."""
    directory = directory or state_dir()
    _require_moto_server()
    _refuse_if_running(directory)
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "sandbox.log"
    log.write_text("")
    server = proc.start_background(
        [sys.executable, "-m", "git_lift.sandbox.server", "--port", str(port)],
        env=proc.clean_env(_child_python_path()),
        log_path=str(log),
    )
    try:
        url = _wait_until_ready(server, log, timeout, sleep)
        handle = _start_registry(echo, directory) if registry else None
    except BaseException:
        proc.terminate(server.pid, STOP_TIMEOUT, sleep)
        raise
    state = SandboxState(
        pid=server.pid,
        url=url,
        mode="detached",
        log=str(log),
        registry_pid=handle.pid if handle else None,
        registry_address=handle.address if handle else None,
    )
    _write_state(directory, state)
    _announce(echo, state, directory)
    echo("Stop it with: git lift sandbox stop")
    return 0


def stop(
    echo: Echo,
    *,
    directory: Path | None = None,
    timeout: float = STOP_TIMEOUT,
    sleep: Sleep = time.sleep,
) -> int:
    """Stop the recorded sandbox (detached or foreground) and its registry."""
    directory = directory or state_dir()
    state = _read_state(directory)
    if state is None:
        raise LiftError("no sandbox is running", hint=START_HINT)
    answered = _answers(state)
    if answered:
        proc.terminate(state.pid, timeout, sleep)
        echo(f"stopped the sandbox at {state.url}")
        echo(STOP_LOSES)
    else:
        echo(f"the sandbox at {state.url} had already stopped; cleaned up after it")
    # A foreground sandbox stops its own registry, unless it was killed before it could.
    if state.mode == "detached" or not answered:
        _stop_orphans(state)
    _remove_state(directory, pid=state.pid)
    return 0


def reset(echo: Echo, *, directory: Path | None = None) -> int:
    """Forget every AWS resource, ECS rollout and request count the sandbox holds."""
    state = _running_state(directory or state_dir())
    try:
        _http(f"{state.url}/_lift/reset", method="POST")
    except OSError as exc:
        raise LiftError(
            f"the sandbox at {state.url} did not answer: {exc}",
            hint="git lift sandbox stop && git lift sandbox --detach",
        ) from exc
    echo(f"emptied the sandbox at {state.url}: no AWS resources, rollouts or counts remain")
    return 0


def env(echo: Echo, *, directory: Path | None = None) -> int:
    """Print the export lines of the running sandbox, for `eval "$(git lift sandbox env)"`."""
    state = _running_state(directory or state_dir())
    echo(f"# git lift sandbox at {state.url}: a local AWS emulator, not AWS")
    for line in export_lines(state.url, state.registry_address):
        echo(line)
    return 0


# State file ---------------------------------------------------------------------------------


def _state_path(directory: Path) -> Path:
    return directory / "sandbox.json"


def _read_state(directory: Path) -> SandboxState | None:
    try:
        return SandboxState.from_json(_state_path(directory).read_text())
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise LiftError(
            f"cannot read {_state_path(directory)}: {exc}",
            hint=f"rm {_state_path(directory)}",
        ) from exc


def _write_state(directory: Path, state: SandboxState) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = _state_path(directory)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(state.to_json())
    temporary.replace(path)


def _remove_state(directory: Path, *, pid: int) -> None:
    """Remove sandbox.json if it still describes the sandbox of `pid`."""
    current = _read_state(directory)
    if current is not None and current.pid == pid:
        _state_path(directory).unlink(missing_ok=True)


def _running_state(directory: Path) -> SandboxState:
    state = _read_state(directory)
    if state is None or not _answers(state):
        raise LiftError("no sandbox is running", hint=START_HINT)
    return state


def _refuse_if_running(directory: Path) -> None:
    state = _read_state(directory)
    if state is None:
        return
    if _answers(state):
        raise LiftError(
            f"a sandbox is already running at {state.url} (pid {state.pid})",
            hint="git lift sandbox stop",
        )
    _stop_orphans(state)  # left behind by a killed sandbox, with its registry still running
    _state_path(directory).unlink(missing_ok=True)


# Processes and HTTP -------------------------------------------------------------------------


def _child_python_path() -> dict[str, str]:
    """PYTHONPATH for the server process: this git_lift, when it is a checkout (not installed)."""
    parent = Path(git_lift.__file__).resolve().parent.parent
    installed = [*site.getsitepackages(), site.getusersitepackages()]
    if any(Path(path).resolve() == parent for path in installed):
        return {}
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(parent), os.environ.get("PYTHONPATH")]))
    }


def _require_moto_server() -> None:
    for module in ("moto", "flask", "flask_cors", "werkzeug"):
        if importlib.util.find_spec(module) is None:
            raise LiftError(
                f"the sandbox needs moto[server], which is not installed ({module} is missing)",
                hint=INSTALL_HINT,
            )


def _http(url: str, *, method: str = "GET", timeout: float = 5.0) -> Any:
    # No proxies: the sandbox is on loopback and HTTP_PROXY must not swallow the request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with opener.open(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


def _answers(state: SandboxState) -> bool:
    """Whether the recorded server is up, and is the process the state file names."""
    try:
        health = _http(f"{state.url}/_lift/health", timeout=2.0)
    except (OSError, ValueError):
        return False
    return isinstance(health, dict) and health.get("pid") == state.pid


def _wait_until_ready(server: proc.Process, log: Path, timeout: float, sleep: Sleep) -> str:
    deadline = time.monotonic() + timeout
    while True:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("ready "):
                return line.split(" ", 1)[1].strip()
        if server.poll() is not None:
            last = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise LiftError(f"the sandbox server exited while starting: {last}", hint=f"see {log}")
        if time.monotonic() > deadline:
            raise LiftError(
                f"the sandbox server was not ready within {timeout:.0f}s", hint=f"see {log}"
            )
        sleep(POLL_INTERVAL)


# Registry -----------------------------------------------------------------------------------


def _start_registry(echo: Echo, directory: Path) -> RegistryHandle | None:
    """Start Debian's docker-registry next to the emulator, when it is installed."""
    from git_lift.sandbox import local_registry

    if local_registry.find_registry_binary() is None:
        echo(
            "note: no local image registry: docker-registry is not installed "
            f"({local_registry.INSTALL_HINT}); ship with --image or push elsewhere"
        )
        return None
    return local_registry.start_registry(str(directory / "registry"), 0)


def _stop_orphans(state: SandboxState) -> None:
    """The recorded registry, which outlives a server killed with -9 (stop_pid checks that
    the pid still is a docker-registry before it signals it)."""
    if state.registry_pid is not None:
        from git_lift.sandbox import local_registry

        local_registry.stop_pid(state.registry_pid)


def _announce(echo: Echo, state: SandboxState, directory: Path) -> None:
    echo(f"git lift sandbox: a local AWS emulator at {state.url} (moto).")
    echo("This is NOT AWS: nothing you do here reaches an AWS account.")
    if state.registry_address:
        echo(f"Local image registry at {state.registry_address} (data in {directory}/registry).")
    echo('Point your shell at it (or run: eval "$(git lift sandbox env)"):')
    for line in export_lines(state.url, state.registry_address):
        echo(line)
