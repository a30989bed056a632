"""A newcomer's commands before `git lift setup` (last trial's findings): each says what is
missing in one `error:` line and names the one command that sets it up, the Quick start's
`git lift setup -e ENV`, never a lower-level command that leaves the rest undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import GitRepo, Lift

SETUP_HINT = "hint: set it up: git lift setup -e staging\n"


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize(
    ("words", "missing"),
    [
        (["scale", "-e", "staging", "3"], "payments-api has no service config in staging"),
        (
            ["scale", "-e", "staging", "--process", "worker", "3"],
            "payments-api has no service config in staging",
        ),
        (["release-config", "-e", "staging"], "there is no ECS cluster lift-staging"),
        (["logs", "-e", "staging"], "there is no log group /lift/staging/payments-api"),
        (["run", "-e", "staging", "--", "true"], "there is no ECS cluster lift-staging"),
        (["service", "show", "-e", "staging"], "payments-api has no service config in staging"),
    ],
)
def test_each_command_before_setup_names_setup(
    aws: Any, lift: Lift, words: list[str], missing: str
) -> None:
    result = lift(*words)
    assert result.returncode == 1, result.stderr
    assert errors(result.stderr) == [f"error: {missing}"], result.stderr
    assert result.stderr.endswith(SETUP_HINT), result.stderr


def test_status_says_the_same_command(aws: Any, lift: Lift) -> None:
    result = lift("status", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert "  set it up: git lift setup -e staging\n" in result.stdout


def test_compare_before_setup_says_what_is_missing(aws: Any, lift: Lift) -> None:
    """env.sample names keys and neither environment holds one: nothing was compared, so
    "0 same, 0 different" and exit 0 would pass a script's gate on nothing."""
    result = lift("config", "compare", "staging", "production")
    assert result.returncode == 1, result.stderr
    assert errors(result.stderr) == [
        "error: payments-api has no config in staging or production yet: nothing to compare"
    ]
    assert result.stderr.endswith(SETUP_HINT) and result.stdout == ""


def test_compare_with_one_side_set_up_names_the_other(aws: Any, repo: GitRepo, lift: Lift) -> None:
    assert (
        lift("config", "set", "-e", "staging", "DATABASE_URL=pg://x", "API_TOKEN=t").returncode == 0
    )
    result = lift("config", "compare", "staging", "production")
    assert result.returncode == 1, result.stderr
    assert errors(result.stderr) == ["error: payments-api has no config in production yet"]
    assert result.stderr.endswith("hint: set it up: git lift setup -e production\n")


def test_in_a_repository_of_several_services_the_hint_names_the_service(
    aws: Any, tmp_path: Path
) -> None:
    """`logs` and `release-config` read AWS's answer in aws/ (no settings there): the hint
    still names `-s worker`, as `status` and `scale` do, or setup would set up another one."""
    repo = GitRepo.create(
        tmp_path / "mono",
        files={
            ".gitlift": '[service "api"]\n\tpath = api\n[service "worker"]\n\tpath = worker\n',
            "api/env.sample": "A=x\n",
            "worker/env.sample": "B=x\n",
        },
    )
    lift = Lift(repo.path)
    for words in (["logs", "-e", "staging"], ["release-config", "-e", "staging"]):
        result = lift(*words, "-s", "worker")
        assert result.returncode == 1, result.stderr
        assert result.stderr.endswith("hint: set it up: git lift setup -e staging -s worker\n")
