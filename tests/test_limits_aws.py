"""AWS's limits end to end (issue 17): `git lift` as a subprocess against moto's server over
HTTP, which refuses a DynamoDB item over 400 KB as AWS does."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from git_lift.aws.store import Release, Store
from tests.support.ecs import target as ecs_target
from tests.support.helpers import GitRepo, Lift


def long_keys(count: int, length: int) -> dict[str, int]:
    return {f"K{n:05d}".ljust(length, "X"): n % 7 + 1 for n in range(count)}


def test_a_release_record_of_2000_long_key_names_is_recorded_and_read_back(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    """The record a ship kept (2,000 keys of 200-character names: over DynamoDB's item
    limit as one item) is written by --record-only, and history reads it back whole."""
    versions = long_keys(2000, 200)
    record = {
        "number": 1,
        "env": "staging",
        "service": "payments-api",
        "commit": repo.head(),
        "image": "registry.example.com/payments-api@sha256:" + "2" * 64,
        "task_definition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-api:2",
        "deployed_by": "Test Dev",
        "deployed_at": 1_700_000_000.0,
        "config_versions": versions,
    }
    assert len(json.dumps(record)) > 400 * 1024
    kept = repo.path / ".git" / "lift" / "unrecorded-staging.payments-api.json"
    kept.parent.mkdir(mode=0o700)
    kept.write_text(json.dumps(record))
    kept.chmod(0o600)

    recorded = lift("ship", "-e", "staging", "--record-only")
    assert recorded.returncode == 0, recorded.stderr
    assert "recorded release 1 of payments-api in staging (released)" in recorded.stderr
    assert not kept.exists()
    assert "lift/staging/payments-api/1" in repo.git("tag", "-l").stdout

    history = lift("history", "-e", "staging", "--output", "json")
    assert history.returncode == 0, history.stderr
    [release] = json.loads(history.stdout)
    assert (release["number"], release["config_versions"]) == (1, versions)
    listed = lift("history", "-e", "staging")
    assert listed.stdout.startswith(f"   1  {repo.head()[:12]}")


def test_a_ship_records_2000_long_key_names_with_its_unlock_in_items_under_the_limit(
    aws: Any,
) -> None:
    """The ship's own write (the record and the unlock in one transaction): every item is
    under DynamoDB's 400 KB, the record reads back whole and the lock is dropped."""
    table = boto3.client("dynamodb", region_name="eu-west-1")
    store = Store(table)
    target = ecs_target()
    number = store.begin_release(target, "dev@laptop", 600)
    release = Release(
        number,
        "staging",
        "payments-api",
        "c0ffee" * 6 + "c0ff",
        "image",
        "td",
        "Test Dev",
        1.0,
        config_versions=long_keys(2000, 200),
    )
    store.finish_release(target, release, "dev@laptop")
    assert store.releases(target) == [release] and store.lock(target) is None
    items = table.scan(TableName="git-lift")["Items"]
    sizes = [len(json.dumps(item)) for item in items]
    assert len(items) >= 3 and max(sizes) < 400 * 1024


def test_a_service_template_over_51200_bytes_goes_through_the_environments_bucket(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    """400 keys of 24 characters: a task definition ECS takes, a template CloudFormation
    would refuse in the request. It is uploaded to the environment's private bucket, passed
    by URL, and deleted once the change set is made."""
    created = lift("env", "create", "-e", "staging", "--yes")
    assert created.returncode == 0, created.stderr
    keys = [key for key in long_keys(400, 24)]
    repo.write("env.sample", "".join(f"{key}=\n" for key in keys))
    repo.commit("400 keys")
    ssm = boto3.client("ssm", region_name="eu-west-1")
    for key in keys:
        ssm.put_parameter(Name=f"/staging/payments-api/{key}", Value="v", Type="SecureString")

    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr
    bucket = "lift-staging-cfn-123456789012-eu-west-1"
    assert "over the 51,200 CloudFormation takes in a request: passing it through" in made.stderr
    assert f"s3://{bucket}" in made.stderr
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    stack = cfn.describe_stacks(StackName="lift-staging-payments-api")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    definition = boto3.client("ecs", region_name="eu-west-1").describe_task_definition(
        taskDefinition="staging-payments-api"
    )["taskDefinition"]
    assert len(definition["containerDefinitions"][0]["secrets"]) == 400
    s3 = boto3.client("s3", region_name="eu-west-1")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # deleted after use
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def test_a_1000_character_key_is_refused_before_parameter_store_is_asked(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    key = "K" * 1000
    refused = lift("config", "set", "-e", "staging", f"{key}=value")
    assert refused.returncode == 2, refused.stderr
    assert "(1000 characters)" in refused.stderr
    assert "a key may have 933 characters" in refused.stderr
    assert "caps a parameter's name, ARN included, at 1011" in refused.stderr
    assert "ssm.PutParameter" not in aws.request_counts()
    assert not (repo.path / ".git" / "lift" / "config-edit-staging.payments-api.env").exists()


def test_the_sandbox_refuses_what_aws_refuses(aws: Any) -> None:
    """What moto accepts and AWS does not: a 51,201-byte TemplateBody, a task definition
    of 600 secrets of 24-character names (over 64 KiB)."""
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    template = {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}, "Description": ""}
    template["Description"] = "x" * (51_201 - len(json.dumps(template)))
    with pytest.raises(ClientError) as body:
        cfn.create_change_set(StackName="big", ChangeSetName="c", TemplateBody=json.dumps(template))
    assert body.value.response["Error"]["Code"] == "ValidationError"
    assert "less than or equal to 51200" in body.value.response["Error"]["Message"]
    ecs = boto3.client("ecs", region_name="eu-west-1")
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/"
    secrets = [{"name": key, "valueFrom": arn + key} for key in long_keys(600, 24)]
    container = {"name": "app", "image": "nginx", "memory": 512, "secrets": secrets}
    with pytest.raises(ClientError) as definition:
        ecs.register_task_definition(family="big", containerDefinitions=[container])
    assert definition.value.response["Error"]["Code"] == "ClientException"
    assert "Max allowed length is '65536' bytes" in definition.value.response["Error"]["Message"]
    container["secrets"] = secrets[:300]
    ecs.register_task_definition(family="big", containerDefinitions=[container])  # fits
