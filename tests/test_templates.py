"""Templates: cfn-lint clean for a matrix of configs, golden files, and created in moto.

Golden files live in tests/golden/. After an intended template change, regenerate them with
    GIT_LIFT_UPDATE_GOLDEN=1 python -m pytest tests/test_templates.py
and review the diff like any other change.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from git_lift import servicecfg as sc
from git_lift.errors import ValidationError
from git_lift.templates import to_json, to_yaml
from git_lift.templates.environment import environment_template
from git_lift.templates.environment_params import EnvironmentParams, check_params
from git_lift.templates.service import listener_priority, service_template
from tests.support.infra import environment, target
from tests.support.templates import (
    ACCOUNT,
    APP_PERMISSIONS,
    BASE,
    CERT,
    ENVIRONMENTS,
    FLUENT_BIT_PINNED,
    HTTP,
    IMAGE,
    KMS_KEY,
    LOGS_KEY,
    MANAGED_POLICIES,
    REGION,
    SERVICES,
    TOPIC,
    render_env,
    render_service,
    secrets_for,
)

# Read at import: the autouse fixture in conftest.py clears GIT_LIFT_* before each test.
UPDATE_GOLDEN = os.environ.get("GIT_LIFT_UPDATE_GOLDEN") == "1"
GOLDEN = Path(__file__).parent / "golden"


def lint(text: str, region: str) -> list[str]:
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    # The default rule set: every error (E) and warning (W) rule.
    return [str(m) for m in cfn_lint(text, config=ManualArgs(regions=[region]))]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = resources(template, kind).values()
    props: dict[str, Any] = resource["Properties"]
    return props


# --- cfn-lint ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_environment_templates_are_cfn_lint_clean(name: str) -> None:
    params = ENVIRONMENTS[name]
    assert lint(to_json(environment_template(environment(), params)), params.region) == []


@pytest.mark.parametrize("name", SERVICES)
def test_service_templates_are_cfn_lint_clean(name: str) -> None:
    cfg = SERVICES[name]
    template = service_template(
        target(),
        cfg,
        image=IMAGE,
        secrets=secrets_for("api", "DATABASE_URL"),
        region=REGION,
        account_id=ACCOUNT,
        kms_key_arn=KMS_KEY,
    )
    assert lint(to_json(template), REGION) == []


def test_yaml_rendering_is_lint_clean_too() -> None:
    text = to_yaml(environment_template(environment(), ENVIRONMENTS["https"]))
    assert text.startswith("AWSTemplateFormatVersion: '2010-09-09'")
    assert lint(text, REGION) == []


def test_lint_is_not_vacuous() -> None:
    broken = render_env(EnvironmentParams())
    broken["Resources"]["Vpc"]["Properties"]["CidrBlock"] = "10.0.0.0/33"
    broken["Parameters"] = {"Unused": {"Type": "String"}}
    found = lint(json.dumps(broken), REGION)
    assert any("E3" in m for m in found) and any("W2001" in m for m in found)


# --- golden files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "render"),
    [
        (
            "environment-https.json",
            lambda: environment_template(environment(), ENVIRONMENTS["https"]),
        ),
        (
            "environment-existing-vpc.json",
            lambda: environment_template(environment(), ENVIRONMENTS["existing-vpc"]),
        ),
        (
            "service-http.json",
            lambda: service_template(
                target(),
                SERVICES["http-public-autoscaling"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL", "API_KEY"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=KMS_KEY,
            ),
        ),
        (
            "service-container.json",
            lambda: service_template(
                target(),
                SERVICES["container"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=KMS_KEY,
            ),
        ),
        (
            "service-app-permissions.json",
            lambda: service_template(
                target(),
                SERVICES["app-permissions"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=None,
            ),
        ),
        (
            "service-sidecars.json",
            lambda: service_template(
                target(),
                SERVICES["sidecars"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL", "API_KEY"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=KMS_KEY,
                sidecar_images={"log_router": FLUENT_BIT_PINNED},
            ),
        ),
        (
            "service-jobs.json",
            lambda: service_template(
                target(),
                SERVICES["jobs"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=None,
            ),
        ),
        (
            "service-processes.json",
            lambda: service_template(
                target(),
                SERVICES["processes"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=None,
            ),
        ),
        (
            "service-canary.json",
            lambda: service_template(
                target(),
                SERVICES["canary"],
                image=IMAGE,
                secrets=secrets_for("api", "DATABASE_URL"),
                region=REGION,
                account_id=ACCOUNT,
                kms_key_arn=None,
            ),
        ),
    ],
)
def test_golden(name: str, render: Any) -> None:
    text = to_json(render()) + "\n"
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing {path}: run GIT_LIFT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(), f"{name} changed: review, then GIT_LIFT_UPDATE_GOLDEN=1"


# --- environment ---------------------------------------------------------------------------


def test_environment_network_spans_two_zones() -> None:
    t = render_env(EnvironmentParams())
    subnets = resources(t, "AWS::EC2::Subnet")
    assert sorted(subnets) == ["PrivateSubnet1", "PrivateSubnet2", "PublicSubnet1", "PublicSubnet2"]
    zones = {json.dumps(s["Properties"]["AvailabilityZone"]) for s in subnets.values()}
    assert zones == {json.dumps({"Fn::Select": [i, {"Fn::GetAZs": ""}]}) for i in (0, 1)}
    assert only(t, "AWS::EC2::VPC")["CidrBlock"] == "10.0.0.0/16"
    assert len(resources(t, "AWS::EC2::NatGateway")) == 1
    assert t["Outputs"]["AssignPublicIp"]["Value"] == "DISABLED"
    assert "Private" in json.dumps(t["Outputs"]["TaskSubnets"]["Value"])


def test_an_existing_vpc_gets_no_network_only_the_load_balancers_and_cluster() -> None:
    params = ENVIRONMENTS["existing-vpc"]
    t = render_env(params)
    kinds = {r["Type"] for r in t["Resources"].values()}
    assert not {k for k in kinds if k.startswith("AWS::EC2::")} - {"AWS::EC2::SecurityGroup"}
    assert {"AWS::ECS::Cluster", "AWS::ElasticLoadBalancingV2::LoadBalancer"} <= kinds
    balancers = resources(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert balancers["LoadBalancer"]["Properties"]["Subnets"] == list(params.public_subnet_ids)
    internal = balancers["InternalLoadBalancer"]["Properties"]["Subnets"]
    assert internal == list(params.private_subnet_ids)
    groups = resources(t, "AWS::EC2::SecurityGroup").values()
    assert {g["Properties"]["VpcId"] for g in groups} == {params.vpc_id}
    inside = t["Resources"]["InternalLoadBalancerSecurityGroup"]["Properties"]
    assert inside["SecurityGroupIngress"][0]["CidrIp"] == "172.31.0.0/16"
    assert t["Outputs"]["VpcId"]["Value"] == params.vpc_id
    assert t["Outputs"]["TaskSubnets"]["Value"] == {
        "Fn::Join": [",", list(params.private_subnet_ids)]
    }


def test_without_nat_tasks_run_in_public_subnets_with_public_ips() -> None:
    t = render_env(EnvironmentParams(nat=False))
    assert not resources(t, "AWS::EC2::NatGateway") and not resources(t, "AWS::EC2::EIP")
    assert t["Outputs"]["AssignPublicIp"]["Value"] == "ENABLED"
    assert "Private" not in json.dumps(t["Outputs"]["TaskSubnets"]["Value"])


def test_cluster_has_fargate_spot_and_container_insights() -> None:
    cluster = only(render_env(EnvironmentParams()), "AWS::ECS::Cluster")
    assert cluster["ClusterName"] == "lift-staging"
    assert cluster["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]


def test_http_only_environment_has_one_listener_that_services_use() -> None:
    t = render_env(EnvironmentParams())
    (listener,) = resources(t, "AWS::ElasticLoadBalancingV2::Listener")
    assert t["Outputs"]["ListenerArn"]["Value"] == {"Ref": listener}
    assert "HttpsListenerArn" not in t["Outputs"]


def test_https_environment_redirects_http() -> None:
    t = render_env(ENVIRONMENTS["https"])
    listeners = resources(t, "AWS::ElasticLoadBalancingV2::Listener")
    https = listeners["HttpsListener"]["Properties"]
    assert https["Certificates"] == [{"CertificateArn": CERT}]
    (redirect,) = listeners["HttpListener"]["Properties"]["DefaultActions"]
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert t["Outputs"]["ListenerArn"]["Value"] == {"Ref": "HttpsListener"}
    ingress = only(t, "AWS::EC2::SecurityGroup")["SecurityGroupIngress"]
    assert [(r["FromPort"], r["Description"]) for r in ingress] == [
        (80, "HTTP from anywhere"),
        (443, "HTTPS from anywhere"),
    ]


def load_balancer_attributes(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
        for name, lb in resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").items()
    }


def test_access_logs_go_to_the_bucket_under_the_environment_and_scheme() -> None:
    t = render_env(ENVIRONMENTS["everything"], env="prod")
    attributes = load_balancer_attributes(t)
    for name, scheme in (("LoadBalancer", "internet-facing"), ("InternalLoadBalancer", "internal")):
        assert attributes[name]["access_logs.s3.enabled"] == "true"
        assert attributes[name]["access_logs.s3.bucket"] == "acme-alb-logs"
        assert attributes[name]["access_logs.s3.prefix"] == f"lift-prod/{scheme}"
    default = load_balancer_attributes(render_env(ENVIRONMENTS["internal-no-access-logs"]))
    assert not any("access_logs.s3.enabled" in a for a in default.values())


def checkov_skips(template: dict[str, Any], resource: str) -> list[str]:
    metadata = template["Resources"][resource].get("Metadata", {})
    return [skip["id"] for skip in metadata.get("checkov", {}).get("skip", [])]


def test_what_a_setting_leaves_off_is_skipped_in_the_template_with_why() -> None:
    t = render_env(EnvironmentParams(internal_load_balancer=True))
    assert checkov_skips(t, "LoadBalancer") == ["CKV_AWS_91"]
    assert checkov_skips(t, "HttpListener") == ["CKV_AWS_2", "CKV_AWS_103"]
    assert checkov_skips(t, "InternalListener") == ["CKV_AWS_2", "CKV_AWS_103"]
    reason = t["Resources"]["LoadBalancer"]["Metadata"]["checkov"]["skip"][0]["comment"]
    assert "--access-logs-bucket" in reason
    https = render_env(ENVIRONMENTS["everything"])
    assert checkov_skips(https, "LoadBalancer") == []
    assert checkov_skips(https, "HttpListener") == []
    assert checkov_skips(https, "LoadBalancerSecurityGroup") == ["CKV_AWS_260"]


def test_outputs_are_exported_under_the_environment_name() -> None:
    t = render_env(ENVIRONMENTS["everything"], env="prod")
    exports = {k: o["Export"]["Name"] for k, o in t["Outputs"].items()}
    assert all(name == f"lift-prod-{key}" for key, name in exports.items())
    for key in (
        "VpcId",
        "PublicSubnets",
        "PrivateSubnets",
        "TaskSubnets",
        "ClusterName",
        "ListenerArn",
        "HttpListenerArn",
        "HttpsListenerArn",
        "LoadBalancerSecurityGroupId",
        "InternalListenerArn",
        "InternalLoadBalancerSecurityGroupId",
        "NotificationTopicArn",
    ):
        assert key in exports


def test_notification_topic_receives_failed_deployments() -> None:
    rule = only(render_env(ENVIRONMENTS["everything"]), "AWS::Events::Rule")
    assert rule["Targets"][0]["Arn"] == ENVIRONMENTS["everything"].notification_topic_arn
    assert rule["EventPattern"]["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (EnvironmentParams(vpc_cidr="10.0.0.0/33"), "vpc_cidr: '10.0.0.0/33' is not an IPv4"),
        (EnvironmentParams(vpc_cidr="10.0.0.0/8"), "vpc_cidr: 10.0.0.0/8 must be between"),
        (
            EnvironmentParams(public_subnet_cidrs=("10.1.0.0/24", "10.0.4.0/22")),
            "public_subnet_cidrs[0]: 10.1.0.0/24 is not inside the VPC 10.0.0.0/16",
        ),
        (
            EnvironmentParams(private_subnet_cidrs=("10.0.0.0/20", "10.0.32.0/20")),
            "private_subnet_cidrs[0]: 10.0.0.0/20 overlaps public_subnet_cidrs[0]",
        ),
        (EnvironmentParams(certificate_arn="my-cert"), "certificate_arn: 'my-cert' is not an"),
        (EnvironmentParams(notification_topic_arn="t"), "notification_topic_arn: 't' is not an"),
        (
            EnvironmentParams(vpc_id="vpc-12", public_subnet_ids=("subnet-0a1b2c3d",)),
            "vpc_id: 'vpc-12' is not a VPC id",
        ),
        (
            EnvironmentParams(vpc_id="vpc-0a1b2c3d", public_subnet_ids=("subnet-0a1b2c3d",)),
            "public_subnet_ids: two or more subnets, in two zones, are needed",
        ),
        (
            EnvironmentParams(
                vpc_id="vpc-0a1b2c3d",
                public_subnet_ids=("subnet-0a1b2c3d", "subnet-XYZ"),
                private_subnet_ids=("subnet-0a1b2c3e", "subnet-0a1b2c3f"),
            ),
            "public_subnet_ids: 'subnet-XYZ' is not a subnet id",
        ),
        (
            EnvironmentParams(public_subnet_ids=("subnet-0a1b2c3d", "subnet-0a1b2c3e")),
            "subnet ids name subnets of an existing VPC: give its --vpc-id too",
        ),
        (
            EnvironmentParams(access_logs_bucket="s3://Logs"),
            "access_logs_bucket: 's3://Logs' is not an S3 bucket name",
        ),
    ],
)
def test_check_params_names_the_bad_setting(params: EnvironmentParams, expected: str) -> None:
    with pytest.raises(ValidationError, match="environment settings are not valid") as info:
        check_params(params)
    assert f"\n  {expected}" in info.value.message


def test_default_params_are_valid() -> None:
    for params in ENVIRONMENTS.values():
        check_params(params)


# --- service -------------------------------------------------------------------------------


def test_service_names_follow_the_conventions() -> None:
    t = render_service(BASE)
    service = only(t, "AWS::ECS::Service")
    assert service["ServiceName"] == "api"
    assert service["Cluster"] == {"Fn::ImportValue": "lift-staging-ClusterName"}
    assert service["DeploymentConfiguration"] == {
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
        "MaximumPercent": 200,
        "MinimumHealthyPercent": 100,
    }
    task = only(t, "AWS::ECS::TaskDefinition")
    assert task["Family"] == "staging-api"
    assert (task["Cpu"], task["Memory"], task["RequiresCompatibilities"]) == (
        "256",
        "512",
        ["FARGATE"],
    )
    log_group = only(t, "AWS::Logs::LogGroup")
    assert (log_group["LogGroupName"], log_group["RetentionInDays"]) == ("/lift/staging/api", 30)


def test_log_group_is_encrypted_with_the_configured_key() -> None:
    t = render_service(SERVICES["encrypted-logs"])
    assert only(t, "AWS::Logs::LogGroup")["KmsKeyId"] == LOGS_KEY
    assert checkov_skips(t, "LogGroup") == []
    default = render_service(BASE)
    assert "KmsKeyId" not in only(default, "AWS::Logs::LogGroup")
    assert checkov_skips(default, "LogGroup") == ["CKV_AWS_158"]


def test_log_key_must_be_a_key_arn_from_the_services_region() -> None:
    doc = sc.to_document(BASE)
    doc["logging"] = {"kms_key_arn": "alias/logs"}
    with pytest.raises(sc.ServiceConfigError) as info:
        sc.parse(doc)
    assert info.value.problems == [
        "$.logging.kms_key_arn: 'alias/logs' does not look like "
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-..."
    ]
    elsewhere = dataclasses.replace(BASE, logging=sc.Logging(kms_key_arn=LOGS_KEY))
    with pytest.raises(ValidationError) as refused:
        render_service(elsewhere, region="us-east-1", secrets={})
    assert refused.value.message == (
        "logging.kms_key_arn: the key is in eu-west-1, the log group in us-east-1"
    )
    assert refused.value.hint == "git lift service edit -e staging: give a key from us-east-1"


def test_container_gets_the_image_the_secrets_and_the_port() -> None:
    (container,) = only(render_service(BASE), "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["Name"] == "api" and container["Image"] == IMAGE
    assert [s["Name"] for s in container["Secrets"]] == ["API_KEY", "DATABASE_URL"]
    assert container["PortMappings"] == [{"ContainerPort": 80, "Protocol": "tcp"}]
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "LogGroup"}
    assert "Command" not in container


def test_container_name_can_differ_from_the_service() -> None:
    t = render_service(BASE, container="web")
    assert only(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]["Name"] == "web"
    assert only(t, "AWS::ECS::Service")["LoadBalancers"][0]["ContainerName"] == "web"


def policy_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = template["Resources"][role]["Properties"].get("Policies", [])
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def test_execution_role_reads_only_this_services_parameters() -> None:
    statements = policy_statements(render_service(BASE), "ExecutionRole")
    by_action = {json.dumps(s["Action"]): s for s in statements}
    ssm = by_action['"ssm:GetParameters"']
    assert ssm["Resource"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/staging/api/*"
    kms = by_action['"kms:Decrypt"']
    assert kms["Resource"] == KMS_KEY
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}}
    ecr = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert ecr[0]["Resource"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/api"
    assert not any(
        s["Resource"] == "*" and s["Action"] != "ecr:GetAuthorizationToken" for s in statements
    )


def test_execution_role_reads_this_services_pinned_config_only() -> None:
    """A pinned release's task definition names the secret lift/<env>/<service>: ECS reads
    it with the execution role, which must not reach a longer-named service's secret."""
    statements = policy_statements(render_service(BASE), "ExecutionRole")
    (pinned,) = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    base = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lift/staging/api"
    assert pinned["Resource"] == [f"{base}-??????", f"{base}/*"]
    from fnmatch import fnmatchcase

    assert fnmatchcase(f"{base}-AbC123", pinned["Resource"][0])
    assert not fnmatchcase(f"{base}-gateway-AbC123", pinned["Resource"][0])


