"""The small AWS wrappers against moto in process: ECR repositories (aws/ecr.py), the account
and KMS keys (aws/identity.py), an existing VPC (aws/network.py), uploaded templates
(aws/templates_bucket.py), and the per-environment clients of `Aws` (aws/factory.py)."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from git_lift.aws import identity, network
from git_lift.aws.clients import HOOK_CONFIG
from git_lift.aws.ecr import Ecr
from git_lift.aws.factory import Aws
from git_lift.aws.templates_bucket import TemplatesBucket, url
from git_lift.errors import AwsError
from git_lift.settings import EnvironmentAws, EnvironmentSettings, ServiceSettings, Settings
from git_lift.target import Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)


@pytest.fixture(scope="module")
def moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def region(moto: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto for the module; credentials for each test (conftest clears AWS_* per test)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return "eu-west-1"


def test_a_repository_is_created_once_immutable_and_scanned(region: str) -> None:
    client = boto3.client("ecr", region_name=region)
    ecr = Ecr(client)
    assert ecr.repository_uri(API) is None  # a plan asks without creating
    uri = ecr.ensure_repository(API)
    assert uri.endswith(f".amazonaws.com/{API.ecr_repository}")
    assert ecr.ensure_repository(API) == uri == ecr.repository_uri(API)
    [repository] = client.describe_repositories()["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}


def test_the_registry_token_is_a_base64_login(region: str) -> None:
    token = Ecr(boto3.client("ecr", region_name=region)).authorization_token()
    user, _, password = base64.b64decode(token).decode().partition(":")
    assert user == "AWS" and password


def test_the_managed_ssm_key_needs_no_grant_and_an_arn_no_request(region: str) -> None:
    kms = boto3.client("kms", region_name=region)
    calls: Counter[str] = Counter()
    kms.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
    arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert identity.Keys(kms).arn(identity.MANAGED_SSM_KEY) is None
    assert identity.Keys(kms).arn(arn) == arn
    assert calls == Counter()


def test_an_alias_is_resolved_to_its_keys_arn(region: str) -> None:
    kms = boto3.client("kms", region_name=region)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/lift-staging", TargetKeyId=key["KeyId"])
    assert identity.Keys(kms).arn("alias/lift-staging") == key["Arn"]
    assert identity.Keys(kms).arn(key["KeyId"]) == key["Arn"]
    with pytest.raises(AwsError) as raised:
        identity.Keys(kms).arn("alias/missing")
    assert "while resolving the KMS key alias/missing" in raised.value.message


def test_the_account_is_the_callers(region: str) -> None:
    assert identity.Identity(boto3.client("sts", region_name=region)).account() == "123456789012"


def test_an_existing_vpc_and_its_subnets_are_described(region: str) -> None:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{n}.0/24", AvailabilityZone=zone)["Subnet"]
        for n, zone in enumerate(["eu-west-1a", "eu-west-1b"])
    ]
    assert network.Network(ec2).vpc_cidr(vpc) == "10.42.0.0/16"
    ids = [s["SubnetId"] for s in subnets]
    found = network.Network(ec2).subnets(ids)
    assert found == {
        ids[0]: network.Subnet(ids[0], vpc, "eu-west-1a"),
        ids[1]: network.Subnet(ids[1], vpc, "eu-west-1b"),
    }
    with pytest.raises(AwsError) as raised:
        network.Network(ec2).vpc_cidr("vpc-00000000000000000")
    assert raised.value.message.startswith("AWS error InvalidVpcID.NotFound while looking up")


def test_an_uploaded_template_lives_only_while_the_stack_change_runs(region: str) -> None:
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(
        Bucket="lift-templates", CreateBucketConfiguration={"LocationConstraint": region}
    )
    bucket = TemplatesBucket(s3, "lift-templates")
    with bucket.uploaded("lift-staging", '{"Resources": {}}') as where:
        [listed] = s3.list_objects_v2(Bucket="lift-templates")["Contents"]
        assert where == url("lift-templates", region, listed["Key"])
        assert listed["Key"].startswith("lift-staging/") and listed["Key"].endswith(".json")
        body = s3.get_object(Bucket="lift-templates", Key=listed["Key"])["Body"].read()
        assert body == b'{"Resources": {}}'
    assert "Contents" not in s3.list_objects_v2(Bucket="lift-templates")
    with pytest.raises(RuntimeError), bucket.uploaded("lift-staging", "{}"):
        raise RuntimeError("the change failed")
    assert "Contents" not in s3.list_objects_v2(Bucket="lift-templates")  # removed anyway


def test_a_template_bucket_that_is_gone_is_named_in_the_error(region: str) -> None:
    bucket = TemplatesBucket(boto3.client("s3", region_name=region), "lift-deleted-bucket")
    with pytest.raises(AwsError) as raised, bucket.uploaded("lift-staging", "{}"):
        pass
    assert raised.value.message.startswith(
        "AWS error NoSuchBucket while uploading the template of lift-staging "
        "to s3://lift-deleted-bucket:"
    )


def test_template_urls_follow_the_partition() -> None:
    assert url("b", "eu-west-1", "k.json") == "https://b.s3.eu-west-1.amazonaws.com/k.json"
    assert url("b", "cn-north-1", "k.json") == "https://b.s3.cn-north-1.amazonaws.com.cn/k.json"


def settings(environments: dict[str, EnvironmentSettings]) -> Settings:
    return Settings(
        region="eu-west-1",
        profile=None,
        builder="docker",
        registry=None,
        kms_key="alias/aws/ssm",
        push_tags=True,
        hooks_strict=False,
        services={},
        environments=environments,
    )


def test_each_environment_gets_its_own_clients_in_its_own_region(region: str) -> None:
    prod = EnvironmentSettings("prod", ("refs/heads/prod",), aws=EnvironmentAws("us-east-1"))
    staging = EnvironmentSettings("staging", ("refs/heads/main",), aws=EnvironmentAws("eu-west-2"))
    aws = Aws(settings({"prod": prod, "staging": staging}))
    assert aws.clients("prod") is aws.clients("prod")
    assert aws.clients("prod") is not aws.clients("staging")
    assert aws.clients("prod").ssm.meta.region_name == "us-east-1"
    assert aws.clients("staging").ssm.meta.region_name == "eu-west-2"
    assert aws.clients().ssm.meta.region_name == "eu-west-1"  # what every environment shares
    assert aws.stacks("prod").region == "us-east-1"


def test_a_hooks_clients_get_the_short_retry_budget(region: str) -> None:
    staging = EnvironmentSettings("staging", ("refs/heads/main",), aws=EnvironmentAws("eu-west-1"))
    hooked = Aws(settings({"staging": staging}), hook=True).clients("staging").ssm
    plain = Aws(settings({"staging": staging})).clients("staging").ssm
    assert hooked.meta.config.retries == HOOK_CONFIG.retries
    assert hooked.meta.config.connect_timeout < plain.meta.config.connect_timeout


def test_the_wrappers_use_the_targets_environment_and_the_settings_key(region: str) -> None:
    prod = EnvironmentSettings("prod", ("refs/heads/prod",), aws=EnvironmentAws("us-east-1"))
    aws = Aws(settings({"prod": prod}))
    target = Target(prod, ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"))
    parameters = aws.parameters(target)
    assert parameters.path == "/prod/api"
    parameters.put("TOKEN", "value", advanced=False)
    us = boto3.client("ssm", region_name="us-east-1")
    [written] = us.describe_parameters()["Parameters"]
    assert written["Name"] == "/prod/api/TOKEN" and written["KeyId"] == "alias/aws/ssm"
    assert aws.ecs(target).cluster == target.cluster
    assert aws.logs(target).group == target.log_group
