"""`git lift ship` and a pushed tag's release: resolve -> ReleasePlan -> show -> confirm ->
execute (build, push, deploy by digest, wait, roll back on failure, record).

The plan is resolved and checked first (commit, environment, config, image source, the
task-definition diff) so that nothing is built or deployed for a ship that cannot succeed,
and a production confirmation is asked only once the plan and its diff are on the screen.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git_lift import ui
from git_lift.errors import UsageError, ValidationError
from git_lift.flows import config_check, gate
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.flows.image import (
    ImageSource,
    build_platform,
    find_image,
    given_image,
    image_tag,
    promoted,
)
from git_lift.flows.release_plan import ReleasePlan
from git_lift.flows.ship_plan import DEFAULT_TIMEOUT, execute, plan_ship, show, what_runs
from git_lift.plan import architecture_of
from git_lift.settings import EnvironmentSettings
from git_lift.target import Target


@dataclass(frozen=True)
class ShipRequest:
    env: str | None = None
    ref: str | None = None
    image: str | None = None
    build_args: tuple[str, ...] = ()
    wait: bool = True
    timeout: float = DEFAULT_TIMEOUT
    allow_dirty: bool = False
    confirmed_by_push: bool = False  # a pushed ref that releases: the push is the confirmation
    skip_gate: str | None = None  # the reason to release without the required environment
    force: bool = False  # release even when nothing changed since the running release


def resolve_environment(
    ctx: Context, requested: str | None, ref: str | None
) -> EnvironmentSettings:
    if requested:
        return ctx.environment(requested)
    full = ctx.repo.full_ref(ref) if ref else ctx.repo.head_ref()
    if full is None:
        raise UsageError(
            "cannot tell the environment of a detached HEAD or a bare commit",
            hint="name it: git lift ship -e staging",
        )
    mapped = ctx.settings.environments_for_ref(full)
    if len(mapped) != 1:
        which = ", ".join(e.name for e in mapped) if mapped else "no environment"
        raise UsageError(f"{full} maps to {which}", hint="name one: git lift ship -e ENV")
    return mapped[0]


def dirty_hash(ctx: Context, allow_dirty: bool, confirm: bool) -> str | None:
    """None for a clean work tree; else, with --allow-dirty, the hash of its diff to HEAD, which
    names the dirty build (`<sha>-dirty-<hash>`)."""
    dirty = ctx.repo.dirty_files()
    if not dirty:
        return None
    listed = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
    if not allow_dirty:
        raise ValidationError(
            f"the work tree has uncommitted changes: {listed}",
            hint="commit or stash them (or --allow-dirty for a test build)",
        )
    if confirm:
        raise ValidationError(
            "a dirty build is never shipped to an environment with confirm",
            hint="commit your changes and ship the commit",
        )
    return hashlib.sha256(ctx.repo.diff_to_head().encode()).hexdigest()[:12]


def parse_build_args(items: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--build-arg {item!r} is not K=V", hint="--build-arg VERSION=1.2")
        pairs[key] = value
    return pairs


def require_pushed(ctx: Context, sha: str, env: str) -> None:
    """Environments with `confirm` run only what the team can see: commits a remote has."""
    if ctx.repo.remote_url() is None:
        raise ValidationError(
            f"this repository has no remote; {env} only runs pushed commits",
            hint="git remote add origin URL && git push -u origin HEAD",
        )
    if not ctx.repo.on_a_remote_branch(sha):
        raise ValidationError(
            f"{sha[:12]} is not on a remote branch; {env} only runs commits pushed to a branch",
            hint="git push origin HEAD, then ship again",
        )


@contextmanager
def commit_files(ctx: Context, sha: str, dirty: str | None) -> Iterator[Path]:
    """The commit's files (not the work tree's), so what ships is exactly what was committed;
    the work tree itself for an --allow-dirty build."""
    if dirty:
        yield ctx.repo.workdir
        return
    with tempfile.TemporaryDirectory(prefix="git-lift-build-") as folder:
        ctx.repo.export_tree(sha, Path(folder) / "tree")
        yield Path(folder) / "tree"


def resolve(ctx: Context, request: ShipRequest, target: Target | None = None) -> ReleasePlan:
    """The plan of a ship; nothing is written. `target`: a branch's preview (previews.py),
    else the service in the environment the request names or its ref maps to."""
    ctx.settings.require_release_policy()
    sha = ctx.repo.resolve(request.ref) if request.ref else ctx.repo.head_sha()
    if target is None:
        service = ctx.service()
        environment = resolve_environment(ctx, request.env, request.ref)
        refuse_preview_environment(environment)
        target = ctx.target(environment.name, service)
    environment = target.environment
    # Images are built from the commit, so uncommitted changes only matter when you ship the
    # commit you are on: refusing them then keeps you from believing they were shipped.
    ships_head = request.ref is None and not request.image
    dirty = dirty_hash(ctx, request.allow_dirty, environment.confirm) if ships_head else None
    if environment.confirm and not request.confirmed_by_push:
        require_pushed(ctx, sha, target.env)
    build_args = parse_build_args(request.build_args)
    gate_skipped = gate.gate(ctx, target, sha, request.skip_gate)
    # A pushed tag whose commit the gate's environment released ships that very image.
    origin = (
        gate.pushed_origin(ctx, target, sha)
        if request.confirmed_by_push and not request.image
        else None
    )
    versions = config_check.require_at_commit(ctx, target, sha)
    if origin is not None:
        ui.info(f"{sha[:12]} ran in {origin.env} as release {origin.number}: promoting its image")
    running = None
    if request.image:
        source = image_given(request.image)
    elif origin is not None:
        source = promoted(ctx, target, given_image(origin.image))
    else:  # built for the architecture the running task definition asks for
        running = what_runs(ctx, target)
        architecture = architecture_of(running[1])
        tag = image_tag(ctx, target, sha, dirty, build_args, architecture)
        source = find_image(ctx, target, tag, build_platform(architecture))
    return plan_ship(
        ctx,
        target,
        sha,
        source,
        versions,
        wait=request.wait,
        timeout=request.timeout,
        build_args=build_args,
        files=lambda: commit_files(ctx, sha, dirty),
        running=running,
        force=request.force,
        dirty=dirty,
        gate_skipped=gate_skipped,
        promoted_from=f"{origin.env}@{origin.number}" if origin else None,
    )


def refuse_preview_environment(environment: EnvironmentSettings) -> None:
    """A preview environment runs branches' previews, which their pushes deploy."""
    if environment.preview is not None:
        raise UsageError(
            f"{environment.name} is a preview environment: a branch's push deploys its own "
            f"preview there, nothing ships to it",
            hint=f"git push origin BRANCH (see: git lift preview list -e {environment.name})",
        )


def image_given(uri: str) -> ImageSource:
    image = given_image(uri)
    return ImageSource("given", image.repository_uri, image.tag, image.digest)


def ship(ctx: Context, request: ShipRequest, target: Target | None = None) -> int:
    plan = resolve(ctx, request, target)
    show(plan)
    if plan.unchanged:  # said by show: no build, no deployment, no release number
        return 0
    target = plan.target
    if target.environment.confirm and not request.confirmed_by_push:
        ui.info(f"About to ship {target.name} {plan.record.commit[:12]} to {target.env}.")
        confirm(
            ctx,
            target.env,
            typed=True,
            what=f"shipping to {target.env}",
            refused="nothing was deployed",
        )
    return execute(ctx, plan)
