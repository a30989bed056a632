"""What a new user trips on in the first hour (issue 10): each bad input gets an `error:` and
a `hint:` with the right exit code, never a crash (exit 3) or a hang, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import put_all

BIG_SAMPLE = "".join(f"KEY_{n:06d}=example\n" for n in range(162_000))  # ~3 MB
MANY_KEYS = "".join(f"KEY_{n:05d}=x\n" for n in range(10_050))  # under 1 MB, too many keys


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("DATABASE_URL=caf\xe9\n".encode("latin-1"), "env.sample:1: is not UTF-8 text"),
        (BIG_SAMPLE.encode(), "env files are at most 1,048,576"),
        (MANY_KEYS.encode(), "more than 10,000 keys"),
    ],
)
def test_a_bad_env_sample_is_an_error_in_check_and_in_the_hook(
    aws: Any, repo: GitRepo, lift: Lift, sample: bytes, message: str
) -> None:
    assert lift("hooks", "install").returncode == 0
    (repo.path / "env.sample").write_bytes(sample)
    checked = lift("config", "check", "-e", "staging")
    assert checked.returncode == 1 and message in checked.stderr, checked.stderr
    assert "hint: " in checked.stderr and len(checked.stderr) < 4000
    repo.git("add", "env.sample")
    committed = repo.git("commit", "-q", "-m", "Bad sample", check=False)
    assert committed.returncode == 1 and message in committed.stderr
    assert len(committed.stderr) < 4000


def test_long_key_lists_are_shortened_in_messages(aws: Any, repo: GitRepo, lift: Lift) -> None:
    repo.write("env.sample", "".join(f"KEY_{n:04d}=x\n" for n in range(500)))
    result = lift("config", "check", "-e", "staging")
    assert result.returncode == 1
    assert "KEY_0000, KEY_0001" in result.stderr and "and 488 more" in result.stderr
    assert "KEY_0499" not in result.stderr


def test_import_reads_utf16_json_detected_by_its_name(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    put_all(["DATABASE_URL"])
    values = tmp_path / "staging.json"
    values.write_text(json.dumps({"API_TOKEN": "t0ken"}), encoding="utf-16")
    result = lift("config", "import", "-e", "staging", str(values))
    assert result.returncode == 0, result.stderr
    assert lift("config", "get", "-e", "staging", "API_TOKEN").stdout.strip() == "t0ken"


def test_import_of_a_binary_file_is_an_error(aws: Any, lift: Lift, tmp_path: Path) -> None:
    junk = tmp_path / "junk.env"
    junk.write_bytes(b"\x00\x9f\x92\x96KEY=1\n")
    result = lift("config", "import", "-e", "staging", str(junk))
    assert result.returncode == 1 and "is not UTF-8 text" in result.stderr
    assert "hint: save" in result.stderr


def test_init_warns_when_dotenv_is_not_ignored(repo: GitRepo, lift: Lift) -> None:
    (repo.path / "env.sample").unlink()
    repo.write(".env", "DATABASE_URL=postgres://S3NT1NEL@db/x\n")
    result = lift("init")
    assert result.returncode == 0
    assert ".env holds values and git does not ignore it" in result.stderr
    assert "S3NT1NEL" not in result.stdout + result.stderr
    repo.write(".gitignore", ".env\n")
    (repo.path / "env.sample").unlink()
    again = lift("init")
    assert "does not ignore" not in again.stderr


def test_status_fails_when_it_cannot_read_what_runs(aws: Any, lift: Lift) -> None:
    """No AWS at all: status says so and exits 1, never 0. No ECS service yet is a state, not
    a failure to read (issue 18): "not set up", with the command that sets it up, and 0."""
    missing = lift("status", "-e", "staging")
    assert missing.returncode == 0, missing.stderr
    assert "staging: payments-api\n  not set up: there is no ECS cluster lift-staging" in (
        missing.stdout
    )
    assert "set it up: git lift setup -e staging" in missing.stdout
    unreachable = lift(
        "status",
        env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"},
    )
    assert unreachable.returncode == 1 and "cannot reach AWS" in unreachable.stdout


# The Quick start from nothing (issue 18): committing right after init, and setup refusing
# up front what would stop it at its last step, with nothing created.


def fresh_service(tmp_path: Path) -> GitRepo:
    """A clone with a Dockerfile and a .env (ignored), no .gitlift, no env.sample."""
    return GitRepo.create(
        tmp_path / "shop",
        origin=tmp_path / "remote" / "shop.git",
        files={"Dockerfile": "FROM scratch\n", ".gitignore": ".env\n"},
    )


def nothing_created(aws: Any) -> bool:
    cfn = boto3.client("cloudformation", endpoint_url=aws.url, region_name="eu-west-1", **FAKE_KEYS)
    ssm = boto3.client("ssm", endpoint_url=aws.url, region_name="eu-west-1", **FAKE_KEYS)
    return not cfn.list_stacks()["StackSummaries"] and not ssm.describe_parameters()["Parameters"]


FAKE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def test_the_files_init_writes_commit_and_push_before_any_environment_exists(
    aws: Any, tmp_path: Path
) -> None:
    repo = fresh_service(tmp_path)
    repo.write(".env", "DATABASE_URL=postgres://localhost/dev\n")
    lift = Lift(repo.path)
    assert lift("init").returncode == 0
    committed = repo.git("add", ".gitlift", "env.sample", check=False)
    committed = repo.git("commit", "-q", "-m", "Ship with git lift", check=False)
    assert committed.returncode == 0, committed.stderr
    assert "shop is not set up in staging yet" in committed.stderr
    assert "git lift setup -e staging" in committed.stderr
    pushed = repo.git("push", "-q", "origin", "main", check=False)
    assert pushed.returncode == 0, pushed.stderr
    assert "git lift setup -e staging" in pushed.stderr
    # once the environment exists, a missing key blocks again
    assert lift("env", "create", "-e", "staging", "--no-nat", "--yes").returncode == 0
    repo.write("env.sample", "DATABASE_URL=\nAPI_TOKEN=\n")
    repo.git("add", "env.sample")
    blocked = repo.git("commit", "-q", "-m", "token", check=False)
    assert blocked.returncode == 1 and "API_TOKEN" in blocked.stderr


def test_setup_refuses_uncommitted_files_before_creating_anything(aws: Any, tmp_path: Path) -> None:
    repo = fresh_service(tmp_path)
    lift = Lift(repo.path)
    assert lift("init").returncode == 0
    repo.git("add", ".gitlift", "env.sample")  # staged, as a refused commit leaves them
    result = lift("setup", "-e", "staging", "--yes")
    assert result.returncode == 1, result.stderr
    assert "error: .gitlift, env.sample are not committed" in result.stderr
    assert "hint: git add .gitlift env.sample && git commit" in result.stderr
    assert nothing_created(aws)


def test_setup_without_a_terminal_refuses_missing_values_before_creating_anything(
    aws: Any, tmp_path: Path
) -> None:
    repo = fresh_service(tmp_path)
    repo.write("env.sample", "DATABASE_URL=\n")
    repo.commit("env.sample", verify=False)
    result = Lift(repo.path)("setup", "-e", "staging", "--yes")
    assert result.returncode == 1
    assert "staging lacks config that env.sample names: DATABASE_URL" in result.stderr
    assert "--from-file FILE" in result.stderr
    assert nothing_created(aws)


def test_setup_refuses_a_commit_not_on_a_remote_branch_before_creating_anything(
    aws: Any, tmp_path: Path
) -> None:
    repo = fresh_service(tmp_path)
    repo.write(".gitlift", '[env "production"]\n\tref = refs/tags/v*\n\tconfirm = true\n')
    repo.commit("production ships by hand", verify=False)
    repo.git("push", "-q", "origin", "main")  # release policy comes from the remote's branch
    repo.write("app.txt", "v2\n")
    repo.commit("v2", verify=False)
    repo.git("push", "-q", "origin", "HEAD:refs/tags/only-a-tag")  # the remote has the commit
    values = tmp_path / "prod.env"
    values.write_text("X=1\n")
    result = Lift(repo.path)("setup", "-e", "production", "--yes", "--from-file", str(values))
    assert result.returncode == 1
    assert "is not on a remote branch" in result.stderr
    assert "hint: git push origin HEAD" in result.stderr
    assert nothing_created(aws)


def test_a_service_added_to_a_repository_commits_before_it_is_set_up(
    aws: Any, tmp_path: Path
) -> None:
    repo = fresh_service(tmp_path)
    lift = Lift(repo.path)
    assert lift("init").returncode == 0
    repo.commit("git lift", verify=False)
    assert lift("env", "create", "-e", "staging", "--no-nat", "--yes").returncode == 0
    repo.write("worker/.env", "QUEUE_URL=sqs://q\n")
    assert lift("init", "-s", "worker", "--path", "worker").returncode == 0
    repo.git("add", ".gitlift", "worker/env.sample")
    committed = repo.git("commit", "-q", "-m", "worker", check=False)
    assert committed.returncode == 0, committed.stderr
    assert "worker is not set up in staging yet" in committed.stderr
    assert "hint: git lift setup -e staging -s worker" in committed.stderr


def test_setup_of_an_environment_a_push_releases_prepares_it_and_ships_nothing(
    aws: Any, tmp_path: Path
) -> None:
    """production releases on a tag push: setup --yes then the push must not deploy the
    commit twice, so setup stops before the ship and names the push."""
    repo = fresh_service(tmp_path)
    repo.write("env.sample", "DATABASE_URL=\n")
    repo.commit("env.sample", verify=False)
    repo.git("push", "-q", "origin", "main")
    values = tmp_path / "prod.env"
    values.write_text("DATABASE_URL=postgres://prod/x\n")
    lift = Lift(repo.path)
    result = lift("setup", "-e", "production", "--yes", "--from-file", str(values))
    assert result.returncode == 0, result.stderr
    assert "then: nothing shipped (production releases when you push" in result.stderr
    assert "hint: git tag v1.0.0 && git push origin v1.0.0" in result.stderr
    assert "released" not in result.stderr
    assert "ECS service shop in lift-production" in result.stderr  # the service exists
    assert lift("config", "check", "-e", "production").returncode == 0
    # complete now: nothing to create, so nothing to confirm (in a script, without --yes)
    again = lift("setup", "-e", "production")
    assert again.returncode == 0, again.stderr
    assert "hint: git tag v1.0.0 && git push origin v1.0.0" in again.stderr
