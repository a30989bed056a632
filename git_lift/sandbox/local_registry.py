"""A real image registry on a loopback port: Debian's `docker-registry` (distribution v2).

The sandbox and the tests push images to it over plain http, which git lift allows for
loopback addresses only.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from git_lift import proc
from git_lift.errors import LiftError

CANDIDATES = ("docker-registry", "registry")
INSTALL_HINT = "apt-get install docker-registry"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
POLL = 0.05
PORT_ATTEMPTS = 3

CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: "{root}"
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


@dataclass
class RegistryHandle:
    address: str  # "127.0.0.1:PORT"
    pid: int
    data_dir: str
    log_path: str
    process: proc.Process | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.process is not None:
            proc.terminate(self.process.pid, STOP_TIMEOUT)
        else:
            stop_pid(self.pid)

    def __enter__(self) -> RegistryHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def find_registry_binary() -> str | None:
    """Debian installs distribution as `docker-registry`; upstream images call it `registry`."""
    for name in CANDIDATES:
        path = proc.which(name)
        if path is not None:
            return path
    return None


def start_registry(
    data_dir: str,
    port: int = 0,
    *,
    timeout: float = START_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
) -> RegistryHandle:
    """Start a registry storing into `data_dir` on 127.0.0.1:`port` (0: a free one)."""
    binary = find_registry_binary()
    if binary is None:
        raise LiftError("docker-registry is not installed", hint=INSTALL_HINT)
    if port and not _port_free(port):
        raise LiftError(
            f"cannot start docker-registry: 127.0.0.1:{port} is already in use",
            hint="pick another port, or stop what listens there",
        )
    os.makedirs(data_dir, exist_ok=True)
    # A free port can be taken between our probe and the registry's bind: try a few.
    attempts_left = 1 if port else PORT_ATTEMPTS
    while True:
        attempts_left -= 1
        handle = _launch(binary, data_dir, port or _free_port())
        try:
            _wait_ready(handle, timeout, sleep)
        except _ExitedEarly:
            if attempts_left == 0:
                raise
        except BaseException:
            handle.stop()
            raise
        else:
            return handle


def _launch(binary: str, data_dir: str, port: int) -> RegistryHandle:
    config_path = os.path.join(data_dir, "registry.yml")
    log_path = os.path.join(data_dir, "registry.log")
    with open(config_path, "w", encoding="utf-8") as handle:
        handle.write(CONFIG.format(root=os.path.abspath(data_dir), port=port))
    # REGISTRY_* variables override the config file; the user's must not reach our registry.
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    process = proc.start_background([binary, "serve", config_path], env=env, log_path=log_path)
    return RegistryHandle(f"127.0.0.1:{port}", process.pid, data_dir, log_path, process)


def stop_pid(pid: int) -> None:
    """Stop a registry started earlier (maybe by another git lift process): TERM, then KILL."""
    if _is_registry(pid):
        proc.terminate(pid, STOP_TIMEOUT)


class _ExitedEarly(LiftError):
    pass


def _wait_ready(handle: RegistryHandle, timeout: float, sleep: Callable[[float], None]) -> None:
    assert handle.process is not None
    url = f"http://{handle.address}/v2/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        code = handle.process.poll()
        if code is not None:
            raise _ExitedEarly(
                f"docker-registry exited with code {code}:\n{_log_tail(handle)}",
                hint=f"see {handle.log_path}",
            )
        try:
            with opener.open(url, timeout=1.0) as reply:
                if reply.status == 200 and handle.process.poll() is None:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise LiftError(
                f"docker-registry did not answer on {handle.address} within {timeout:.0f}s",
                hint=f"see {handle.log_path}",
            )
        sleep(POLL)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _is_registry(pid: int) -> bool:
    """Guard against a recycled pid: on Linux, check the command line before signalling."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read()
    except FileNotFoundError:
        # No such process, or no /proc at all (macOS): then trust the caller's pid.
        return not os.path.isdir("/proc/self") and proc.alive(pid)
    except OSError:
        return False
    return any(name.encode() in cmdline for name in CANDIDATES)


def _log_tail(handle: RegistryHandle, lines: int = 10) -> str:
    try:
        with open(handle.log_path, encoding="utf-8", errors="replace") as log:
            tail = log.read().splitlines()[-lines:]
    except OSError:
        return "  (no log)"
    return "\n".join(f"  {line}" for line in tail) or "  (no log)"
