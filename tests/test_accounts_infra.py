"""Environments and IAM policies per account (issue 12), in the two-account setup of
tests/test_accounts.py: staging in account A (eu-west-1), production in account B (us-east-1)
through `roleArn`."""

from __future__ import annotations

import json
from typing import Any

from tests.support.accounts import ACCOUNT_A, ACCOUNT_B, GITLIFT, ROLE_B, in_account_b
from tests.support.helpers import GitRepo, Lift

CI_ROLE = f"arn:aws:iam::{ACCOUNT_A}:role/ci/lift-ci"


def created(lift: Lift, env: str) -> None:
    result = lift("env", "create", "-e", env, "--yes")
    assert result.returncode == 0, result.stderr


def test_env_list_reads_each_record_from_its_own_account(
    two_accounts: GitRepo, lift: Lift, aws: Any
) -> None:
    created(lift, "staging")
    created(lift, "production")
    records = in_account_b("dynamodb", aws).scan(TableName="git-lift")["Items"]
    assert [r["sk"]["S"] for r in records] == ["production"]
    listed = lift("env", "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()}
    assert rows["production"][1:3] == ["us-east-1", "lift-production"]
    assert rows["staging"][1:3] == ["eu-west-1", "lift-staging"]
    as_json = json.loads(lift("env", "list", "--output", "json").stdout)
    assert {(r["name"], r["account"]) for r in as_json} == {
        ("production", ACCOUNT_B),
        ("staging", ACCOUNT_A),
    }


def policy_of(lift: Lift, *args: str) -> Any:
    result = lift("iam-policy", *args)
    assert result.returncode == 0, result.stderr
    return result, json.loads(result.stdout)


def resources(document: dict[str, Any]) -> set[str]:
    return {r for s in document["Statement"] for r in s["Resource"] if r != "*"}


def test_each_environments_policy_is_for_its_own_account_and_region(
    two_accounts: GitRepo, lift: Lift
) -> None:
    result, production = policy_of(lift, "-e", "production", "--for", "ci")
    assert f"in production (us-east-1, account {ACCOUNT_B})" in result.stderr
    assert all(f":us-east-1:{ACCOUNT_B}:" in r for r in resources(production) if ":iam::" not in r)
    assert f"arn:aws:iam::{ACCOUNT_B}:role/lift-production-payments-api-task" in resources(
        production
    )
    _, staging = policy_of(lift, "-e", "staging", "--for", "ci")
    assert all(f":{ACCOUNT_A}:" in r for r in resources(staging))


def test_without_account_the_environments_own_credentials_name_it(
    two_accounts: GitRepo, lift: Lift
) -> None:
    two_accounts.write(".gitlift", GITLIFT.replace(f"\taccount = {ACCOUNT_B}\n", ""))
    two_accounts.commit("production's account left to its role")
    two_accounts.git("push", "-q", "origin", "main")
    assert lift("trust", "--yes").returncode == 0
    result, _ = policy_of(lift, "-e", "production", "--for", "ci")
    assert f"(us-east-1, account {ACCOUNT_B})" in result.stderr  # STS, as the role


def test_the_deployer_roles_trust_policy_names_who_may_assume_it(
    two_accounts: GitRepo, lift: Lift, aws: Any
) -> None:
    two_accounts.git("config", "lift.env.production.externalId", "acme-lift")
    result, trust = policy_of(lift, "-e", "production", "--for", "deployer-role")
    assert f"trust policy of {ROLE_B}" in result.stderr
    assert "aws iam update-assume-role-policy --role-name lift-deployer" in result.stderr
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT_A}:root"]}
    assert statement["Action"] == ["sts:AssumeRole"]
    condition = statement["Condition"]
    assert condition["StringEquals"] == {
        "aws:PrincipalAccount": [ACCOUNT_A],
        "sts:ExternalId": "acme-lift",
    }
    assert condition["StringLike"] == {"sts:RoleSessionName": "git-lift-*"}
    # Nobody named: the caller, as their own credentials (not the role's) see them.
    (caller,) = condition["ArnLike"]["aws:PrincipalArn"]
    assert caller.startswith(f"arn:aws:iam::{ACCOUNT_A}:") and "(you)" in result.stderr

    _, named = policy_of(lift, "-e", "production", "--for", "deployer-role", "--principal", CI_ROLE)
    assert named["Statement"][0]["Condition"]["ArnLike"] == {"aws:PrincipalArn": [CI_ROLE]}


def test_a_trust_policy_needs_a_role_and_real_principals(
    two_accounts: GitRepo, lift: Lift, aws: Any
) -> None:
    no_role = lift("iam-policy", "-e", "staging", "--for", "deployer-role")
    assert no_role.returncode == 2
    assert "error: staging has no roleArn" in no_role.stderr
    assert "hint: git config lift.env.staging.roleArn" in no_role.stderr
    aws.reset_counts()
    bad = lift("iam-policy", "-e", "production", "--for", "deployer-role", "--principal", "ci")
    assert bad.returncode == 2
    assert "error: 'ci' is not the ARN of an IAM role or user" in bad.stderr
    assert aws.request_counts() == {}
