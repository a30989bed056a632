"""A service's release history in one environment, as the table records it: what `history`,
`status`, `diff` and `config` read about past releases, and which of them runs now
(running_release: release-config, ship's plan, status and the rotation notice ask it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from git_lift.aws.store import Release
from git_lift.errors import ValidationError
from git_lift.flows.context import Context
from git_lift.target import Target

if TYPE_CHECKING:
    from git_lift.aws.ecs import ServiceState


def releases(ctx: Context, target: Target, limit: int = 50) -> list[Release]:
    """The target's releases, newest first, successful or not."""
    return ctx.aws.table(target.env).releases(target, limit=limit)


def released(ctx: Context, target: Target) -> list[Release]:
    """Successful releases, newest first."""
    return [r for r in releases(ctx, target, limit=100) if r.released]


def release_of(ctx: Context, target: Target, number: int | None) -> Release:
    """Release `number` (the newest when None) of the target, which must have run."""
    match = next((r for r in released(ctx, target) if number is None or r.number == number), None)
    if match is None:
        which = f"release {number}" if number is not None else "release yet"
        raise ValidationError(
            f"{target.name} has no successful {which} in {target.env}",
            hint=f"list them: git lift history -e {target.env}",
        )
    return match


def task_definition_of(ctx: Context, target: Target, release: Release) -> dict[str, Any]:
    """The task definition the release ran (ECS keeps it after it is replaced)."""
    return ctx.aws.ecs(target).task_definition(release.task_definition)


def service_config_ran(ctx: Context, target: Target, release: Release) -> int | None:
    """The service config version saved last before the release: the one it ran with."""
    documents = ctx.aws.table(target.env).service_documents(target)  # newest first
    return next((d.version for d in documents if d.saved_at <= release.deployed_at), None)


def fetch_release_commit(ctx: Context, target: Target, spec: str, release: Release) -> None:
    """The release's commit in this clone, fetched when a shallow clone lacks it."""
    if ctx.repo.fetch_commit(release.commit):
        return
    tag = target.release_tag(release.number)
    raise ValidationError(
        f"{spec} ran commit {release.commit[:12]}, which is not in this clone and could not "
        "be fetched from origin",
        hint=f"fetch it (git fetch origin {release.commit}), or push its tag from the clone "
        f"that released it: git push origin {tag}",
    )


def sample_names_at(ctx: Context, sha: str, path: str) -> set[str]:
    """env.sample's key names at a commit (values are examples, but names are what differ)."""
    text = ctx.repo.read_file_at(sha, path) or ""
    return {
        line.split("=", 1)[0].strip()
        for line in text.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }


def commits_between(ctx: Context, a: str, b: str, path: str) -> list[str]:
    """One line per commit that `b` has and `a` lacks, touching the service's folder only
    (the whole repository for a service at its top)."""
    folder = () if path == "." else (path,)
    return ctx.repo.oneline_log(a, b, folder)


def digest(image: str | None) -> str:
    return (image or "").rpartition("@")[2]


def what_runs(releases: list[Release], latest: Release | None, image: str | None) -> str | None:
    """None when ECS runs the newest release's image; else what it runs, said plainly."""
    if image is None or (latest is not None and digest(latest.image) == digest(image)):
        return None
    match = next((r for r in releases if digest(r.image) == digest(image)), None)
    if match is not None:
        newest = f"release {latest.number}'s" if latest else "any release's"
        return f"running release {match.number}'s image ({match.outcome}), not {newest}: {image}"
    return f"running an image no release recorded: {image}" if releases else None


@dataclass(frozen=True)
class Running:
    """The release a service runs, and since when its tasks run as they do."""

    release: Release
    # When the running tasks started, and so read their secrets: the release's time, or the
    # start of the deployment a stack update made since (`edited`).
    since: float
    # A stack update (`service edit`: cpu, environment...) registered the revision that runs
    # after the release, with the release's image: still that release, changed.
    edited: bool = False


