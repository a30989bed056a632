"""parliament (AWS's own action, resource and condition data, offline) finds nothing of MEDIUM
or above in any printed policy, for every audience and a matrix of settings, except what is
intended and written down in ALLOWED below.

parliament's community auditors report permissions-management actions and actions that return
credentials once per policy, whatever their conditions; ALLOWED lists each such action with the
guard that makes it safe here, and the test checks that the guard is in every statement that
grants it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

parliament = pytest.importorskip("parliament")

from git_lift.templates import stack_role  # noqa: E402
from git_lift.templates.iam_scope import Scope  # noqa: E402
from git_lift.templates.iam_statements import policy  # noqa: E402
from git_lift.templates.iam_trust import principal, trust_policy  # noqa: E402
from tests.support.infra import policy_scope  # noqa: E402

SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


def requires(key: str, value: str | None = None) -> Any:
    """A guard: every statement granting the action has condition `key` (equal to `value`)."""

    def check(statement: dict[str, Any], s: Scope) -> bool:
        found = [v for keys in statement.get("Condition", {}).values() for k, v in keys.items()]
        keys = {k for keys in statement.get("Condition", {}).values() for k in keys}
        return key in keys and (value is None or value.format(s=s) in json.dumps(found))

    return check


def exact_resources(statement: dict[str, Any], s: Scope) -> bool:
    """Names the environment's own roles or boundary: no wildcard in the ARN."""
    return statement["Resource"] != "*" and all("*" not in r for r in statement["Resource"])


def either(*guards: Any) -> Any:
    return lambda statement, s: any(guard(statement, s) for guard in guards)


# The boundary grants the CloudFormation role's statements to that role alone.
TO_THE_STACK_ROLE = requires("aws:PrincipalArn", "{s.stack_role}")


# admin: the CloudFormation role's managed policy is attached to that role, and only it.
def stack_role_policy_only(statement: dict[str, Any], s: Scope) -> bool:
    return statement["Resource"] == [s.stack_role] and bool(
        requires("iam:PolicyARN", "{s.stack_role_policy}")(statement, s)
    )


ALLOWED: dict[tuple[str, str], Any] = {
    # Pushing and pulling images needs a registry token; AWS grants it on "*" only.
    ("CREDENTIALS_EXPOSURE", "ecr:getauthorizationtoken"): lambda st, s: True,
    # The job runs' log group policy (templates/jobs.py), an account's kind with no ARN: it
    # admits AWS service principals only, to CreateLogStream and PutLogEvents only (botocore's
    # logs model, PutResourcePolicy), so it grants no principal of anyone's anything else.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "logs:putresourcepolicy"): lambda st, s: True,
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "logs:deleteresourcepolicy"): lambda st, s: True,
    # Tasks run with the service's roles, passed to ECS tasks only.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:passrole"): requires("iam:PassedToService"),
    # The CloudFormation role (and the admin, that role) author roles only under the
    # environment's boundary. Nobody may change a role's trust (iam:UpdateAssumeRolePolicy).
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:createrole"): requires(
        "iam:PermissionsBoundary", "{s.boundary}"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:putrolepolicy"): requires(
        "iam:PermissionsBoundary", "{s.boundary}"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:deleterolepolicy"): requires(
        "iam:PermissionsBoundary", "{s.boundary}"
    ),
    # admin: an environment's CloudFormation role moves to its own boundary (env update), and
    # only to it, on that one role.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:putrolepermissionsboundary"): lambda st, s: (
        exact_resources(st, s) and requires("iam:PermissionsBoundary", "{s.stack_boundary}")(st, s)
    ),
    # The service config's managed_policies, attached to its task role under the boundary;
    # admin: the CloudFormation role's own managed policy, to that role alone.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:attachrolepolicy"): either(
        requires("iam:PermissionsBoundary", "{s.boundary}"),
        stack_role_policy_only,
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:detachrolepolicy"): either(
        requires("iam:PermissionsBoundary", "{s.boundary}"),
        stack_role_policy_only,
    ),
    # admin: the CloudFormation role's managed policy, named exactly, versioned by the
    # environment stack; that role's own boundary caps whatever a version says.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:deletepolicy"): exact_resources,
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:createpolicyversion"): exact_resources,
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:deletepolicyversion"): exact_resources,
    ("PRIVILEGE_ESCALATION", "iam:createpolicyversion"): exact_resources,
    # No condition key but tags applies: the admin's statement names the CloudFormation role
    # exactly; that role deletes only roles tagged with its environment.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:deleterole"): either(
        exact_resources, requires("aws:ResourceTag/lift:environment", "{s.env}"), TO_THE_STACK_ROLE
    ),
    # ECS, load balancing and autoscaling create their own service-linked roles once.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:createservicelinkedrole"): requires(
        "iam:AWSServiceName"
    ),
    # admin: the boundary is created (never changed) under its one name.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:createpolicy"): exact_resources,
    # admin: the environment's template bucket blocks public access; the statement names
    # that one bucket.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "s3:putbucketpublicaccessblock"): exact_resources,
    # deployer-role: the role is assumed only by the named principals of their own account.
    ("CREDENTIALS_EXPOSURE", "sts:assumerole"): lambda st, s: (
        requires("aws:PrincipalArn")(st, s) and requires("aws:PrincipalAccount")(st, s)
    ),
}

