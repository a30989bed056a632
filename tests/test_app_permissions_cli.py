"""The app's own AWS permissions through git, against moto's server over HTTP: a `service edit
--file` that grants an S3 bucket, an SQS queue and SES reaches the task role's policy, one the
boundary would deny is refused before anything is saved, and `iam-policy --for task` prints
what the running code may do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.helpers import Lift
from tests.support.infra import client, doc_file, documents, newest_doc, put_config

ROLE = "lift-staging-payments-api-task"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
GRANTS = [
    {
        "Sid": "Uploads",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::acme-uploads/*",
    },
    {
        "Sid": "Jobs",
        "Effect": "Allow",
        "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"],
        "Resource": "arn:aws:sqs:eu-west-1:123456789012:acme-jobs",
    },
    {
        "Sid": "Mail",
        "Effect": "Allow",
        "Action": "ses:SendEmail",
        "Resource": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
    },
]


def created(lift: Lift) -> None:
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    result = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert result.returncode == 0, result.stderr


def test_an_edit_that_grants_s3_sqs_and_ses_reaches_the_task_role(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    change = {"permissions": GRANTS, "managed_policies": [S3_READ_ONLY]}
    edited = doc_file(tmp_path, newest_doc("staging", "payments-api"), change)
    result = lift("service", "edit", "-e", "staging", "--yes", "--file", edited)
    assert result.returncode == 0, result.stderr
    assert '+  "permissions": [' in result.stderr and "saved version 2" in result.stderr
    assert "~ TaskRole" in result.stderr

    iam = client("iam")
    app = iam.get_role_policy(RoleName=ROLE, PolicyName="app")["PolicyDocument"]
    assert app == {"Version": "2012-10-17", "Statement": GRANTS}
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [S3_READ_ONLY]
    boundary = iam.get_role(RoleName=ROLE)["Role"]["PermissionsBoundary"]
    assert boundary["PermissionsBoundaryArn"].endswith(":policy/lift-staging-boundary")

    # `iam-policy --for task` prints the same: git lift's statements and the service's own.
    printed = lift("iam-policy", "-e", "staging", "--for", "task")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["Statement"][-3:] == GRANTS
    assert "ssmmessages:CreateControlChannel" in json.dumps(document["Statement"][0])
    assert f"also attached, within the same boundary: {S3_READ_ONLY}" in printed.stderr
    assert "task role lift-staging-payments-api-task of payments-api in staging" in (printed.stderr)
    assert "git lift iam-policy -e staging --for boundary" in printed.stderr

    # Taking them out again takes them off the role.
    bare = doc_file(
        tmp_path, newest_doc("staging", "payments-api"), {"permissions": [], "managed_policies": []}
    )
    assert lift("service", "edit", "-e", "staging", "--yes", "--file", bare).returncode == 0
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == ["task"]
    assert iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"] == []


def test_a_statement_the_boundary_denies_is_refused_before_anything_is_saved(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    other = "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/billing/DATABASE_URL"
    change = {
        "permissions": [
            *GRANTS,
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": other},
        ]
    }
    edited = doc_file(tmp_path, newest_doc("staging", "payments-api"), change)
    result = lift("service", "edit", "-e", "staging", "--yes", "--file", edited)
    assert result.returncode == 1
    assert "$.permissions[3].Action: 'iam:PassRole' is in iam:*" in result.stderr
    assert (
        f"$.permissions[4].Resource: {other} is git lift's own (the environment's config)"
        in result.stderr
    )
    assert "nothing was saved" in result.stderr
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]
    assert client("iam").list_role_policies(RoleName=ROLE)["PolicyNames"] == ["task"]


def test_iam_policy_for_task_before_the_service_has_a_config(aws: Any, lift: Lift) -> None:
    printed = lift("iam-policy", "-e", "staging", "--for", "task")
    assert printed.returncode == 0, printed.stderr
    assert "payments-api has no service config in staging: the defaults' task role" in (
        printed.stderr
    )
    assert "no managed policies attached" in printed.stderr
    (statement,) = json.loads(printed.stdout)["Statement"]
    assert statement["Action"][0] == "ssmmessages:CreateControlChannel"
