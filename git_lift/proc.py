"""The only module that starts processes: argument lists, never shell strings."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from git_lift.errors import LiftError
from git_lift.records import record

Process = subprocess.Popen[bytes]


@record(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


class ProcessFailed(LiftError):
    """A program exited non-zero: the command, its exit code and what it said."""

    def __init__(self, command: Sequence[str], returncode: int, stderr: str) -> None:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        super().__init__(f"{' '.join(command[:2])} failed (exit {returncode}): {last[0]}")
        self.command = list(command)
        self.returncode = returncode
        self.stderr = stderr


# git exports GIT_* variables to hooks (GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE...); a git
# command run from a hook must not inherit them or it acts on the hook's repository state
# rather than the one we name. As pre-commit does, keep only those that configure how git
# reaches remotes (an allow-list: a variable git adds later is dropped, not obeyed).
GIT_KEPT = frozenset(
    {
        "GIT_ASKPASS",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_EXEC_PATH",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_TERMINAL_PROMPT",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_EDITOR",
    }
)


def _kept_git(name: str) -> bool:
    return name in GIT_KEPT or name.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))


def clean_env(extra: Mapping[str, str] | None = None, *, drop_git: bool = False) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not (drop_git and name.startswith("GIT_") and not _kept_git(name))
    }
    if extra:
        env.update(extra)
    return env


def which(program: str) -> str | None:
    import shutil  # not on a hook's path

    return shutil.which(program)


@contextmanager
def _starting(args: Sequence[str]) -> Iterator[None]:
    """A program that is not there is the user's to install, not a crash."""
    try:
        yield
    except FileNotFoundError as exc:
        raise LiftError(f"{args[0]} is not installed or not on PATH") from exc


def _env(env: Mapping[str, str] | None) -> dict[str, str] | None:
    return dict(env) if env is not None else None


SHIELDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def _held(signals: Sequence[signal.Signals]) -> Iterator[None]:
    """Block `signals` for this thread (and so for a child started now) until the block ends;
    any that came meanwhile are delivered then."""
    if not signals:
        yield
        return
    # Read first, block inside the try: a signal caught as the block is set raises once the
    # call returns, and must find the finally that unblocks (else this thread, and every
    # program it starts later, keeps the three signals blocked).
    before = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def run(
    args: Sequence[str],
    *,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    check: bool = True,
    timeout: float | None = None,
    own_session: bool = False,
) -> Result:
    """Run a program and capture its output; raise LiftError when it fails and `check`.
    `own_session`: for a short local step that must not stop halfway (tagging a release):
    out of the terminal's process group, so that its Ctrl-C does not end it, and started with
    SIGINT, SIGTERM and SIGHUP blocked, held until it has exited. Until the child has left the
    group (setsid, between fork and exec) a signal to the group reaches it too: the interrupt
    sweep found a release tag lost that way."""
    try:
        with _starting(args), _held(SHIELDED_SIGNALS if own_session else ()):
            completed = subprocess.run(
                list(args),
                cwd=cwd,
                env=_env(env),
                input=input_text,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                start_new_session=own_session,
            )
    except subprocess.TimeoutExpired as exc:
        raise LiftError(f"{args[0]} did not finish within {timeout:g}s") from exc
    result = Result(completed.returncode, completed.stdout, completed.stderr)
    if check and result.returncode != 0:
        raise ProcessFailed(args, result.returncode, result.stderr or result.stdout)
    return result


def run_interactive(
    args: Sequence[str], *, cwd: str | None = None, env: Mapping[str, str] | None = None
) -> int:
    """Run a program attached to the terminal (an editor, a user's command); return its code.
    When we are interrupted (Ctrl-C, SIGTERM, SIGHUP), the program and everything it started
    end with us: an editor left behind would hold a terminal and a file that is gone."""
    with _starting(args):
        child = subprocess.Popen(list(args), cwd=cwd, env=_env(env))
    try:
        return child.wait()
    except BaseException:
        end_tree(child.pid)
        raise


