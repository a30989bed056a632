"""`git lift ...` started from a warm process: the end-to-end tests' commands, without the
quarter second of CPU a new interpreter spends importing botocore, click and git lift.

Each pytest worker keeps one warm process (started at its first command), which imports
botocore, click and every git lift command's module, and then only forks. A command is a child
of a child of it: the waiter in between reports its exit code, so commands may run side by
side, as racing tests start them. The command child is set up as exec would set up `git-lift`
as git starts it (argv, working folder, environment with git's GIT_EXEC_PATH and PATH, standard
streams, umask, ignored and blocked signals) and runs the console script's entry point, which
ends the process with its exit code.

What a new interpreter would set up from the environment at its start (PYTHON* variables, the
locale) is the warm process's: a command whose environment changes one of them starts anew, as
does every command when LIFT_TESTS_FRESH=1 (the whole suite, new interpreters only). Hooks
fired by git, the demo, the quick start, terminals and the signal tests start theirs anew.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

FRESH_VARIABLE = "LIFT_TESTS_FRESH"
# Read by the interpreter as it starts, not when a command runs.
_AT_START = ("PYTHON", "LANG", "LC_")
_HEADER = struct.Struct("!I")
# The signals a test may leave ignored or blocked for what it starts (tests/support/signal_guard).
_PASSED_DOWN = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Warm:
    """This worker's warm process and the environment it started with."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        root = Path(__file__).resolve().parents[2]
        self.started_with = dict(os.environ)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from tests.support.warm import serve; serve({theirs.fileno()})",
            ],
            cwd=root,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.socket = ours
        self.lock = threading.Lock()

    def start(self, request: dict[str, object], streams: list[int]) -> socket.socket:
        """Hand one command to the warm process; the socket answers its pid, then its code."""
        answers, theirs = socket.socketpair()
        payload = json.dumps(request).encode()
        with self.lock:
            socket.send_fds(
                self.socket, [_HEADER.pack(len(payload)) + payload], [*streams, theirs.fileno()]
            )
        theirs.close()
        return answers


_warm: list[_Warm] = []
_warm_lock = threading.Lock()


@cache
def _exec_path() -> str:
    """git's own folder, which git puts first on PATH (and in GIT_EXEC_PATH) for git-lift."""
    return subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()


def warm_script(env: dict[str, str]) -> str | None:
    """The git-lift that `git lift` in `env` runs, when it may start warm (None: it starts
    new): the same git-lift as this interpreter's, and nothing the interpreter reads at its
    start changed."""
    if env.get(FRESH_VARIABLE) == "1":
        return None
    script = shutil.which("git-lift", path=env.get("PATH"))
    if script is None or Path(script).resolve().parent != Path(sys.executable).parent.resolve():
        return None
    started_with = _warm[0].started_with if _warm else dict(os.environ)
    names = {n for n in (*env, *started_with) if n.startswith(_AT_START)}
    return script if all(env.get(n) == started_with.get(n) for n in names) else None


def run_git_lift(
    script: str,
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    input_text: str | None,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    """`git lift *args` as git runs it (`script`: warm_script's answer), from the warm
    process; as subprocess.run does with capture_output=True and text=True (stdin inherited
    when there is no input)."""
    with _warm_lock:
        if not _warm or _warm[0].process.poll() is not None:
            _warm[:] = [_Warm()]
        warm = _warm[0]
    environment = {**env, "GIT_EXEC_PATH": _exec_path(), "PATH": f"{_exec_path()}:{env['PATH']}"}
    umask = os.umask(0o022)  # read, as a child would inherit it
    os.umask(umask)
    request: dict[str, object] = {
        "argv": [script, *args],
        "cwd": str(cwd),
        "env": environment,
        "umask": umask,
        # What exec hands down: ignored signals stay ignored, blocked ones blocked.
        "ignored": [int(s) for s in _PASSED_DOWN if signal.getsignal(s) == signal.SIG_IGN],
        "blocked": [int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])],
    }
    stdin_read, stdin_write = os.pipe() if input_text is not None else (0, -1)
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        answers = warm.start(request, [stdin_read, out_write, err_write])
    finally:
        for fd in (out_write, err_write, *([stdin_read] if input_text is not None else [])):
            os.close(fd)
    with answers:
        pid = _read_message(answers, timeout=30)["pid"]
        outputs = _Pump(out_read, err_read, stdin_write, input_text)
        try:
            code = _read_message(answers, timeout=timeout)["code"]
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            _read_message(answers, timeout=30)
            outputs.finish()
            raise subprocess.TimeoutExpired(["git", "lift", *args], timeout) from None
        stdout, stderr = outputs.finish()
    return subprocess.CompletedProcess(["git", "lift", *args], code, stdout, stderr)


