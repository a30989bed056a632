"""The scale rows: a repository of 20 services x 3 environments x 200 keys, seeded directly
into the sandbox's Parameter Store (moto's backend, no HTTP: about 12,000 parameters in a few
seconds; the whole set of rows takes about a minute on 2 cores).

    python -m bench.scale       (bench/run.py includes these rows)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REGION, Row, describe, make_repo, ms, print_table, sandbox

SERVICES = [f"svc-{n:02}" for n in range(20)]
ENVS = ["staging", "qa", "production"]
KEYS = 200
ACCOUNT = "123456789012"  # moto's default account, which the fake credentials map to


def seed(keys: list[str]) -> None:
    from moto.ssm.models import ssm_backends

    backend = ssm_backends[ACCOUNT][REGION]
    for env in ENVS:
        for service in SERVICES:
            for key in keys:
                backend.put_parameter(
                    f"/{env}/{service}/{key}", "", "value", "SecureString", "",
                    "alias/aws/ssm", True, [], "text", None, None,
                )  # fmt: skip


def gitlift() -> str:
    services = "".join(f'[service "{s}"]\n\tpath = {s}\n' for s in SERVICES)
    return services + (
        '[env "staging"]\n\tref = refs/heads/main\n'
        '[env "qa"]\n\tref = refs/heads/main\n'
        '[env "production"]\n\tref = refs/tags/v*\n'
    )


def run(server: Any, repo: Path, *command: str) -> tuple[dict[str, int], float]:
    server.reset_counts()
    start = time.perf_counter()
    subprocess.run(list(command), cwd=repo, capture_output=True, check=False)
    return server.request_counts(), time.perf_counter() - start


def rows(server: Any) -> list[Row]:
    keys = [f"KEY_{n:03}" for n in range(KEYS)]
    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-scale-"))
    try:
        started = time.perf_counter()
        seed(keys)
        seeded = time.perf_counter() - started
        sample = "".join(f"{key}=example\n" for key in keys)
        files = {".gitlift": gitlift()} | {f"{s}/env.sample": sample for s in SERVICES}
        repo = make_repo(folder, "platform", files)
        subprocess.run(["git", "lift", "hooks", "install"], cwd=repo, capture_output=True)
        label = f"{len(SERVICES)} svc x {len(ENVS)} envs x {KEYS} keys"
        out: list[Row] = [(f"seed {label}", "moto backend, direct", "0", ms(seeded))]
        counts, wall = run(server, repo, "git", "lift", "config", "check")
        out.append(
            (f"check {label}", "git lift config check (at the top)", describe(counts), ms(wall))
        )
        (repo / SERVICES[0] / "app.txt").write_text("1\n")
        subprocess.run(["git", "commit", "-qam", "x", "--no-verify"], cwd=repo, capture_output=True)
        subprocess.run(["git", "add", "-A"], cwd=repo, capture_output=True)
        subprocess.run(
            ["git", "commit", "-qm", "app", "--no-verify"], cwd=repo, capture_output=True
        )
        counts, wall = run(server, repo, "git", "push", "-q", "origin", "main")
        out.append(
            (
                "push changing only app code, 2 envs",
                "git push, git lift hook",
                describe(counts),
                ms(wall),
            )
        )
        for service in SERVICES:
            with (repo / service / "env.sample").open("a") as handle:
                handle.write("KEY_000_COPY=example\n")
        subprocess.run(
            ["git", "commit", "-qam", "keys", "--no-verify"], cwd=repo, capture_output=True
        )
        counts, wall = run(server, repo, "git", "push", "-q", "origin", "main")
        out.append(
            (
                "push changing all 20 env.sample files, 2 envs",
                "git push, git lift hook",
                describe(counts),
                ms(wall),
            )
        )
        service = repo / SERVICES[0]
        for what, args in (
            ("config get KEY", ["get", "KEY_007"]),
            ("config show (masked)", ["show"]),
        ):
            counts, wall = run(server, service, "git", "lift", "config", *args, "-e", "staging")
            out.append(
                (f"{what}, {KEYS} keys", f"git lift config {args[0]}", describe(counts), ms(wall))
            )
        counts, wall = run(server, service, "git", "lift", "status")
        out.append(("status of one service, 3 envs", "git lift status", describe(counts), ms(wall)))
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    with sandbox() as server:
        print_table(rows(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
