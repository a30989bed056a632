"""The pre-commit framework's hooks (.pre-commit-hooks.yaml), installed from this checkout by a
user's .pre-commit-config.yaml, with the framework building its own environment from
pyproject.toml. Slow on first use (a virtualenv with git lift's dependencies), so one test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import ENV_SAMPLE, GitRepo, Lift, run
from tests.support.hooks import STAGING_KEYS, add_keys, commit, push, put, put_all

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Test Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Test Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


@pytest.fixture(scope="session")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout's files as they are now (uncommitted changes included), committed in a
    temporary repository: `repo:` and `rev:` must name a real commit."""
    folder = tmp_path_factory.mktemp("hooks-repo") / "git-lift"
    listed = run(["git", "ls-files", "-z", "-co", "--exclude-standard"], ROOT).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Hooks"]):
        run(["git", *args], folder, env=IDENTITY)
    return folder, run(["git", "rev-parse", "HEAD"], folder).stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One framework cache for the session: the environment is built once."""
    yield tmp_path_factory.mktemp("pre-commit-home")


def test_framework_hooks_installed_from_this_checkout_stop_a_commit_and_a_push(
    aws: Any,
    tmp_path: Path,
    hooks_repo: tuple[Path, str],
    pre_commit_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    path, rev = hooks_repo
    config = (
        f"repos:\n- repo: {path}\n  rev: {rev}\n"
        "  hooks:\n  - id: lift-env-sample\n  - id: lift-pre-push\n"
    )
    repo = GitRepo.create(
        tmp_path / "payments-api",
        origin=tmp_path / "remote" / "payments-api.git",
        files={"env.sample": ENV_SAMPLE, ".pre-commit-config.yaml": config},
    )
    lift = Lift(repo.path)
    run(
        ["pre-commit", "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"], repo.path
    )
    put_all(STAGING_KEYS)

    add_keys(repo, "NEW_KEY")
    refused = commit(repo, "Add NEW_KEY")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    output = refused.stdout + refused.stderr
    assert (
        "error: staging: env.sample names keys missing from payments-api's config: NEW_KEY"
        in output
    )
    assert "git lift config set -e staging NEW_KEY=..." in output
    assert lift("config", "set", "-e", "staging", "NEW_KEY=value").returncode == 0
    allowed = commit(repo, "Add NEW_KEY")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr

    add_keys(repo, "PUSH_KEY")
    repo.commit("Add PUSH_KEY", verify=False)
    refused_push = push(repo, "main")
    assert refused_push.returncode != 0
    assert (
        "error: staging: env.sample names keys missing from payments-api's config: PUSH_KEY"
        in refused_push.stdout + refused_push.stderr
    )
    put("PUSH_KEY")
    allowed_push = push(repo, "main")
    assert allowed_push.returncode == 0, allowed_push.stdout + allowed_push.stderr
    assert "git lift config for the pushed branch" in allowed_push.stdout
    assert allowed_push.stdout.rstrip().endswith("Passed")


# issue 24: the code check through the framework (lift-code), with its parsers


def test_the_framework_s_lift_code_hook_names_what_env_sample_lacks(
    tmp_path: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    path, rev = hooks_repo
    config = f"repos:\n- repo: {path}\n  rev: {rev}\n  hooks:\n  - id: lift-code\n"
    repo = GitRepo.create(
        tmp_path / "payments-api",
        files={"env.sample": ENV_SAMPLE, ".pre-commit-config.yaml": config},
    )
    run(["pre-commit", "install"], repo.path)
    repo.write("app.py", 'import os\nDB = os.environ["DATABASE_URL"]\nK = os.getenv("NEW_ONE")\n')
    repo.git("add", "app.py")
    done = commit(repo, "App")
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "the staged code reads names env.sample lacks: NEW_ONE (app.py:3)" in output
    assert "not installed" not in output and "DATABASE_URL (" not in output


def test_lift_code_installs_the_parsers_of_the_code_extra() -> None:
    import tomllib

    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert hooks["lift-code"]["additional_dependencies"] == extra["optional-dependencies"]["code"]
