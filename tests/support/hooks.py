"""Helpers for the hook tests: parameters put straight into SSM, and `git commit` / `git push`
run as a user would, so that the installed hooks fire."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import boto3

from tests.support.helpers import GitRepo, run

STAGING_KEYS = ("DATABASE_URL", "API_TOKEN")


def put(key: str, env: str = "staging", service: str = "payments-api") -> None:
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name=f"/{env}/{service}/{key}", Value="secret-value", Type="SecureString", Overwrite=True
    )


def put_all(
    keys: tuple[str, ...] | list[str], env: str = "staging", service: str = "payments-api"
) -> None:
    for key in keys:
        put(key, env, service)


def commit(
    repo: GitRepo,
    message: str,
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return run(
        ["git", "commit", "-q", "-m", message, *args], cwd or repo.path, env=env, check=False
    )


def push(
    repo: GitRepo, *refs: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return run(["git", "push", "-q", "origin", *refs], cwd or repo.path, env=env, check=False)


def remote_has(repo: GitRepo, ref: str) -> bool:
    listed = repo.git("ls-remote", "origin", ref).stdout
    return bool(listed.strip())


def add_keys(repo: GitRepo, *keys: str, path: str = "env.sample") -> None:
    target = repo.path / path
    target.write_text(target.read_text() + "".join(f"{key}=example\n" for key in keys))
    repo.git("add", path)


# `platform` (tests/conftest.py): three services in one repository, main mapped to two envs.
PLATFORM_SERVICES = ("api", "billing", "worker")
PLATFORM_GITLIFT = "".join(
    f'[service "{name}"]\n\tpath = {name}\n' for name in PLATFORM_SERVICES
) + (
    '[env "staging"]\n\tref = refs/heads/main\n'
    '[env "qa"]\n\tref = refs/heads/main\n\tref = refs/heads/feature/*\n'
)


# What a hook shim could start besides git: each would be a process on every commit or push.
LOGGED = ("git", "dirname", "basename", "cat", "sed", "head", "tr")


def git_logged(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `git` (and LOGGED's other programs) write each command line to a
    log, then run the real one: the processes a hook starts, counted (issue 22: a hook at the
    process floor)."""
    log, shims = folder / "git-calls.log", folder / "git-log-bin"
    shims.mkdir()
    for program in LOGGED:
        real = shutil.which(program)
        assert real is not None, program
        logged = f'#!/bin/sh\necho "{program} $*" >> "{log}"\nexec "{real}" "$@"\n'
        (shims / program).write_text(logged)
        (shims / program).chmod(0o755)
    log.touch()
    return {"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}, log


def git_calls(log: Path) -> list[str]:
    """The processes the log holds, one a line: a git subcommand (`-c NAME=VALUE` left out),
    or the program's name for any other."""
    calls = []
    for line in log.read_text().splitlines():
        program, *words = line.split()
        while words[:1] == ["-c"]:
            words = words[2:]
        calls.append((words[0] if words else "") if program == "git" else program)
    return calls
