"""`git lift logs` and `git lift shell` against moto's server."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import boto3

from tests.support.helpers import Lift


def test_logs_prints_recent_events_of_the_service_group(aws: Any, lift: Lift) -> None:
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/lift/staging/payments-api")
    logs.create_log_stream(
        logGroupName="/lift/staging/payments-api", logStreamName="app/web/abc123"
    )
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/lift/staging/payments-api",
        logStreamName="app/web/abc123",
        logEvents=[
            {"timestamp": now - 5000, "message": "listening on :8080"},
            {"timestamp": now - 1000, "message": "GET /health 200"},
        ],
    )
    result = lift("logs", "-e", "staging", "--since", "1h")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["listening on :8080", "GET /health 200"]


def one_event_logged() -> None:
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/lift/staging/payments-api")
    logs.create_log_stream(logGroupName="/lift/staging/payments-api", logStreamName="app/web/a")
    logs.put_log_events(
        logGroupName="/lift/staging/payments-api",
        logStreamName="app/web/a",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "listening on :8080"}],
    )


def test_logs_follow_ends_quietly_at_ctrl_c_as_tail_f_does(aws: Any, lift: Lift) -> None:
    """Ctrl-C is how `logs -f` ends (issue 18): no `error: interrupted`, exit 0."""
    one_event_logged()
    following = subprocess.Popen(
        ["git-lift", "logs", "-e", "staging", "-f"],
        cwd=lift.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own foreground group, as a terminal's Ctrl-C finds it
    )
    assert following.stdout is not None
    assert following.stdout.readline().endswith("listening on :8080\n")
    os.killpg(following.pid, signal.SIGINT)
    _, said = following.communicate(timeout=30)
    assert (following.returncode, said) == (0, "")


def test_logs_follow_through_git_ends_quietly_though_git_forwards_the_ctrl_c(
    aws: Any, lift: Lift
) -> None:
    """`git lift logs -f`: the terminal's Ctrl-C reaches git and git-lift, and git forwards it
    to git-lift again, maybe as git-lift is on its way out: still not a word of error."""
    one_event_logged()
    following = subprocess.Popen(
        ["git", "lift", "logs", "-e", "staging", "-f"],
        cwd=lift.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert following.stdout is not None
    assert following.stdout.readline().endswith("listening on :8080\n")
    os.killpg(following.pid, signal.SIGINT)
    _, said = following.communicate(timeout=30)
    # git itself ends by the signal (as a shell reports it: 130). git's own line is no word of
    # git lift's: its signal handler reaps git-lift (run-command.c, cleanup_children with
    # wait_after_clean), and the waitpid it was in then finds no child (ECHILD) and says so.
    theirs = "error: waitpid for git-lift failed: No child processes"
    assert [line for line in said.splitlines() if line != theirs] == []


def test_logs_without_a_log_group_names_the_fix(aws: Any, lift: Lift) -> None:
    result = lift("logs", "-e", "staging")
    assert result.returncode == 1
    assert "no log group /lift/staging/payments-api" in result.stderr
    assert "hint: " in result.stderr


def test_bad_since_is_a_usage_error(aws: Any, lift: Lift) -> None:
    result = lift("logs", "-e", "staging", "--since", "yesterday")
    assert result.returncode == 2 and "not a duration" in result.stderr


def test_shell_without_the_session_manager_plugin(aws: Any, lift: Lift) -> None:
    result = lift("shell", "-e", "staging")
    assert result.returncode == 1
    assert "session-manager-plugin" in result.stderr and "hint: install it" in result.stderr