def test_managed_kms_key_and_foreign_registry_need_no_statements() -> None:
    t = render_service(BASE, kms_key_arn=None, image="registry.example.com/api@sha256:" + "b" * 64)
    actions = json.dumps([s["Action"] for s in policy_statements(t, "ExecutionRole")])
    assert "kms:" not in actions and "ecr:" not in actions


def test_secrets_outside_the_service_prefix_are_refused() -> None:
    secrets = secrets_for("other", "TOKEN") | {"bad-name": secrets_for("api", "X")["X"]}
    with pytest.raises(ValidationError) as info:
        render_service(BASE, secrets=secrets)
    assert (
        "TOKEN: arn:aws:ssm:eu-west-1:123456789012:parameter/staging/other/TOKEN is not under"
        in (info.value.message)
    )
    assert "bad-name: not an environment variable name" in info.value.message


def test_task_role_allows_ecs_exec_only_when_asked() -> None:
    with_exec = json.dumps(policy_statements(render_service(BASE), "TaskRole"))
    assert "ssmmessages:CreateControlChannel" in with_exec
    no_exec = render_service(dataclasses.replace(BASE, ecs_exec=False))
    assert policy_statements(no_exec, "TaskRole") == []
    assert only(no_exec, "AWS::ECS::Service")["EnableExecuteCommand"] is False


