"""An editor git lift opened ends with git lift (issue 9, finding 12): SIGTERM or SIGHUP to
git-lift while the editor waits used to leave the editor, and what it started, running."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from git_lift import proc
from tests.support.helpers import Lift, editor_script
from tests.support.hooks import put


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_the_editor_and_its_children_end_with_git_lift(
    aws: Any, lift: Lift, tmp_path: Path, sig: signal.Signals
) -> None:
    put("DATABASE_URL")
    pids = tmp_path / "pids"
    # An editor that starts a child of its own and waits for it, as `code --wait` does.
    editor = editor_script(
        tmp_path, f'sleep 300 &\necho "$$ $!" > {pids}.tmp\nmv {pids}.tmp {pids}\nwait'
    )
    process = subprocess.Popen(
        ["git-lift", "config", "edit", "-e", "staging"],
        cwd=lift.cwd,
        env={**os.environ, "GIT_EDITOR": editor},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pids.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        editor_pid, child_pid = map(int, pids.read_text().split())
        process.send_signal(sig)  # git-lift alone, not its process group
        assert process.wait(timeout=30) == 130
        deadline = time.monotonic() + 10
        while (proc.alive(editor_pid) or proc.alive(child_pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not proc.alive(editor_pid) and not proc.alive(child_pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
