"""The IAM policies `git lift iam-policy` prints (templates/iam_statements.py), for any valid
environment and service names: each is a well-formed policy, and what it allows without a
condition names only its own environment's resources, so another environment in the same
account (`qa` beside `qa-1`, `staging` beside `production`) is out of its reach. README,
"Security model": each audience's policy is scoped to one environment."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from git_lift import limits
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target
from git_lift.templates import stack_role
from git_lift.templates.iam_scope import Scope
from git_lift.templates.iam_statements import policy

REGION, ACCOUNT = "eu-west-1", "123456789012"
AUDIENCES = ("ci", "developer", "admin")
FEW = settings(max_examples=25, deadline=None)  # fast suite; 2 shared cores
env_names = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda n: "--" not in n and not n.startswith(limits.PARAMETER_RESERVED)
)
service_names = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda n: "--" not in n
)
# IAM's action form: service prefix, colon, an action name or a pattern of one.
ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z*]+")


def target(env: str, service: str) -> Target:
    svc = ServiceSettings(service, ".", "Dockerfile", ".", "env.sample", service)
    return Target(EnvironmentSettings(env, ("refs/heads/main",)), svc)


def scope(env: str, *services: str, pins: bool = False) -> Scope:
    return Scope(tuple(target(env, s) for s in services), REGION, ACCOUNT, pins_config=pins)


def resources_of(t: Target) -> dict[str, str]:
    """Concrete ARNs of one service's resources in its environment, as AWS names them."""

    def a(service: str, resource: str) -> str:
        where = "" if service == "iam" else REGION
        return f"arn:aws:{service}:{where}:{ACCOUNT}:{resource}"

    return {
        "parameter": a("ssm", f"parameter{t.parameter_name('DATABASE_URL')}"),
        "log group": a("logs", f"log-group:{t.log_group}:*"),
        "log stream": a("logs", f"log-group:{t.log_group}:log-stream:ecs/app/0123"),
        "ecs service": a("ecs", f"service/{t.cluster}/{t.ecs_service}"),
        "task definition": a("ecs", f"task-definition/{t.task_family}:3"),
        "service stack": a("cloudformation", f"stack/{t.stack}/0a1b2c3d-uuid"),
        "task role": a("iam", f"role/{t.role_name('task')}"),
        "execution role": a("iam", f"role/{t.role_name('execution')}"),
        "pinned config": a("secretsmanager", f"secret:{t.snapshot_secret()}-AbCdEf"),
    }


def environment_resources_of(t: Target) -> dict[str, str]:
    e = t.environment_names
    return {
        "cluster": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{e.cluster}",
        "task": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{e.cluster}/0123abcd",
        "environment stack": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{e.stack}/uuid",
        "cloudformation role": f"arn:aws:iam::{ACCOUNT}:role/{e.cloudformation_role}",
        "boundary": f"arn:aws:iam::{ACCOUNT}:policy/{e.boundary_policy}",
        "template bucket": f"arn:aws:s3:::{e.template_bucket(ACCOUNT, REGION)}",
        "template": f"arn:aws:s3:::{e.template_bucket(ACCOUNT, REGION)}/t.json",
    }


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


READ = re.compile(r"[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*")


def unconditioned_reach(
    document: dict[str, Any], arns: dict[str, str], *, changes_only: bool = False
) -> list[str]:
    """What an Allow without a condition lets the policy do to one of `arns` (with
    `changes_only`, what it lets it change: statements that only read are left out)."""
    found = []
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow" or "Condition" in statement:
            continue
        if changes_only and all(READ.fullmatch(a) for a in as_list(statement["Action"])):
            continue
        patterns = as_list(statement["Resource"])
        if patterns == ["*"]:
            continue  # AWS allows no resource for these; test_iam_policy checks which
        for what, resource in arns.items():
            if any(fnmatch.fnmatchcase(resource, p) for p in patterns):
                found.append(f"{statement['Sid']}: {what} {resource}")
    return found


