"""Code that names its config (issue 24): a real repository with git lift's hooks installed,
real `git commit`s staging one fixture source file per language (tests/golden/code), and
`git lift config check --code` over the tree. No AWS: the check reads code and env.sample."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.helpers import ENV_SAMPLE, GitRepo, Lift, run
from tests.support.hooks import commit

CODE = Path(__file__).resolve().parent / "golden" / "code"
FILES = sorted(p.name for p in CODE.iterdir() if p.is_file())  # not a __pycache__
# What each fixture reads that env.sample (DATABASE_URL, API_TOKEN) lacks, where it reads it.
LACKING = {
    "PY_SECRET": "settings.py:7",
    "PY_FLAG": "settings.py:8",
    "PY_BARE": "settings.py:9",
    "PY_GETENV": "settings.py:10",
    "JS_DESTRUCTURED": "server.js:3",
    "JS_RENAMED": "server.js:3",
    "JS_WITH_DEFAULT": "server.js:3",
    "JS_SESSION_SECRET": "server.js:5",
    "JS_BRACKET": "server.js:6",
    "RB_TOKEN": "config.rb:3",
    "RB_HOST": "config.rb:4",
    "RB_POOL": "config.rb:5",
    "GO_ADDR": "main.go:10",
    "GO_TOKEN": "main.go:11",
    "JAVA_DB_URL": "Application.java:6",
}
# Read but never said: in env.sample, set by ECS or the OS, written, computed, or not code.
NEVER_SAID = [
    "DATABASE_URL",
    "AWS_REGION",
    "HOME",
    "PORT",
    "HOSTNAME",
    "PY_WRITTEN",
    "JS_WRITTEN",
    "RB_WRITTEN",
    "PY_IN_A_STRING",
    "PY_IN_A_COMMENT",
    "JS_IN_A_COMMENT",
    "GO_IN_A_STRING",
]


@pytest.fixture
def hooked(repo: GitRepo, lift: Lift) -> GitRepo:
    assert lift("hooks", "install").returncode == 0
    return repo


def copy_code(repo: GitRepo, *names: str) -> None:
    for name in names or FILES:
        shutil.copy(CODE / name, repo.path / name)
    repo.git("add", *(names or FILES))


def no_parsers(tmp_path: Path) -> dict[str, str]:
    """A Python path on which tree-sitter does not import, as where the extra is not installed."""
    shadow = tmp_path / "no-tree-sitter"
    shadow.mkdir()
    (shadow / "tree_sitter.py").write_text("raise ImportError('not installed')\n")
    return {"PYTHONPATH": str(shadow)}


def test_a_commit_that_starts_reading_names_env_sample_lacks_is_warned_in_every_language(
    hooked: GitRepo,
) -> None:
    copy_code(hooked)
    done = commit(hooked, "Add the code")
    assert done.returncode == 0, done.stderr
    assert "warning: the staged code reads names env.sample lacks: " in done.stderr
    for name, where in LACKING.items():
        assert f"{name} ({where})" in done.stderr
    for name in NEVER_SAID:
        assert name not in done.stderr
    assert "hint: add JAVA_DB_URL=... RB_TOKEN=... " in done.stderr
    assert hooked.git("log", "-1", "--format=%s").stdout.strip() == "Add the code"


def test_under_strict_hooks_the_commit_is_refused_with_the_fix(hooked: GitRepo) -> None:
    hooked.git("config", "lift.hooks.strict", "true")
    before = hooked.head()
    copy_code(hooked, "main.go")
    refused = commit(hooked, "Add the Go service")
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert lines == [
        "error: the staged code reads names env.sample lacks: GO_ADDR (main.go:10), "
        "GO_TOKEN (main.go:11)",
        "hint: add GO_ADDR=... GO_TOKEN=... to env.sample with example values, then set them: "
        "git lift config set -e staging GO_ADDR=... GO_TOKEN=... (lift.hooks.strict is true: "
        "the commit is refused)",
    ]
    assert hooked.head() == before


def test_only_the_names_a_commit_starts_reading_are_said(hooked: GitRepo) -> None:
    copy_code(hooked, "settings.py")
    hooked.commit("Settings", verify=False)
    path = hooked.path / "settings.py"
    path.write_text(path.read_text() + 'LATER = os.environ["PY_LATER"]\n')
    hooked.git("add", "settings.py")
    done = commit(hooked, "One more setting")
    assert done.returncode == 0
    assert "PY_LATER (settings.py:17)" in done.stderr
    assert "PY_SECRET" not in done.stderr  # read before this commit: said when it came


def test_a_commit_staging_no_source_file_loads_no_parser(hooked: GitRepo) -> None:
    hooked.write("env.sample", ENV_SAMPLE + "API_TOKEN=again\n")  # refused by lint, no AWS
    hooked.git("add", "env.sample")
    probe = (
        "import sys\nfrom git_lift.__main__ import main\n"
        "code = main(['hook', 'pre-commit'])\n"
        "print(code, 'tree_sitter' in sys.modules, 'boto3' in sys.modules)\n"
    )
    result = run([sys.executable, "-c", probe], hooked.path, check=False)
    assert result.stdout.strip().splitlines()[-1] == "1 False False"
    copy_code(hooked, "settings.py")
    result = run([sys.executable, "-c", probe], hooked.path, check=False)
    assert result.stdout.strip().splitlines()[-1] == "1 True False"  # parsers, not AWS


def test_without_the_parsers_the_hook_says_so_once_and_lets_the_commit_through(
    hooked: GitRepo, tmp_path: Path
) -> None:
    copy_code(hooked)
    done = commit(hooked, "Add the code", env=no_parsers(tmp_path))
    assert done.returncode == 0
    assert done.stderr.strip().splitlines() == [
        "git lift: environment reads in the staged code not checked: tree_sitter is not "
        "installed (pip install 'git-lift[code]')"
    ]


def test_config_check_code_names_what_env_sample_lacks_then_passes(
    repo: GitRepo, lift: Lift
) -> None:
    copy_code(repo)
    repo.commit("Code", verify=False)
    found = lift("config", "check", "--code")
    assert found.returncode == 1
    listed = dict(line.split("  ", 1) for line in found.stdout.strip().splitlines())
    assert listed == LACKING
    assert (
        "error: payments-api: 5 source files, 21 environment reads: 15 names env.sample lacks: "
        in found.stderr
    )
    assert "hint: add JAVA_DB_URL=... " in found.stderr

    as_json = json.loads(lift("config", "check", "--code", "--output", "json").stdout)
    assert as_json[0]["lacking"]["JS_BRACKET"] == ["server.js:6"]

    repo.write("env.sample", ENV_SAMPLE + "".join(f"{name}=example\n" for name in LACKING))
    passed = lift("config", "check", "--code")
    assert passed.returncode == 0, passed.stderr
    assert "payments-api: 5 source files, 21 environment reads: every name is in env.sample" in (
        passed.stderr
    )


def test_config_check_code_mistakes_are_named_with_the_fix(
    repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    mixed = lift("config", "check", "--code", "-e", "staging")
    assert mixed.returncode == 2
    assert "error: --code checks the code against env.sample" in mixed.stderr
    copy_code(repo, "main.go")
    missing = lift("config", "check", "--code", env=no_parsers(tmp_path))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "error: cannot look for environment reads: tree_sitter is not installed",
        "hint: pip install 'git-lift[code]'",
    ]


def test_each_service_s_code_is_checked_against_its_own_env_sample(
    hooked: GitRepo, lift: Lift
) -> None:
    hooked.write(".gitlift", '[service "api"]\n\tpath = .\n[service "worker"]\n\tpath = worker\n')
    hooked.write("env.sample", ENV_SAMPLE + "GO_TOKEN=example\n")  # the api's, not the worker's
    hooked.write("worker/env.sample", "GO_ADDR=:8080\n")
    hooked.write("worker/Dockerfile", "FROM scratch\n")
    hooked.commit("Two services", verify=False)
    shutil.copy(CODE / "main.go", hooked.path / "worker" / "main.go")
    hooked.git("add", "worker/main.go")
    done = commit(hooked, "The worker")
    assert done.returncode == 0
    assert "warning: the staged code reads names worker/env.sample lacks: GO_TOKEN " in done.stderr
    assert "GO_ADDR" not in done.stderr
    assert "git lift config set -s worker -e staging GO_TOKEN=..." in done.stderr
    checked = lift("config", "check", "--code", "--all")
    assert checked.returncode == 1
    assert "api: 0 source files, 0 environment reads: every name is in env.sample" in (
        checked.stderr
    )
    assert (
        "error: worker: 1 source file, 3 environment reads: 1 name worker/env.sample lacks: "
        in (checked.stderr)
    )


def test_names_the_dockerfile_sets_are_not_said(hooked: GitRepo, lift: Lift) -> None:
    hooked.write("Dockerfile", "FROM node:20\nENV JS_BRACKET=x \\\n    JS_RENAMED=y\n")
    copy_code(hooked, "server.js")
    hooked.git("add", "Dockerfile")
    done = commit(hooked, "The server")
    assert done.returncode == 0
    assert "JS_SESSION_SECRET (server.js:5)" in done.stderr
    assert "JS_BRACKET" not in done.stderr and "JS_RENAMED" not in done.stderr
    checked = lift("config", "check", "--code")
    assert sorted(line.split()[0] for line in checked.stdout.splitlines()) == [
        "JS_DESTRUCTURED",
        "JS_SESSION_SECRET",
        "JS_WITH_DEFAULT",
    ]


def test_a_malformed_env_sample_staged_with_code_gets_both_checks(hooked: GitRepo) -> None:
    hooked.write("env.sample", ENV_SAMPLE + "API_TOKEN=again\nGO_ADDR=:80\n")
    hooked.git("add", "env.sample")
    copy_code(hooked, "main.go")
    refused = commit(hooked, "Go, and a broken env.sample")
    assert refused.returncode == 1
    assert "API_TOKEN is defined again" in refused.stderr  # the lint, line by line
    assert "env.sample lacks: GO_TOKEN (main.go:11)" in refused.stderr
    assert "internal error" not in refused.stderr
