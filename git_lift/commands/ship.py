"""`git lift ship`: build, push, deploy by digest, wait, roll back on failure, record.

A plan is resolved and checked first (commit, environment, config) so that nothing is built
or deployed for a ship that cannot succeed.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git_lift import ui
from git_lift.commands import config as config_command
from git_lift.commands.confirmation import confirm
from git_lift.commands.context import Context
from git_lift.commands.image import Image, ensure_image, given_image
from git_lift.errors import UsageError, ValidationError
from git_lift.settings import EnvironmentSettings, ServiceSettings

DEFAULT_TIMEOUT = 15 * 60


@dataclass(frozen=True)
class ShipRequest:
    env: str | None = None
    ref: str | None = None
    image: str | None = None
    build_args: tuple[str, ...] = ()
    wait: bool = True
    timeout: float = DEFAULT_TIMEOUT
    allow_dirty: bool = False
    from_hook: bool = False
    skip_gate: str | None = None  # the reason to release without the required environment


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


def image_tag(ctx: Context, sha: str, allow_dirty: bool, confirm: bool) -> str:
    dirty = ctx.repo.dirty_files()
    if not dirty:
        return sha
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
    digest = hashlib.sha256(ctx.repo.git("diff", "HEAD").stdout.encode()).hexdigest()[:12]
    return f"{sha}-dirty-{digest}"


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
    remotes = ctx.repo.git("branch", "-r", "--contains", sha, check=False).stdout.strip()
    if not remotes:
        raise ValidationError(
            f"{sha[:12]} is not on the remote; {env} only runs pushed commits",
            hint="git push, then ship again",
        )


def check_config(ctx: Context, service: ServiceSettings, env: str, sha: str) -> dict[str, int]:
    """env.sample at the commit against the store (names only); returns parameter versions."""
    text = ctx.repo.read_file_at(sha, service.env_sample) or ""
    keys = config_command.sample_keys_from_text(service, text)
    return config_command.require_keys(ctx, service.name, env, keys, "nothing was built")


@contextmanager
def commit_files(ctx: Context, sha: str, tag: str) -> Iterator[Path]:
    """The commit's files (not the work tree's), so what ships is exactly what was committed;
    the work tree itself for an --allow-dirty build."""
    if "-dirty-" in tag:
        yield ctx.repo.workdir
        return
    with tempfile.TemporaryDirectory(prefix="git-lift-build-") as folder:
        ctx.repo.export_tree(sha, Path(folder) / "tree")
        yield Path(folder) / "tree"


def ship(ctx: Context, request: ShipRequest) -> int:
    service = ctx.service()
    sha = ctx.repo.resolve(request.ref) if request.ref else ctx.repo.head_sha()
    environment = resolve_environment(ctx, request.env, request.ref)
    env = environment.name
    # Images are built from the commit, so uncommitted changes only matter when you ship the
    # commit you are on: refusing them then keeps you from believing they were shipped.
    ships_head = request.ref is None and not request.image
    tag = image_tag(ctx, sha, request.allow_dirty, environment.confirm) if ships_head else sha
    if environment.confirm and not request.from_hook:
        require_pushed(ctx, sha, env)
    build_args = parse_build_args(request.build_args)
    from git_lift.commands import promote

    gate_skipped = promote.gate(ctx, environment, service.name, sha, request.skip_gate)
    # A pushed tag whose commit the gate's environment released ships that very image.
    origin = (
        promote.pushed_origin(ctx, environment, service.name, sha)
        if request.from_hook and not request.image
        else None
    )
    versions = check_config(ctx, service, env, sha)
    from git_lift.aws.ecs import Ecs  # no cluster or service: say so before building

    state = Ecs(ctx.clients.ecs, env, service.name).describe()
    if environment.confirm and not request.from_hook:  # the pushed tag is the confirmation
        ui.info(f"About to ship {service.name} {sha[:12]} to {env}.")
        confirm(ctx, env, typed=True, what=f"shipping to {env}", refused="nothing was deployed")
    if origin is not None:
        ui.info(f"{sha[:12]} ran in {origin.env} as release {origin.number}: promoting its image")
    given = request.image or (origin.image if origin else None)
    image = given_image(given) if given else build_image(ctx, service, sha, tag, build_args)
    from git_lift.commands.rollout import roll_out

    dirty = tag.partition("-dirty-")[2] or None
    return roll_out(
        ctx,
        service,
        env,
        sha,
        image,
        versions,
        request.wait,
        request.timeout,
        state=state,
        dirty=dirty,
        gate_skipped=gate_skipped,
        promoted_from=f"{origin.env}@{origin.number}" if origin else None,
    )


def build_image(
    ctx: Context, service: ServiceSettings, sha: str, tag: str, build_args: dict[str, str]
) -> Image:
    return ensure_image(ctx, service, sha, tag, build_args, lambda: commit_files(ctx, sha, tag))


def ship_from_hook(ctx: Context, env: str, sha: str, ref: str) -> int:
    """Release a pushed ref (the pre-push hook, which has announced `ref`): no prompt, the push
    itself is the confirmation."""
    return ship(ctx, ShipRequest(env=env, ref=sha, from_hook=True))
