"""The end-to-end tests' warm start (tests/support/warm.py) gives what a new `git lift` process
gives: the same exit codes, outputs, input, working folder and environment, side by side with
new interpreters (LIFT_TESTS_FRESH=1); and it steps aside where a new interpreter would differ."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import warm
from tests.support.helpers import GitRepo, Lift


def warm_environment() -> dict[str, str]:
    """This test process's environment, without LIFT_TESTS_FRESH (CI sets it for a pass)."""
    return {k: v for k, v in os.environ.items() if k != warm.FRESH_VARIABLE}


def both(lift: Lift, *args: str, env: dict[str, str] | None = None, **kwargs: Any) -> list[Any]:
    """[(exit code, stdout, stderr)] of the same command started warm, then new."""
    ran = []
    for fresh in ("0", "1"):
        result = lift(*args, env={**(env or {}), warm.FRESH_VARIABLE: fresh}, **kwargs)
        ran.append((result.returncode, result.stdout, result.stderr))
    return ran


def test_a_warm_command_answers_as_a_new_process_does(aws: Any, repo: GitRepo, lift: Lift) -> None:
    assert warm.warm_script(warm_environment()) is not None
    warm_run, fresh_run = both(lift, "--version")
    assert warm_run == fresh_run and warm_run[0] == 0 and "git lift" in warm_run[1]
    warm_run, fresh_run = both(lift, "config", "shwo", "-e", "staging")  # a usage error: 2
    assert warm_run == fresh_run and warm_run[0] == 2 and "error:" in warm_run[2]
    # Input, the working folder (a service's subfolder) and the environment reach it.
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    sub = repo.path / "sub"
    sub.mkdir()
    for value in ("one", "two"):
        warm_run, fresh_run = both(
            lift, "config", "set", "-e", "staging", "API_TOKEN", "--yes",
            input_text=f"{value}\n", cwd=sub,
        )  # fmt: skip
        assert warm_run[0] == fresh_run[0] == 0
        assert "payments-api in staging" in warm_run[1] + warm_run[2]
    shown = both(lift, "config", "show", "-e", "staging", "--show-values", cwd=sub)
    assert shown[0] == shown[1] and "API_TOKEN=two" in shown[0][1]
    refused = both(lift, "config", "show", "-e", "staging", env={"AWS_DEFAULT_REGION": "xx-1"})
    assert refused[0] == refused[1] and refused[0][0] != 0


def test_what_a_new_interpreter_reads_at_its_start_makes_it_start_new() -> None:
    env = warm_environment()
    assert warm.warm_script(env) is not None
    assert warm.warm_script({**env, "PYTHONIOENCODING": "latin-1"}) is None
    assert warm.warm_script({**env, "LC_ALL": "C"}) is None
    assert warm.warm_script({**env, warm.FRESH_VARIABLE: "1"}) is None
    elsewhere = {**env, "PATH": str(Path(sys.executable).parent.parent)}  # no git-lift there
    assert warm.warm_script(elsewhere) is None


def test_a_command_past_its_timeout_is_killed_and_raises(aws: Any, repo: GitRepo) -> None:
    silent = socket.socket()  # takes connections (the kernel does) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    with silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = {**warm_environment(), "AWS_ENDPOINT_URL": url}
        script = warm.warm_script(env)
        assert script is not None
        started = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            warm.run_git_lift(script, ["config", "show", "-e", "staging"], repo.path, env, None, 1)
        assert time.monotonic() - started < 10


def test_a_warm_command_creates_files_under_the_callers_umask(repo: GitRepo, lift: Lift) -> None:
    """`git lift init` writes .gitlift as a new process would: as the umask lets it."""
    modes = []
    written = repo.path / ".gitlift"
    # The warm process starts (if it has not yet) under the usual umask.
    assert lift("--version", env={warm.FRESH_VARIABLE: "0"}).returncode == 0
    mask = os.umask(0o077)
    try:
        for fresh in ("0", "1"):
            written.unlink(missing_ok=True)
            assert lift("init", env={warm.FRESH_VARIABLE: fresh}).returncode == 0
            modes.append(written.stat().st_mode & 0o777)
    finally:
        os.umask(mask)
    assert modes == [0o600, 0o600]
