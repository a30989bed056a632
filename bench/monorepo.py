"""The monorepo rows (issue 22): 20 services in one repository, each in its folder, built with
buildah into a local registry and released on the sandbox (as `git lift sandbox` serves it:
rollout steps of 0.5 s, polled every 0.1 s).

- one service changed: `git lift ship --all` builds and deploys that one (the other 19 reuse
  their images and have nothing to release), against shipping that service alone;
- all 20 changed: `ship --all` (4 releases at a time) against 20 `git lift ship -s NAME`
  run one after another.

    python -m bench.monorepo       (bench/run.py includes these rows; about 4 minutes)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from bench.common import REGION, Row, describe, load, make_repo, ms, print_table, sandbox

SERVICES = [f"svc-{n:02}" for n in range(20)]
CHANGED = SERVICES[7]
POLL = "0.1"  # seconds between looks at a rollout, as `git lift sandbox` sets it


def gitlift() -> str:
    services = "".join(f'[service "{s}"]\n\tpath = {s}\n' for s in SERVICES)
    return services + '[env "staging"]\n\tref = refs/heads/main\n'


def change(repo: Path, services: list[str], round_: int) -> None:
    for service in services:
        (repo / service / "app.txt").write_text(f"{service} round {round_}\n")
    subprocess.run(["git", "commit", "-qam", f"round {round_}"], cwd=repo, check=True)


def timed(server: Any, repo: Path, *commands: list[str]) -> tuple[dict[str, int], float, int]:
    """AWS requests, wall time and images built of `commands`, run one after another."""
    server.reset_counts()
    built = 0
    env = {**os.environ, "GIT_LIFT_POLL_INTERVAL": POLL}
    start = time.perf_counter()
    for command in commands:
        done = subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"bench: {' '.join(command)} failed:\n{done.stderr[-2000:]}")
        built += sum(1 for line in done.stderr.splitlines() if line.startswith("building "))
    return server.request_counts(), time.perf_counter() - start, built


def deployments(counts: dict[str, int]) -> int:
    return counts.get("ecs.UpdateService", 0)


def rows(server: Any) -> list[Row]:
    from tests.support.ecs import create_service

    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-monorepo-"))
    try:
        files = {".gitlift": gitlift()}
        for service in SERVICES:
            files[f"{service}/Dockerfile"] = "FROM scratch\nCOPY app.txt /app.txt\n"
            files[f"{service}/app.txt"] = f"{service} round 0\n"
            files[f"{service}/env.sample"] = "DATABASE_URL=example\n"
        repo = make_repo(folder, "monorepo", files)
        ssm = boto3.client("ssm", region_name=REGION)
        for service in SERVICES:
            create_service("staging", service, desired=1)
            ssm.put_parameter(
                Name=f"/staging/{service}/DATABASE_URL", Value="x", Type="SecureString"
            )
        every = ["git", "lift", "ship", "--all", "-e", "staging"]
        timed(server, repo, every)  # the first release of each: builds and deploys all 20
        out: list[Row] = []

        def row(measure: str, tool: str, found: tuple[dict[str, int], float, int]) -> Row:
            counts, wall, built = found
            summary = f"{built} built, {deployments(counts)} deployed; {describe(counts)}"
            return (measure, tool, summary, ms(wall))

        change(repo, [CHANGED], 1)
        one = timed(server, repo, ["git", "lift", "ship", "-s", CHANGED, "-e", "staging"])
        out.append(row("20 services, 1 changed", f"git lift ship -s {CHANGED}", one))
        change(repo, [CHANGED], 2)
        out.append(row("20 services, 1 changed", "git lift ship --all", timed(server, repo, every)))
        change(repo, SERVICES, 3)
        sequential = [["git", "lift", "ship", "-s", s, "-e", "staging"] for s in SERVICES]
        out.append(
            row(
                "20 services, all changed",
                "20 x git lift ship -s NAME",
                timed(server, repo, *sequential),
            )
        )
        change(repo, SERVICES, 4)
        out.append(
            row(
                "20 services, all changed",
                "git lift ship --all (4 at a time)",
                timed(server, repo, every),
            )
        )
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    from git_lift.sandbox.local_registry import start_registry

    work = Path(tempfile.mkdtemp(prefix="git-lift-bench-"))
    registry = start_registry(str(work / "registry"))
    try:
        with sandbox(
            GIT_LIFT_REGISTRY=registry.address, GIT_LIFT_BUILDAH_ROOT=str(work / "buildah")
        ) as server:
            before = load()
            print_table(rows(server))
            print(f"load average 1/5/15 min: {before} before, {load()} after")
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
