"""`git lift promote` and release gates: one environment's release, shipped to the next.

Promotion ships exactly the image digest a release ran (and, with pinned config, the values of
the keys that commit's env.sample names, as the target environment holds them). A gate
(`requires = staging`) refuses a release of a commit the required environment has not
released, unless `--skip-gate REASON`, which the release records (`Gate-Skipped:`).
"""

from __future__ import annotations

from git_lift import ui
from git_lift.aws.store import Release, Store
from git_lift.commands.context import Context
from git_lift.errors import UsageError, ValidationError
from git_lift.settings import EnvironmentSettings


def released(ctx: Context, env: str, service: str) -> list[Release]:
    """Successful releases, newest first."""
    return [r for r in Store(ctx.clients.dynamodb).releases(env, service, limit=100) if r.released]


def release_of(ctx: Context, env: str, service: str, number: int | None) -> Release:
    """Release `number` (the newest when None) of `service` in `env`, which must have run."""
    found = released(ctx, env, service)
    match = next((r for r in found if number is None or r.number == number), None)
    if match is None:
        which = f"release {number}" if number is not None else "release yet"
        raise ValidationError(
            f"{service} has no successful {which} in {env}",
            hint=f"list them: git lift history -e {env}",
        )
    return match


def release_of_commit(ctx: Context, env: str, service: str, sha: str) -> Release | None:
    return next((r for r in released(ctx, env, service) if r.commit == sha and not r.dirty), None)


def pushed_origin(
    ctx: Context, environment: EnvironmentSettings, service: str, sha: str
) -> Release | None:
    """For a pushed tag: the release of its commit in the environment before this one (the
    gate's, else staging), whose image the push then promotes instead of building."""
    source = environment.requires or ("staging" if "staging" in ctx.settings.environments else None)
    if source is None or source == environment.name:
        return None
    return release_of_commit(ctx, source, service, sha)


def gate(
    ctx: Context, environment: EnvironmentSettings, service: str, sha: str, skip: str | None
) -> str | None:
    """Pass (None), refuse, or let through with the reason given to --skip-gate."""
    required = environment.requires
    if required is None:
        if skip is not None:
            raise UsageError(
                f"{environment.name} has no gate to skip", hint="leave out --skip-gate"
            )
        return None
    if release_of_commit(ctx, required, service, sha) is not None:
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


def promote(
    ctx: Context, source: str, target: str, number: int | None, timeout: float, wait: bool = True
) -> int:
    from git_lift.aws.ecs import Ecs
    from git_lift.commands.confirmation import confirm
    from git_lift.commands.image import given_image
    from git_lift.commands.rollout import roll_out
    from git_lift.commands.ship import check_config

    service = ctx.service()
    source_env = ctx.environment(source).name
    environment = ctx.environment(target)
    if environment.name == source_env:
        raise UsageError("--from and --to name the same environment", hint="git lift promote -h")
    origin = release_of(ctx, source_env, service.name, number)
    gate(ctx, environment, service.name, origin.commit, None)
    versions = check_config(ctx, service, environment.name, origin.commit)
    state = Ecs(ctx.clients.ecs, environment.name, service.name).describe()
    ui.info(
        f"About to promote {service.name} release {origin.number} of {source_env} "
        f"({origin.commit[:12]}, {origin.image}) to {environment.name}."
    )
    if environment.confirm:
        confirm(
            ctx,
            environment.name,
            typed=True,
            what=f"promoting to {environment.name}",
            refused="nothing was deployed",
        )
    return roll_out(
        ctx,
        service,
        environment.name,
        origin.commit,
        given_image(origin.image),
        versions,
        wait,
        timeout,
        state=state,
        promoted_from=f"{source_env}@{origin.number}",
    )
