"""`git lift hooks install|uninstall`: where the hooks go, what they chain with (a user's own
hook, a real `pre-commit install`), and what a shim says when git-lift is missing."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from git_lift.flows.hook_shims import shim
from tests.support.helpers import ENV_SAMPLE, GitRepo, Lift, run
from tests.support.hooks import commit, push, put, put_all, remote_has

ROOT = Path(__file__).resolve().parent.parent
BROKEN_SAMPLE = ENV_SAMPLE + "API_TOKEN=again\n"  # refused by lint alone: no AWS needed
NO_GIT_LIFT_PATH = "/usr/bin:/bin"


def hooks_dir(repo: GitRepo) -> Path:
    return repo.path / ".git" / "hooks"


def stage_broken_sample(repo: GitRepo) -> None:
    repo.write("env.sample", BROKEN_SAMPLE)
    repo.git("add", "env.sample")


def recording_hook(path: Path, record: Path) -> str:
    text = f'#!/bin/sh\necho "$(basename "$0") $*" >> {record}\ncat >> {record}\n'
    path.write_text(text)
    path.chmod(0o755)
    return text


def test_the_checked_in_shims_are_what_install_writes() -> None:
    for name in ("pre-commit", "pre-push"):
        path = ROOT / "hooks" / name
        assert path.read_text() == shim(name), "regenerate: python -m git_lift.commands.hooks hooks"
        assert path.stat().st_mode & stat.S_IXUSR
        assert run(["sh", "-n", str(path)], ROOT).returncode == 0


def test_install_writes_executable_shims_and_reinstall_updates_them(
    repo: GitRepo, lift: Lift
) -> None:
    first = lift("hooks", "install")
    assert first.returncode == 0, first.stderr
    assert "pre-commit: installed .git/hooks/pre-commit" in first.stderr
    for name in ("pre-commit", "pre-push"):
        path = hooks_dir(repo) / name
        assert os.access(path, os.X_OK)
        assert "git-lift-hook-shim" in path.read_text()
    again = lift("hooks", "install")
    assert "pre-commit: updated .git/hooks/pre-commit" in again.stderr
    assert not list(hooks_dir(repo).glob("*.lift-previous"))
    stage_broken_sample(repo)
    refused = commit(repo, "Broken")
    assert refused.returncode == 1 and "API_TOKEN is defined again" in refused.stderr


def test_an_existing_hook_is_kept_runs_first_with_the_same_input_and_is_restored(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    record = tmp_path / "record"
    originals = {
        name: recording_hook(hooks_dir(repo) / name, record) for name in ("pre-commit", "pre-push")
    }
    installed = lift("hooks", "install")
    assert (
        "the hook that was there is kept as pre-push.lift-previous and runs first"
        in installed.stderr
    )

    put_all(["DATABASE_URL", "API_TOKEN"])
    repo.write("app.txt", "v2\n")
    repo.git("add", "app.txt")
    assert commit(repo, "App").returncode == 0
    assert record.read_text().startswith("pre-commit.lift-previous \n")
    record.unlink()
    pushed = push(repo, "main")
    assert pushed.returncode == 0, pushed.stderr
    lines = record.read_text().splitlines()
    assert lines[0].startswith("pre-push.lift-previous origin ")
    assert lines[1].startswith(f"refs/heads/main {repo.head()} refs/heads/main ")
    assert "goes to staging" in pushed.stderr  # git lift read the same refs after it

    removed = lift("hooks", "uninstall")
    assert removed.returncode == 0
    assert "restored the hook it ran first" in removed.stderr
    for name, text in originals.items():
        assert (hooks_dir(repo) / name).read_text() == text
    assert not list(hooks_dir(repo).glob("*.lift-previous"))


def test_a_second_foreign_hook_in_the_way_is_refused(repo: GitRepo, lift: Lift) -> None:
    for name in ("pre-commit", "pre-commit.lift-previous"):
        (hooks_dir(repo) / name).write_text("#!/bin/sh\nexit 0\n")
    result = lift("hooks", "install")
    assert result.returncode == 1
    assert "error: cannot install the pre-commit hook" in result.stderr
    assert (hooks_dir(repo) / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"


def test_core_hooks_path_is_honoured(repo: GitRepo, lift: Lift) -> None:
    repo.git("config", "core.hooksPath", ".githooks")
    assert lift("hooks", "install").returncode == 0
    assert (repo.path / ".githooks" / "pre-push").exists()
    assert not (hooks_dir(repo) / "pre-push").exists()
    stage_broken_sample(repo)
    assert commit(repo, "Broken").returncode == 1
    assert lift("hooks", "uninstall").returncode == 0
    assert not (repo.path / ".githooks" / "pre-push").exists()


def test_a_shim_without_git_lift_says_so_and_how_to_go_on(repo: GitRepo) -> None:
    for name in ("pre-commit", "pre-push"):
        (hooks_dir(repo) / name).write_text(shim(name))  # no installing Python to fall back on
        (hooks_dir(repo) / name).chmod(0o755)
    env = {"PATH": NO_GIT_LIFT_PATH}
    repo.write("app.txt", "v2\n")
    repo.git("add", "app.txt")
    assert commit(repo, "Nothing to check", env=env).returncode == 0
    stage_broken_sample(repo)
    refused = commit(repo, "Broken", env=env)
    assert refused.returncode == 1
    assert "error: git lift's pre-commit hook cannot run: git-lift is not on PATH" in refused.stderr
    assert "git commit --no-verify (or GIT_LIFT_SKIP_HOOKS=1)" in refused.stderr
    repo.git("commit", "-q", "--no-verify", "-m", "Broken")
    pushed = push(repo, "main", env=env)
    assert pushed.returncode != 0
    assert "error: git lift's pre-push hook cannot run: git-lift is not on PATH" in pushed.stderr
    assert push(repo, "main", env={**env, "GIT_LIFT_SKIP_HOOKS": "1"}).returncode == 0


def test_a_shim_falls_back_to_the_python_that_installed_it(repo: GitRepo, lift: Lift) -> None:
    assert lift("hooks", "install").returncode == 0
    assert "\nlift_python=/" in (hooks_dir(repo) / "pre-commit").read_text()
    stage_broken_sample(repo)
    refused = commit(repo, "Broken", env={"PATH": NO_GIT_LIFT_PATH})
    assert refused.returncode == 1
    assert "API_TOKEN is defined again" in refused.stderr  # git lift itself ran


@pytest.fixture
def framework_repo(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The repo with a real pre-commit-framework hook (no framework hooks configured)."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    repo.write(".pre-commit-config.yaml", "repos: []\n")
    repo.commit("Use pre-commit", verify=False)
    return repo


def pre_commit_install(repo: GitRepo) -> str:
    result = run(
        ["pre-commit", "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"], repo.path
    )
    return result.stdout


def test_chains_with_the_pre_commit_framework_installed_first(
    aws: Any, framework_repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    repo = framework_repo
    record = tmp_path / "record"
    recording_hook(hooks_dir(repo) / "pre-push", record)  # a user's hook, from before both
    pre_commit_install(repo)
    framework_hook = (hooks_dir(repo) / "pre-push").read_text()
    installed = lift("hooks", "install")
    assert (
        "pre-push: installed .git/hooks/pre-push.legacy (run by pre-commit's pre-push hook)"
        in installed.stderr
    )
    assert (hooks_dir(repo) / "pre-push").read_text() == framework_hook

    stage_broken_sample(repo)
    refused = commit(repo, "Broken")
    assert refused.returncode == 1 and "API_TOKEN is defined again" in refused.stderr
    repo.git("reset", "-q", "--hard")

    # A tag on a commit the remote has: the framework's own stage would skip it; git lift's
    # hook, run by the framework as pre-push.legacy with the same stdin, sees and checks it.
    put_all(["DATABASE_URL", "API_TOKEN"])
    put("DATABASE_URL", "production")
    assert push(repo, "main").returncode == 0
    repo.git("tag", "v1.0")
    tag_push = push(repo, "v1.0")
    assert tag_push.returncode != 0
    assert (
        "error: production: env.sample names keys missing from payments-api's config: "
        "API_TOKEN" in tag_push.stderr
    )
    assert "refs/tags/v1.0" in record.read_text()  # the user's hook still ran, first
    assert not remote_has(repo, "refs/tags/v1.0")

    assert lift("hooks", "uninstall").returncode == 0
    assert (hooks_dir(repo) / "pre-push").read_text() == framework_hook
    assert (hooks_dir(repo) / "pre-push.legacy").read_text().startswith("#!/bin/sh\necho")
    assert not (hooks_dir(repo) / "pre-commit.legacy").exists()


def test_chains_when_the_pre_commit_framework_is_installed_after(
    aws: Any, framework_repo: GitRepo, lift: Lift
) -> None:
    repo = framework_repo
    assert lift("hooks", "install").returncode == 0
    assert "migration mode" in pre_commit_install(repo)  # pre-commit moved ours to .legacy
    stage_broken_sample(repo)
    refused = commit(repo, "Broken")
    assert refused.returncode == 1 and "API_TOKEN is defined again" in refused.stderr
    again = lift("hooks", "install")
    assert "pre-commit: updated .git/hooks/pre-commit.legacy" in again.stderr