@pytest.mark.parametrize("audience", [*AUDIENCES, "boundary"])
@pytest.mark.parametrize("pins", [False, True])
def test_every_policy_is_well_formed(audience: str, pins: bool) -> None:
    document = policy(audience, scope("staging", "api", "worker", pins=pins))
    assert document["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in document["Statement"]]
    # "the Sid value must be unique within a JSON policy" (IAM JSON policy reference, Sid)
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
    for statement in document["Statement"]:
        assert statement["Effect"] in ("Allow", "Deny")
        # IAM takes one string or a list of them for Action and Resource. The boundary's
        # task-role part alone says "every action but" (an Allow with NotAction) and "every
        # action on" (a Deny of "*"), both for the task roles only.
        if "NotAction" in statement or statement.get("Action") == "*":
            assert audience == "boundary" and statement["Effect"] == (
                "Allow" if "NotAction" in statement else "Deny"
            )
            assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"].endswith("-*-task")
        named = statement.get("Action", statement.get("NotAction"))
        actions, resources = as_list(named), as_list(statement["Resource"])
        assert actions and all(ACTION.fullmatch(a) or a == "*" for a in actions), statement["Sid"]
        assert resources == ["*"] or all(r.startswith("arn:aws:") for r in resources)


@FEW
@given(env_names, env_names, service_names, st.sampled_from(AUDIENCES), st.booleans())
def test_a_policy_reaches_no_resource_of_another_environment(
    env: str, other: str, service: str, audience: str, pins: bool
) -> None:
    assume(env != other)
    document = policy(audience, scope(env, service, pins=pins))
    theirs = target(other, service)
    arns = {**resources_of(theirs), **environment_resources_of(theirs)}
    assert unconditioned_reach(document, arns) == []


@pytest.mark.parametrize(("env", "other"), [("qa", "qa-1"), ("qa-1", "qa"), ("prod", "production")])
@pytest.mark.parametrize("audience", AUDIENCES)
def test_environments_whose_names_share_a_prefix_stay_apart(
    env: str, other: str, audience: str
) -> None:
    document = policy(audience, scope(env, "api"))
    # not `1-api`: environment qa's service 1-api and qa-1's api share every name (the
    # stack lift-qa-1-api, the task family qa-1-api, ...), a collision of the conventions
    for service in ("api", "api-1", "web"):
        theirs = target(other, service)
        arns = {**resources_of(theirs), **environment_resources_of(theirs)}
        assert unconditioned_reach(document, arns) == [], service


@FEW
@given(service_names, service_names, st.sampled_from(("ci", "developer")))
def test_a_repositorys_policy_reaches_no_other_services_config_or_logs(
    service: str, other: str, audience: str
) -> None:
    """Services of the same environment in another repository keep their config, pinned
    config and logs to themselves."""
    assume(service != other)
    document = policy(audience, scope("staging", service, pins=True))
    theirs = resources_of(target("staging", other))
    private = {k: theirs[k] for k in ("parameter", "pinned config", "log group", "log stream")}
    assert unconditioned_reach(document, private) == []


def test_the_policy_reaches_its_own_services_resources() -> None:
    """The check above is not vacuous: the same matching finds a service's own resources."""
    mine = target("staging", "api")
    document = policy("developer", scope("staging", "api", pins=True))
    reached = " ".join(unconditioned_reach(document, resources_of(mine)))
    for what in ("parameter", "log group", "ecs service", "pinned config"):
        assert what in reached, what


def stack_role_policy(env: str) -> dict[str, Any]:
    """The policy of the role CloudFormation changes `env`'s service stacks with."""
    e = target(env, "api").environment_names
    r = stack_role.RoleScope(e, REGION, ACCOUNT, "vpc-0123456789abcdef0", (f"lift-{env}-alb",))
    return {"Version": "2012-10-17", "Statement": stack_role.statements(r)}


@FEW
@given(env_names, env_names, service_names, st.sampled_from(["boundary", "stack role"]))
def test_the_boundary_and_the_stack_role_reach_no_other_environment(
    env: str, other: str, service: str, which: str
) -> None:
    """The boundary caps every role an environment's stacks create; the stack role is what
    CloudFormation acts as: neither may open another environment's resources, a longer name
    that starts with `<env>-` among them (qa and qa-1's task families)."""
    assume(env != other)
    document = (
        policy("boundary", scope(env, service)) if which == "boundary" else stack_role_policy(env)
    )
    theirs = target(other, service)
    arns = {**resources_of(theirs), **environment_resources_of(theirs)}
    assert unconditioned_reach(document, arns) == []


def test_the_boundary_reaches_its_own_environments_config_and_logs() -> None:
    document = policy("boundary", scope("staging", "api"))
    reached = " ".join(unconditioned_reach(document, resources_of(target("staging", "web"))))
    for what in ("parameter", "log stream"):
        assert what in reached, what


@pytest.mark.parametrize(
    ("which", "env", "other"),
    [
        ("boundary", "qa", "qa-1"),
        ("boundary", "prod", "production"),
        ("stack role", "qa", "qa-1"),  # task-definition/qa-*: registered tagged qa only
        ("stack role, no family", "qa", "qa-1"),
        ("stack role", "prod", "production"),  # prod- is no prefix of production-
    ],
)
def test_a_prefix_environments_stack_role_and_boundary_change_nothing_of_the_longer_one(
    which: str, env: str, other: str
) -> None:
    """`lift-qa-*-task` also names qa-1's roles: every statement of CloudFormation's role
    that changes one (or, now, reads one) checks its tags or boundary."""
    document = (
        policy("boundary", scope(env, "api")) if which == "boundary" else stack_role_policy(env)
    )
    for service in ("api", "web"):
        theirs = target(other, service)
        arns = {**resources_of(theirs), **environment_resources_of(theirs)}
        if which == "stack role, no family":
            del arns["task definition"]
        assert unconditioned_reach(document, arns, changes_only=True) == [], service
