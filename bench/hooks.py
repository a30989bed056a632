"""The hooks' cost: wall time and AWS requests of what a developer waits on.

(a) `git commit` with git lift's pre-commit hook and no env.sample staged, next to the same
    commit with an empty hook: zero requests, within 2x.
(b) a commit adding 3 keys to env.sample: one request (GetParameters, names only).
(c) `git push` of a branch that maps to two environments with 200 keys each, next to one
    environment: environments are checked concurrently, so two take about the time of one.
(d) the floor (issue 22): the hook programs alone, whole processes, interleaved with
    `python -c pass` over many runs: the pre-commit hook on a cache hit (a key seen in the
    store within lift.hooks.cacheTtl: nothing to ask AWS) and the pre-push hook of a push that
    changes no env.sample (nothing to check), each as `git-lift hook ...` (what the installed
    hook runs) and as the installed hook itself (its shell and git calls included).

`rows(server)` is called by bench/run.py with the environment already pointing at its
sandbox; `python -m bench.hooks` starts its own sandbox and prints the same rows.
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from bench.common import (
    REGION,
    Row,
    describe,
    interleaved_medians,
    make_repo,
    ms,
    print_table,
    sandbox,
)

KEYS = 200
RUNS = 7
FLOOR_RUNS = 31


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


def floor_rows(server: Any, folder: Path, ssm: Any) -> list[Row]:
    """Whole-process medians of the hook programs with nothing to ask, next to `python -c
    pass` in the same turns; AWS requests counted over all the runs."""
    envs = ("staging", "qa")
    gitlift = "".join(f'[env "{env}"]\n\tref = refs/heads/main\n' for env in envs)
    sample = "".join(f"KEY_{n:03}=example\n" for n in range(3))
    repo = make_repo(
        folder, "hooks-floor", {"env.sample": sample, "app.txt": "0\n", ".gitlift": gitlift}
    )
    for env in envs:
        put(ssm, env, "hooks-floor", [f"KEY_{n:03}" for n in range(4)])
    lift = ["git", "lift"]
    subprocess.run([*lift, "hooks", "install"], cwd=repo, capture_output=True, check=True)
    for env in envs:  # lists the store: the names cache now has KEY_003
        subprocess.run([*lift, "config", "check", "-e", env], cwd=repo, capture_output=True)
    origin = subprocess.run(
        ["git", "rev-parse", "origin/main"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / "app.txt").write_text("1\n")
    git(repo, "commit", "-q", "--no-verify", "-am", "Change the app")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    with (repo / "env.sample").open("a") as handle:
        handle.write("KEY_003=example\n")
    git(repo, "add", "env.sample")
    pushed = f"refs/heads/main {head} refs/heads/main {origin}\n"
    hooks = repo / ".git" / "hooks"
    commands = [
        ([sys.executable, "-c", "pass"], repo, None),
        (["git-lift", "hook", "pre-commit", "--"], repo, None),
        ([str(hooks / "pre-commit")], repo, None),
        (["git-lift", "hook", "pre-push", "--", "origin", "url"], repo, pushed),
        ([str(hooks / "pre-push"), "origin", "url"], repo, pushed),
    ]
    said = subprocess.run(commands[1][0], cwd=repo, capture_output=True, text=True).stderr
    assert "seen in the store within lift.hooks.cacheTtl" in said, said
    server.reset_counts()
    medians = interleaved_medians(commands, runs=FLOOR_RUNS)
    asked = describe(server.request_counts())
    floor = medians[0]
    cached, pushing = "commit, key seen within cacheTtl", "push of app code, 2 envs"
    labels = [
        ("hook floor", "python -c pass", "-"),
        (cached, "git-lift hook pre-commit", asked),
        (cached, ".git/hooks/pre-commit (shim and all)", asked),
        (pushing, "git-lift hook pre-push", asked),
        (pushing, ".git/hooks/pre-push (shim and all)", asked),
    ]
    return [
        (measure, tool, requests, f"{ms(median)} ({median / floor:.1f}x)")
        for (measure, tool, requests), median in zip(labels, medians, strict=True)
    ]


def rows(server: Any) -> list[Row]:
    ssm = boto3.client("ssm", region_name=REGION)
    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-hooks-"))
    try:
        return (
            floor_rows(server, folder, ssm)
            + commit_rows(server, folder, ssm)
            + push_rows(server, folder, ssm)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    with sandbox() as server:
        print_table(rows(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
