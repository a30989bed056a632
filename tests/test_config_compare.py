"""`git lift config compare A B` (issue 24): per key same, different or only in one, from a
keyed hash computed locally; never a value, and only the listings it needs."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.accounts import in_account_b
from tests.support.helpers import GitRepo, Lift


def put(client: Any, env: str, values: dict[str, str]) -> None:
    for key, value in values.items():
        client.put_parameter(
            Name=f"/{env}/payments-api/{key}", Value=value, Type="SecureString", Overwrite=True
        )


def ssm_counts(aws: Any) -> dict[str, int]:
    return {k: n for k, n in aws.request_counts().items() if k.startswith("ssm.")}


def test_compare_says_same_different_and_only_in_without_a_value(aws: Any, lift: Lift) -> None:
    ssm = boto3.client("ssm", region_name="eu-west-1")
    shared = {f"FLAG_{n:02d}": f"on-{n}" for n in range(10)}  # 12 keys in staging: 2 pages
    put(ssm, "staging", shared | {"DATABASE_URL": "pg://stage-s3cret", "STAGING_ONLY": "x-s3cret"})
    put(ssm, "production", shared | {"DATABASE_URL": "pg://prod-s3cret", "API_TOKEN": "t-s3cret"})
    aws.reset_counts()
    result = lift("config", "compare", "staging", "production")
    assert result.returncode == 1, result.stderr  # something differs
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["DATABASE_URL"] == "different"
    assert lines["FLAG_03"] == "same"
    assert lines["STAGING_ONLY"] == "only in staging"
    assert lines["API_TOKEN"] == "only in production"
    assert "10 same, 1 different, 1 only in staging, 1 only in production" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr and "on-3" not in result.stdout
    # ceil(12/10) + ceil(11/10) pages of values, nothing else: no listing, no GetParameter.
    assert ssm_counts(aws) == {"ssm.GetParametersByPath": 4}

    as_json = lift("config", "compare", "production", "staging", "--output", "json")
    assert json.loads(as_json.stdout)["STAGING_ONLY"] == "only in staging"
    assert json.loads(as_json.stdout)["DATABASE_URL"] == "different"


def test_the_same_values_exit_0_and_an_empty_pair_too(aws: Any, repo: GitRepo, lift: Lift) -> None:
    repo.write("env.sample", "")  # a service without config: nothing to compare is alike
    empty = lift("config", "compare", "staging", "production")
    assert empty.returncode == 0, empty.stderr
    assert "0 same, 0 different" in empty.stderr
    ssm = boto3.client("ssm", region_name="eu-west-1")
    put(ssm, "staging", {"LOG_LEVEL": "info"})
    put(ssm, "production", {"LOG_LEVEL": "info"})
    result = lift("config", "compare", "staging", "production")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["LOG_LEVEL", "same"]


def test_newcomer_mistakes_are_one_error_and_a_hint(aws: Any, lift: Lift) -> None:
    same = lift("config", "compare", "staging", "staging")
    assert same.returncode == 2
    assert same.stderr.startswith("error: both arguments name staging")
    assert "hint: git lift config compare staging OTHER_ENV" in same.stderr
    unknown = lift("config", "compare", "staging", "prod")
    assert unknown.returncode == 2, unknown.stderr
    assert "error:" in unknown.stderr and "hint:" in unknown.stderr
    one = lift("config", "compare", "staging")
    assert one.returncode == 2 and "ENV_B" in one.stderr


def test_compare_across_accounts_reads_each_with_its_own_credentials(
    two_accounts: GitRepo, lift: Lift, aws: Any
) -> None:
    put(boto3.client("ssm", region_name="eu-west-1"), "staging", {"DATABASE_URL": "a", "K": "1"})
    put(in_account_b("ssm", aws), "production", {"DATABASE_URL": "b", "K": "1"})
    result = lift("config", "compare", "staging", "production")
    assert result.returncode == 1, result.stderr
    assert "DATABASE_URL  different" in result.stdout and "K             same" in result.stdout
