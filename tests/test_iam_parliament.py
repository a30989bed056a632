"""parliament (AWS's own action, resource and condition data, offline) finds nothing of MEDIUM
or above in any printed policy, for every audience and a matrix of settings, except what is
intended and written down in ALLOWED below.

parliament's community auditors report permissions-management actions and actions that return
credentials once per policy, whatever their conditions; ALLOWED lists each such action with the
guard that makes it safe here, and the test checks that the guard is in every statement that
grants it.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

parliament = pytest.importorskip("parliament")

from git_lift.templates.iam_scope import Network, Scope  # noqa: E402
from git_lift.templates.iam_statements import policy  # noqa: E402
from git_lift.templates.iam_trust import principal, trust_policy  # noqa: E402
from tests.infra_support import policy_scope  # noqa: E402

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


ALLOWED: dict[tuple[str, str], Any] = {
    # Pushing and pulling images needs a registry token; AWS grants it on "*" only.
    ("CREDENTIALS_EXPOSURE", "ecr:getauthorizationtoken"): lambda st, s: True,
    # Tasks run with the service's roles, passed to ECS tasks only.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:passrole"): requires("iam:PassedToService"),
    # Service stacks author the service's two roles, only under the environment's boundary.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:createrole"): requires(
        "iam:PermissionsBoundary", "{s.boundary}"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:putrolepolicy"): requires(
        "iam:PermissionsBoundary", "{s.boundary}"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:deleterolepolicy"): requires(
        "iam:PermissionsBoundary", "{s.boundary}"
    ),
    # No condition key applies to these: the statements name the two roles exactly.
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:deleterole"): exact_resources,
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:updateassumerolepolicy"): exact_resources,
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
LISTENERS = (
    "arn:{p}:elasticloadbalancing:{r}:123456789012:listener/app/lift-qa-1/50dc6c495c0c9188/"
    "f2f7dc8efc522ab2",
    "arn:{p}:elasticloadbalancing:{r}:123456789012:listener/app/lift-qa-1-int/1e2d3c4b5a697887/"
    "0a1b2c3d4e5f6071",
)
REGIONS = {"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"}


def scopes() -> list[Scope]:
    """Regions x one or several services x custom KMS key or not x before `env create`, after
    it over HTTP only, after it with HTTPS (a third listener: the public one is HTTPS)."""
    found = []
    for (region, p), services, key, listeners in itertools.product(
        REGIONS.items(),
        [("payments-api",), ("api", "api-gateway", "worker")],
        [None, KEY],
        [None, LISTENERS[:1], LISTENERS],
    ):
        network = None
        if listeners is not None:
            network = Network(
                "vpc-0123456789abcdef0", tuple(x.format(p=p, r=region) for x in listeners)
            )
        found.append(
            policy_scope(
                "qa-1",
                services,
                region,
                "123456789012",
                kms_key_arn=key.format(p=p, r=region) if key else None,
                network=network,
                pins_config=listeners is not None,  # pinned config, with and without a key
            )
        )
    return found


@pytest.fixture(scope="module", autouse=True)
def community_severities() -> None:
    """The community auditors' severities (as `parliament --include-community-auditors`)."""
    parliament.override_config(
        str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    )


def findings(document: dict[str, Any]) -> list[Any]:
    analysed = parliament.analyze_policy_string(
        json.dumps(document), include_community_auditors=True
    )
    return [parliament.enhance_finding(f) for f in analysed.findings]


def unexplained(document: dict[str, Any], s: Scope) -> list[str]:
    problems = []
    for f in findings(document):
        if SEVERITIES.index(f.severity) < SEVERITIES.index("MEDIUM"):
            continue
        actions = f.location.get("actions") if isinstance(f.location, dict) else None
        if not actions:
            problems.append(f"{f.severity} {f.issue}: {f.detail}")
            continue
        for action in actions:
            guard = ALLOWED.get((f.issue, action))
            granting = [
                st
                for st in document["Statement"]
                if st["Effect"] == "Allow" and action in {a.lower() for a in st["Action"]}
            ]
            if guard is None or not all(guard(st, s) for st in granting):
                problems.append(f"{f.severity} {f.issue}: {action}")
    return problems


@pytest.mark.parametrize("audience", ["ci", "developer", "admin", "boundary"])
def test_parliament_finds_nothing_unintended(audience: str) -> None:
    problems = {}
    for s in scopes():
        found = unexplained(policy(audience, s), s)
        if found:
            problems[f"{s.region} {s.services} key={bool(s.kms_key_arn)} {s.network}"] = found
    assert problems == {}


def test_parliament_catches_what_the_audit_found() -> None:
    """The checks bite: the old shapes (roles without a boundary, Describe on scoped ARNs)
    are reported."""
    s = scopes()[0]
    document = policy("developer", s)
    for statement in document["Statement"]:
        if statement["Sid"] == "CreateBoundedRoles":
            del statement["Condition"]
        if statement["Sid"] == "Describe":
            statement["Resource"] = [s.arn("ec2", "vpc/*")]
    problems = unexplained(document, s)
    assert any("iam:createrole" in p for p in problems)
    assert any("RESOURCE_MISMATCH" in p for p in problems)


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
