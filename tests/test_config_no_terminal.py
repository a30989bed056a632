"""`git lift config` where no person is: CI, a pipe that never closes, stdin at /dev/null.
Nothing waits for ever and no editor git did not name opens (vi on a pipe hangs, on
/dev/null it sprays escape codes and aborts)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.helpers import Lift, editor_script, run

EDITOR_VARIABLES = ("GIT_EDITOR", "VISUAL", "EDITOR")


def stored() -> dict[str, str]:
    params = boto3.client("ssm", region_name="eu-west-1").get_parameters_by_path(
        Path="/staging/payments-api", WithDecryption=True
    )["Parameters"]
    return {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in params}


def without_terminal(
    lift: Lift, *args: str, stdin: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """`git lift ARGS` with no editor variable set and stdin a pipe nobody closes ("pipe")
    or /dev/null ("null"); the result and how long it took. A hang fails the test."""
    clean = {k: v for k, v in os.environ.items() if k not in EDITOR_VARIABLES} | (env or {})
    reader, writer = os.pipe()
    started = time.monotonic()
    try:
        result = subprocess.run(
            ["git", "lift", *args],
            cwd=lift.cwd,
            stdin=reader if stdin == "pipe" else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=clean,
            timeout=60,
            check=False,
        )
    finally:
        os.close(reader)
        os.close(writer)
    return result, time.monotonic() - started


@pytest.mark.parametrize("stdin", ["pipe", "null"])
def test_config_edit_without_a_terminal_or_a_set_editor_refuses_and_names_set_and_import(
    aws: Any, lift: Lift, stdin: str
) -> None:
    aws.reset_counts()
    result, _ = without_terminal(lift, "config", "edit", "-e", "staging", stdin=stdin)
    assert result.returncode == 2, result.stderr
    assert "no terminal" in result.stderr and "nothing was opened" in result.stderr
    assert "git lift config set -e staging" in result.stderr
    assert "git lift config import -e staging" in result.stderr
    assert "\x1b" not in result.stderr + result.stdout  # no editor drew on anything
    assert aws.request_counts() == {}


def test_config_edit_without_a_terminal_runs_the_editor_git_is_told_to_use(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    editor = editor_script(tmp_path, "echo 'FROM_CORE_EDITOR=1' >> \"$file\"")
    run(["git", "config", "core.editor", editor], lift.cwd)
    result, _ = without_terminal(lift, "config", "edit", "-e", "staging", stdin="pipe")
    assert result.returncode == 0, result.stderr
    assert stored() == {"FROM_CORE_EDITOR": "1"}


def test_a_bare_key_reads_its_value_from_a_pipe(aws: Any, lift: Lift) -> None:
    result = lift(
        "config", "set", "-e", "staging", "API_TOKEN", "OTHER", input_text="tok-1\nother\n"
    )
    assert result.returncode == 0, result.stderr
    assert stored() == {"API_TOKEN": "tok-1", "OTHER": "other"}
