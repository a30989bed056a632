"""What a new user trips on in the first hour (issue 10): each bad input gets an `error:` and
a `hint:` with the right exit code, never a crash (exit 3) or a hang, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import GitRepo, Lift
from tests.test_hooks import put_all

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
