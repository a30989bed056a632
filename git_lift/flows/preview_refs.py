"""Which previews a push touches (issue 23), without AWS: the services a pushed branch
changes, the environment a preview environment's config checks go to, and the remote's
branches that still have previews. Cheap to import: the pre-push hook loads it."""

from __future__ import annotations

from collections.abc import Sequence

from git_lift.flows.context import Context
from git_lift.flows.pushed_refs import PushedRef
from git_lift.repo import ZERO_SHA
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target


def config_target(ctx: Context, env: EnvironmentSettings, service: ServiceSettings) -> Target:
    """Where the hooks check a service's keys: a preview environment's come from its base
    (a preview reads the base's config, with overrides of its own)."""
    if env.preview is not None:
        return ctx.target(env.preview.base, service)
    return ctx.target(env.name, service)


def changed_services(ctx: Context, ref: PushedRef, commit: str) -> list[ServiceSettings]:
    """The services whose build (context, Dockerfile) or env.sample the push changes: against
    what the remote has of the branch, else (a new branch) its merge base with the default
    branch; every service when there is nothing to compare with."""
    base = None
    if ref.remote_sha != ZERO_SHA:
        base = ctx.repo.merge_base(ref.remote_sha, commit)
    if base is None:
        tip = ctx.repo.default_branch_tip()
        base = ctx.repo.merge_base(tip, commit) if tip else None
    services = sorted(ctx.settings.services.values(), key=lambda svc: svc.name)
    if base is None:
        return services
    repo = ctx.repo
    return [
        svc
        for svc in services
        if repo.tree_id_at(base, svc.context) != repo.tree_id_at(commit, svc.context)
        or repo.blob_id_at(base, svc.dockerfile) != repo.blob_id_at(commit, svc.dockerfile)
        or repo.blob_id_at(base, svc.env_sample) != repo.blob_id_at(commit, svc.env_sample)
    ]


def preview_environments(
    ctx: Context, pushed: Sequence[PushedRef]
) -> list[tuple[PushedRef, EnvironmentSettings]]:
    """Each pushed (or deleted) branch with each preview environment it maps to."""
    return [
        (ref, env)
        for ref in pushed
        for env in ctx.settings.environments_for_ref(ref.remote_ref)
        if env.preview is not None and ref.remote_ref.startswith("refs/heads/")
    ]
