"""The README's Quick start, run exactly as written on a real terminal: from a clone of a
service to a production release in at most five commands, on the sandbox (moto's server, the
rollout simulator, buildah and a real registry), answering the prompts a person would."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.helpers import GitRepo, run, run_in_terminal
from tests.support.image import needs_buildah, needs_registry

README = Path(__file__).resolve().parent.parent / "README.md"
pytestmark = [needs_buildah, needs_registry, pytest.mark.slow]


def quick_start_commands() -> list[str]:
    section = README.read_text().split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the README's Quick start has no sh block"
    lines = [line.split("   #")[0].split("  #")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def test_the_quick_start_has_at_most_five_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) <= 5, commands
    assert any("git lift setup -e production" in command for command in commands)


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    remote = tmp_path / "remote" / "shop.git"
    seed = GitRepo.create(
        tmp_path / "seed",
        files={
            "Dockerfile": "FROM scratch\nCOPY app.txt /app.txt\n",
            "app.txt": "v1\n",
            ".gitignore": ".env\n",
        },
    )
    run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], cwd=tmp_path)
    seed.git("push", "-q", str(remote), "main")
    run(["git", "clone", "-q", str(remote), "shop"], cwd=tmp_path)
    clone = tmp_path / "shop"
    (clone / ".env").write_text("DATABASE_URL=postgres://localhost/dev\n")
    script = "set -e\ntrap 'git lift sandbox stop >/dev/null 2>&1 || true' EXIT\n"
    script += "\n".join(quick_start_commands()) + "\n"
    env = {
        "GIT_LIFT_BUILDAH_ROOT": str(tmp_path / "buildah"),
        "GIT_LIFT_POLL_INTERVAL": "0.05",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    # One confirmation per setup (typed for production), then the values, hidden: nothing is
    # pre-seeded, the store starts empty.
    code, shown = run_in_terminal(
        ["bash", "-c", script],
        clone,
        answers=[
            ("Set up shop in staging?", "y"),
            ("DATABASE_URL:", "postgres://staging-db/shop"),
            ("(production) to confirm", "production"),
            ("DATABASE_URL:", "postgres://production-db/shop"),
        ],
        env=env,
        timeout=240,
    )
    assert code == 0, shown[-3000:]
    assert "to staging: release 1" in shown
    # production is released once, by the tag push: setup prepared it and did not ship
    assert shown.count("to production: release") == 1, shown[-3000:]
    assert "releasing shop to production" in shown.split("git push origin v1.0.0")[-1]
    assert shown.count("to confirm") == 1  # one typed confirmation for the whole setup
    # the commit and push before any environment exists pass, saying what comes next
    assert (
        "shop is not set up in staging yet" in shown and "hint: git lift setup -e staging" in shown
    )
    assert "not committed" not in shown and "error:" not in shown, shown[-3000:]
    assert "postgres://" not in shown  # typed without echo
    tags = subprocess.run(
        ["git", "ls-remote", "--tags", str(remote)], capture_output=True, text=True, check=True
    ).stdout
    assert "refs/tags/v1.0.0" in tags and "refs/tags/lift/production/shop/1" in tags
    assert "refs/tags/lift/production/shop/2" not in tags
    committed = run(["git", "ls-tree", "--name-only", "HEAD"], cwd=clone).stdout.split()
    assert ".gitlift" in committed and "env.sample" in committed
    assert not os.path.exists(clone / ".git" / "lift" / "trusted-gitlift")