def test_task_role_carries_the_services_own_statements_and_managed_policies() -> None:
    t = render_service(SERVICES["app-permissions"])
    role = t["Resources"]["TaskRole"]["Properties"]
    policies = {p["PolicyName"]: p["PolicyDocument"] for p in role["Policies"]}
    assert policies["app"] == {"Version": "2012-10-17", "Statement": list(APP_PERMISSIONS)}
    assert "ssmmessages:CreateControlChannel" in json.dumps(policies["task"])  # git lift's own
    assert role["ManagedPolicyArns"] == list(MANAGED_POLICIES)
    assert role["PermissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/lift-staging-boundary"
    # The execution role gets none of it.
    execution = t["Resources"]["ExecutionRole"]["Properties"]
    assert "ManagedPolicyArns" not in execution and "acme" not in json.dumps(execution)
    # Without any: no app policy, no managed policies.
    bare = render_service(BASE)["Resources"]["TaskRole"]["Properties"]
    assert [p["PolicyName"] for p in bare["Policies"]] == ["task"]
    assert "ManagedPolicyArns" not in bare


def test_a_statement_the_boundary_denies_is_refused_when_rendered() -> None:
    """A stored config from before a rule, or one written to the table by hand, is refused
    before any stack change, with its path."""
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
    other_partition = "arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess"
    cfg = dataclasses.replace(BASE, permissions=(pass_role,), managed_policies=(other_partition,))
    with pytest.raises(ValidationError) as info:
        render_service(cfg)
    assert "$.permissions[0].Action: 'iam:PassRole' is in iam:*" in info.value.message
    assert (
        "$.managed_policies[0]: arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess is in "
        "partition aws-cn; eu-west-1 is in aws"
    ) in info.value.message


def test_public_http_service_gets_a_catch_all_rule_on_the_shared_listener() -> None:
    t = render_service(BASE)
    rule = only(t, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["ListenerArn"] == {"Fn::ImportValue": "lift-staging-ListenerArn"}
    assert rule["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}
    ]
    assert rule["Priority"] == listener_priority("api", HTTP)
    assert 20001 <= rule["Priority"] <= 30000
    target_group = only(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (target_group["TargetType"], target_group["HealthCheckPath"]) == ("ip", "/")
    service = t["Resources"]["Service"]
    assert service["DependsOn"] == ["ListenerRule"]
    (ingress,) = only(t, "AWS::EC2::SecurityGroup")["SecurityGroupIngress"]
    assert ingress["SourceSecurityGroupId"] == {
        "Fn::ImportValue": "lift-staging-LoadBalancerSecurityGroupId"
    }


def test_internal_service_uses_the_internal_listener_and_its_conditions() -> None:
    t = render_service(SERVICES["http-internal"])
    rule = only(t, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["ListenerArn"] == {"Fn::ImportValue": "lift-staging-InternalListenerArn"}
    assert [c["Field"] for c in rule["Conditions"]] == ["host-header", "path-pattern", "source-ip"]
    assert rule["Conditions"][2]["SourceIpConfig"] == {"Values": ["10.0.0.0/8"]}
    assert rule["Priority"] <= 10000
    (ingress,) = only(t, "AWS::EC2::SecurityGroup")["SecurityGroupIngress"]
    assert ingress["FromPort"] == 8080


def test_listener_priority_is_deterministic_and_tiered() -> None:
    assert listener_priority("api", HTTP) == listener_priority("api", HTTP)
    assert listener_priority("api", HTTP) != listener_priority("web", HTTP)
    host = dataclasses.replace(HTTP, hostnames=("a.com",))
    both = dataclasses.replace(host, path_patterns=("/x",))
    names = [f"service-{i}" for i in range(200)]
    assert max(listener_priority(n, both) for n in names) < min(
        listener_priority(n, host) for n in names
    )
    assert max(listener_priority(n, host) for n in names) < min(
        listener_priority(n, HTTP) for n in names
    )
    assert all(1 <= listener_priority(n, h) <= 50000 for n in names for h in (HTTP, host, both))


def test_worker_has_no_load_balancer_parts() -> None:
    t = render_service(SERVICES["worker"])
    assert not resources(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert not resources(t, "AWS::ElasticLoadBalancingV2::ListenerRule")
    service = only(t, "AWS::ECS::Service")
    assert "LoadBalancers" not in service and "DependsOn" not in t["Resources"]["Service"]
    assert only(t, "AWS::EC2::SecurityGroup")["SecurityGroupIngress"] == []
    (container,) = only(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["Command"] == ["python", "-m", "worker"] and "PortMappings" not in container


def test_logging_none_has_no_log_group() -> None:
    t = render_service(SERVICES["worker-autoscaling-no-logs-no-exec"])
    assert not resources(t, "AWS::Logs::LogGroup")
    assert "LogConfiguration" not in only(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]


def test_autoscaling_tracks_cpu() -> None:
    t = render_service(SERVICES["http-public-autoscaling"])
    target = only(t, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 8)
    assert target["ResourceId"]["Fn::Join"][1][1] == {"Fn::ImportValue": "lift-staging-ClusterName"}
    policy = only(t, "AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 60.0
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
    assert not resources(render_service(BASE), "AWS::ApplicationAutoScaling::ScalableTarget")


def test_efs_volumes_mount_with_iam_and_open_nfs_once_per_group() -> None:
    t = render_service(SERVICES["efs"])
    task = only(t, "AWS::ECS::TaskDefinition")
    first, second = task["Volumes"]
    assert first["EFSVolumeConfiguration"]["TransitEncryption"] == "ENABLED"
    assert second["EFSVolumeConfiguration"]["AuthorizationConfig"] == {
        "AccessPointId": "fsap-0123456789abcdef0",
        "IAM": "ENABLED",
    }
    mounts = task["ContainerDefinitions"][0]["MountPoints"]
    assert [(m["ContainerPath"], m["ReadOnly"]) for m in mounts] == [
        ("/data", False),
        ("/shared", True),
    ]
    (ingress,) = resources(t, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["FromPort"] == 2049
    efs = [
        s
        for s in policy_statements(t, "TaskRole")
        if "elasticfilesystem:ClientMount" in s["Action"]
    ]
    assert [s["Action"] for s in efs] == [
        ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        ["elasticfilesystem:ClientMount"],
    ]


# --- moto ----------------------------------------------------------------------------------


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.mark.filterwarnings("ignore::UserWarning")  # moto skips ApplicationAutoScaling resources
def test_stacks_create_in_moto(moto_aws: None) -> None:
    import boto3

    cfn = boto3.client("cloudformation", region_name=REGION)
    cert = boto3.client("acm", region_name=REGION).request_certificate(DomainName="example.com")
    params = EnvironmentParams(
        certificate_arn=cert["CertificateArn"],
        notification_topic_arn=TOPIC,
        internal_load_balancer=True,
        access_logs_bucket="acme-alb-logs",
    )
    env_outputs = create_stack(cfn, "lift-staging", environment_template(environment(), params))
    assert env_outputs["ClusterName"] == "lift-staging"
    assert env_outputs["AssignPublicIp"] == "DISABLED"
    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert exports["lift-staging-ListenerArn"] == env_outputs["HttpsListenerArn"]

    # The EFS ingress rule needs its security group to exist.
    group = boto3.client("ec2", region_name=REGION).create_security_group(
        GroupName="efs", Description="efs", VpcId=env_outputs["VpcId"]
    )["GroupId"]
    efs = (sc.EfsVolume("fs-0123456789abcdef0", "/data", security_group_id=group),)
    configs = {
        "api": SERVICES["http-public-autoscaling"],
        "internal": SERVICES["http-internal"],
        "encrypted-logs": SERVICES["encrypted-logs"],
        "worker": dataclasses.replace(SERVICES["worker"], volumes=efs),
        "app": SERVICES["app-permissions"],
        "jobs": SERVICES["jobs"],  # moto skips the Scheduler resources, as the sandbox does
        "canary": SERVICES["canary"],  # second target group, traffic role, generated alarms
    }
    for service, cfg in configs.items():
        template = service_template(
            target("staging", service),
            cfg,
            image=IMAGE,
            secrets=secrets_for(service, "DATABASE_URL"),
            region=REGION,
            account_id=ACCOUNT,
            kms_key_arn=KMS_KEY,
        )
        outputs = create_stack(cfn, f"lift-staging-{service}", template)
        assert outputs["ServiceName"] == service
        assert outputs["TaskDefinitionArn"].endswith(f":task-definition/staging-{service}:1")

    ecs = boto3.client("ecs", region_name=REGION)
    services = ecs.describe_services(cluster="lift-staging", services=list(configs))["services"]
    assert sorted(s["serviceName"] for s in services) == sorted(configs)
    task = ecs.describe_task_definition(taskDefinition="staging-api")["taskDefinition"]
    assert task["containerDefinitions"][0]["image"] == IMAGE
    assert [s["name"] for s in task["containerDefinitions"][0]["secrets"]] == ["DATABASE_URL"]


def create_stack(cfn: Any, name: str, template: Any) -> dict[str, str]:
    cfn.create_stack(
        StackName=name, TemplateBody=to_json(template), Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