class _Pump:
    """Writes the command's input and reads its two outputs in threads, as communicate does,
    so that neither side waits on a full pipe."""

    def __init__(self, out: int, err: int, stdin: int, text: str | None) -> None:
        self.chunks: dict[int, list[bytes]] = {out: [], err: []}
        self.fds = (out, err)
        self.threads = [
            threading.Thread(target=self._read, args=(fd,), daemon=True) for fd in self.fds
        ]
        if text is not None:
            self.threads.append(
                threading.Thread(target=self._write, args=(stdin, text), daemon=True)
            )
        for thread in self.threads:
            thread.start()

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as stream:
            while chunk := stream.read1(65536):
                self.chunks[fd].append(chunk)

    @staticmethod
    def _write(fd: int, text: str) -> None:
        # BrokenPipeError: the command ended without reading it all, as it may.
        with contextlib.suppress(BrokenPipeError), os.fdopen(fd, "wb") as stream:
            stream.write(text.encode())

    def finish(self) -> tuple[str, str]:
        for thread in self.threads:
            thread.join(timeout=30)
        out, err = (b"".join(self.chunks[fd]).decode(errors="replace") for fd in self.fds)
        return out, err


def _read_message(sock: socket.socket, timeout: float) -> dict[str, int]:
    data = b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            raise TimeoutError
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("the warm process ended without answering")
        data += chunk
    message: dict[str, int] = json.loads(data)
    return message


def serve(fd: int) -> None:
    """The warm process: import what every command imports, then fork a waiter per request
    until the worker closes its end."""
    import importlib
    import pkgutil

    import botocore.session  # noqa: F401  # every command that reaches AWS

    import git_lift.__main__
    import git_lift.cli.entry
    import git_lift.commands

    for module in pkgutil.iter_modules(git_lift.commands.__path__, "git_lift.commands."):
        importlib.import_module(module.name)

    control = socket.socket(fileno=fd)
    while True:
        _reap()
        ready, _, _ = select.select([control], [], [], 1.0)
        if not ready:
            continue
        message, fds, _, _ = socket.recv_fds(control, 1 << 20, 4)
        if not message:
            return
        (size,) = _HEADER.unpack_from(message)
        payload = message[_HEADER.size :]
        while len(payload) < size:
            payload += control.recv(size - len(payload))
        request = json.loads(payload)
        if os.fork() == 0:
            control.close()
            _wait_for_command(request, fds)
        for descriptor in fds:
            os.close(descriptor)


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _wait_for_command(request: dict[str, object], fds: list[int]) -> None:
    """The waiter: start the command, tell its pid, wait, tell its exit code."""
    *streams, answer_fd = fds
    answers = socket.socket(fileno=answer_fd)
    try:
        pid = os.fork()
        if pid == 0:
            answers.close()
            _become_the_command(request, streams)
        for descriptor in streams:
            os.close(descriptor)
        answers.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        answers.sendall(json.dumps({"code": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
    finally:
        os._exit(0)


def _become_the_command(request: dict[str, object], streams: list[int]) -> None:
    try:
        for target, descriptor in enumerate(streams):
            os.dup2(descriptor, target)
        for descriptor in set(streams):
            if descriptor > 2:
                os.close(descriptor)
        os.chdir(str(request["cwd"]))
        umask, ignored, blocked = request["umask"], request["ignored"], request["blocked"]
        assert isinstance(umask, int) and isinstance(ignored, list) and isinstance(blocked, list)
        os.umask(umask)
        for passed in _PASSED_DOWN:  # as a new interpreter sets them up from what it inherits
            started = signal.default_int_handler if passed == signal.SIGINT else signal.SIG_DFL
            signal.signal(passed, signal.SIG_IGN if passed in ignored else started)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        environment = request["env"]
        assert isinstance(environment, dict)
        os.environ.clear()
        os.environ.update(environment)
        argv = request["argv"]
        assert isinstance(argv, list)
        sys.argv = [str(a) for a in argv]
        sys.path[0] = str(Path(sys.argv[0]).parent)  # as the console script's own
        from git_lift.__main__ import console_main

        console_main()  # ends the process with the command's exit code
    except SystemExit as exit:
        os._exit(exit.code if isinstance(exit.code, int) else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    os._exit(1)
