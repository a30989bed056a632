"""The service config document (`git lift service edit`) and the CloudFormation template made
from it, for any valid document: what is stored reads back as the same config, any JSON at all
is either a config or a list of problems with their paths, and the template carries what the
document says, names from Target, tags and the environment's boundary on every role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import servicecfg as sc
from git_lift.errors import ValidationError
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import TAG_ENV, TAG_SERVICE, Target
from git_lift.templates import to_json
from git_lift.templates.service import service_template
from git_lift.templates.task_policies import boundary_arn

REGION, ACCOUNT = "eu-west-1", "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api@sha256:" + "a" * 64
FEW = settings(max_examples=30, deadline=None)  # fast suite; 2 shared cores

sizes = st.sampled_from([(cpu, m) for cpu, ms in sc.FARGATE_MEMORY.items() for m in ms])
paths = st.from_regex(r"/[a-z0-9/*-]{0,20}", fullmatch=True)
hosts = st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?", fullmatch=True)


@st.composite
def http_interfaces(draw: st.DrawFn) -> sc.HttpInterface:
    hostnames = tuple(draw(st.lists(hosts, max_size=2, unique=True)))
    patterns = tuple(draw(st.lists(paths, max_size=2, unique=True)))
    cidrs = draw(
        st.sampled_from([sc.OPEN_TO_ALL, ("10.0.0.0/8",), ("10.0.0.0/8", "192.168.0.0/16")])
    )
    if len(hostnames) + len(patterns) + (0 if cidrs == sc.OPEN_TO_ALL else len(cidrs)) == 0:
        pass  # the catch-all rule: one value
    elif len(hostnames) + len(patterns) + len(cidrs) > sc.MAX_RULE_CONDITION_VALUES:
        cidrs = sc.OPEN_TO_ALL
    return sc.HttpInterface(
        container_port=draw(st.integers(1, 65535)),
        internal=draw(st.booleans()),
        hostnames=hostnames,
        path_patterns=patterns,
        health_check_path=draw(paths),
        restrict_access_to=cidrs,
    )


@st.composite
def configs(draw: st.DrawFn) -> sc.ServiceConfig:
    cpu, memory = draw(sizes)
    low = draw(st.integers(0, 5))
    high = draw(st.integers(max(low, 1), 10))
    autoscaling = draw(st.none() | st.just(sc.Autoscaling(low, high, draw(st.integers(1, 100)))))
    desired = draw(st.integers(low, high) if autoscaling else st.integers(0, 20))
    minimum = draw(st.integers(0, 100))
    return sc.ServiceConfig(
        command=draw(st.none() | st.lists(st.text(max_size=8), min_size=1, max_size=3).map(tuple)),
        cpu=cpu,
        memory=memory,
        desired_count=desired,
        http_interface=draw(st.none() | http_interfaces()),
        autoscaling=autoscaling,
        logging=sc.Logging(
            driver=draw(st.sampled_from(["awslogs", "none"])),
            retention_days=draw(st.sampled_from(sc.LOG_RETENTION_DAYS)),
        ),
        deployment=sc.Deployment(
            circuit_breaker_rollback=draw(st.booleans()),
            minimum_healthy_percent=minimum,
            maximum_percent=draw(st.integers(max(minimum + 1, 100), 200)),
        ),
        ecs_exec=draw(st.booleans()),
    )


@FEW
@given(configs())
def test_a_stored_document_reads_back_as_the_same_config(cfg: sc.ServiceConfig) -> None:
    stored = json.loads(json.dumps(sc.to_document(cfg)))
    assert sc.parse(stored) == cfg
    assert sc.to_document(sc.parse(stored)) == stored
    assert sc.render_diff(stored, sc.to_document(cfg)) == []  # an unchanged edit shows no diff


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(
    [
        "cpu",
        "memory",
        "desired_count",
        "http_interface",
        "autoscaling",
        "volumes",
        "logging",
        "deployment",
        "command",
        "ecs_exec",
    ]
)


@FEW
@given(st.dictionaries(keys, json_values, max_size=6))
def test_any_json_is_a_config_or_problems_each_with_its_path(document: dict[str, Any]) -> None:
    try:
        sc.parse(document)
    except sc.ServiceConfigError as err:
        assert err.problems and all(p.startswith("$") for p in err.problems)
        assert err.message.splitlines()[0].startswith(
            f"service config has {len(err.problems)} problem"
        )
        assert len(err.problems) == len(set(err.problems))  # each problem once


# The template


def target(env: str = "staging", service: str = "api") -> Target:
    svc = ServiceSettings(service, ".", "Dockerfile", ".", "env.sample", service)
    return Target(EnvironmentSettings(env, ("refs/heads/main",)), svc)


def render(
    cfg: sc.ServiceConfig, t: Target | None = None, keys: tuple[str, ...] = ("DB",)
) -> dict[str, Any]:
    t = t or target()
    secrets = {k: t.parameter_arn(k, REGION, ACCOUNT) for k in keys}
    template = service_template(
        t, cfg, image=IMAGE, secrets=secrets, region=REGION, account_id=ACCOUNT, kms_key_arn=None
    )
    rendered: dict[str, Any] = json.loads(to_json(template))
    return rendered


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


@settings(max_examples=15, deadline=None)
@given(configs())
def test_the_template_carries_what_the_document_says(cfg: sc.ServiceConfig) -> None:
    t = target()
    template = render(cfg, t)
    [task] = of_type(template, "AWS::ECS::TaskDefinition")
    assert (task["Family"], task["Cpu"], task["Memory"]) == (
        t.task_family,
        str(cfg.cpu),
        str(cfg.memory),
    )
    [container] = task["ContainerDefinitions"]
    assert container["Image"] == IMAGE and container["Name"] == t.container
    assert container["Secrets"] == [
        {"Name": "DB", "ValueFrom": t.parameter_arn("DB", REGION, ACCOUNT)}
    ]
    assert container.get("Command") == (list(cfg.command) if cfg.command else None)
    [service] = of_type(template, "AWS::ECS::Service")
    # With autoscaling the stack leaves the count to it (a stack update would set it back).
    count = cfg.desired_count if cfg.autoscaling is None else None
    assert (service["ServiceName"], service.get("DesiredCount")) == (t.ecs_service, count)
    assert service["EnableExecuteCommand"] == cfg.ecs_exec
    groups = of_type(template, "AWS::Logs::LogGroup")
    if cfg.logging.driver == "awslogs":
        assert [(g["LogGroupName"], g["RetentionInDays"]) for g in groups] == [
            (t.log_group, cfg.logging.retention_days)
        ]
    else:
        assert groups == [] and "LogConfiguration" not in container
    http = cfg.http_interface
    assert bool(of_type(template, "AWS::ElasticLoadBalancingV2::ListenerRule")) == (
        http is not None
    )
    if http is not None:
        assert container["PortMappings"] == [
            {"ContainerPort": http.container_port, "Protocol": "tcp"}
        ]
    scaling = of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    a = cfg.autoscaling
    assert [(s["MinCapacity"], s["MaxCapacity"]) for s in scaling] == (
        [(a.min, a.max)] if a else []
    )


@settings(max_examples=10, deadline=None)
@given(configs())
def test_every_role_is_named_by_target_under_the_environments_boundary(
    cfg: sc.ServiceConfig,
) -> None:
    t = target("qa-1", "payments-api")
    roles = of_type(render(cfg, t), "AWS::IAM::Role")
    assert sorted(r["RoleName"] for r in roles) == sorted(
        t.role_name(k) for k in ("execution", "task")
    )
    boundary = boundary_arn(t.environment_names, REGION, ACCOUNT)
    assert all(r["PermissionsBoundary"] == boundary for r in roles)
    for role in roles:
        [statement] = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_every_taggable_resource_names_its_environment_and_service() -> None:
    full = sc.parse(
        {
            **sc.default_document(production=True),
            "autoscaling": {"min": 2, "max": 4},
        }
    )
    template = render(full)
    tagged = 0
    for name, resource in template["Resources"].items():
        tags = resource["Properties"].get("Tags")
        if tags is None:
            continue
        tagged += 1
        found = {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else tags
        assert (found.get(TAG_ENV), found.get(TAG_SERVICE)) == ("staging", "api"), name
    assert tagged >= 5  # roles, task definition, security group, service, scaling target


def test_secrets_of_another_service_are_refused_before_anything_renders() -> None:
    t = target()
    other = target(service="billing")
    with pytest.raises(ValidationError, match="secrets the task could not read") as err:
        service_template(
            t,
            sc.parse(sc.default_document(production=False)),
            image=IMAGE,
            secrets={
                "DB": other.parameter_arn("DB", REGION, ACCOUNT),
                "bad-name": t.parameter_arn("X", REGION, ACCOUNT),
            },
            region=REGION,
            account_id=ACCOUNT,
            kms_key_arn=None,
        )
    assert (
        "DB: arn:aws:ssm:eu-west-1:123456789012:parameter/staging/billing/DB is not under"
        in err.value.message
    )
    assert "bad-name: not an environment variable name" in err.value.message
