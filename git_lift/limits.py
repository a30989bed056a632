"""AWS's documented limits that git lift checks before anything changes; pure.

The sandbox (moto) accepts what AWS refuses, so these are checked here, in the plan: an error
names the limit, its number and the fix. Each number cites its source; botocore's service
models are in the venv (botocore/data/<service>/<version>/service-2.json.gz).
"""

from __future__ import annotations

import json
from typing import Any

from git_lift.errors import UsageError, ValidationError

# DynamoDB: "individual items can be up to 400 KB once stored" (botocore dynamodb
# BatchWriteItem; the DynamoDB developer guide's "Service, account, and table quotas": 400 KB,
# attribute names included). Release records stay below ITEM_BUDGET, leaving room for the keys
# and attribute names.
DYNAMODB_ITEM = 400 * 1024
ITEM_BUDGET = 300 * 1024

# CloudFormation: TemplateBody "a maximum length of 51,200 bytes"; TemplateURL "a template
# (max size: 1 MB) that's located in an Amazon S3 bucket" (botocore cloudformation
# CreateChangeSetInput; the CloudFormation user guide's "quotas": 51,200 bytes and 1 MB).
TEMPLATE_BODY = 51_200
TEMPLATE_URL = 1024 * 1024

# ECS: "Task definition max size: 64 KiB" (Amazon ECS endpoints and quotas,
# https://docs.aws.amazon.com/general/latest/gr/ecs-service.html; not in botocore's model).
TASK_DEFINITION = 64 * 1024

# Parameter Store: "The maximum length for a parameter name that you specify is 1011
# characters. This count ... includes the characters in the ARN that precede the name"; "A
# parameter name can't be prefixed with "aws" or "ssm" (case-insensitive)" (botocore ssm
# PutParameterRequest.Name).
PARAMETER_NAME = 1011
PARAMETER_RESERVED = ("aws", "ssm")
# The longest ARN before a parameter's name: partition aws-us-gov, a 14-character region.
PARAMETER_ARN_PREFIX = len("arn:aws-us-gov:ssm:ap-southeast-2:123456789012:parameter")

# Name lengths of the other resources names are derived for, each from botocore's model or,
# where the model gives none, the API reference it quotes: (what, longest, source).
STACK_NAME = 128  # cloudformation CreateStack: "can't be longer than 128 characters"
ECS_NAME = 255  # ecs CreateCluster, CreateService, RegisterTaskDefinition.family: "Up to 255"
ROLE_NAME = 64  # iam roleNameType max 64
POLICY_NAME = 128  # iam policyNameType max 128
LOG_GROUP_NAME = 512  # logs LogGroupName max 512
SECRET_NAME = 512  # secretsmanager NameType max 512
SCALING_POLICY_NAME = 256  # application-autoscaling PolicyName max 256
REPOSITORY_NAME = 256  # ecr RepositoryName max 256
SCHEDULE_NAME = 64  # scheduler Name (schedule and schedule group) max 64, [0-9a-zA-Z-_.]
# S3 bucket names: 3 to 63 characters (S3 user guide, "General purpose bucket naming rules").
BUCKET_NAME = 63
# IAM: "Managed policy size: 6,144 characters", whitespace not counted (IAM user guide, "IAM
# and AWS STS quotas"). The boundary is one.
MANAGED_POLICY = 6144


def compact_json(document: Any) -> str:
    """A document as git lift stores it in the table: compact, keys sorted, so that what is
    measured against a limit is what is sent."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def json_size(document: Any) -> int:
    """Bytes of a document as git lift sends it (compact_json)."""
    return len(compact_json(document).encode())


def check_name_lengths(names: list[tuple[str, str, int]], fix: str) -> None:
    """(what, name, longest) for each name derived from one environment or service: the
    first that is too long is refused before any request."""
    for what, name, longest in names:
        if len(name) > longest:
            raise UsageError(
                f"{what} {name[:60]!r}{'...' if len(name) > 60 else ''} would be {len(name)} "
                f"characters; AWS allows {longest}",
                hint=fix,
            )


def check_task_definition(size: int, what: str, secrets: int) -> None:
    """Refuse a task definition over ECS's 64 KiB before it is built, snapshotted or
    registered; `secrets` is how many `secrets` entries it has, the usual cause."""
    if size <= TASK_DEFINITION:
        return
    raise ValidationError(
        f"the task definition of {what} would be {size:,} bytes, over ECS's "
        f"{TASK_DEFINITION:,}-byte (64 KiB) limit; it has {secrets} secrets, one per "
        "env.sample key; nothing was built or changed",
        hint="name fewer keys in env.sample: group related values into one key holding JSON "
        "that the app reads (one secret instead of many), or split the service",
    )


def check_managed_policy(document: Any, what: str, fix: str) -> None:
    """Refuse a managed policy IAM would refuse (its size without whitespace)."""
    size = len(json.dumps(document, separators=(",", ":")))
    if size > MANAGED_POLICY:
        raise UsageError(
            f"{what} would be {size} characters; IAM allows {MANAGED_POLICY} in a managed policy",
            hint=fix,
        )
