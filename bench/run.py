"""git lift's numbers, side by side with peers on the same emulator. Prints a table.

    python -m bench.run            (or: make bench)

Peers are installed from PyPI into their own venvs under bench/.venvs/ on first run:
cloudlift 2.1.1 and ecs-deploy 1.17.0. Everything runs against one sandbox server in this
process, which counts AWS requests by action; wall times are medians of several runs.
Nothing here asserts a time: the table is for people to read.
"""

from __future__ import annotations

import os
import shutil
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
    ROOT,
    Row,
    describe,
    interleaved_medians,
    load,
    make_repo,
    markdown,
    ms,
    print_table,
    sandbox,
)
from bench.hooks import FLOOR_RUNS

VENVS = ROOT / "bench" / ".venvs"
PEERS = {"cloudlift": "cloudlift==2.1.1", "ecs-deploy": "ecs-deploy==1.17.0"}
SERVICE = "bench-svc"
KEYS = 200
HELP_RUNS = 21  # the machine is shared: many interleaved runs, their medians


def peer_bin(name: str, program: str) -> Path | None:
    """The peer's program, installing it into its own venv on first use; None if it cannot."""
    venv = VENVS / name
    if not (venv / "bin" / program).exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", PEERS[name]],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            print(
                f"bench: could not install {PEERS[name]}: {installed.stderr[-300:]}",
                file=sys.stderr,
            )
            return None
    return venv / "bin" / program


def counted(server: Any, action: Callable[[], Any]) -> tuple[dict[str, int], float]:
    server.reset_counts()
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    return server.request_counts(), elapsed


def help_rows() -> list[Row]:
    """Cold --help of each tool, interleaved; a peer that cannot be installed says so."""
    tools: list[tuple[str, list[str]]] = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("git lift -h", ["git", "lift", "-h"]),
        ("git-lift -h", ["git-lift", "-h"]),
    ]
    missing: list[Row] = []
    for name, program, label in (
        ("cloudlift", "cloudlift", "cloudlift --help (2.1.1)"),
        ("ecs-deploy", "ecs", "ecs --help (ecs-deploy 1.17.0)"),
    ):
        found = peer_bin(name, program)
        if found:
            tools.append((label, [str(found), "--help"]))
        else:
            missing.append(("cold --help", label, "-", "not installed (pip failed)"))
    medians = interleaved_medians([(command, None, None) for _, command in tools], runs=HELP_RUNS)
    floor = medians[0]
    return [
        ("cold --help", label, "-", f"{ms(median)} ({median / floor:.1f}x)")
        for (label, _), median in zip(tools, medians, strict=True)
    ] + missing