def descendants(pid: int) -> list[int]:
    """Processes started by `pid`, at any depth (Linux's /proc; none elsewhere)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            # `pid (comm) state ppid ...`: comm may hold spaces and parentheses.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def end_tree(pid: int, timeout: float = 2.0) -> None:
    """SIGTERM `pid` and its descendants (listed first: once `pid` is gone they are reparented
    and can no longer be found), then SIGKILL whatever is left after `timeout`."""
    tree = [pid, *descendants(pid)]
    for member in tree:
        with suppress(ProcessLookupError):
            os.kill(member, signal.SIGTERM)
    for member in tree:
        terminate(member, timeout)


def run_streaming(
    args: Sequence[str],
    *,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
) -> Result:
    """Run a long program (a build) showing its output on stderr (progress, not data)."""
    with _starting(args):
        completed = subprocess.run(
            list(args),
            cwd=cwd,
            env=_env(env),
            input=input_text,
            text=True,
            check=False,
            stdout=sys.stderr,
        )
    return Result(completed.returncode, "", "")


def run_lines(
    args: Sequence[str],
    *,
    on_line: Callable[[str], None],
    timeout: float,
    env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> int | None:
    """Run a program (a container), handing each line of its output (stdout and stderr as one
    stream, in the order written) to `on_line` as it comes; return its exit code, or None when
    `timeout` passed first or `stop` was set: then it and everything it started were ended.
    Values reach it through `env`, never argv. Interrupted, it ends the program too (as
    run_interactive does)."""
    with _starting(args):
        child = subprocess.Popen(
            list(args),
            env=_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the terminal's Ctrl-C is ours to pass on, not its
        )
    assert child.stdout is not None
    deadline = time.monotonic() + timeout
    try:
        ended = _pump_lines(child.stdout.fileno(), on_line, deadline, stop)
        remaining = deadline - time.monotonic()
        if ended and remaining > 0:
            with suppress(subprocess.TimeoutExpired):
                return child.wait(remaining)
        end_tree(child.pid)
        child.wait()
        return None
    except BaseException:
        end_tree(child.pid)
        child.wait()
        raise
    finally:
        child.stdout.close()


def _pump_lines(
    fd: int, on_line: Callable[[str], None], deadline: float, stop: threading.Event | None
) -> bool:
    """Read `fd` until its end (True), the deadline or `stop` (False), a callback per line."""
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            remaining = 0.0 if stop and stop.is_set() else deadline - time.monotonic()
            if remaining > 0 and not selector.select(min(remaining, STOP_POLL)):
                continue  # woken without data: look at the clock (and `stop`) again
            chunk = os.read(fd, 65536) if remaining > 0 else None
            if not chunk:
                if pending:  # a last line without its newline
                    on_line(_line(pending))
                return chunk is not None  # b"": the end; None: the deadline
            *complete, pending = (pending + chunk).split(b"\n")
            for line in complete:
                on_line(_line(line))


STOP_POLL = 0.2  # seconds between looks at run_lines' `stop`


def _line(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")


def start_background(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: str | None = None,
) -> Process:
    """Start a long-running server process detached from our stdin."""
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115
    try:
        with _starting(args):
            return subprocess.Popen(
                list(args),
                env=_env(env),
                stdin=subprocess.DEVNULL,
                stdout=log if log is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    finally:
        if log is not None:
            log.close()  # the child holds its own descriptor


def start_pipe(args: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> Process:
    """Start a program that answers requests on its stdin (git cat-file --batch), in its own
    session: the terminal's Ctrl-C is ours to handle, and it ends when its stdin closes."""
    with _starting(args):
        return subprocess.Popen(
            list(args),
            cwd=cwd,
            env=_env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


Started = tuple[Sequence[str], "subprocess.Popen[str]"]


def start_capture(args: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> Started:
    """Start a short program whose output is read later (finish): a hook starts the git
    reads it will need at once, so that they run side by side."""
    with _starting(args):
        return args, subprocess.Popen(
            list(args),
            cwd=cwd,
            env=_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def finish(started: Started, *, check: bool = True) -> Result:
    """Wait for a start_capture program; its output as run() gives it."""
    args, process = started
    out, err = process.communicate()
    result = Result(process.returncode, out, err)
    if check and result.returncode != 0:
        raise ProcessFailed(args, result.returncode, result.stderr or result.stdout)
    return result


def close_pipe(process: Process) -> None:
    """End a start_pipe program: close its stdin, then wait for it (it exits at once)."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with suppress(OSError):
                stream.close()
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


# Who holds a lock or lease: `user@host pid N (nonce)`. The host and pid tell a later run on
# the same machine whether the holder still lives; the nonce tells two holders apart.
HOLDER = re.compile(r"^(?P<user>.*)@(?P<host>\S+) pid (?P<pid>\d+) ")


def holder_name() -> str:
    import getpass  # these three cost a hook's start-up, which takes no lock
    import socket
    import uuid

    user = re.sub(r"\s", "-", getpass.getuser() or "someone")
    return f"{user}@{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"


def holder_pid(holder: str) -> int | None:
    """The holder's process id when it runs on this machine, else None."""
    import socket

    found = HOLDER.match(holder)
    return int(found["pid"]) if found and found["host"] == socket.gethostname() else None


def holder_alive(holder: str) -> bool | None:
    """Whether a holder's process lives; None when it is on another machine (unknowable)."""
    pid = holder_pid(holder)
    return None if pid is None else alive(pid)


def alive(pid: int) -> bool:
    """Whether a process exists (reaping it first when it is our own finished child)."""
    with suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that exited and that no one reaped yet (another process's child, which
    waitpid cannot reap): gone for every purpose but its entry in the process table. Its main
    thread's state is not enough: a multi-threaded process (docker-registry, any Go program)
    shows its main thread a zombie while its other threads still exit, holding its sockets
    and not yet reapable (stop_pid returned so, with the registry still there): only once the
    main thread is the last one listed (/proc/PID/task) has the process ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        threads = {task.name for task in Path(f"/proc/{pid}/task").iterdir()}
        return state == "Z" and threads <= {str(pid)}
    except (OSError, IndexError):
        return False


KILL_WAIT = 10.0  # seconds a SIGKILLed process may take to be gone (on a loaded machine: seconds)


def terminate(pid: int, timeout: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """SIGTERM, wait up to `timeout` for the process to go, then SIGKILL and wait (briefly:
    a killed process is gone once the kernel has torn it down) for it to be gone."""
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            break
        sleep(0.05)
    else:
        return
    # Killed: wait without reaping it, so that its parent (maybe us) still reads how it ended.
    deadline = time.monotonic() + KILL_WAIT
    while not _ended(pid) and time.monotonic() < deadline:
        sleep(0.05)


def _ended(pid: int) -> bool:
    """Whether a process has exited, reaped or not; a child of ours is left to its reaper."""
    with suppress(ChildProcessError):
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _zombie(pid)
