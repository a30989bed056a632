"""What the benchmark scripts share: the sandbox they run against, repositories, the table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"

Row = tuple[str, str, str, str]  # measure, tool, AWS requests, wall time


@contextmanager
def sandbox(**extra: str) -> Iterator[Any]:
    """A SandboxServer in this process, with the environment pointing every tool at it."""
    sys.path.insert(0, str(ROOT))
    from git_lift.sandbox.server import ROLLOUT_STEP, SandboxServer

    server = SandboxServer(seconds_per_step=ROLLOUT_STEP)  # as `git lift sandbox` serves
    server.start()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": server.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_NAME": "Bench",
            "GIT_AUTHOR_EMAIL": "b@x",
            "GIT_COMMITTER_NAME": "Bench",
            "GIT_COMMITTER_EMAIL": "b@x",
            **extra,
        }
    )
    try:
        yield server
    finally:
        server.stop()


def make_repo(folder: Path, name: str, files: dict[str, str]) -> Path:
    """A repository with one commit pushed to a bare origin (the tests' helper)."""
    from tests.support.helpers import GitRepo

    return GitRepo.create(folder / name, origin=folder / "remote" / f"{name}.git", files=files).path


def describe(counts: dict[str, int]) -> str:
    parts = ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(counts.items()))
    return f"{sum(counts.values())} ({parts})" if counts else "0"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


HEADERS = ("measure", "tool", "AWS requests", "wall")


def print_table(rows: list[Row]) -> None:
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(4)]
    for row in [HEADERS, tuple("-" * width for width in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def load() -> str:
    """The machine's load averages (1, 5, 15 min): how busy it was while timing."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


Timed = tuple[Sequence[str], Path | None, str | None]  # command, its folder, its stdin


def interleaved_medians(commands: Sequence[Timed], runs: int = 9) -> list[float]:
    """Median wall time of each whole process, the commands taking turns run after run, so
    that a change in the machine's load falls on all of them alike. Python runs as installed
    (pip compiles on install): bytecode may be written (PYTHONDONTWRITEBYTECODE is dropped),
    and an untimed first turn writes it, so that no timed run compiles a module."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: list[list[float]] = [[] for _ in commands]
    for turn in range(runs + 1):
        for (command, cwd, stdin), taken in zip(commands, times, strict=True):
            start = time.perf_counter()
            subprocess.run(
                list(command), cwd=cwd, input=stdin, capture_output=True, text=True, env=env
            )
            if turn:
                taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]
