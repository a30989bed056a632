"""The service's own AWS permissions (`permissions`, `managed_policies`): every mistake is named
with its JSON path, and a statement the environment's permissions boundary would deny is
refused when the config is edited, not found later as a task's AccessDenied."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from git_lift.servicecfg import ServiceConfigError, default_document, parse
from git_lift.templates.app_permissions import overlaps, refusals, within
from tests.support.infra import target

S3_READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-uploads/*"}


def doc(**changes: object) -> dict[str, object]:
    d = copy.deepcopy(default_document(production=False))
    d.update(changes)
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(ServiceConfigError) as info:
        parse(document)
    return info.value.problems


def refused(*statements: dict[str, Any], managed: tuple[str, ...] = ()) -> list[str]:
    cfg = parse(doc(permissions=list(statements), managed_policies=list(managed)))
    return refusals(cfg.permissions, cfg.managed_policies, target("staging", "api"))


def test_statements_and_policies_are_kept_as_written() -> None:
    sqs = {
        "Sid": "Jobs",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
        "Resource": ["arn:aws:sqs:eu-west-1:123456789012:jobs"],
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    policy = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    cfg = parse(doc(permissions=[S3_READ, sqs], managed_policies=[policy]))
    assert cfg.permissions == (S3_READ, sqs)
    assert cfg.managed_policies == (policy,)
    assert parse(default_document(production=False)).permissions == ()


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        ({"Effect": "Allow"}, "$.permissions: expected an array of IAM statements, got object"),
        (["s3:GetObject"], "$.permissions[0]: expected an object, got string"),
        (
            [{"Action": "s3:GetObject", "Resource": "*"}],
            "$.permissions[0].Effect: required field is missing",
        ),
        (
            [{**S3_READ, "Effect": "allow"}],
            "$.permissions[0].Effect: 'allow' is not one of Allow, Deny",
        ),
        (
            [S3_READ, {**S3_READ, "Action": ["s3:GetObject", "s3 PutObject"]}],
            "$.permissions[1].Action[1]: 's3 PutObject' is not an IAM action like s3:GetObject "
            "(service:Action; * and ? match any characters)",
        ),
        (
            [{**S3_READ, "Action": []}],
            "$.permissions[0].Action: is empty; name at least one action",
        ),
        (
            [{**S3_READ, "Action": 7}],
            '$.permissions[0].Action: expected a string or an array of strings like "s3:GetObject",'
            " got integer",
        ),
        (
            [{**S3_READ, "Resource": "acme-uploads"}],
            "$.permissions[0].Resource: 'acme-uploads' is not an ARN or \"*\" "
            "(like arn:aws:s3:::acme-uploads/*)",
        ),
        (
            [{**S3_READ, "Resource": ["arn:aws:s3:::a", 1]}],
            "$.permissions[0].Resource[1]: expected a string, got integer",
        ),
        (
            [{**S3_READ, "Condition": {"StringEquals": "x"}}],
            "$.permissions[0].Condition.StringEquals: expected an object of condition keys, "
            "got string",
        ),
        (
            [{**S3_READ, "Condition": {"StringEquals": {"aws:SourceVpc": {"a": 1}}}}],
            "$.permissions[0].Condition.StringEquals.aws:SourceVpc: expected a string, number, "
            "boolean or an array of them, got object",
        ),
        (
            [{**S3_READ, "Sid": "read uploads"}],
            "$.permissions[0].Sid: 'read uploads' may hold only letters and digits",
        ),
        (
            [{**S3_READ, "Sid": "A"}, {**S3_READ, "Sid": "A"}],
            "$.permissions[1].Sid: 'A' is also the Sid of $.permissions[0]",
        ),
        (
            [{**S3_READ, "Principal": "*"}],
            "$.permissions[0].Principal: unknown field (known: Sid, Effect, Action, Resource, "
            "Condition)",
        ),
    ],
)
def test_each_mistake_in_a_statement_is_named_with_its_path(
    permissions: object, expected: str
) -> None:
    assert expected in problems(doc(permissions=permissions))


@pytest.mark.parametrize("key", ["NotAction", "NotResource"])
def test_not_action_and_not_resource_are_refused_with_why(key: str) -> None:
    statement = {"Effect": "Allow", key: "s3:DeleteBucket", "Resource": "*", "Action": "s3:*"}
    (problem,) = problems(doc(permissions=[statement]))
    assert problem.startswith(f"$.permissions[0].{key}: not supported: {key} grants everything")
    assert "list what the service needs in " in problem


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        doc(
            permissions=[{"Effect": "Maybe", "Action": "s3", "Resource": "bucket"}],
            managed_policies=["AmazonS3ReadOnlyAccess"],
        )
    )
    assert [p.split(":")[0] for p in found] == [
        "$.permissions[0].Effect",
        "$.permissions[0].Action",
        "$.permissions[0].Resource",
        "$.managed_policies[0]",
    ]


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        (
            "arn:aws:iam::aws:policy/X",
            "$.managed_policies: expected an array of policy ARNs, got string",
        ),
        (
            ["AmazonS3ReadOnlyAccess"],
            "$.managed_policies[0]: 'AmazonS3ReadOnlyAccess' is not a managed policy ARN like "
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ),
        (
            ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/A"],
            "$.managed_policies[1]: arn:aws:iam::aws:policy/A is listed twice",
        ),
        (
            [f"arn:aws:iam::123456789012:policy/p{i}" for i in range(21)],
            "$.managed_policies: 21 policies; IAM attaches at most 20 to a role",
        ),
    ],
)
def test_managed_policies_are_policy_arns(policies: object, expected: str) -> None:
    assert expected in problems(doc(managed_policies=policies))


@pytest.mark.parametrize(
    "policy",
    [
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws-cn:iam::aws:policy/AmazonSQSFullAccess",
        "arn:aws-us-gov:iam::123456789012:policy/team/app-reads",
    ],
)
def test_managed_policies_of_every_partition_and_path_are_taken(policy: str) -> None:
    assert parse(doc(managed_policies=[policy])).managed_policies == (policy,)


def test_the_statements_size_is_checked_against_iams_inline_limit() -> None:
    arns = [f"arn:aws:s3:::acme-bucket-number-{i:04d}/*" for i in range(300)]
    (problem,) = problems(doc(permissions=[{**S3_READ, "Resource": arns}]))
    assert problem.startswith("$.permissions: the statements hold ")
    assert "IAM holds at most 10,240 in a role's inline policies" in problem


# --- what the boundary denies, refused at edit time ---------------------------------------


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("iam:PassRole", "$.permissions[0].Action: 'iam:PassRole' is in iam:*"),
        ("IAM:passrole", "$.permissions[0].Action: 'IAM:passrole' is in iam:*"),
        ("*", "$.permissions[0].Action: '*' includes account:*"),
        ("sts:*", "$.permissions[0].Action: 'sts:*' includes sts:AssumeRole*"),
        ("sts:AssumeRole", "$.permissions[0].Action: 'sts:AssumeRole' is in sts:AssumeRole*"),
        ("organizations:List*", "'organizations:List*' is in organizations:*"),
        ("ecr:PutImage", "'ecr:PutImage' is in ecr:Put*"),
        ("sts:Assume*", "'sts:Assume*' includes sts:AssumeRole*"),
    ],
)
def test_actions_the_boundary_denies_every_task_are_refused(action: str, says: str) -> None:
    (problem,) = refused({"Effect": "Allow", "Action": action, "Resource": "*"})
    assert says in problem
    assert "which the environment's permissions boundary never grants a task" in problem


@pytest.mark.parametrize(
    ("resource", "what"),
    [
        ("arn:aws:ssm:eu-west-1:123456789012:parameter/staging/billing/DATABASE_URL", "config"),
        ("arn:aws:ssm:*:*:parameter/staging/api/*", "config"),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:lift/production/api-AbC123", "pin"),
        ("arn:aws:dynamodb:eu-west-1:123456789012:table/git-lift", "records"),
        ("arn:aws:cloudformation:eu-west-1:123456789012:stack/lift-staging-billing/*", "stacks"),
        ("arn:aws:ecs:eu-west-1:123456789012:task/lift-staging/*", "cluster"),
        ("arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-billing:3", "task def"),
        ("arn:aws:logs:eu-west-1:123456789012:log-group:/lift/staging/billing:*", "logs"),
        ("arn:aws:s3:::lift-staging-cfn-123456789012-eu-west-1/*", "templates"),
    ],
)
def test_statements_on_git_lifts_own_resources_are_refused(resource: str, what: str) -> None:
    (problem,) = refused({"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": resource})
    assert problem.startswith(f"$.permissions[0].Resource: {resource} is git lift's own (")
    assert "the environment's permissions boundary never grants a task" in problem


def test_what_the_boundary_allows_is_not_refused() -> None:
    assert (
        refused(
            S3_READ,
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::*"},
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:ssm:eu-west-1:123456789012:parameter/shared/flags",
            },
            {"Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*"},
            # Another environment's names are another environment's boundary's business.
            {
                "Effect": "Allow",
                "Action": "logs:GetLogEvents",
                "Resource": "arn:aws:logs:*:*:log-group:/lift/staging-2/api:*",
            },
            # Deny only narrows: never refused.
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        )
        == []
    )


def test_a_resource_in_another_partition_than_the_environments_is_refused_when_rendered() -> None:
    cfg = parse(
        doc(
            permissions=[S3_READ],
            managed_policies=["arn:aws-cn:iam::aws:policy/AmazonSQSFullAccess"],
        )
    )
    t = target("staging", "api")
    assert refusals(cfg.permissions, cfg.managed_policies, t, region="cn-north-1") == [
        "$.permissions[0].Resource: arn:aws:s3:::acme-uploads/* is in partition aws; "
        "cn-north-1 is in aws-cn"
    ]
    assert refusals(cfg.permissions, cfg.managed_policies, t, region="eu-west-1") == [
        "$.managed_policies[0]: arn:aws-cn:iam::aws:policy/AmazonSQSFullAccess is in partition "
        "aws-cn; eu-west-1 is in aws"
    ]


@pytest.mark.parametrize(
    ("a", "b", "meet"),
    [
        ("*", "iam:*", True),
        ("*:Get*", "iam:*", True),
        ("*:AssumeRole", "sts:AssumeRole*", True),
        ("s?s:*", "sts:AssumeRole*", True),
        ("s3:*", "iam:*", False),
        ("ec2:Describe*", "ecr:Put*", False),
        ("a*b", "*c", False),
    ],
)
def test_two_patterns_meet_when_one_name_matches_both(a: str, b: str, meet: bool) -> None:
    assert overlaps(a, b) == meet == overlaps(b, a)


@pytest.mark.parametrize(
    ("a", "b", "inside"),
    [
        ("parameter/staging/api/*", "parameter/staging/*", True),
        ("parameter/staging/api/KEY", "parameter/staging/*", True),
        ("parameter/*", "parameter/staging/*", False),
        ("parameter/staging*", "parameter/staging/*", False),
        ("parameter/stag?ng/x", "parameter/staging/*", False),
    ],
)
def test_a_pattern_is_within_another_when_every_name_it_matches_does(
    a: str, b: str, inside: bool
) -> None:
    assert within(a, b) == inside


def test_a_config_with_permissions_reads_back_as_the_same_config() -> None:
    """What `service edit` stores (the document) reads back as the config it was made from."""
    from git_lift.servicecfg import to_document

    policy = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    cfg = parse(doc(permissions=[S3_READ, {**S3_READ, "Sid": "Again"}], managed_policies=[policy]))
    assert parse(to_document(cfg)) == cfg
    assert to_document(cfg)["permissions"] == [S3_READ, {**S3_READ, "Sid": "Again"}]
