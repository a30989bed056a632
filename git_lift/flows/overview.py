"""What the dashboard shows: each service in each environment as `status` reads it, the
releases `history` lists (all of them, across environments), and the commits between
environments in promotion order. Names, versions and commits only: no value is ever read."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from git_lift.aws.store import Release
from git_lift.errors import LiftError, NotSetUp
from git_lift.flows import release_history
from git_lift.flows.context import Context, in_parallel
from git_lift.flows.release_history import drift, headline, what_runs
from git_lift.flows.service_state import running_container
from git_lift.settings import EnvironmentSettings
from git_lift.target import Target

RELEASES_READ = 20  # per service and environment: what `status` reads, one Query each
TIMELINE = 40  # releases on the timeline, newest first across every environment


@dataclass(frozen=True)
class Cell:
    """One service in one environment: what runs there, or why that is not known."""

    env: str
    service: str
    release: Release | None = None  # the release that runs (status's headline)
    subject: str | None = None
    running: int | None = None
    desired: int | None = None
    rollout: str | None = None
    drift: list[str] = field(default_factory=list)  # +KEY -KEY ~KEY, names only
    mismatch: str | None = None  # ECS runs another image than the release's
    attempt: Release | None = None  # a newer release that did not complete (failed...)
    missing: str | None = None  # never set up: what is missing
    set_up_by: str | None = None  # and the command that creates it
    error: str | None = None  # could not be read


@dataclass(frozen=True)
class Entry:
    """A release on the timeline."""

    release: Release
    subject: str | None


@dataclass(frozen=True)
class Gap:
    """For one service, what `later` (promoted to from `earlier`) lacks of `earlier`'s release,
    and what it runs that `earlier` does not (a hotfix); `note` when they cannot be compared."""

    service: str
    earlier: str
    later: str
    to_promote: list[str] = field(default_factory=list)  # `git log --oneline` lines
    only_later: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class Overview:
    repository: str
    environments: list[str]  # in promotion order
    services: list[str]
    cells: dict[tuple[str, str], Cell]  # (service, env) -> what runs
    timeline: list[Entry]
    gaps: list[Gap]
    generated_at: float


def promotion_order(environments: dict[str, EnvironmentSettings]) -> list[str]:
    """Environments in the order releases travel: after the one each `requires`; otherwise
    those without `confirm` first, then by name (staging before production)."""

    def depth(name: str, seen: frozenset[str] = frozenset()) -> int:
        before = environments[name].requires
        if before is None or before not in environments or before in seen:
            return 0
        return depth(before, seen | {name}) + 1

    return sorted(environments, key=lambda n: (depth(n), environments[n].confirm, n))


def pairs(environments: dict[str, EnvironmentSettings], order: list[str]) -> list[tuple[str, str]]:
    """(earlier, later): each environment after the first, with the one it `requires`, else
    the one before it in promotion order."""
    found = []
    for index, name in enumerate(order[1:], 1):
        before = environments[name].requires
        found.append((before if before in order else order[index - 1], name))
    return found


def overview(ctx: Context, envs: tuple[str, ...] = ()) -> Overview:
    """Everything on the page, each record, service and listing read once."""
    services = ctx.services(ctx.options.service is None)
    every = ctx.settings.environments
    chosen = {ctx.environment(e).name for e in envs} or set(every)
    order = [name for name in promotion_order(every) if name in chosen]
    targets = [ctx.target(env, service) for service in services for env in order]
    read = in_parallel(targets, lambda target: cell_of(ctx, target))
    subjects = Subjects(ctx)
    cells = {}
    for (cell, _), target in zip(read, targets, strict=True):
        cells[(target.name, target.env)] = cell_with_subject(cell, subjects)
    releases = [r for _, history in read for r in history]
    releases.sort(key=lambda r: r.deployed_at, reverse=True)
    timeline = [Entry(r, subjects.of(r.commit)) for r in releases[:TIMELINE]]
    chosen_pairs = pairs({n: every[n] for n in order}, order)
    gaps = [
        gap(ctx, service.path, cells[(service.name, a)], cells[(service.name, b)], subjects)
        for service in services
        for a, b in chosen_pairs
    ]
    return Overview(
        repository=ctx.repo.workdir.name,
        environments=order,
        services=[s.name for s in services],
        cells=cells,
        timeline=timeline,
        gaps=gaps,
        generated_at=time.time(),
    )


def cell_of(ctx: Context, target: Target) -> tuple[Cell, list[Release]]:
    """What `status` reads of one service in one environment (its releases, the ECS service
    and its task definition, the parameter names), without jobs or rotation."""
    env, service = target.env, target.name
    try:
        releases = release_history.releases(ctx, target, limit=RELEASES_READ)
        state, container = running_container(ctx, target)
        names = ctx.parameter_names(target)
    except NotSetUp as exc:  # a state, as `status` says it, with the command that ends it
        fix = exc.fix or ctx.setup_command(target)
        return Cell(env, service, missing=exc.message, set_up_by=fix), []
    except LiftError as exc:
        return Cell(env, service, error=exc.message), []
    image = str(container["image"]) if container.get("image") else None
    latest, _ = headline(releases, state, image)
    cell = Cell(
        env,
        service,
        release=latest,
        running=state.running,
        desired=state.desired,
        rollout=state.primary.rollout_state if state.primary else None,
        drift=drift(latest.config_versions, names) if latest else [],
        mismatch=what_runs(releases, latest, image),
        attempt=releases[0] if releases and releases[0] is not latest else None,
    )
    return cell, releases


class Subjects:
    """Commit subjects, each asked of git once (a commit runs in several environments)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.known: dict[str, str | None] = {}

    def of(self, commit: str) -> str | None:
        if commit not in self.known:
            self.known[commit] = self.ctx.repo.subject(commit)
        return self.known[commit]


def cell_with_subject(cell: Cell, subjects: Subjects) -> Cell:
    if cell.release is None:
        return cell
    return replace(cell, subject=subjects.of(cell.release.commit))


LACKS = {"error": "could not be read", "missing": "not set up", "": "no release yet"}


def unread(cell: Cell) -> str:
    return "error" if cell.error else "missing" if cell.missing else ""


def gap(ctx: Context, path: str, earlier: Cell, later: Cell, subjects: Subjects) -> Gap:
    """The commits between two environments' running releases, touching the service only."""
    found = Gap(later.service, earlier.env, later.env)
    a, b = earlier.release, later.release
    if a is None or b is None:
        bare = earlier if a is None else later
        return replace(found, note=f"{bare.env}: {LACKS[unread(bare)]}")
    lacking = [r.commit[:12] for r in (a, b) if subjects.of(r.commit) is None]
    if lacking:  # git log of a commit this clone lacks would list nothing, as if in step
        note = f"{', '.join(lacking)} not in this clone (git fetch --tags origin)"
        return replace(found, note=note)
    return replace(
        found,
        to_promote=release_history.commits_between(ctx, b.commit, a.commit, path),
        only_later=release_history.commits_between(ctx, a.commit, b.commit, path),
    )
