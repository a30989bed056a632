"""IAM statements and managed policy ARNs as the service config holds them (`permissions`,
`managed_policies`): read with the JSON path of every mistake; pure, free of troposphere.

Action names are checked for their form here (`service:Action`, wildcards allowed); whether
AWS knows them is checked offline against parliament's IAM data in the tests, parliament being
a test dependency only. What the environment's boundary would deny is app_permissions.py's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from git_lift.jsoncheck import Checker, kind

Statement = dict[str, Any]

STATEMENT_FIELDS = ("Sid", "Effect", "Action", "Resource", "Condition")
# Why the negated forms are refused: the boundary and the edit-time check reason about what a
# statement names; "everything but" names what the service does not need.
NEGATED = {"NotAction": "Action", "NotResource": "Resource"}
EFFECTS = ("Allow", "Deny")

_ACTION = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$", re.IGNORECASE)
# arn:partition:service:region:account:resource; S3's have neither region nor account.
_ARN = re.compile(r"^arn:[a-z*?-]+:[a-z0-9*?-]+:[a-z0-9*?-]*:(\d{12}|[*?]+|aws)?:.+$")
_SID = re.compile(r"^[A-Za-z0-9]*$")
_POLICY_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy/([\w+=,.@-]+/)*[\w+=,.@-]+$"
)

# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): a role's inline policies together hold
# at most 10,240 characters, whitespace not counted; a role has at most 20 managed policies
# attached (10 unless raised). git lift's own task statements (ECS Exec, EFS) need the rest.
ROLE_INLINE_SIZE = 10_240
RUNTIME_RESERVE = 2_048
MANAGED_POLICIES_PER_ROLE = 20


def read_statements(c: Checker, value: object, path: str) -> tuple[Statement, ...]:
    """The statements as written, once each is a valid IAM statement."""
    if not isinstance(value, list):
        c.add(path, f"expected an array of IAM statements, got {kind(value)}")
        return ()
    found = tuple(s for i, item in enumerate(value) if (s := _statement(c, item, f"{path}[{i}]")))
    sids: dict[str, int] = {}
    for i, item in enumerate(value):
        sid = item.get("Sid") if isinstance(item, dict) else None
        if isinstance(sid, str) and sid:
            if sid in sids:
                c.add(f"{path}[{i}].Sid", f"{sid!r} is also the Sid of {path}[{sids[sid]}]")
            sids.setdefault(sid, i)
    size = len(json.dumps(value, separators=(",", ":")))
    if size > ROLE_INLINE_SIZE - RUNTIME_RESERVE:
        c.add(
            path,
            f"the statements hold {size:,} characters; IAM holds at most "
            f"{ROLE_INLINE_SIZE:,} in a role's inline policies, and git lift's own task "
            f"statements need up to {RUNTIME_RESERVE:,}: use managed_policies for the rest",
        )
    return found


def _statement(c: Checker, value: object, path: str) -> Statement | None:
    if not isinstance(value, dict):
        c.add(path, f"expected an object, got {kind(value)}")
        return None
    failed = len(c.problems)
    for key in value:
        if key in NEGATED:
            c.add(
                f"{path}.{key}",
                f"not supported: {key} grants everything it does not name, which the "
                "boundary cannot tell from what you meant; list what the service needs in "
                f"{NEGATED[key]}",
            )
        elif key not in STATEMENT_FIELDS:
            c.add(f"{path}.{key}", f"unknown field (known: {', '.join(STATEMENT_FIELDS)})")
    for key in ("Effect", "Action", "Resource"):
        if key not in value and f"Not{key}" not in value:
            c.add(f"{path}.{key}", "required field is missing")
    sid = value.get("Sid", "")
    if not isinstance(sid, str):
        c.add(f"{path}.Sid", f"expected a string, got {kind(sid)}")
    elif not _SID.match(sid):
        c.add(f"{path}.Sid", f"{sid!r} may hold only letters and digits")
    effect = value.get("Effect")
    if "Effect" in value and effect not in EFFECTS:
        shown = repr(effect) if isinstance(effect, str) else kind(effect)
        c.add(f"{path}.Effect", f"{shown} is not one of {', '.join(EFFECTS)}")
    if "Action" in value:
        _names(c, value["Action"], f"{path}.Action", _action_problem, '"s3:GetObject"')
    if "Resource" in value:
        _names(c, value["Resource"], f"{path}.Resource", _resource_problem, '"*"')
    if "Condition" in value:
        _condition(c, value["Condition"], f"{path}.Condition")
    return {str(k): v for k, v in value.items()} if len(c.problems) == failed else None


def _names(c: Checker, value: object, path: str, problem: Any, example: str) -> None:
    """A string or a non-empty array of strings, each checked by `problem`."""
    if isinstance(value, str):
        if message := problem(value):
            c.add(path, message)
        return
    if not isinstance(value, list):
        c.add(path, f"expected a string or an array of strings like {example}, got {kind(value)}")
        return
    if not value:
        noun = "action" if path.endswith("Action") else "resource"
        c.add(path, f"is empty; name at least one {noun}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            c.add(f"{path}[{i}]", f"expected a string, got {kind(item)}")
        elif message := problem(item):
            c.add(f"{path}[{i}]", message)


def _action_problem(action: str) -> str | None:
    if _ACTION.match(action):
        return None
    return (
        f"{action!r} is not an IAM action like s3:GetObject "
        "(service:Action; * and ? match any characters)"
    )


def _resource_problem(resource: str) -> str | None:
    if resource == "*" or _ARN.match(resource):
        return None
    return f'{resource!r} is not an ARN or "*" (like arn:aws:s3:::acme-uploads/*)'


def _condition(c: Checker, value: object, path: str) -> None:
    """{operator: {key: value or [values]}}, values being strings, numbers or booleans."""
    if not isinstance(value, dict):
        c.add(path, f"expected an object of condition operators, got {kind(value)}")
        return
    for operator, keys in value.items():
        where = f"{path}.{operator}"
        if not isinstance(keys, dict):
            c.add(where, f"expected an object of condition keys, got {kind(keys)}")
            continue
        for key, wanted in keys.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or not all(isinstance(v, str | int | float | bool) for v in values):
                c.add(
                    f"{where}.{key}",
                    f"expected a string, number, boolean or an array of them, got {kind(wanted)}",
                )


def read_policy_arns(c: Checker, value: object, path: str) -> tuple[str, ...]:
    """Managed policy ARNs (AWS's or the account's, any partition), each once."""
    if not isinstance(value, list):
        c.add(path, f"expected an array of policy ARNs, got {kind(value)}")
        return ()
    found: list[str] = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(item, str):
            c.add(where, f"expected a string, got {kind(item)}")
        elif not _POLICY_ARN.match(item):
            c.add(
                where,
                f"{item!r} is not a managed policy ARN like "
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            )
        elif item in found:
            c.add(where, f"{item} is listed twice")
        else:
            found.append(item)
    if len(value) > MANAGED_POLICIES_PER_ROLE:
        c.add(
            path,
            f"{len(value)} policies; IAM attaches at most {MANAGED_POLICIES_PER_ROLE} to a role",
        )
    return tuple(found)
