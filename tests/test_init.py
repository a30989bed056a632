"""`git lift init` in a fresh repository and in one that has its files already."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.helpers import Lift


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


def gitlift_entries(repo: Path) -> list[str]:
    return subprocess.run(
        ["git", "config", "-f", ".gitlift", "--list"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


def shop_with_a_worker(tmp_path: Path) -> Path:
    """A service at the root (initialised) and a `worker/` folder with its own .env."""
    repo = tmp_path / "shop"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "Dockerfile").write_text("FROM scratch\n")
    (repo / ".gitignore").write_text(".env\n")
    assert Lift(repo)("init").returncode == 0
    (repo / "worker").mkdir()
    (repo / "worker" / "Dockerfile").write_text("FROM scratch\n")
    (repo / "worker" / ".env").write_text("QUEUE_URL=sqs://real-queue\n")
    return repo


def test_init_in_a_folder_inside_another_service_names_the_command_that_adds_it(
    tmp_path: Path,
) -> None:
    repo = shop_with_a_worker(tmp_path)
    result = Lift(repo / "worker")("init")
    assert result.returncode == 2
    assert "exists" not in result.stderr  # the root's env.sample is not worker's
    assert "worker is inside service shop" in result.stderr
    assert "hint: add it as a service: git lift init -s worker --path worker" in result.stderr
    assert not (repo / "worker" / "env.sample").exists()


def test_init_adds_a_service_with_env_sample_from_its_folders_dotenv(tmp_path: Path) -> None:
    repo = shop_with_a_worker(tmp_path)
    result = Lift(repo / "worker")("init", "-s", "worker")  # --path: the folder you are in
    assert result.returncode == 0, result.stderr
    config = gitlift_entries(repo)
    assert "service.shop.path=." in config and "service.worker.path=worker" in config
    sample = (repo / "worker" / "env.sample").read_text()
    assert "QUEUE_URL=\n" in sample and "real-queue" not in sample
    assert "worker/env.sample: written with the 1 name in" in result.stderr
    assert (repo / "env.sample").exists()  # the root service keeps its own
    # from the top, with --path; and again: nothing is overwritten
    (repo / "jobs").mkdir()
    assert Lift(repo)("init", "-s", "jobs", "--path", "jobs").returncode == 0
    assert "service.jobs.path=jobs" in gitlift_entries(repo)
    again = Lift(repo)("init", "-s", "worker", "--path", "worker")
    assert again.returncode == 0 and "worker/env.sample: exists" in again.stderr
    assert gitlift_entries(repo).count("service.worker.path=worker") == 1
    other = Lift(repo)("init", "-s", "worker", "--path", "jobs")
    assert other.returncode == 2 and "service worker exists (path worker)" in other.stderr


def test_init_of_a_first_service_in_a_folder_writes_no_service_at_the_root(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "mono"
    (repo / "api").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "api" / "Dockerfile").write_text("FROM scratch\n")
    result = Lift(repo)("init", "-s", "api", "--path", "api")
    assert result.returncode == 0, result.stderr
    config = gitlift_entries(repo)
    assert "service.api.path=api" in config and "env.staging.ref=refs/heads/main" in config
    assert not any(line.endswith(".path=.") for line in config)
    assert (repo / "api" / "env.sample").exists() and not (repo / "env.sample").exists()
    outside = Lift(repo)("init", "-s", "x", "--path", "..")
    assert outside.returncode == 2 and "outside the repository" in outside.stderr
