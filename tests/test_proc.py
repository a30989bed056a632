"""The one process runner: failures carry the command, exit code and output; git run from a
hook sees none of the hook's GIT_* variables but those that say how to reach remotes."""

from __future__ import annotations

import sys

import pytest

from git_lift import proc

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def test_a_failed_command_raises_process_failed_with_its_code_and_stderr() -> None:
    script = "import sys; print('first'); sys.stderr.write('oops\\nbad thing\\n'); sys.exit(3)"
    with pytest.raises(proc.ProcessFailed) as failed:
        proc.run([sys.executable, "-c", script])
    assert failed.value.returncode == 3
    assert failed.value.command[1] == "-c"
    assert "bad thing" in failed.value.stderr
    assert failed.value.message.endswith("failed (exit 3): bad thing")


def test_git_variables_are_kept_by_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = {
        "GIT_DIR": "/elsewhere/.git",
        "GIT_INDEX_FILE": "/elsewhere/.git/index.lock",
        "GIT_OBJECT_DIRECTORY": "/elsewhere/objects",
        "GIT_QUARANTINE_PATH": "/elsewhere/quarantine",
        "GIT_SSH_COMMAND": "ssh -i key",
        "GIT_CONFIG_KEY_0": "http.proxy",
        "GIT_CONFIG_VALUE_0": "http://proxy",
    }
    for name, value in hook.items():
        monkeypatch.setenv(name, value)
    env = proc.clean_env(drop_git=True)
    assert {name for name in env if name.startswith("GIT_") and name in hook} == {
        "GIT_SSH_COMMAND",
        "GIT_CONFIG_KEY_0",
        "GIT_CONFIG_VALUE_0",
    }
    assert proc.clean_env()["GIT_DIR"] == "/elsewhere/.git"  # only when asked


def test_an_exited_process_nobody_reaped_is_not_alive() -> None:
    """`sandbox stop` waited its whole timeout for a registry that had exited but that its
    parent (another process) never reaped."""
    import os
    import subprocess
    import time

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while not proc._zombie(child.pid) and time.monotonic() < deadline:  # exited, not reaped
        time.sleep(0.01)
    os.kill(child.pid, 0)  # the process table still has it
    assert proc._zombie(child.pid) and not proc._zombie(os.getpid())
    child.wait()


def test_run_lines_hands_each_line_over_as_it_comes_and_returns_the_exit_code() -> None:
    """A task's output is streamed: the first line arrives while the program still runs."""
    import time

    script = (
        "import sys, time\n"
        "print('one', flush=True)\n"
        "sys.stderr.write('two\\n'); sys.stderr.flush()\n"
        "time.sleep(0.5)\n"
        "sys.stdout.write('three')\n"
        "sys.exit(4)\n"
    )
    start = time.monotonic()
    seen: list[tuple[str, float]] = []
    code = proc.run_lines(
        [sys.executable, "-c", script],
        on_line=lambda line: seen.append((line, time.monotonic() - start)),
        timeout=30,
    )
    assert code == 4
    assert [line for line, _ in seen] == ["one", "two", "three"]  # the last one unterminated
    assert seen[0][1] < seen[2][1] - 0.3  # "one" came before the program slept, not at its end


def test_run_lines_ends_the_program_and_what_it_started_at_the_deadline() -> None:
    import time

    # A shell, not Python: it has said all this within milliseconds, even on a loaded machine.
    script = "sleep 60 & echo $!; printf 'half a line'; sleep 60"
    seen: list[str] = []
    start = time.monotonic()
    code = proc.run_lines(["sh", "-c", script], on_line=seen.append, timeout=0.5)
    assert code is None
    assert time.monotonic() - start < 10
    assert seen[1:] == ["half a line"]  # what it said before the deadline is not lost
    grandchild = int(seen[0])
    deadline = time.monotonic() + 5
    while proc.alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.alive(grandchild)


def test_run_lines_gives_the_program_the_environment_it_is_given() -> None:
    seen: list[str] = []
    code = proc.run_lines(
        [sys.executable, "-c", "import os; print(os.environ['SECRET_X'])"],
        on_line=seen.append,
        timeout=30,
        env=proc.clean_env({"SECRET_X": "hunter2"}),
    )
    assert (code, seen) == (0, ["hunter2"])
