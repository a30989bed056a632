"""Reading only what is asked: the names cache the pre-commit hook reads first, `config get`
as one request and a masked `config show` as a listing; request counts from the sandbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.helpers import GitRepo, Lift, run
from tests.support.hooks import add_keys, commit, git_calls, git_logged, put_all

SENTINEL = "sentinel-value-7f3a"


@pytest.fixture
def hooked(repo: GitRepo, lift: Lift) -> GitRepo:
    assert lift("hooks", "install").returncode == 0
    return repo


def in_process_hook(repo: GitRepo) -> tuple[str, list[str]]:
    """The pre-commit hook run in one Python: its exit code and the heavy libraries it loaded
    (AWS's, pygit2, click, python-dotenv beyond its parser, dataclasses, hashlib: issue 22)."""
    code = (
        "import sys\nfrom git_lift.__main__ import main\n"
        "code = main(['hook', 'pre-commit'])\n"
        "heavy = ('boto3', 'botocore', 'troposphere', 'moto', 'pygit2', 'click', 'dotenv.main',"
        " 'dataclasses', 'hashlib')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = run([sys.executable, "-c", code], repo.path, check=False)
    exit_code, loaded = result.stdout.strip().splitlines()[-1].split(" ", 1)
    return exit_code, json.loads(loaded.replace("'", '"'))


def test_a_commit_after_config_set_asks_nothing_and_loads_no_heavy_library(
    aws: Any, hooked: GitRepo, lift: Lift
) -> None:
    assert lift("config", "set", "-e", "staging", f"NEW_KEY={SENTINEL}").returncode == 0
    add_keys(hooked, "NEW_KEY")
    aws.reset_counts()
    assert in_process_hook(hooked) == ("0", [])
    done = commit(hooked, "Add NEW_KEY")
    assert done.returncode == 0, done.stderr
    assert "1 key seen in the store within lift.hooks.cacheTtl (900s); asking about 0" in (
        done.stderr
    )
    assert aws.request_counts() == {}
    cached = (hooked.path / ".git" / "lift" / "names").rglob("*.json")
    assert all(SENTINEL not in path.read_text() for path in cached)  # names, never values


def test_a_commit_on_a_cache_hit_starts_four_git_processes(
    aws: Any, hooked: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    """The installed hook as git runs it (git puts its own folder first on PATH: the hook is
    run here with the logging git's): each process is a whole start of a program (issue 22).
    The shim reads what is staged (env.sample is: .gitlift need not be asked); git lift its
    config with .gitlift, branches, objects and what is staged, each once."""
    hooked.write(".gitlift", '[env "staging"]\n\tref = refs/heads/main\n')
    hooked.commit("Map main", verify=False)
    assert lift("config", "set", "-e", "staging", "NEW_KEY=v").returncode == 0
    add_keys(hooked, "NEW_KEY")
    env, log = git_logged(tmp_path)
    aws.reset_counts()
    index = str(hooked.path / ".git" / "index")
    hook = [str(hooked.path / ".git" / "hooks" / "pre-commit")]
    done = run(hook, hooked.path, env={**env, "GIT_INDEX_FILE": index})
    assert "asking about 0" in done.stderr
    calls = git_calls(log)
    assert calls[:1] == ["diff"], calls  # the shim's own
    started = calls[1:]
    assert sorted(started) == ["cat-file", "config", "diff-index", "for-each-ref"], started
    assert aws.request_counts() == {}


def test_only_the_keys_the_cache_lacks_are_asked_one_request_per_ten(
    aws: Any, hooked: GitRepo, lift: Lift
) -> None:
    put_all(["DATABASE_URL", "API_TOKEN"])
    assert lift("config", "check", "-e", "staging").returncode == 0  # lists: fills the cache
    fresh = [f"KEY_{n:02}" for n in range(12)]
    put_all(fresh)  # behind git lift's back: not in the cache
    hooked.write("env.sample", "DATABASE_URL=x\n")
    hooked.commit("Drop API_TOKEN", verify=False)
    add_keys(hooked, "API_TOKEN", *fresh)
    aws.reset_counts()
    done = commit(hooked, "Add twelve keys")
    assert done.returncode == 0, done.stderr
    assert "asking about 12" in done.stderr
    assert aws.request_counts() == {"ssm.GetParameters": 2}


def test_a_stale_cache_is_asked_again_and_a_removed_key_is_not_trusted(
    aws: Any, hooked: GitRepo, lift: Lift
) -> None:
    assert lift("config", "set", "-e", "staging", "NEW_KEY=v", "GONE_KEY=v").returncode == 0
    hooked.git("config", "lift.hooks.cacheTtl", "0")
    add_keys(hooked, "NEW_KEY")
    aws.reset_counts()
    assert commit(hooked, "Add NEW_KEY").returncode == 0
    assert aws.request_counts() == {"ssm.GetParameters": 1}

    hooked.git("config", "--unset", "lift.hooks.cacheTtl")
    assert lift("config", "unset", "-e", "staging", "GONE_KEY").returncode == 0
    add_keys(hooked, "GONE_KEY")
    refused = commit(hooked, "Add GONE_KEY")
    assert refused.returncode == 1 and "GONE_KEY" in refused.stderr


def test_the_variable_turns_the_cache_off_and_a_misspelt_one_stops(
    aws: Any, hooked: GitRepo, lift: Lift
) -> None:
    """GIT_LIFT_HOOKS_CACHE_TTL=0 is honoured, GIT_LIFT_REGOIN refused with a guess (issue 18)."""
    assert lift("config", "set", "-e", "staging", "NEW_KEY=v").returncode == 0
    add_keys(hooked, "NEW_KEY")
    aws.reset_counts()
    done = commit(hooked, "Add NEW_KEY", env={"GIT_LIFT_HOOKS_CACHE_TTL": "0"})
    assert done.returncode == 0, done.stderr
    assert "seen in the store" not in done.stderr
    assert aws.request_counts() == {"ssm.GetParameters": 1}

    misspelt = lift("config", "check", "-e", "staging", env={"GIT_LIFT_REGOIN": "us-east-1"})
    assert misspelt.returncode == 2
    assert "error: GIT_LIFT_REGOIN is not a git lift setting" in misspelt.stderr
    assert "hint: did you mean GIT_LIFT_REGION?" in misspelt.stderr
    assert aws.request_counts() == {"ssm.GetParameters": 1}  # nothing asked


def test_cache_ttl_must_be_a_number(aws: Any, hooked: GitRepo, lift: Lift) -> None:
    hooked.git("config", "lift.hooks.cacheTtl", "soon")
    result = lift("config", "check", "-e", "staging")
    assert result.returncode == 2
    assert "error: lift.hooks.cacheTtl = 'soon' is not a number from 0 to 86400" in result.stderr


def test_config_get_is_one_request_and_show_lists_without_decrypting(aws: Any, lift: Lift) -> None:
    ssm = boto3.client("ssm", region_name="eu-west-1")
    for n in range(60):
        ssm.put_parameter(
            Name=f"/staging/payments-api/KEY_{n:02}", Value=f"v{n}", Type="SecureString"
        )
    aws.reset_counts()
    got = lift("config", "get", "-e", "staging", "KEY_07")
    assert got.returncode == 0 and got.stdout == "v7\n"
    assert aws.request_counts() == {"ssm.GetParameter": 1}
    absent = lift("config", "get", "-e", "staging", "ABSENT")
    assert absent.returncode == 1 and "ABSENT is not set for payments-api" in absent.stderr

    aws.reset_counts()
    shown = lift("config", "show", "-e", "staging", "--output", "json")
    assert shown.returncode == 0, shown.stderr
    listed = json.loads(shown.stdout)
    assert len(listed) == 60 and listed["KEY_07"]["value"] == "********"
    assert listed["KEY_07"]["version"] == 1 and listed["KEY_07"]["modified"]
    assert aws.request_counts() == {"ssm.DescribeParameters": 2}  # 50 a page, nothing decrypted
