"""`git lift promote`: one environment's release, shipped to the next.

Promotion ships exactly the image digest a release ran (and, with pinned config, the values of
the keys that commit's env.sample names, as the target environment holds them), through the
target's release gate (flows/gate.py).
"""

from __future__ import annotations

from git_lift import ui
from git_lift.errors import UsageError
from git_lift.flows.config_check import require_at_commit
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.flows.gate import gate
from git_lift.flows.image import given_image, promoted
from git_lift.flows.release_history import release_of
from git_lift.flows.ship_plan import execute, plan_ship, show


def promote(
    ctx: Context,
    source: str,
    to: str,
    number: int | None,
    timeout: float,
    wait: bool = True,
    force: bool = False,
    skip: str | None = None,
) -> int:
    """Plan the release of `source`'s image to `to`, show it, confirm, execute."""
    ctx.settings.require_release_policy()
    service = ctx.service()
    origin_target, target = ctx.target(source, service), ctx.target(to, service)
    if target.env == origin_target.env:
        raise UsageError("--from and --to name the same environment", hint="git lift promote -h")
    origin = release_of(ctx, origin_target, number)
    gate_skipped = gate(ctx, target, origin.commit, skip)
    versions = require_at_commit(ctx, target, origin.commit, "nothing was promoted")
    plan = plan_ship(
        ctx,
        target,
        origin.commit,
        promoted(ctx, target, given_image(origin.image)),
        versions,
        wait=wait,
        timeout=timeout,
        force=force,
        promoted_from=f"{origin_target.env}@{origin.number}",
        gate_skipped=gate_skipped,
    )
    show(plan)
    if plan.unchanged:  # said by show: that image already runs there, as that release
        return 0
    ui.info(
        f"About to promote {service.name} release {origin.number} of {origin_target.env} "
        f"({origin.commit[:12]}, {origin.image}) to {target.env}."
    )
    if target.environment.confirm:
        confirm(
            ctx,
            target.env,
            typed=True,
            what=f"promoting to {target.env}",
            refused="nothing was deployed",
        )
    return execute(ctx, plan)  # given by digest: nothing to build