KEY = "arn:{p}:kms:{r}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOAD_BALANCERS = ("lift-qa-1-LoadB-1A2B3C4D5E6F", "lift-qa-1-Inter-6F5E4D3C2B1A")
REGIONS = {"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"}


def scopes() -> list[Scope]:
    """Regions x one or several services x custom KMS key or not x pinned config or not."""
    found = []
    for (region, p), services, key, pins in itertools.product(
        REGIONS.items(),
        [("payments-api",), ("api", "api-gateway", "worker")],
        [None, KEY],
        [False, True],
    ):
        found.append(
            policy_scope(
                "qa-1",
                services,
                region,
                "123456789012",
                kms_key_arn=key.format(p=p, r=region) if key else None,
                pins_config=pins,
            )
        )
    # Release notices (issue 24): the environment notifies its webhook and a topic.
    for region, p in REGIONS.items():
        scope = policy_scope("qa-1", ("payments-api",), region, "123456789012")
        topic = f"arn:{p}:sns:{region}:123456789012:releases"
        targets = tuple(
            dataclasses.replace(
                t, environment=dataclasses.replace(t.environment, notify=("webhook", topic))
            )
            for t in scope.targets
        )
        found.append(dataclasses.replace(scope, targets=targets))
    return found


def stack_role_scopes() -> list[tuple[stack_role.RoleScope, Scope]]:
    """The CloudFormation role's policy: regions x the public load balancer, or also the
    internal one; each with a Scope of its environment for the guards."""
    found = []
    for (region, _), balancers in itertools.product(
        REGIONS.items(), [LOAD_BALANCERS[:1], LOAD_BALANCERS]
    ):
        s = policy_scope("qa-1", ("api",), region, "123456789012")
        r = stack_role.RoleScope(
            s.environment, region, s.account, "vpc-0123456789abcdef0", balancers
        )
        found.append((r, s))
    return found


@pytest.fixture(scope="module", autouse=True)
def community_severities() -> None:
    """The community auditors' severities (as `parliament --include-community-auditors`)."""
    parliament.override_config(
        str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    )


# Actions newer than parliament's IAM definitions: it stops reading a policy at the first
# action it does not know, so these are left out of what it reads (and a test checks they are
# still unknown to it, so that the list goes once parliament learns them).
NEWER_THAN_PARLIAMENT = {"ecs:StopServiceDeployment"}


