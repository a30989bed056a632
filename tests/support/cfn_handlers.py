"""What CloudFormation's handlers of a resource type may call: its registry schema's
`handlers.*.permissions`, as cfn-lint ships them, for the tests of the rights a stack needs."""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path

# CloudFormation's handler verbs a stack change uses ("list" is resource discovery).
HANDLERS = ("create", "read", "update", "delete")


@cache
def handler_actions(resource_type: str, region: str = "eu-west-1") -> frozenset[str]:
    """The actions CloudFormation's handlers of `resource_type` may call (its registry schema)."""
    # cfn-lint's data folder, found without importing cfn-lint (sympy and networkx: half a
    # second of each worker's start).
    spec = find_spec("cfnlint")
    assert spec is not None and spec.origin is not None, "cfn-lint is a test extra"
    schemas = Path(spec.origin).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / f"{region}.json").read_text())
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    handlers = schema["handlers"]
    return frozenset(a for verb in HANDLERS for a in handlers.get(verb, {}).get("permissions", []))
