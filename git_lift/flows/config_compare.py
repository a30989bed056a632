"""`git lift config compare A B`: which keys two environments hold alike, without showing or
keeping a value.

Each environment's values are read with its own credentials (per-environment AWS), in
parallel, and each value is replaced at once by an HMAC-SHA256 under a key drawn for this run
only (`secrets.token_bytes`), so equal values give equal digests within the run and nothing
about a value outlives it: no digest is printed, stored or comparable across runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from git_lift.flows.context import Context, in_parallel

if TYPE_CHECKING:
    from git_lift.aws.ssm import ParameterStore
    from git_lift.target import Target

SAME, DIFFERENT = "same", "different"
KEY_BYTES = 32  # as long as SHA-256's block needs a key to be (RFC 2104: at least L=32 bytes)


@dataclass(frozen=True)
class Comparison:
    first: str
    second: str
    states: dict[str, str]  # KEY -> same | different | only in <env>

    @property
    def alike(self) -> bool:
        return all(state == SAME for state in self.states.values())

    def count(self, state: str) -> int:
        return sum(1 for found in self.states.values() if found == state)


def digests(store: ParameterStore, key: bytes) -> dict[str, bytes]:
    """Each key's keyed digest: the values are read (ceil(N/10) GetParametersByPath, the fewest
    requests that decrypt N parameters) and dropped as they are digested."""
    return {
        name: hmac.new(key, found.value.encode(), hashlib.sha256).digest()
        for name, found in store.read().items()
    }


def compare(ctx: Context, first: Target, second: Target) -> Comparison:
    key = secrets.token_bytes(KEY_BYTES)
    stores = [ctx.parameters(first), ctx.parameters(second)]  # clients built before threads
    a, b = in_parallel(stores, lambda store: digests(store, key))
    states: dict[str, str] = {}
    for name in sorted(set(a) | set(b)):
        if name not in b:
            states[name] = f"only in {first.env}"
        elif name not in a:
            states[name] = f"only in {second.env}"
        else:
            states[name] = SAME if hmac.compare_digest(a[name], b[name]) else DIFFERENT
    return Comparison(first.env, second.env, states)
