"""Release gates: a gate (`requires = staging`) refuses a
release of a commit the required environment has not released, and a freeze window
(`freeze = "Fri 16:00-Mon 08:00 Europe/Paris"`, freeze.py) refuses any release while it lasts,
unless `--skip-gate REASON`, which the release records (`Gate-Skipped:`). Shared by `ship`,
`promote` and a pushed tag; a rollback passes no gate (it is how a frozen environment is
mended).
"""

from __future__ import annotations

from git_lift import freeze, ui
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
    if required is None and not environment.freeze:
        if skip is not None:
            raise UsageError(
                f"{environment.name} has no gate to skip", hint="leave out --skip-gate"
            )
        return None
    if skip is not None and not skip.strip():
        raise UsageError("--skip-gate needs a reason", hint='--skip-gate "hotfix for #123"')
    refusals = [
        *frozen(ctx, target, sha),
        *([] if required is None else unreleased(ctx, target, required, sha)),
    ]
    if not refusals:
        return None
    if skip is not None:
        for why, _, _ in refusals:
            ui.warn(f"skipping the gate of {environment.name} ({why}): {skip}")
        return skip
    _, message, hint = refusals[0]
    raise ValidationError(message, hint=hint)


Refusal = tuple[str, str, str]  # why in short, the error, its hint


def frozen(ctx: Context, target: Target, sha: str) -> list[Refusal]:
    """The freeze window the environment is in now, as a refusal."""
    environment = target.environment
    window = freeze.current(environment.freeze, freeze.at(ctx.aws.wall_clock()))
    if window is None:
        return []
    return [
        (
            f"frozen until {window.until()}",
            f"{environment.name} is frozen until {window.until()} (freeze = {window.text})",
            "release after the window, or record why now with --skip-gate REASON "
            f"(git lift ship -e {environment.name} --ref {sha[:12]} --skip-gate REASON)",
        )
    ]


def unreleased(ctx: Context, target: Target, required: str, sha: str) -> list[Refusal]:
    """`sha` has no release in the environment `required`, as a refusal."""
    if release_of_commit(ctx, ctx.target(required, target.service), sha) is not None:
        return []
    return [
        (
            f"{required} first",
            f"{sha[:12]} has no successful release in {required}, which "
            f"{target.environment.name} requires",
            f"release it there first: git lift ship -e {required} --ref {sha[:12]} "
            f"(or record why not: --skip-gate REASON)",
        )
    ]
