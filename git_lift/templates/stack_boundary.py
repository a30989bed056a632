"""The CloudFormation role's own permissions boundary, `lift-<env>-boundary-cloudformation`
(`Environment.stack_boundary_policy`): the most that role may do, whatever policy an admin
writes into it; pure.

It is a managed policy of its own, beside the boundary of the roles the service stacks make
(task_policies.boundary_policy), because one managed policy holds at most 6,144 characters
(IAM User Guide, "IAM and AWS STS quotas": managed policy size, whitespace not counted), and
both parts together no longer fit. Attached to that one role, it needs no `aws:PrincipalArn`
condition: a boundary grants nothing by itself, and the role may make roles only under the
other boundary (stack_role.service_role_grants).

It is the role's statements (stack_role.statements) folded: IAM ones by the conditions that
keep them from granting privilege (no Deny is needed: what a boundary does not allow, it
denies), the rest by service within the account and region (the role's policy names the
environment's VPC and load balancers, which do not exist when the boundary is written).
"""

from __future__ import annotations

import json
from typing import Any

from git_lift.target import TAG_ENV, Environment
from git_lift.templates.iam_scope import Statement, allow
from git_lift.templates.stack_role import RoleScope, statements

# The conditions that keep the role's IAM statements from granting privilege, by the name of
# what they guard; the boundary keeps these and leaves tag bookkeeping to the role's policy.
GUARDS = {
    # Deleting and tagging roles: only the environment's own (prefixes are shared).
    f"aws:ResourceTag/{TAG_ENV}": "OwnRoles",
    "iam:AWSServiceName": "ServiceLinkedRoles",
    "iam:PassedToService": "PassRoles",
    "iam:PermissionsBoundary": "BoundedRoles",
}
# Tagging a role grants nothing by itself; the role's own policy keeps it to untagged and own
# roles (the 6,144 characters have no room for those conditions twice).
UNGUARDED = {"iam:TagRole", "iam:UntagRole"}


def boundary_policy(env: Environment, region: str, account: str) -> dict[str, object]:
    r = RoleScope(env, region, account, "*", ("*",))
    folded: dict[str, Statement] = {}
    anywhere: set[str] = set()
    scoped: set[str] = set()
    for statement in statements(r):
        actions = statement["Action"]
        if statement["Effect"] == "Deny":
            continue
        if not actions[0].startswith("iam:"):
            (anywhere if statement["Resource"] == "*" else scoped).update(actions)
            continue
        guards = {
            op: {k: v for k, v in keys.items() if k in GUARDS}
            for op, keys in statement.get("Condition", {}).items()
        }
        guards = {op: keys for op, keys in guards.items() if keys}
        tagging = [a for a in actions if a in UNGUARDED]
        for part, kept in ((tagging, {}), ([a for a in actions if a not in UNGUARDED], guards)):
            if part:
                _fold(folded, {**statement, "Action": part}, kept)
    services = sorted({a.split(":")[0] for a in scoped})
    found = [
        *folded.values(),
        allow("Resources", sorted(scoped), [r.arn(service, "*") for service in services]),
        allow("Describe", sorted(anywhere), "*"),
    ]
    return {"Version": "2012-10-17", "Statement": found}


def _fold(folded: dict[str, Statement], statement: Statement, guards: dict[str, Any]) -> None:
    """Add `statement`'s actions to the folded statement of the same resources and guards."""
    actions = statement["Action"]
    key = json.dumps([statement["Resource"], guards], sort_keys=True)
    if key in folded:
        folded[key]["Action"] = sorted({*folded[key]["Action"], *actions})
    else:
        sid = next((GUARDS[k] for keys in guards.values() for k in keys), "Roles")
        taken = sum(s["Sid"].rstrip("0123456789") == sid for s in folded.values())
        folded[key] = {**statement, "Sid": f"{sid}{taken + 1}" if taken else sid}
        if guards:
            folded[key]["Condition"] = guards
        else:
            folded[key].pop("Condition", None)
