"""Pinned config: each release's config values, snapshotted into Secrets Manager.

Parameter Store stays where people edit; with `pinConfig` the ship copies the values of the
keys env.sample names, at the versions it checked, into a new version of `lift/<env>/<service>`
(git_lift.aws.secrets) and the task definition names that version, so the release runs exactly
that config, and a rollback brings it back with the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_lift.aws.secrets import LABEL_WINDOW, Pinned, value_from
from git_lift.errors import DeployFailed, LiftError
from git_lift.flows.context import Context

if TYPE_CHECKING:
    from git_lift.aws.secrets import Snapshots
    from git_lift.aws.store import Release
    from git_lift.target import Target


def snapshots_of(ctx: Context, release: Release) -> Snapshots:
    """The snapshots of the service and environment a release was made for."""
    service = ctx.settings.service(release.service)
    return ctx.aws.snapshots(ctx.target(release.env, service))


def read_values(ctx: Context, target: Target, versions: dict[str, int]) -> dict[str, str]:
    """The values a release pins: each key at the version the ship checked."""
    values = ctx.parameters(target).values_at(versions)
    gone = sorted(set(versions) - set(values))
    if gone:
        raise DeployFailed(
            f"config of {target} changed while shipping: {', '.join(gone)}",
            hint=f"ship again: git lift ship -e {target.env}",
        )
    return values


def pin(ctx: Context, target: Target, values: dict[str, str], number: int) -> list[Pinned]:
    """Write release `number`'s snapshot and drop the labels of releases out of the window."""
    store = ctx.aws.snapshots(target)
    parts = store.pin(values, number)
    for part in parts:
        store.prune(part.arn, keep_from=number - LABEL_WINDOW + 1)
    return parts


def references(parts: list[Pinned]) -> dict[str, str]:
    """KEY -> the task definition's valueFrom for it."""
    return {key: value_from(p.arn, key, p.version) for p in parts for key in p.keys}


def relabel(ctx: Context, release: Release, number: int) -> None:
    """A rollback to `release` labels its snapshot with the new release too, so the snapshot
    that runs stays inside the window however many releases ago it was written."""
    store = snapshots_of(ctx, release)
    for arn, version in release.pinned.items():
        store.add_label(arn, version, number)


def require_kept(ctx: Context, release: Release) -> None:
    """Refuse a rollback to a release whose snapshot may be gone (beyond the window)."""
    store = snapshots_of(ctx, release)
    if all(store.kept(arn, version) for arn, version in release.pinned.items()):
        return
    raise DeployFailed(
        f"release {release.number}'s config snapshot is beyond the rollback window (the last "
        f"{LABEL_WINDOW} releases keep theirs), so its tasks might not start",
        hint=f"put its config back, then ship its commit: git lift config restore -e "
        f"{release.env} --release {release.number} && git lift ship -e {release.env} "
        f"--ref {release.commit[:12]}",
    )


def values_of(ctx: Context, release: Release) -> dict[str, str]:
    """The config values a pinned release ran with."""
    if not release.pinned:
        raise LiftError(
            f"release {release.number} of {release.service} in {release.env} did not pin its "
            "config (pinConfig was off), so its values were not kept",
            hint=f"restore keys one by one: git lift config history -e {release.env} KEY, "
            f"then git lift config restore -e {release.env} KEY@VERSION",
        )
    store = snapshots_of(ctx, release)
    values: dict[str, str] = {}
    for arn, version in release.pinned.items():
        values |= store.values(arn, version)
    return values
