"""`git lift init` in a fresh repository and in one that has its files already."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import Lift


def test_init_writes_gitlift_and_env_sample_from_dotenv_names_and_installs_hooks(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "Orders_Service"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    (repo / ".env").write_text("DATABASE_URL=postgres://user:real-password@db/orders\nTOKEN=t0k\n")
    result = Lift(repo)("init")
    assert result.returncode == 0, result.stderr
    config = subprocess.run(
        ["git", "config", "-f", ".gitlift", "--list"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "service.orders-service.path=." in config
    assert "env.staging.ref=refs/heads/trunk" in config  # the branch HEAD will be born on
    assert "env.production.deployonpush=true" in config and "env.production.confirm=true" in config
    sample = (repo / "env.sample").read_text()
    assert "DATABASE_URL=\n" in sample and "TOKEN=\n" in sample
    assert "real-password" not in sample and "t0k" not in sample
    for hook in ("pre-commit", "pre-push"):
        assert "git-lift" in (repo / ".git" / "hooks" / hook).read_text()
    assert "there is no Dockerfile" in result.stderr


def test_init_never_overwrites(tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitlift").write_text('[service "api"]\n\tpath = .\n')
    (repo / "env.sample").write_text("KEEP=me\n")
    result = Lift(repo)("init")
    assert result.returncode == 0, result.stderr
    assert (repo / ".gitlift").read_text() == '[service "api"]\n\tpath = .\n'
    assert (repo / "env.sample").read_text() == "KEEP=me\n"
    assert ".gitlift: exists, left as it is" in result.stderr


def test_init_outside_a_repository(tmp_path: Path) -> None:
    result = Lift(tmp_path)("init")
    assert result.returncode == 2 and "not a git repository" in result.stderr