def family_revision(arn: str) -> tuple[str, int]:
    """A task definition ARN's family and revision (arn:...:task-definition/FAMILY:N)."""
    family, _, number = arn.rpartition("/")[2].rpartition(":")
    return family, int(number) if number.isdigit() else 0


def running_release(
    releases: Sequence[Release], state: ServiceState, image: str | None
) -> Running | None:
    """The release the service runs, newest first `releases`, `image` its running container's:
    the one decision release-config, status and the rotation notice share. The newest record
    whose revision runs; else the newest successful one, when what runs is a later revision
    of its family with its image: the service stack's, which keeps the release's image in
    what it registers (templates/kept_revisions.py, flows/service_stack.py). Its tasks started
    with the deployments ECS still runs, the oldest's createdAt (botocore's ecs model:
    Deployment.createdAt, "when the service deployment was created"; an ACTIVE one "still has
    running tasks"). None: no record runs."""
    own = next((r for r in releases if r.task_definition == state.task_definition), None)
    if own is not None:
        return Running(own, own.deployed_at)
    newest = next((r for r in releases if r.released), None)
    if newest is None or image is None or digest(newest.image) != digest(image):
        return None
    family, revision = family_revision(state.task_definition)
    released_family, released_revision = family_revision(newest.task_definition)
    if released_family != family or released_revision >= revision:
        return None  # another family, or an older revision: not a stack update since
    started = min((d.created_at for d in state.deployments if d.created_at), default=0.0)
    return Running(newest, max(newest.deployed_at, started), edited=True)


def headline(
    releases: list[Release], state: ServiceState, image: str | None
) -> tuple[Release | None, Running | None]:
    """The release `status` heads its row with, and what running_release says runs: the
    newest that completed, unless what runs is a newer one shipped without waiting
    (`--no-wait`, recorded unverified). The second is None when it is not the first (ECS runs
    another release, said as a mismatch)."""
    latest = next((r for r in releases if r.released), None)
    now = running_release(releases, state, image)
    if now is None:
        return latest, None
    newer = latest is None or releases.index(now.release) < releases.index(latest)
    if now.release is latest or (newer and now.release.outcome == "unverified"):
        return now.release, now
    return latest, None


def drift(recorded: dict[str, int], now: dict[str, int]) -> list[str]:
    """Keys added, removed or changed in Parameter Store since the release ran."""
    changed = [f"~{k}" for k in sorted(recorded) if k in now and now[k] != recorded[k]]
    added = [f"+{k}" for k in sorted(set(now) - set(recorded))]
    removed = [f"-{k}" for k in sorted(set(recorded) - set(now))]
    return changed + added + removed


def config_drift(
    ctx: Context, target: Target, release: Release, names: dict[str, int], now: Running | None
) -> list[str]:
    """drift() as the running tasks see it (`now`: running_release's answer for `release`).
    Tasks a stack update started (`edited`; its revision names Parameter Store, pinned or not:
    flows/service_stack.secrets) read each key's version current then: a key last modified
    before they started is no drift. One DescribeParameters more (its LastModifiedDate), only
    then, and only when there is drift to check; a preview (its base's keys too) as before."""
    found = drift(release.config_versions, names)
    if not found or now is None or not now.edited or target.base is not None:
        return found
    listed = ctx.parameters(target).listing()
    read = {
        key: item.version
        for key, item in listed.items()
        if key in release.config_versions
        and item.modified is not None
        and item.modified.timestamp() <= now.since
    }
    return drift({**release.config_versions, **read}, names)


def undeployed(ctx: Context, target: Target, commit: str) -> int | None:
    """Commits on the environment's branch that its running release does not have."""
    for pattern in target.environment.refs:
        if "*" in pattern or not pattern.startswith("refs/heads/"):
            continue
        count = ctx.repo.commits_between(commit, pattern)
        if count is not None:
            return count
    return None
