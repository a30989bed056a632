"""git lift's numbers, side by side with peers on the same emulator. Prints a table.

    python -m bench.run            (or: make bench)

Peers are installed from PyPI into their own venvs under bench/.venvs/ on first run:
cloudlift 2.1.1 and ecs-deploy 1.17.0. Everything runs against one sandbox server in this
process, which counts AWS requests by action; wall times are medians of several runs.
Nothing here asserts a time: the table is for people to read.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3

from bench.common import REGION, ROOT, Row, describe, make_repo, ms, print_table, sandbox

VENVS = ROOT / "bench" / ".venvs"
PEERS = {"cloudlift": "cloudlift==2.1.1", "ecs-deploy": "ecs-deploy==1.17.0"}
SERVICE = "bench-svc"
KEYS = 200


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


def median_seconds(command: Sequence[str], runs: int = 5, **kwargs: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(list(command), capture_output=True, check=True, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def counted(server: Any, action: Callable[[], Any]) -> tuple[dict[str, int], float]:
    server.reset_counts()
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    return server.request_counts(), elapsed


def help_rows() -> list[Row]:
    rows: list[Row] = [
        ("cold --help", "python -c pass", "-", ms(median_seconds([sys.executable, "-c", "pass"]))),
        ("cold --help", "git lift -h", "-", ms(median_seconds(["git", "lift", "-h"]))),
        ("cold --help", "git-lift -h", "-", ms(median_seconds(["git-lift", "-h"]))),
    ]
    cloudlift = peer_bin("cloudlift", "cloudlift")
    if cloudlift:
        rows.append(
            ("cold --help", "cloudlift --help", "-", ms(median_seconds([str(cloudlift), "--help"])))
        )
    return rows


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
    from tests.ecs_support import create_service

    create_service("staging", SERVICE)
    subprocess.run(
        ["git", "lift", "ship", "-e", "staging"], cwd=repo, capture_output=True, check=True
    )  # builds and pushes the image once
    counts, elapsed = counted(
        server,
        lambda: subprocess.run(
            ["git", "lift", "ship", "-e", "staging"], cwd=repo, capture_output=True, check=True
        ),
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


def main() -> int:
    from bench.hooks import rows as hook_rows
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
            rows = help_rows() + config_rows(server, repo) + hook_rows(server)
            print_table(rows + ship_rows(server, repo, registry.address))
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
