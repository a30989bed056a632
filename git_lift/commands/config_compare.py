"""`git lift config compare ENV_A ENV_B`: per key, same, different or only in one of them,
from keyed digests computed here (flows/config_compare.py); no value is ever shown."""

from __future__ import annotations

import json

from git_lift import ui
from git_lift.errors import UsageError
from git_lift.flows.config_check import sample_keys
from git_lift.flows.config_compare import DIFFERENT, SAME, Comparison, compare
from git_lift.flows.context import Context


def config_compare(ctx: Context, first: str, second: str) -> int:
    """Exit 0 when both hold the same keys with the same values, 1 otherwise (as `config
    diff` and diff(1) do), so a script can gate on it."""
    a, b = ctx.target(first), ctx.target(second)
    if a.env == b.env:
        raise UsageError(
            f"both arguments name {a.env}: compare two environments",
            hint=f"git lift config compare {a.env} OTHER_ENV",
        )
    found = compare(ctx, a, b)
    refuse_unset(ctx, found)
    if ctx.options.output == "json":
        ui.out(json.dumps(found.states, indent=2))
    else:
        width = max((len(key) for key in found.states), default=0)
        for key, state in found.states.items():
            ui.out(f"{key:<{width}}  {state}")
    states = [SAME, DIFFERENT, f"only in {a.env}", f"only in {b.env}"]
    counts = ", ".join(f"{found.count(state)} {state}" for state in states)
    ui.info(f"{a} and {b.env}: {counts} (values compared by a keyed hash, never shown)")
    return 0 if found.alike else 1


def refuse_unset(ctx: Context, found: Comparison) -> None:
    """An environment holding none of the service's keys while env.sample names some is not
    set up: "0 same, 0 different" and exit 0 would pass a script's gate on nothing."""
    if not sample_keys(ctx, ctx.service()):
        return  # a service without config: nothing to compare is what it holds
    held = {
        env: any(s in (SAME, DIFFERENT, f"only in {env}") for s in found.states.values())
        for env in (found.first, found.second)
    }
    unset = [env for env, holds in held.items() if not holds]
    if not unset:
        return
    service = ctx.service().name
    what = " or ".join(unset)
    message = f"{service} has no config in {what} yet"
    if len(unset) == 2:
        message += ": nothing to compare"
    raise ctx.not_set_up(message, ctx.target(unset[0]))
