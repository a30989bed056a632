"""Several services of one repository released at once: a pushed release ref over a monorepo
(the pre-push hook) and `git lift ship --all`; and, for `status --all`, whether a commit has
something to release.

Each service's plan is made first, all at once (they only read): one that cannot be made
stops them all before anything is built. A service whose plan changes nothing (its image, task
definition and config are those of the release it runs: ship_plan.nothing_changed) is
skipped, with why. The others are confirmed once, then released at most PARALLEL at a time,
each as `ship` releases one (its own lock, record and tag).

An interrupt during the releases reaches this process's main thread only (Python runs
signal handlers there): the releases under way finish and are recorded, as `ship` finishes
its recording first; no other starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from git_lift import ui
from git_lift.errors import OK, LiftError, UsageError
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context, in_parallel
from git_lift.flows.release_plan import ReleasePlan
from git_lift.flows.ship_plan import execute, show
from git_lift.flows.shipping import ShipRequest, resolve
from git_lift.names import plural
from git_lift.settings import ServiceSettings
from git_lift.target import Target

PARALLEL = 4  # releases at once: each builds (CPU and disk) and waits on ECS
T = TypeVar("T")


@dataclass(frozen=True)
class Planned:
    ctx: Context  # on this service
    service: str
    plan: ReleasePlan | None = None
    error: LiftError | None = None


@dataclass
class Shipped:
    """What a release of several services did."""

    released: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # nothing to release
    failed: list[str] = field(default_factory=list)
    code: int = OK


def plan_each(
    ctx: Context, request: ShipRequest, services: Sequence[ServiceSettings]
) -> list[Planned]:
    """Every service's plan (or why it could not be made), in parallel: they only read."""

    def plan(service: ServiceSettings) -> Planned:
        one = ctx.on_service(service.name, answered=request.confirmed_by_push)
        try:
            return Planned(one, service.name, plan=resolve(one, request))
        except LiftError as exc:
            return Planned(one, service.name, error=exc)

    return in_parallel(list(services), plan)


def ship_services(
    ctx: Context, request: ShipRequest, services: Sequence[ServiceSettings]
) -> Shipped:
    """Plan every service, skip those with nothing to release, confirm once, release the
    others PARALLEL at a time."""
    if request.image:
        raise UsageError(
            "--image names one service's image, not every service's",
            hint="ship that service alone: git lift ship -s NAME --image URI",
        )
    planned = plan_each(ctx, request, services)
    for one in planned:
        if one.plan is not None:
            show(one.plan)
    unplanned = [(one, one.error) for one in planned if one.error is not None]
    if unplanned:
        for one, error in unplanned:
            ui.error(f"{one.service}: {error.message}", hint=error.hint)
        names = [one.service for one, _ in unplanned]
        ui.error(f"nothing was released: {', '.join(names)} cannot be released (see above)")
        return Shipped(failed=names, code=unplanned[0][1].exit_code)
    ready = [one for one in planned if one.plan is not None and not one.plan.unchanged]
    done = Shipped(skipped=[one.service for one in planned if one not in ready])
    if not ready:
        ui.info(f"nothing to release: {_listed(done.skipped)} unchanged")
        return done
    first = ready[0].plan
    assert first is not None
    environment = first.target.environment
    if environment.confirm and not request.confirmed_by_push:
        ui.info(f"About to ship {_listed([one.service for one in ready])} to {environment.name}.")
        confirm(
            ctx,
            environment.name,
            typed=True,
            what=f"shipping to {environment.name}",
            refused="nothing was deployed",
        )
    return release_all(ready, done)


def release_all(ready: Sequence[Planned], done: Shipped) -> Shipped:
    """Execute the plans, PARALLEL at a time; the first failure's exit code is the result's."""
    if done.skipped:
        ui.info(
            f"releasing {_listed([p.service for p in ready])}; nothing to release: "
            f"{_listed(done.skipped)}"
        )
    outcomes = bounded(ready, _release_one)
    for one, code in zip(ready, outcomes, strict=True):
        (done.released if code == OK else done.failed).append(one.service)
        if code != OK and done.code == OK:
            done.code = code
    if done.failed:
        ui.error(
            f"{plural(len(done.failed), 'release')} failed: {', '.join(done.failed)}"
            + (f"; released: {', '.join(done.released)}" if done.released else "")
        )
    return done


def _release_one(one: Planned) -> int:
    assert one.plan is not None
    try:
        return execute(one.ctx, one.plan)
    except LiftError as exc:
        ui.error(f"{one.service}: {exc.message}", hint=exc.hint)
        return exc.exit_code


def bounded(items: Sequence[T], work: Callable[[T], int]) -> list[int]:
    """`work` on each item, PARALLEL at a time, in order. An interrupt (main thread) lets the
    ones started finish, and starts no other."""
    if len(items) == 1:
        return [work(items[0])]
    pool = ThreadPoolExecutor(max_workers=PARALLEL)
    futures: list[Future[int]] = [pool.submit(work, item) for item in items]
    try:
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        started = sum(1 for future in futures if future.running() or future.done())
        ui.warn(
            f"interrupted: the {plural(started, 'release')} under way finish and are recorded; "
            "no other starts"
        )
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names) or "none"


def pending(ctx: Context, target: Target) -> str:
    """Whether HEAD has something to release for `target`, said in a few words, as `git lift
    ship --ref HEAD` would decide it (nothing is built or written)."""
    one = ctx.on_service(target.name, answered=True)
    try:
        sha = one.repo.head_sha()
        plan = resolve(one, ShipRequest(env=target.env, ref=sha))
    except LiftError as exc:
        return f"cannot be released: {exc.message}"
    head = f"HEAD {sha[:12]}: "
    if plan.unchanged:
        return head + "nothing to release"
    what: list[str] = []
    for _, text in plan.changes:
        line = text.strip()
        if line.startswith("->"):
            continue
        what.append("a new image" if " image " in line else line)
    return head + "something to release: " + "; ".join(dict.fromkeys(what))
