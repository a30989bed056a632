"""What a request is allowed: IAM's policy evaluation, for the operators git lift's policies
use (one statement allows, none denies), for the IAM tests."""

from __future__ import annotations

import fnmatch
from typing import Any


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _holds(operator: str, key: str, wanted: Any, context: dict[str, Any]) -> bool:
    if operator == "Null":
        return (key not in context) == (str(wanted).lower() == "true")
    if key not in context:
        # ForAllValues and ...IfExists hold on an absent key; every other operator fails.
        return operator.startswith("ForAllValues:") or operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    match = fnmatch.fnmatchcase if operator.endswith("Like") else str.__eq__
    found = _values(context[key])
    if operator.startswith("ForAllValues:"):
        return all(any(match(v, w) for w in _values(wanted)) for v in found)
    negated = "Not" in operator
    hit = any(match(v, w) for v in found for w in _values(wanted))
    return hit != negated


def _applies(statement: dict[str, Any], action: str, arn: str, context: dict[str, Any]) -> bool:
    resources = _values(statement["Resource"])
    if "NotAction" in statement:  # every action but those named
        named = not any(fnmatch.fnmatchcase(action, a) for a in _values(statement["NotAction"]))
    else:
        named = any(fnmatch.fnmatchcase(action, a) for a in _values(statement["Action"]))
    return (
        named
        and any(fnmatch.fnmatchcase(arn, r) for r in resources)
        and all(
            _holds(operator, key, wanted, context)
            for operator, keys in statement.get("Condition", {}).items()
            for key, wanted in keys.items()
        )
    )


def permits(document: dict[str, Any], action: str, arn: str, **context: Any) -> bool:
    """Allowed by one statement and denied by none (condition keys as IAM names them)."""
    context = {k.replace("__", "/").replace("_", ":", 1): v for k, v in context.items()}
    applying = [s for s in document["Statement"] if _applies(s, action, arn, context)]
    return any(s["Effect"] == "Allow" for s in applying) and not any(
        s["Effect"] == "Deny" for s in applying
    )
