"""The process runner beyond what tests/test_proc.py covers: a missing program is the user's
to install, a hung one has a deadline, an interrupted editor takes its children with it, and
lock holders on this machine are told alive or gone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from git_lift import proc
from git_lift.errors import LiftError


def test_a_missing_program_is_an_error_naming_it_not_a_crash() -> None:
    for run in (proc.run, proc.run_interactive, proc.run_streaming):
        with pytest.raises(LiftError) as missing:
            run(["git-lift-no-such-program", "--version"])
        assert missing.value.message == "git-lift-no-such-program is not installed or not on PATH"


def test_a_program_past_its_deadline_is_stopped_and_named() -> None:
    started = time.monotonic()
    with pytest.raises(LiftError) as late:
        proc.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.1)
    assert late.value.message == f"{sys.executable} did not finish within 0.1s"
    assert time.monotonic() - started < 15


def test_output_input_and_exit_codes_come_back_unchecked_when_asked() -> None:
    script = "import sys; data = sys.stdin.read(); print(data.upper()); sys.exit(4)"
    result = proc.run([sys.executable, "-c", script], input_text="hello", check=False)
    assert (result.returncode, result.stdout) == (4, "HELLO\n")


def test_a_failure_without_stderr_quotes_its_stdout() -> None:
    with pytest.raises(proc.ProcessFailed) as failed:
        proc.run([sys.executable, "-c", "print('only here'); raise SystemExit(2)"])
    assert failed.value.message.endswith("failed (exit 2): only here")


def test_a_silent_failure_says_there_was_no_output() -> None:
    with pytest.raises(proc.ProcessFailed) as failed:
        proc.run([sys.executable, "-c", "raise SystemExit(5)"])
    assert failed.value.message.endswith("failed (exit 5): no output")


def test_extra_variables_reach_the_program_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFT_TEST_VAR", "from-env")
    env = proc.clean_env({"LIFT_TEST_VAR": "extra"})
    script = "import os; print(os.environ['LIFT_TEST_VAR'])"
    assert proc.run([sys.executable, "-c", script], env=env).stdout == "extra\n"


def test_an_interrupted_editor_ends_with_the_programs_it_started(tmp_path: Path) -> None:
    """Ctrl-C while `code --wait` (or a shell around vi) runs: nothing is left behind
    holding the terminal or the edited file."""
    pids = tmp_path / "pids"
    script = f"sleep 60 & echo $! > {pids}.tmp; mv {pids}.tmp {pids}; wait"

    def interrupt(signum: int, frame: object) -> None:
        if not pids.exists():  # Ctrl-C once the editor has started its child
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(KeyboardInterrupt):
            proc.run_interactive(["sh", "-c", script])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    grandchild = int(pids.read_text())
    deadline = time.monotonic() + 10
    while proc.alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.alive(grandchild)


def test_descendants_are_found_at_any_depth() -> None:
    shell = subprocess.Popen(["sh", "-c", "sh -c 'sleep 30' & wait"])
    try:
        deadline = time.monotonic() + 10
        while len(proc.descendants(shell.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(proc.descendants(shell.pid)) == 2
    finally:
        proc.end_tree(shell.pid)
        shell.wait()
    assert not proc.alive(shell.pid)


def test_terminate_kills_a_process_that_ignores_sigterm() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    proc.terminate(stubborn.pid, timeout=0.1)
    assert stubborn.wait(timeout=10) == -signal.SIGKILL


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_holder_names_this_machine_and_process() -> None:
    holder = proc.holder_name()
    assert f"@{socket.gethostname()} pid {os.getpid()} (" in holder
    assert proc.holder_pid(holder) == os.getpid()
    assert proc.holder_alive(holder) is True
    assert proc.holder_name() != holder  # the nonce tells two holders of one process apart


def test_a_holder_on_this_machine_whose_process_is_gone_is_dead() -> None:
    holder = f"dev@{socket.gethostname()} pid {dead_pid()} (abc123)"
    assert proc.holder_alive(holder) is False


def test_a_holder_on_another_machine_cannot_be_known() -> None:
    holder = f"ci@build-host-that-is-not-this-one.example pid {os.getpid()} (abc123)"
    assert proc.holder_pid(holder) is None and proc.holder_alive(holder) is None
    assert proc.holder_alive("not a holder at all") is None


def test_a_user_name_with_spaces_still_parses() -> None:
    holder = f"Jane Doe@{socket.gethostname()} pid {os.getpid()} (abc123)"
    assert proc.holder_pid(holder) == os.getpid()


def test_a_builds_output_goes_to_stderr_so_stdout_stays_data(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """`git lift ship --output json | jq`: the build's progress must not reach the pipe."""
    result = proc.run_streaming(["sh", "-c", "echo step 1/3; echo warning >&2; exit 7"])
    out, err = capfd.readouterr()
    assert result.returncode == 7
    assert out == "" and "step 1/3" in err and "warning" in err