def config_rows(server: Any, repo: Path) -> list[Row]:
    ssm = boto3.client("ssm", region_name=REGION)
    for n in range(KEYS):
        ssm.put_parameter(
            Name=f"/staging/{SERVICE}/KEY_{n:03}",
            Value=f"value-{n}",
            Type="SecureString",
            Overwrite=True,
        )
    rows: list[Row] = []
    for label, args in (
        (f"read {KEYS} keys", ["config", "export", "-e", "staging"]),
        (f"check {KEYS} keys", ["config", "check", "-e", "staging"]),
    ):
        counts, elapsed = counted(
            server,
            lambda args=args: subprocess.run(
                ["git", "lift", *args], cwd=repo, capture_output=True, check=True
            ),
        )
        rows.append((label, f"git lift {' '.join(args[:2])}", describe(counts), ms(elapsed)))
    python = peer_bin("cloudlift", "python")
    if python:
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        table = dynamodb.create_table(
            TableName="environment_configurations",
            KeySchema=[{"AttributeName": "environment", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "environment", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        table.put_item(
            Item={"environment": "staging", "configuration": {"staging": {"region": REGION}}}
        )
        code = (
            "from cloudlift.config.parameter_store import ParameterStore\n"
            f"c, _ = ParameterStore('{SERVICE}', 'staging').get_existing_config()\n"
            f"assert len(c) == {KEYS}, len(c)\n"
        )
        counts, elapsed = counted(
            server,
            lambda: subprocess.run([str(python), "-c", code], capture_output=True, check=True),
        )
        rows.append(
            (f"read {KEYS} keys", "cloudlift get_existing_config", describe(counts), ms(elapsed))
        )
    return rows


def ship_rows(server: Any, repo: Path, registry: str) -> list[Row]:
    from tests.support.ecs import create_service

    create_service("staging", SERVICE)
    subprocess.run(
        ["git", "lift", "ship", "-e", "staging"], cwd=repo, capture_output=True, check=True
    )  # builds and pushes the image once
    again = ["git", "lift", "ship", "-e", "staging", "--force"]  # else: nothing to release
    counts, elapsed = counted(
        server, lambda: subprocess.run(again, cwd=repo, capture_output=True, check=True)
    )
    deploy = {k: v for k, v in counts.items() if not k.startswith("ssm.")}
    check = {k: v for k, v in counts.items() if k.startswith("ssm.")}
    # The config check (names of the 200 keys) is git lift's own step, which ecs-deploy lacks;
    # it is shown apart so the deploys compare like with like.
    rows: list[Row] = [
        ("ship, image exists", "git lift ship: deploy", describe(deploy), ms(elapsed)),
        ("ship, image exists", f"git lift ship: {KEYS}-key config check", describe(check), "-"),
    ]
    ecs = peer_bin("ecs-deploy", "ecs")
    if ecs:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        counts, elapsed = counted(
            server,
            lambda: subprocess.run(
                [
                    str(ecs),
                    "deploy",
                    "lift-staging",
                    SERVICE,
                    "--tag",
                    sha,
                    "--timeout",
                    "120",
                    "--region",
                    REGION,
                ],
                capture_output=True,
                check=True,
            ),
        )
        rows.append(("ship, image exists", "ecs deploy --tag", describe(counts), ms(elapsed)))
    return rows


RESULTS = ROOT / "bench" / "RESULTS.md"


def write_results(rows: list[Row], load_before: str, load_after: str) -> None:
    """bench/RESULTS.md, which the README's Benchmark section quotes."""
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores; "
        f"load average 1/5/15 min {load_before} before, {load_after} after). One sandbox "
        "server in the benchmark's process counts AWS requests by action; --help times are "
        f"medians of {HELP_RUNS} interleaved runs and hook floor times of {FLOOR_RUNS} (ratio to "
        "`python -c pass`), other hook times medians of 7.\n\n" + markdown(rows)
    )
    print(f"bench: wrote {RESULTS.relative_to(ROOT)}")


def main() -> int:
    from bench.big_image import rows as big_image_rows
    from bench.hooks import rows as hook_rows
    from bench.monorepo import rows as monorepo_rows
    from bench.scale import rows as scale_rows
    from git_lift.sandbox.local_registry import start_registry

    work = Path(tempfile.mkdtemp(prefix="git-lift-bench-"))
    registry = start_registry(str(work / "registry"))
    build_root = str(work / "buildah")
    try:
        with sandbox(
            GIT_LIFT_REGISTRY=registry.address, GIT_LIFT_BUILDAH_ROOT=build_root
        ) as server:
            repo = make_repo(
                work,
                SERVICE,
                {
                    "Dockerfile": "FROM scratch\nCOPY app.txt /app.txt\n",
                    "app.txt": "bench\n",
                    "env.sample": "".join(f"KEY_{n:03}=example\n" for n in range(KEYS)),
                },
            )
            before = load()
            rows = help_rows() + config_rows(server, repo) + hook_rows(server)
            rows += ship_rows(server, repo, registry.address) + scale_rows(server)
            rows += monorepo_rows(server)
            rows += big_image_rows(registry.address)
            print_table(rows)
            write_results(rows, before, load())
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
