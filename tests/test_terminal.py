"""What a person at a terminal sees and types: prompts, typed confirmation, a live
progress line. Run on a real pseudo-terminal."""

from __future__ import annotations

from typing import Any

import boto3

from tests.support.helpers import GitRepo, Lift, run_in_terminal


def stored(env: str) -> dict[str, str]:
    params = boto3.client("ssm", region_name="eu-west-1").get_parameters_by_path(
        Path=f"/{env}/payments-api", WithDecryption=True
    )["Parameters"]
    return {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in params}


def test_production_asks_for_its_name_and_a_wrong_answer_writes_nothing(
    aws: Any, repo: GitRepo
) -> None:
    code, shown = run_in_terminal(
        ["git", "lift", "config", "set", "-e", "production", "API_TOKEN=x"],
        repo.path,
        answers=[("Type the environment's name (production)", "prod")],
    )
    assert code == 1 and "not confirmed; nothing was written" in shown
    assert stored("production") == {}
    code, shown = run_in_terminal(
        ["git", "lift", "config", "set", "-e", "production", "API_TOKEN=x"],
        repo.path,
        answers=[("Type the environment's name (production)", "production")],
    )
    assert code == 0, shown
    assert stored("production") == {"API_TOKEN": "x"}


def test_staging_asks_yes_or_no(aws: Any, repo: GitRepo) -> None:
    code, shown = run_in_terminal(
        ["git", "lift", "config", "set", "-e", "staging", "LOG_LEVEL=debug"],
        repo.path,
        answers=[("Apply to staging? [y/N]", "n")],
    )
    assert code == 1 and "not confirmed" in shown and stored("staging") == {}
    code, _ = run_in_terminal(
        ["git", "lift", "config", "set", "-e", "staging", "LOG_LEVEL=debug"],
        repo.path,
        answers=[("Apply to staging? [y/N]", "y")],
    )
    assert code == 0 and stored("staging") == {"LOG_LEVEL": "debug"}


def test_a_bare_key_is_prompted_without_echo(aws: Any, repo: GitRepo) -> None:
    code, shown = run_in_terminal(
        ["git", "lift", "config", "set", "-e", "staging", "API_TOKEN", "--yes"],
        repo.path,
        answers=[("API_TOKEN:", "s3cr3t-typed")],
    )
    assert code == 0, shown
    assert "s3cr3t-typed" not in shown  # neither echoed nor printed
    assert stored("staging") == {"API_TOKEN": "s3cr3t-typed"}


def test_lift_prints_no_colour_codes_into_a_pipe(aws: Any, lift: Lift) -> None:
    result = lift("config", "check", "-e", "staging")
    assert "\x1b[" not in result.stderr