def test_a_background_server_logs_to_its_file_and_reads_no_input(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    script = (
        "import os, sys; print('read', repr(sys.stdin.read())); "
        "print('own session', os.getsid(0) == os.getpid(), flush=True)"
    )
    server = proc.start_background([sys.executable, "-c", script], log_path=str(log))
    assert server.wait(timeout=30) == 0
    assert log.read_text().splitlines() == ["read ''", "own session True"]


def test_a_background_log_is_appended_to_not_replaced(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("earlier run\n")
    proc.start_background(["echo", "this run"], log_path=str(log)).wait(timeout=30)
    assert log.read_text() == "earlier run\nthis run\n"


def test_a_step_that_must_not_stop_halfway_outlives_a_signal_that_reaches_it() -> None:
    # The interrupt sweep found release tags missing: a signal to the ship's process group
    # landed while `git tag` was being started, before it had left the group, and ended it.
    done = proc.run(
        ["sh", "-c", "kill -TERM $$; kill -INT $$; kill -HUP $$; echo finished"], own_session=True
    )
    assert (done.returncode, done.stdout) == (0, "finished\n")


def test_terminate_returns_once_a_killed_process_is_gone() -> None:
    # A registry slow to stop was SIGKILLed and terminate returned while it still ran.
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    proc.terminate(stubborn.pid, timeout=0.1)
    assert stubborn.poll() == -signal.SIGKILL  # already gone, and its end still readable


def main_thread_gone_first(seconds: float, *, ignore_term: bool = False) -> subprocess.Popen[bytes]:
    """A process whose main thread has ended while another runs on for `seconds`: what a
    multi-threaded program (docker-registry, any Go program) is for a moment as it exits. Its
    main thread shows as a zombie in /proc/PID/stat though the process has not ended."""
    ignore = "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_term else ""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import ctypes, signal, threading, time\n{ignore}"
            f"threading.Thread(target=time.sleep, args=({seconds},)).start()\n"
            "print('ready', flush=True)\n"
            "ctypes.CDLL(None).pthread_exit(None)\n",
        ],
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = time.monotonic() + 10
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    return child


def test_a_process_whose_main_thread_ended_is_alive_until_its_last_thread_is() -> None:
    """The registry test once saw stop_pid return with docker-registry not yet ended:
    terminate took its main thread's zombie for the end of the process."""
    child = main_thread_gone_first(1.0)
    assert proc.alive(child.pid) is True and child.poll() is None
    assert child.wait(timeout=10) == 0
    assert proc.alive(child.pid) is False


def test_terminate_returns_once_every_thread_of_the_process_is_gone() -> None:
    child = main_thread_gone_first(30, ignore_term=True)
    try:
        proc.terminate(child.pid, timeout=0.1)  # TERM unanswered: KILL, then gone
        assert child.poll() == -signal.SIGKILL
    finally:
        child.kill()
        child.wait()
