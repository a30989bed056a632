"""An environment's own pieces, for any valid name: the environment template's exports and
tags (what service stacks import and what the IAM policies' tag conditions rely on), the
settings `env create` checks before CloudFormation would, and the deployer role's trust
policy (`git lift iam-policy --for deployer-role`)."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import limits
from git_lift.errors import UsageError, ValidationError
from git_lift.settings import EnvironmentSettings
from git_lift.target import TAG_ENV, Environment, role_session_name
from git_lift.templates import to_json
from git_lift.templates.environment import environment_template
from git_lift.templates.environment_params import EnvironmentParams, check_params
from git_lift.templates.iam_trust import check_role_arn, principal, trust_policy

env_names = st.from_regex(r"[a-z]([a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True).filter(
    lambda n: "--" not in n and not n.startswith(limits.PARAMETER_RESERVED)
)
EXISTING = EnvironmentParams(
    vpc_id="vpc-0123456789abcdef0",
    vpc_cidr="10.1.0.0/16",
    public_subnet_ids=("subnet-0000000a", "subnet-0000000b"),
    private_subnet_ids=("subnet-0000000c", "subnet-0000000d"),
)


NEW_VPC = EnvironmentParams()


def render(name: str, params: EnvironmentParams = NEW_VPC) -> dict[str, Any]:
    env = Environment(EnvironmentSettings(name, ()))
    rendered: dict[str, Any] = json.loads(to_json(environment_template(env, params)))
    return rendered


def exports(template: dict[str, Any]) -> list[str]:
    return [o["Export"]["Name"] for o in template["Outputs"].values()]


@settings(max_examples=6, deadline=None)  # a render takes a while; 2 shared cores
@given(env_names, env_names)
def test_exports_are_the_environments_and_never_another_ones(name: str, other: str) -> None:
    """A service stack imports `lift-<env>-<Key>`; qa's must never be qa-1's."""
    mine = exports(render(name))
    env = Environment(EnvironmentSettings(name, ()))
    assert mine and all(e.startswith(env.export("")) for e in mine)
    assert len(mine) == len(set(mine))
    if other != name:
        assert not set(mine) & set(exports(render(other)))


@pytest.mark.parametrize("params", [NEW_VPC, EXISTING], ids=["new vpc", "existing vpc"])
def test_every_tagged_resource_carries_the_environment_tag(params: EnvironmentParams) -> None:
    template = render("qa-1", params)
    tagged = 0
    for title, resource in template["Resources"].items():
        tags = resource["Properties"].get("Tags")
        if tags is None:
            continue
        tagged += 1
        found = {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else tags
        assert found.get(TAG_ENV) == "qa-1", title
    assert tagged >= 3


def test_the_longest_environment_name_renders_its_cluster_and_bucket() -> None:
    name = "e" * 20
    env = Environment(EnvironmentSettings(name, ()))
    template = json.dumps(render(name))
    assert f'"ClusterName": "{env.cluster}"' in template
    # the bucket's name is made of the account and region at deploy time: its fixed part
    assert env.template_bucket("", "").rstrip("-") in template


# What `env create` checks before CloudFormation


def problems(params: EnvironmentParams) -> list[str]:
    with pytest.raises(ValidationError) as err:
        check_params(params)
    first, *rest = err.value.message.splitlines()
    assert first == "environment settings are not valid:"
    return [line.strip() for line in rest]


def test_subnets_must_lie_inside_the_vpc_and_apart() -> None:
    found = problems(
        EnvironmentParams(
            vpc_cidr="10.0.0.0/16",
            public_subnet_cidrs=("10.0.0.0/22", "10.1.0.0/22"),
            private_subnet_cidrs=("10.0.0.0/20", "10.0.32.0/20"),
        )
    )
    assert found == [
        "public_subnet_cidrs[1]: 10.1.0.0/22 is not inside the VPC 10.0.0.0/16",
        "private_subnet_cidrs[0]: 10.0.0.0/20 overlaps public_subnet_cidrs[0]",
    ]


@pytest.mark.parametrize(
    ("cidr", "problem"),
    [
        ("10.0.0.0/8", "vpc_cidr: 10.0.0.0/8 must be between /16 and /28"),
        ("10.0.0.1/16", "vpc_cidr: '10.0.0.1/16' is not an IPv4 CIDR"),
        ("fd00::/16", "vpc_cidr: 'fd00::/16' is not an IPv4 CIDR"),
    ],
)
def test_a_vpc_range_aws_refuses_is_named(cidr: str, problem: str) -> None:
    assert problems(EnvironmentParams(vpc_cidr=cidr))[0].startswith(problem)


def test_an_existing_vpc_needs_two_distinct_subnets_of_each_kind_and_no_overlap() -> None:
    found = problems(
        EnvironmentParams(
            vpc_id="vpc-12",
            public_subnet_ids=("subnet-0000000a", "subnet-0000000a"),
            private_subnet_ids=("subnet-0000000a", "sub-1"),
        )
    )
    assert found == [
        "vpc_id: 'vpc-12' is not a VPC id (vpc-0123abcd...)",
        "public_subnet_ids: two or more subnets, in two zones, are needed",
        "private_subnet_ids: 'sub-1' is not a subnet id (subnet-0123abcd...)",
        "a subnet cannot be both public and private",
    ]
    check_params(EXISTING)  # the valid form passes


def test_subnet_ids_without_a_vpc_id_say_what_is_missing() -> None:
    found = problems(EnvironmentParams(public_subnet_ids=("subnet-0000000a",)))
    assert found == ["subnet ids name subnets of an existing VPC: give its --vpc-id too"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (EnvironmentParams(certificate_arn="arn:aws:iam::1:cert"), "certificate_arn: "),
        (EnvironmentParams(notification_topic_arn="topic"), "notification_topic_arn: 'topic'"),
        (EnvironmentParams(access_logs_bucket="Logs_Bucket"), "access_logs_bucket: 'Logs_Bucket'"),
    ],
)
def test_arns_and_bucket_names_are_checked(params: EnvironmentParams, problem: str) -> None:
    [found] = problems(params)
    assert found.startswith(problem)


# The deployer role's trust policy


def test_a_role_with_a_path_a_user_and_a_session_are_each_principals() -> None:
    role = principal("arn:aws:iam::111111111111:role/ci/deployer")
    assert (role.partition, role.account, role.arns) == (
        "aws",
        "111111111111",
        ("arn:aws:iam::111111111111:role/ci/deployer",),
    )
    assert principal("arn:aws-cn:sts::222222222222:user/ada") == principal(
        "arn:aws-cn:iam::222222222222:user/ada"
    )
    session = principal("arn:aws:sts::333333333333:assumed-role/Admin/ada@example.com")
    # a session's ARN leaves the role's path out: the role is matched with and without one
    for role_arn in (
        "arn:aws:iam::333333333333:role/Admin",
        "arn:aws:iam::333333333333:role/x/y/Admin",
    ):
        assert any(fnmatch.fnmatchcase(role_arn, p) for p in session.arns), role_arn
    assert not any(
        fnmatch.fnmatchcase("arn:aws:iam::333333333333:role/NotAdmin", p) for p in session.arns
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:group/devs",
        "arn:aws:iam::123456789012:root",
        "arn:aws:sts::123456789012:federated-user/ada",
        "arn:aws:iam::12345:role/r",
        "123456789012",
    ],
)
def test_what_is_no_role_or_user_is_refused(arn: str) -> None:
    with pytest.raises(UsageError) as err:
        principal(arn)
    assert err.value.message == f"{arn!r} is not the ARN of an IAM role or user"
    assert err.value.hint == "e.g. --principal arn:aws:iam::123456789012:role/ci-deployer"


def test_role_arn_of_an_environment_must_name_a_role() -> None:
    check_role_arn("arn:aws:iam::222222222222:role/lift-deployer")
    with pytest.raises(UsageError, match="roleArn 'arn:aws:iam::222222222222:user/x' is not"):
        check_role_arn("arn:aws:iam::222222222222:user/x")


def test_the_trust_policy_names_each_account_once_and_only_its_principals() -> None:
    named = [
        principal("arn:aws:iam::111111111111:role/ci"),
        principal("arn:aws:iam::111111111111:user/ada"),
        principal("arn:aws:iam::222222222222:role/sso"),
    ]
    [statement] = trust_policy(named, None)["Statement"]
    assert statement["Principal"] == {
        "AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]
    }
    condition = statement["Condition"]
    assert condition["StringEquals"] == {"aws:PrincipalAccount": ["111111111111", "222222222222"]}
    assert "sts:ExternalId" not in condition["StringEquals"]
    assert condition["ArnLike"]["aws:PrincipalArn"] == sorted(a for p in named for a in p.arns)
    with_id = trust_policy(named, "acme")["Statement"][0]["Condition"]["StringEquals"]
    assert with_id["sts:ExternalId"] == "acme"


@given(st.text(min_size=1, max_size=100))
def test_git_lifts_session_names_match_the_trust_policy_and_fit_sts(user: str) -> None:
    [statement] = trust_policy([principal("arn:aws:iam::111111111111:role/ci")], None)["Statement"]
    pattern = statement["Condition"]["StringLike"]["sts:RoleSessionName"]
    name = role_session_name(user)
    # RoleSessionName: "Length Constraints: Minimum length of 2. Maximum length of 64."
    # (STS API reference, AssumeRole)
    assert 2 <= len(name) <= 64
    assert fnmatch.fnmatchcase(name, pattern)


def plain_strings_with_variables(value: object) -> list[str]:
    """Strings holding `${...}` that no Fn::Sub encloses: CloudFormation keeps them literal."""
    if isinstance(value, dict):
        if "Fn::Sub" in value:
            return []
        return [s for v in value.values() for s in plain_strings_with_variables(v)]
    if isinstance(value, list):
        return [s for v in value for s in plain_strings_with_variables(v)]
    return [value] if isinstance(value, str) and "${" in value else []


def subs(value: object) -> list[Any]:
    if isinstance(value, dict):
        found = [value["Fn::Sub"]] if "Fn::Sub" in value else []
        return found + [s for v in value.values() for s in subs(v)]
    if isinstance(value, list):
        return [s for v in value for s in subs(v)]
    return []


@pytest.mark.parametrize(
    "params",
    [NEW_VPC, EXISTING, EnvironmentParams(internal_load_balancer=True)],
    ids=["new vpc", "existing vpc", "internal load balancer"],
)
def test_the_stack_roles_policy_names_its_vpc_and_load_balancers_through_sub(
    params: EnvironmentParams,
) -> None:
    """The role's policy is written before the VPC and load balancers exist: each of their
    names is a variable CloudFormation fills in, and none is left as literal text."""
    [role] = [
        r["Properties"]
        for r in render("qa", params)["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"]["RoleName"] == "lift-qa-cloudformation"
    ]
    assert plain_strings_with_variables(role) == []
    used = subs(role)
    assert used
    for sub in used:
        text, variables = (sub, {}) if isinstance(sub, str) else sub
        for name in re.findall(r"\$\{([^}]+)\}", text):
            assert name.startswith("AWS::") or name in variables, (name, text)
    vpc_named = json.dumps(role)
    assert "${VpcId}" in vpc_named
