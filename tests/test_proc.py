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
