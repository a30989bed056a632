"""AWS's limits, checked in the plan before anything changes (issue 17): names in Target,
the task definition's 64 KiB in the ship's plan, the release record's 400 KB item, the
template's 51,200-byte body. Fast: in-process, on the fakes of tests/fast/fakes.py."""

from __future__ import annotations

import pytest

from git_lift.errors import UsageError
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Environment, Target

SHA = "c0ffee" + "0" * 34
SERVICE = ServiceSettings("payments-api", ".", "Dockerfile", ".", "env.sample", "app")


def keys(count: int, length: int) -> dict[str, int]:
    """`count` keys of `length` characters, each at version 1."""
    return {f"K{n:05d}".ljust(length, "X"): 1 for n in range(count)}


@pytest.mark.parametrize("name", ["ssm-qa", "aws-prod"])
def test_an_environment_parameter_store_reserves_is_refused_naming_the_rule(name: str) -> None:
    with pytest.raises(UsageError) as refused:
        Environment(EnvironmentSettings(name, ("refs/heads/main",)))
    assert f"environment {name!r}: Parameter Store refuses parameter names" in refused.value.message
    assert f"(/{name}/...)" in refused.value.message
    assert refused.value.hint and "--resume" not in refused.value.hint
    assert "name the environment otherwise in .gitlift" in refused.value.hint
    with pytest.raises(UsageError):  # every service in it too: Target checks its environment
        Target(EnvironmentSettings(name, ("refs/heads/main",)), SERVICE)


def test_a_thousand_character_key_is_refused_before_any_write() -> None:
    target = Target(EnvironmentSettings("staging", ("refs/heads/main",)), SERVICE)
    key = "K" * 1000
    with pytest.raises(UsageError) as refused:
        target.check_keys([key, "FINE"])
    assert "(1000 characters)" in refused.value.message
    assert "caps a parameter's name, ARN included, at 1011" in refused.value.message
    # The longest key that fits: the ARN's longest prefix and `/staging/payments-api/` taken.
    fits = 1011 - len("arn:aws-us-gov:ssm:ap-southeast-2:123456789012:parameter")
    longest = fits - len("/staging/payments-api/")
    target.check_keys(["K" * longest])
    with pytest.raises(UsageError):
        target.check_keys(["K" * (longest + 1)])


def test_names_that_fit_are_accepted() -> None:
    target = Target(EnvironmentSettings("q" * 20, ("refs/heads/main",)), SERVICE)
    assert target.role_name("execution") == f"lift-{'q' * 20}-payments-api-execution"
