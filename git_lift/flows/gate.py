"""Release gates: a gate (`requires = staging`) refuses a
release of a commit the required environment has not released, unless `--skip-gate REASON`,
which the release records (`Gate-Skipped:`). Shared by `ship`, `promote` and a pushed tag.
"""

from __future__ import annotations

from git_lift import ui
from git_lift.aws.store import Release
from git_lift.errors import UsageError, ValidationError
from git_lift.flows.context import Context
from git_lift.flows.release_history import released
from git_lift.target import Target


def release_of_commit(ctx: Context, target: Target, sha: str) -> Release | None:
    return next((r for r in released(ctx, target) if r.commit == sha and not r.dirty), None)


def pushed_origin(ctx: Context, target: Target, sha: str) -> Release | None:
    """For a pushed tag: the release of its commit in the environment before this one (the
    gate's, else staging), whose image the push then promotes instead of building."""
    environment = target.environment
    source = environment.requires or ("staging" if "staging" in ctx.settings.environments else None)
    if source is None or source == environment.name:
        return None
    return release_of_commit(ctx, ctx.target(source, target.service), sha)


def gate(ctx: Context, target: Target, sha: str, skip: str | None) -> str | None:
    """Pass (None), refuse, or let through with the reason given to --skip-gate."""
    environment = target.environment
    required = environment.requires
    if required is None:
        if skip is not None:
            raise UsageError(
                f"{environment.name} has no gate to skip", hint="leave out --skip-gate"
            )
        return None
    if release_of_commit(ctx, ctx.target(required, target.service), sha) is not None:
        return None
    if skip is not None:
        if not skip.strip():
            raise UsageError("--skip-gate needs a reason", hint='--skip-gate "hotfix for #123"')
        ui.warn(f"skipping the gate of {environment.name} ({required} first): {skip}")
        return skip
    raise ValidationError(
        f"{sha[:12]} has no successful release in {required}, which {environment.name} requires",
        hint=f"release it there first: git lift ship -e {required} --ref {sha[:12]} "
        f"(or record why not: --skip-gate REASON)",
    )
