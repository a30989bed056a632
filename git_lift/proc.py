"""The only module that starts processes: argument lists, never shell strings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from git_lift.errors import LiftError


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


# Variables git sets for hooks; a git command run from a hook must not inherit them or it
# would act on the hook's repository state rather than the one we name.
GIT_HOOK_VARIABLES = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX")


def clean_env(extra: Mapping[str, str] | None = None, *, drop_git: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if drop_git:
        for name in GIT_HOOK_VARIABLES:
            env.pop(name, None)
    if extra:
        env.update(extra)
    return env


def which(program: str) -> str | None:
    return shutil.which(program)


def run(
    args: Sequence[str],
    *,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> Result:
    """Run a program and capture its output; raise LiftError when it fails and `check`."""
    try:
        completed = subprocess.run(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise LiftError(f"{args[0]} is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise LiftError(f"{args[0]} did not finish within {timeout:.0f}s") from exc
    result = Result(completed.returncode, completed.stdout, completed.stderr)
    if check and result.returncode != 0:
        last_line = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or [""]
        raise LiftError(f"{args[0]} {args[1] if len(args) > 1 else ''} failed: {last_line[0]}")
    return result


def run_interactive(
    args: Sequence[str], *, cwd: str | None = None, env: Mapping[str, str] | None = None
) -> int:
    """Run a program attached to the terminal (an editor, a user's command); return its code."""
    try:
        return subprocess.call(list(args), cwd=cwd, env=dict(env) if env is not None else None)
    except FileNotFoundError as exc:
        raise LiftError(f"{args[0]} is not installed or not on PATH") from exc


def run_streaming(
    args: Sequence[str],
    *,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
) -> Result:
    """Run a long program (a build) showing its output on stderr (progress, not data)."""
    try:
        completed = subprocess.run(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input_text,
            text=True,
            check=False,
            stdout=sys.stderr,
        )
    except FileNotFoundError as exc:
        raise LiftError(f"{args[0]} is not installed or not on PATH") from exc
    return Result(completed.returncode, "", "")


def start_background(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a long-running server process detached from our stdin."""
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115
    try:
        return subprocess.Popen(
            list(args),
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log if log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise LiftError(f"{args[0]} is not installed or not on PATH") from exc
    finally:
        if log is not None:
            log.close()  # the child holds its own descriptor
