"""Bad input and the states it used to leave behind: each is a clear `error:`/`hint:` (exit 2
for a bad flag, 1 for a failed check), never a crash (exit 3) and never a hang. Every command
runs through git as a user runs it, without a terminal, under a 30 s limit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import GitRepo
from tests.support.infra import client, documents, put_config

LIMIT = 30  # seconds: longer means it hangs
HANGING_EDITOR = "sleep 600"  # what vi is without a terminal: it never returns


def lift_within(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """`git lift ARGS` with stdin not a terminal; fails the test if it takes over LIMIT."""
    return subprocess.run(
        ["git", "lift", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=LIMIT,
    )


def assert_clear_error(result: Any, code: int, message: str, hint: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == code, result.stderr
    assert any(line.startswith("error: ") and message in line for line in lines), result.stderr
    assert any(line.startswith("hint: ") and hint in line for line in lines), result.stderr


@pytest.fixture
def latin1_file(tmp_path: Path) -> Path:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"cpu": 256, "note": "caf\u00e9"}'.encode("latin-1"))
    return path


BAD_FLAGS = [
    # logs: a range CloudWatch cannot take, or not a duration at all
    (("logs", "-e", "staging", "--since", "99999999999d"), "more than 365 days", "365d"),
    (("logs", "-e", "staging", "--since", "366d"), "more than 365 days", "365d"),
    (("logs", "-e", "staging", "--since", "10"), "is not a duration", "10m"),
    # iam-policy: an account id is 12 digits
    (("iam-policy", "-e", "staging", "--account", "abc"), "not an AWS account id", "123456789012"),
    (("iam-policy", "-e", "staging", "--account", "1234567890123"), "12 digits", "--account"),
    # ship and rollback: an empty ref is not HEAD; a timeout is 1 s to 24 h
    (("ship", "-e", "staging", "--ref", ""), "--ref is empty", "leave --ref out"),
    (("ship", "-e", "staging", "--timeout", "-5"), "--timeout -5 is out of range", "900"),
    (("ship", "-e", "staging", "--timeout", "0"), "--timeout 0 is out of range", "900"),
    (("ship", "-e", "staging", "--timeout", "86401"), "1 to 86400 seconds", "900"),
    (("ship", "-e", "staging", "--timeout", "nan"), "out of range", "900"),
    (("rollback", "-e", "staging", "--timeout", "0"), "out of range", "900"),
    # service: without a terminal, edit takes --file (and opens no editor)
    (("service", "edit", "-e", "staging", "--yes"), "there is no terminal", "--file service.json"),
    (("service", "create", "-e", "staging", "--file", "missing.json"), "does not exist", "-h"),
    (
        ("service", "create", "-e", "staging", "--file", "doc.json", "--resume"),
        "--file and --resume do not go together",
        "--resume",
    ),
]


@pytest.mark.parametrize(
    ("args", "message", "hint"), BAD_FLAGS, ids=[" ".join(args) for args, _, _ in BAD_FLAGS]
)
def test_a_bad_flag_is_a_usage_error_before_any_request(
    aws: Any, repo: GitRepo, args: tuple[str, ...], message: str, hint: str
) -> None:
    repo.write("doc.json", "{}")
    aws.reset_counts()
    result = lift_within(repo.path, *args, env={"GIT_EDITOR": HANGING_EDITOR})
    assert_clear_error(result, 2, message, hint)
    assert aws.request_counts() == {}


def test_a_service_file_that_is_not_utf8_or_not_valid_is_refused_before_any_request(
    aws: Any, repo: GitRepo, latin1_file: Path, tmp_path: Path
) -> None:
    aws.reset_counts()
    result = lift_within(
        repo.path, "service", "create", "-e", "staging", "--file", str(latin1_file)
    )
    assert_clear_error(result, 2, "is not UTF-8 text", "UTF-8 JSON")
    invalid = tmp_path / "invalid.json"
    invalid.write_text('# my service\n{"cpu": 300, "memory": 512, "colour": "blue"}\n')
    result = lift_within(repo.path, "service", "create", "-e", "staging", "--file", str(invalid))
    assert_clear_error(result, 1, "problems", f"fix {invalid} and run the command again")
    assert "$.colour: unknown field" in result.stderr
    assert "$.cpu: 300 is not a Fargate cpu value" in result.stderr
    assert aws.request_counts() == {}


def test_logs_says_when_there_are_no_events(aws: Any, repo: GitRepo) -> None:
    client("logs").create_log_group(logGroupName="/lift/staging/payments-api")
    result = lift_within(repo.path, "logs", "-e", "staging", "--since", "2h")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "no log events in /lift/staging/payments-api since " in result.stderr
    assert "(2h ago)" in result.stderr


# Stacks a refused change set used to leave behind ------------------------------------------


def stack_names() -> list[str]:
    stacks = client("cloudformation").describe_stacks()["Stacks"]
    return [s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]


def test_a_refused_env_create_leaves_nothing_and_the_retry_creates_it(
    aws: Any, repo: GitRepo
) -> None:
    refused = lift_within(repo.path, "env", "create", "-e", "staging")
    assert_clear_error(refused, 2, "no terminal to ask", "--yes")
    assert stack_names() == []
    retried = lift_within(repo.path, "env", "create", "-e", "staging", "--yes")
    assert retried.returncode == 0, retried.stderr
    assert "REVIEW_IN_PROGRESS" not in retried.stderr
    assert stack_names() == ["lift-staging"]


def test_a_stack_left_in_review_is_deleted_and_created_anew(aws: Any, repo: GitRepo) -> None:
    """As a killed run or an older git lift leaves it: a CREATE change set nobody executed."""
    client("cloudformation").create_change_set(
        StackName="lift-staging",
        ChangeSetName="abandoned",
        ChangeSetType="CREATE",
        TemplateBody='{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}',
    )
    result = lift_within(repo.path, "env", "create", "-e", "staging", "--yes")
    assert result.returncode == 0, result.stderr
    assert "stack lift-staging is REVIEW_IN_PROGRESS" in result.stderr
    assert "deleting it to create it anew" in result.stderr
    (created,) = client("cloudformation").describe_stacks(StackName="lift-staging")["Stacks"]
    assert created["StackStatus"] == "CREATE_COMPLETE"


def test_a_refused_service_create_is_resumed_without_a_terminal(aws: Any, repo: GitRepo) -> None:
    assert lift_within(repo.path, "env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    no_editor = {"GIT_EDITOR": HANGING_EDITOR}
    refused = lift_within(repo.path, "service", "create", "-e", "staging", env=no_editor)
    assert "no terminal to edit in: payments-api gets the default service config" in (
        refused.stderr
    )
    assert_clear_error(refused, 2, "no terminal to ask", "--resume")
    assert stack_names() == ["lift-staging"] and documents("staging", "payments-api") == []

    resumed = lift_within(
        repo.path, "service", "create", "-e", "staging", "--resume", "--yes", env=no_editor
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "saved version 1" in resumed.stderr
    again = lift_within(repo.path, "service", "update", "-e", "staging", "--yes")
    assert again.returncode == 0, again.stderr
    assert "no changes to stack lift-staging-payments-api" in again.stderr


def test_service_commands_without_a_terminal_never_open_the_editor(
    aws: Any, repo: GitRepo, tmp_path: Path
) -> None:
    assert lift_within(repo.path, "env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    no_editor = {"GIT_EDITOR": HANGING_EDITOR}
    created = lift_within(repo.path, "service", "create", "-e", "staging", "--yes", env=no_editor)
    assert created.returncode == 0, created.stderr
    shown = lift_within(repo.path, "service", "show", "-e", "staging").stdout
    changed = tmp_path / "service.json"
    changed.write_text(shown.replace('"desired_count": 1', '"desired_count": 2'))
    edited = lift_within(
        repo.path,
        "service",
        "edit",
        "-e",
        "staging",
        "--yes",
        "--file",
        str(changed),
        env=no_editor,
    )
    assert edited.returncode == 0, edited.stderr
    assert '+  "desired_count": 2' in edited.stderr and "saved version 2" in edited.stderr
    assert [d["doc"]["desired_count"] for d in documents("staging", "payments-api")] == [1, 2]
