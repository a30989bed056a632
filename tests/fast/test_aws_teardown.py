"""What `service delete` and `env delete` ask AWS, through the real wrappers with botocore's
Stubber: a stack's resources with what its DeletionPolicy keeps, the live stacks of a prefix,
a DeleteStack with the environment's role, ECR images deleted 100 at a time, snapshot secrets
found part by part and deleted at once."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from git_lift.aws.cfn import CloudFormation
from git_lift.aws.ecr import BATCH_DELETE, Ecr
from git_lift.aws.secrets import Snapshots
from tests.support.ecs import target

STACK = "lift-staging-payments-api"
ROLE = "arn:aws:iam::123456789012:role/lift-staging-cloudformation"


def client(service: str) -> Any:
    return boto3.client(
        service, region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )


def summary(logical: str, kind: str, physical: str = "") -> dict[str, Any]:
    found = {
        "LogicalResourceId": logical,
        "ResourceType": kind,
        "ResourceStatus": "CREATE_COMPLETE",
        "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
    }
    return found | ({"PhysicalResourceId": physical} if physical else {})


def test_resources_are_read_from_the_stack_and_a_kept_one_is_marked() -> None:
    cfn_client = client("cloudformation")
    template = {
        "Resources": {
            "LogGroup": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain"},
            "Service": {"Type": "AWS::ECS::Service", "DeletionPolicy": "Delete"},
        }
    }
    with Stubber(cfn_client) as stub:
        stub.add_response(
            "get_template", {"TemplateBody": json.dumps(template)}, {"StackName": STACK}
        )
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    summary("Service", "AWS::ECS::Service", "arn:svc"),
                    summary("LogGroup", "AWS::Logs::LogGroup", "/lift/staging/payments-api"),
                ]
            },
            {"StackName": STACK},
        )
        found = CloudFormation(cfn_client).resources(STACK)
    assert [(r.logical_id, r.physical_id, r.retained) for r in found] == [
        ("LogGroup", "/lift/staging/payments-api", True),
        ("Service", "arn:svc", False),
    ]


def test_live_stacks_of_a_prefix_and_a_delete_with_the_role() -> None:
    cfn_client = client("cloudformation")
    with Stubber(cfn_client) as stub:
        stub.add_response(
            "list_stacks",
            {
                "StackSummaries": [
                    {
                        "StackName": name,
                        "StackStatus": "CREATE_COMPLETE",
                        "CreationTime": "2026-01-01T00:00:00Z",
                    }
                    for name in ("lift-staging", "lift-staging-api", "lift-qa-api")
                ]
                + [
                    {
                        "StackName": "lift-staging-gone",
                        "StackStatus": "DELETE_COMPLETE",
                        "CreationTime": "2026-01-01T00:00:00Z",
                    }
                ]
            },
            {},
        )
        stub.add_response("delete_stack", {}, {"StackName": "arn:stack/1", "RoleARN": ROLE})
        cfn = CloudFormation(cfn_client)
        assert cfn.stack_names("lift-staging-") == ["lift-staging-api"]
        cfn.delete_stack("arn:stack/1", role_arn=ROLE)


def test_images_are_listed_by_digest_and_deleted_a_hundred_at_a_time() -> None:
    ecr_client = client("ecr")
    digests = [f"sha256:{n:064x}" for n in range(BATCH_DELETE + 1)]
    with Stubber(ecr_client) as stub:
        stub.add_response(
            "list_images",
            {"imageIds": [{"imageDigest": d, "imageTag": "t"} for d in digests]},
            {"repositoryName": "payments-api"},
        )
        for batch in (digests[:BATCH_DELETE], digests[BATCH_DELETE:]):
            stub.add_response(
                "batch_delete_image",
                {"imageIds": [{"imageDigest": d} for d in batch], "failures": []},
                {"repositoryName": "payments-api", "imageIds": [{"imageDigest": d} for d in batch]},
            )
        ecr = Ecr(ecr_client)
        assert ecr.image_digests(target()) == digests
        assert ecr.delete_images(target(), digests) == len(digests)


def test_no_repository_has_no_images() -> None:
    ecr_client = client("ecr")
    with Stubber(ecr_client) as stub:
        stub.add_client_error("list_images", "RepositoryNotFoundException")
        assert Ecr(ecr_client).image_digests(target()) == []


@pytest.mark.parametrize("parts", [0, 2])
def test_snapshot_parts_are_found_one_by_one_and_deleted_without_recovery(parts: int) -> None:
    secrets_client = client("secretsmanager")
    names = [
        "lift/staging/payments-api",
        "lift/staging/payments-api/2",
        "lift/staging/payments-api/3",
    ]
    with Stubber(secrets_client) as stub:
        for name in names[:parts]:
            stub.add_response("describe_secret", {"Name": name}, {"SecretId": name})
        stub.add_client_error(
            "describe_secret",
            "ResourceNotFoundException",
            expected_params={"SecretId": names[parts]},
        )
        for name in names[:parts]:
            stub.add_response(
                "delete_secret",
                {"Name": name},
                {"SecretId": name, "ForceDeleteWithoutRecovery": True},
            )
        snapshots = Snapshots(secrets_client, target())
        found = snapshots.existing()
        assert found == names[:parts]
        snapshots.delete(found)
        stub.assert_no_pending_responses()
