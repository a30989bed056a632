"""The hooks' cost: wall time and AWS requests of what a developer waits on.

(a) `git commit` with git lift's pre-commit hook and no env.sample staged, next to the same
    commit with an empty hook: zero requests, within 2x.
(b) a commit adding 3 keys to env.sample: one request (GetParameters, names only).
(c) `git push` of a branch that maps to two environments with 200 keys each, next to one
    environment: environments are checked concurrently, so two take about the time of one.

`rows(server)` is called by bench/run.py with the environment already pointing at its
sandbox; `python -m bench.hooks` starts its own sandbox and prints the same rows.
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from bench.common import REGION, Row, describe, make_repo, ms, print_table, sandbox

KEYS = 200
RUNS = 7


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True)


def put(ssm: Any, env: str, service: str, keys: list[str]) -> None:
    for key in keys:
        ssm.put_parameter(
            Name=f"/{env}/{service}/{key}", Value="value", Type="SecureString", Overwrite=True
        )


def timed(
    server: Any, prepare: Callable[[int], None], command: list[str], repo: Path, runs: int = RUNS
) -> tuple[dict[str, int], float]:
    """Median wall time of `command` over runs (each after `prepare(n)`), and the AWS
    requests of one run."""
    times, counts = [], {}
    for n in range(runs):
        prepare(n)
        server.reset_counts()
        start = time.perf_counter()
        subprocess.run(command, cwd=repo, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
        counts = server.request_counts()
    return counts, statistics.median(times)


def commit_rows(server: Any, folder: Path, ssm: Any) -> list[Row]:
    sample = "".join(f"KEY_{n:03}=example\n" for n in range(3))
    repo = make_repo(folder, "hooks-commit", {"env.sample": sample, "app.txt": "0\n"})
    put(ssm, "staging", "hooks-commit", [f"KEY_{n:03}" for n in range(3 + 3 * RUNS)])
    hook = repo / ".git" / "hooks" / "pre-commit"
    changes = itertools.count(1)

    def change_app(_: int) -> None:
        (repo / "app.txt").write_text(f"{next(changes)}\n")
        git(repo, "add", "app.txt")

    def add_three_keys(n: int) -> None:
        with (repo / "env.sample").open("a") as handle:
            handle.writelines(f"KEY_{3 + 3 * n + k:03}=example\n" for k in range(3))
        git(repo, "add", "env.sample")

    commit = ["git", "commit", "-q", "-m", "bench"]
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    _, empty = timed(server, change_app, commit, repo)
    subprocess.run(["git", "lift", "hooks", "install"], cwd=repo, capture_output=True, check=True)
    counts, quiet = timed(server, change_app, commit, repo)
    added_counts, added = timed(server, add_three_keys, commit, repo)
    return [
        ("commit, no env.sample staged", "git commit, empty hook", "-", ms(empty)),
        (
            "commit, no env.sample staged",
            "git commit, git lift hook",
            describe(counts),
            f"{ms(quiet)} ({quiet / empty:.1f}x)",
        ),
        ("commit adding 3 keys", "git commit, git lift hook", describe(added_counts), ms(added)),
    ]


def push_rows(server: Any, folder: Path, ssm: Any) -> list[Row]:
    keys = [f"KEY_{n:03}" for n in range(KEYS)]
    sample = "".join(f"{key}=example\n" for key in keys)
    rows: list[Row] = []
    for envs in (["staging"], ["staging", "qa"]):
        name = f"hooks-push-{len(envs)}"
        gitlift = "".join(f'[env "{env}"]\n\tref = refs/heads/main\n' for env in envs)
        repo = make_repo(
            folder, name, {"env.sample": sample, "app.txt": "0\n", ".gitlift": gitlift}
        )
        for env in envs:
            put(ssm, env, name, keys)
        subprocess.run(
            ["git", "lift", "hooks", "install"], cwd=repo, capture_output=True, check=True
        )

        def new_commit(n: int, repo: Path = repo) -> None:
            (repo / "app.txt").write_text(f"{n + 1}\n")
            git(repo, "commit", "-q", "--no-verify", "-am", f"change {n}")

        counts, elapsed = timed(server, new_commit, ["git", "push", "-q", "origin", "main"], repo)
        label = f"push to {len(envs)} env{'s' if len(envs) > 1 else ''} x {KEYS} keys"
        rows.append((label, "git push, git lift hook", describe(counts), ms(elapsed)))
    return rows


def rows(server: Any) -> list[Row]:
    ssm = boto3.client("ssm", region_name=REGION)
    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-hooks-"))
    try:
        return commit_rows(server, folder, ssm) + push_rows(server, folder, ssm)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    with sandbox() as server:
        print_table(rows(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
