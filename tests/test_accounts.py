"""One account per environment (issue 12): staging in account A (eu-west-1, your credentials),
production in account B (us-east-1) through `roleArn`, on the sandbox, which keeps each
account's state apart (moto keys it by the assumed role's account)."""

from __future__ import annotations

from typing import Any

import boto3

from tests.support.accounts import ACCOUNT_A, in_account_b
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import push


def names(client: Any) -> list[str]:
    return sorted(p["Name"] for p in client.describe_parameters()["Parameters"])


def test_each_environment_uses_its_own_account_and_region(
    two_accounts: GitRepo, lift: Lift, aws: Any
) -> None:
    prod = lift("config", "set", "-e", "production", "--yes", "DATABASE_URL=prod-db", "API_TOKEN=p")
    assert prod.returncode == 0, prod.stderr
    staging = lift("config", "set", "-e", "staging", "DATABASE_URL=staging-db", "API_TOKEN=s")
    assert staging.returncode == 0, staging.stderr
    a_eu = boto3.client("ssm", region_name="eu-west-1")
    a_us = boto3.client("ssm", region_name="us-east-1")
    assert names(in_account_b("ssm", aws)) == [
        "/production/payments-api/API_TOKEN",
        "/production/payments-api/DATABASE_URL",
    ]
    assert names(a_eu) == [
        "/staging/payments-api/API_TOKEN",
        "/staging/payments-api/DATABASE_URL",
    ]
    assert names(a_us) == []  # nothing of production's in account A
    checked = lift("config", "check")
    assert checked.returncode == 0, checked.stderr
    assert "production: ok" in checked.stderr and "staging: ok" in checked.stderr
    shown = lift("config", "get", "-e", "production", "DATABASE_URL")
    assert shown.stdout.strip() == "prod-db"


def test_a_wrong_account_is_refused_before_anything_is_written(
    two_accounts: GitRepo, lift: Lift
) -> None:
    two_accounts.git("config", "lift.env.staging.account", "333333333333")
    result = lift("config", "set", "-e", "staging", "DATABASE_URL=x")
    assert result.returncode == 1
    assert "333333333333" in result.stderr and ACCOUNT_A in result.stderr
    assert "nothing was written" in result.stderr
    assert names(boto3.client("ssm", region_name="eu-west-1")) == []


def test_the_pre_push_hook_checks_production_in_its_own_account(
    two_accounts: GitRepo, lift: Lift, aws: Any
) -> None:
    assert lift("hooks", "install").returncode == 0
    ssm_b = in_account_b("ssm", aws)
    for key in ("DATABASE_URL", "API_TOKEN"):  # in account B only
        ssm_b.put_parameter(Name=f"/production/payments-api/{key}", Value="v", Type="SecureString")
    two_accounts.git("tag", "v1.0.0")
    # production has no deployOnPush here: the push only checks its config, in account B.
    result = push(two_accounts, "v1.0.0")
    assert result.returncode == 0, result.stderr
    assert "production: ok" in result.stderr
