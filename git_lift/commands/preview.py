"""`git lift preview list|delete|prune`: the branches' previews in a preview environment
(issue 23; flows/previews.py makes and deletes them)."""

from __future__ import annotations

import json

from git_lift import names, ui
from git_lift.errors import OK, UsageError
from git_lift.flows import previews as flow
from git_lift.flows.context import Context


def list_previews(ctx: Context, env: str | None) -> int:
    rows = [row for chosen in flow.environments(ctx, env) for row in flow.summary(ctx, chosen)]
    if ctx.options.output == "json":
        ui.out(json.dumps(rows, indent=2))
        return OK
    if not rows:
        ui.info("no previews")
        return OK
    for row in rows:
        ui.out(
            f"{row['environment']}  {row['preview']}  {row['branch']}  {row['commit'] or '-'}  "
            f"{row['url'] or '-'}  age {row['age'] or '-'}  deployed {row['last_deploy'] or '-'}"
        )
    return OK


def delete(ctx: Context, env: str | None, branch: str) -> int:
    deleted: list[str] = []
    for chosen in flow.environments(ctx, env):
        deleted += flow.delete_branch(ctx, chosen, branch)
    if not deleted:
        raise UsageError(
            f"{branch} has no preview",
            hint="see which branches have: git lift preview list",
        )
    return OK


def prune(ctx: Context, env: str | None, dry_run: bool) -> int:
    pruned = 0
    for chosen in flow.environments(ctx, env):
        for found, why in flow.stale(ctx, chosen):
            ui.info(f"{found.target.name} ({found.shown_branch}): {why}")
            if not dry_run:
                flow.delete(ctx, found.target)
            pruned += 1
    verb = "would delete" if dry_run else "deleted"
    ui.info(f"preview prune: {verb} {names.plural(pruned, 'preview')}")
    return OK