def known_to_parliament(document: dict[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    for statement in copy["Statement"]:
        if isinstance(statement.get("Action"), list):
            kept = [a for a in statement["Action"] if a not in NEWER_THAN_PARLIAMENT]
            statement["Action"] = kept
    copy["Statement"] = [st for st in copy["Statement"] if st.get("Action") != []]
    return copy


def findings(document: dict[str, Any]) -> list[Any]:
    analysed = parliament.analyze_policy_string(
        json.dumps(known_to_parliament(document)), include_community_auditors=True
    )
    return [parliament.enhance_finding(f) for f in analysed.findings]


def test_the_actions_left_out_are_still_unknown_to_parliament() -> None:
    for action in NEWER_THAN_PARLIAMENT:
        statement = {"Effect": "Allow", "Action": [action], "Resource": "*"}
        document = {"Version": "2012-10-17", "Statement": [statement]}
        analysed = parliament.analyze_policy_string(json.dumps(document))
        assert [f.issue for f in analysed.findings] == ["UNKNOWN_ACTION"], action


def unexplained(document: dict[str, Any], s: Scope) -> list[str]:
    problems = []
    for f in findings(document):
        if SEVERITIES.index(f.severity) < SEVERITIES.index("MEDIUM"):
            continue
        actions = f.location.get("actions") if isinstance(f.location, dict) else None
        if not actions:
            problems.append(f"{f.severity} {f.issue}: {f.detail}")
            continue
        if f.issue == "PRIVILEGE_ESCALATION" and any(denied(document, a) for a in actions):
            continue  # a path that needs every one of its actions, one of them only denied
        for action in actions:
            guard = ALLOWED.get((f.issue, action))
            granting = [
                st
                for st in document["Statement"]
                if st["Effect"] == "Allow" and action in {a.lower() for a in st.get("Action", [])}
            ]
            if not granting and denied(document, action):
                continue  # the auditors list a Deny's actions too; a Deny grants nothing
            if guard is None or not all(guard(st, s) for st in granting):
                problems.append(f"{f.severity} {f.issue}: {action}")
    return problems


def denied(document: dict[str, Any], action: str) -> bool:
    """Whether a Deny statement names `action` (by pattern) and no Allow names it."""
    named = [
        st
        for st in document["Statement"]
        for pattern in (
            [st["Action"]] if isinstance(st.get("Action"), str) else st.get("Action", [])
        )
        if fnmatch.fnmatchcase(action, pattern.lower())
    ]
    return bool(named) and all(st["Effect"] == "Deny" for st in named)


@pytest.mark.parametrize("audience", ["ci", "developer", "admin", "boundary", "stack-boundary"])
def test_parliament_finds_nothing_unintended(audience: str) -> None:
    problems = {}
    for s in scopes():
        found = unexplained(policy(audience, s), s)
        if found:
            problems[f"{s.region} {s.services} key={bool(s.kms_key_arn)} {s.pins_config}"] = found
    assert problems == {}


def test_parliament_finds_nothing_unintended_in_the_cloudformation_roles_policy() -> None:
    problems = {}
    for r, s in stack_role_scopes():
        document = {"Version": "2012-10-17", "Statement": stack_role.statements(r)}
        found = unexplained(document, s)
        if found:
            problems[f"{r.region} {r.load_balancers}"] = found
    assert problems == {}


def test_parliament_catches_what_the_audit_found() -> None:
    """The checks bite: the old shapes (roles without a boundary, Describe on scoped ARNs, a
    developer who may rewrite a service role's trust) are reported."""
    r, s = stack_role_scopes()[0]
    document = {"Version": "2012-10-17", "Statement": stack_role.statements(r)}
    for statement in document["Statement"]:
        if statement["Sid"] == "BoundedServiceRoles":
            del statement["Condition"]
        if statement["Sid"] == "Describe":
            statement["Resource"] = [s.arn("ec2", "vpc/*")]
    problems = unexplained(document, s)
    assert any("iam:createrole" in p for p in problems)
    assert any("RESOURCE_MISMATCH" in p for p in problems)
    developer = policy("developer", s)
    trust = {
        "Sid": "ServiceRoles",
        "Effect": "Allow",
        "Action": ["iam:UpdateAssumeRolePolicy"],
        "Resource": s.roles,
    }
    developer["Statement"].append(trust)
    assert "MEDIUM PERMISSIONS_MANAGEMENT_ACTIONS: iam:updateassumerolepolicy" in unexplained(
        developer, s
    )


def trust_documents() -> list[tuple[str, dict[str, Any]]]:
    """Partitions x external id or not x one principal or several (a role with a path, a
    user, an SSO session's role), each with the role it is attached to."""
    found = []
    for p, external_id, several in itertools.product(
        sorted(set(REGIONS.values())), [None, "acme-lift"], [False, True]
    ):
        arns = [f"arn:{p}:iam::123456789012:role/ci/lift-ci"]
        if several:
            arns += [
                f"arn:{p}:iam::123456789012:user/alice",
                f"arn:{p}:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123/alice",
            ]
        role = f"arn:{p}:iam::222222222222:role/lift-deployer"
        found.append((role, trust_policy([principal(a) for a in arns], external_id)))
    return found


def test_parliament_finds_nothing_unintended_in_the_deployer_roles_trust() -> None:
    s = scopes()[0]  # the guards of ALLOWED read the statement only
    problems = {}
    for role, document in trust_documents():
        # A trust policy's resource is the role it is attached to; parliament wants it named.
        analysed = {
            **document,
            "Statement": [{**st, "Resource": role} for st in document["Statement"]],
        }
        found = unexplained(analysed, s)
        if found:
            problems[json.dumps(document)] = found
    assert problems == {}
    # The guard bites: without the principal conditions, AssumeRole is reported.
    role, document = trust_documents()[0]
    (statement,) = document["Statement"]
    bare = {**statement, "Resource": role, "Condition": {}}
    assert unexplained({**document, "Statement": [bare]}, s) == [
        "MEDIUM CREDENTIALS_EXPOSURE: sts:assumerole"
    ]


# --- the task role: git lift's statements and the service config's own ----------------------


def task_documents() -> list[tuple[str, dict[str, Any]]]:
    """The task role's inline statements for the template matrix's configs, the README's S3,
    SQS and SES statements among them, in each partition."""
    from git_lift.templates.task_policies import task_policy
    from tests.support.templates import SERVICES

    found = []
    for (region, _), name in itertools.product(REGIONS.items(), SERVICES):
        found.append((f"{region} {name}", task_policy(SERVICES[name], region, "123456789012")))
    return found


def known_action_problems(document: dict[str, Any]) -> list[str]:
    """What parliament says of actions AWS does not have (LOW, so apart from unexplained)."""
    unknown = ("UNKNOWN_ACTION", "UNKNOWN_PREFIX", "UNKNOWN_PRINCIPAL")
    return [f"{f.issue}: {f.detail}" for f in findings(document) if f.issue in unknown]


def test_parliament_finds_nothing_unintended_in_the_task_roles_policy() -> None:
    s = scopes()[0]
    problems = {}
    for name, document in task_documents():
        found = unexplained(document, s) + known_action_problems(document)
        if found:
            problems[name] = found
    assert problems == {}
    assert any("sqs:ReceiveMessage" in json.dumps(d) for _, d in task_documents())


def test_parliament_knows_the_actions_a_service_config_names() -> None:
    """The service config checks an action's form offline; parliament, AWS's own list, checks
    that it exists: a typo is found."""
    from git_lift import servicecfg
    from git_lift.templates.task_policies import task_policy
    from tests.support.templates import APP_PERMISSIONS

    typo = {**APP_PERMISSIONS[0], "Action": ["s3:GetObjekt"]}
    doc = {**servicecfg.default_document(production=False), "permissions": [typo]}
    document = task_policy(servicecfg.parse(doc), "eu-west-1", "123456789012")
    assert known_action_problems(document) == ["UNKNOWN_ACTION: Unknown action s3:GetObjekt"]


def test_parliament_knows_every_action_resource_and_condition_of_the_stacks_rights() -> None:
    """The rights scheduled jobs and deployment strategies added (issue 21), in the
    CloudFormation role's policy and in both boundaries: each action exists, each resource is
    of a type the action takes, each condition key applies to its action (parliament's
    UNKNOWN_* and RESOURCE_MISMATCH findings, whatever their severity)."""
    wrong = (
        "UNKNOWN_",
        "INVALID_ARN",
        "RESOURCE_MISMATCH",
        "MISMATCHED_TYPE_OPERATION",
        "MALFORMED",
    )
    problems = {}
    for r, s in stack_role_scopes():
        for name, document in (
            ("role", {"Version": "2012-10-17", "Statement": stack_role.statements(r)}),
            ("boundary", policy("boundary", s)),
            ("stack-boundary", policy("stack-boundary", s)),
        ):
            found = [
                f"{f.issue}: {f.detail}" for f in findings(document) if f.issue.startswith(wrong)
            ]
            if found:
                problems[f"{r.region} {name}"] = found
    assert problems == {}
    schedules = json.dumps(stack_role.statements(stack_role_scopes()[0][0]))
    assert "scheduler:CreateSchedule" in schedules and "ecs.amazonaws.com" in schedules
