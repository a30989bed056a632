"""Preview environments (issue 23): a branch's running copy of each service it changes.

A preview is a Target (target.preview_target) named `<service>--<slug>`: its own stack in
the preview environment's cluster, from its base environment's service config made small
(preview_config), a listener rule on the environment's shared load balancer, config read
from the base's parameters with overrides of its own, released through the ship's plan and
recorded as releases are. The pushed branch creates or updates it; deleting the branch, `git
lift preview delete` or `prune` delete it (its overrides too; release records stay).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from git_lift import names, servicecfg, ui
from git_lift.aws.store import Release, ServiceDocument
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context
from git_lift.flows.environment_record import find_record, require_record
from git_lift.flows.release import deployer
from git_lift.flows.service_stack import DeployOptions, deploy_stack, stack_missing
from git_lift.flows.service_teardown import Purge, delete_target
from git_lift.flows.shipping import ShipRequest, ship
from git_lift.processcfg import Process
from git_lift.servicecfg import Deployment, HttpInterface, ServiceConfig
from git_lift.settings import EnvironmentSettings, PreviewPolicy, ServiceSettings
from git_lift.target import Environment, Target, split_preview
from git_lift.templates.environment_params import (
    HTTPS_LISTENER,
    INTERNAL_LOAD_BALANCER_DNS,
    LOAD_BALANCER_DNS,
)

DELETE_TIMEOUT = 15 * 60.0


@dataclass(frozen=True)
class Found:
    """A preview that has a stack: its target, the remote branch whose preview it is (None:
    no branch of the remote has its slug any more) and its newest release record."""

    target: Target
    branch: str | None
    last: Release | None
    created: float | None  # when its stack was created

    @property
    def shown_branch(self) -> str:
        return self.branch.removeprefix("refs/heads/") if self.branch else "(gone)"


def slug(t: Target) -> str:
    if t.preview is None:
        raise TypeError(f"{t} is no preview")  # a caller's mistake, not input
    return t.preview.slug


def age(seconds: float) -> str:
    """`3d`, `5h`, `12m`: how long ago, as ttl is written."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now"


def ago(seconds: float) -> str:
    shown = age(seconds)
    return "just now" if shown == "now" else f"{shown} ago"


def policy(env: EnvironmentSettings) -> PreviewPolicy:
    if env.preview is None:
        raise UsageError(
            f"{env.name} is not a preview environment",
            hint=f"set env.{env.name}.preview = true and base in the default branch's .gitlift",
        )
    return env.preview


def trusted_policy(ctx: Context, env: EnvironmentSettings) -> PreviewPolicy:
    """policy(env), saying so when only the work tree's .gitlift makes env a preview one."""
    refused = ctx.settings.untrusted_preview(env.name)
    if refused is not None:
        raise refused
    return policy(env)


def environments(ctx: Context, env: str | None) -> list[EnvironmentSettings]:
    """The preview environment named, else every one (`preview`'s commands, `status
    --preview`)."""
    if env is not None:
        chosen = ctx.environment(env)
        trusted_policy(ctx, chosen)
        return [chosen]
    found = [e for e in ctx.settings.environments.values() if e.preview is not None]
    if not found:
        for proposed in sorted(ctx.settings.untrusted_previews):  # the work tree's alone
            refused = ctx.settings.untrusted_preview(proposed)
            if refused is not None:
                raise refused
        raise UsageError(
            "no environment previews branches",
            hint='declare one in the default branch\'s .gitlift: [env "preview"] '
            "ref = refs/heads/feature/*, preview = true, base = staging, deployOnPush = true",
        )
    return sorted(found, key=lambda e: e.name)


def preview_config(cfg: ServiceConfig, rules: PreviewPolicy, slug: str) -> ServiceConfig:
    """The base's service config made a preview: the web process, and the processes
    `previewProcesses` names that the base has, each one task with no autoscaling; rolling
    deployments, no scheduled jobs, no release command (it would run against the base's
    config: its database), and none of the app's own AWS permissions (they are the base
    environment's); HTTP at `<slug>.<domain>` or, without a domain, under `/<slug>/`."""
    http = cfg.http_interface
    if http is not None:
        hostnames = (f"{slug}.{rules.domain}",) if rules.domain else ()
        paths = () if rules.domain else (f"/{slug}", f"/{slug}/*")
        http = replace(http, hostnames=hostnames, path_patterns=paths)
    return replace(
        cfg,
        desired_count=1,
        autoscaling=None,
        http_interface=http,
        deployment=Deployment(),
        jobs={},
        processes=preview_processes(cfg, rules),
        release_command=None,
        permissions=(),
        managed_policies=(),
    )


def preview_processes(
    cfg: ServiceConfig, rules: PreviewPolicy
) -> dict[str, Process[HttpInterface]]:
    """The named processes the base has, one task each without autoscaling. A process's own
    HTTP interface is left out: its hostnames and paths are the base's, which every preview
    would claim on the one load balancer; it runs as a worker, reached by no rule."""
    return {
        name: replace(cfg.processes[name], desired_count=1, autoscaling=None, http_interface=None)
        for name in rules.processes
        if name in cfg.processes
    }


def absent_processes(cfg: ServiceConfig, rules: PreviewPolicy) -> list[str]:
    """The processes previewProcesses names that the base's service config has not."""
    return [name for name in rules.processes if name not in cfg.processes]


def url(ctx: Context, t: Target, cfg: ServiceConfig) -> str | None:
    """Where the preview answers; None for a service without HTTP."""
    http = cfg.http_interface
    if http is None or t.preview is None:
        return None
    outputs = require_record(ctx, t.env).outputs
    scheme = "https" if outputs.get(HTTPS_LISTENER) else "http"
    rules = policy(t.environment)
    if rules.domain:
        return f"{scheme}://{t.preview.slug}.{rules.domain}/"
    host = outputs.get(INTERNAL_LOAD_BALANCER_DNS if http.internal else LOAD_BALANCER_DNS)
    return f"{scheme}://{host}/{t.preview.slug}/" if host else None


def with_overrides(ctx: Context, t: Target) -> Target:
    """The preview with the keys it overrides (one listing of its own path, names only)."""
    if t.preview is None:
        return t
    keys = frozenset(ctx.aws.parameters(t).names())
    return replace(t, preview=replace(t.preview, overridden=keys))


def target_for(
    ctx: Context, env: EnvironmentSettings, service: ServiceSettings, branch: str
) -> Target:
    trusted_policy(ctx, env)  # not a preview environment: said as such
    return ctx.preview_target(env, service, branch)


def base_config(ctx: Context, t: Target) -> ServiceConfig:
    """The base's newest service config, which every push of the preview reads anew."""
    base = t.base
    assert base is not None
    here, there = require_record(ctx, t.env), find_record(ctx, base.env)
    if there is not None and (here.account, here.region) != (there.account, there.region):
        # Another account's parameters reach a task only once shared through AWS RAM, for
        # advanced-tier parameters (Parameter Store's cross-account sharing, February 2024),
        # which git lift does not set up; and a region's parameters are that region's.
        raise LiftError(
            f"{t.env} is in account {here.account} ({here.region}) and its base {base.env} in "
            f"{there.account} ({there.region}): previews read their base's config, so both "
            "must be in the same account and region",
            hint=f"set env.{t.env}.account and region as {base.env}'s in .gitlift",
        )
    document = ctx.aws.table(base.env).service_document(base)
    if document is None:
        raise LiftError(
            f"{base.name} has no service config in {base.env}, whose config its previews run",
            hint=f"set it up there first: {ctx.setup_command(base)}",
        )
    return servicecfg.parse(document.doc)


def deploy(
    ctx: Context, env: EnvironmentSettings, service: ServiceSettings, branch: str, commit: str
) -> tuple[Target, str | None]:
    """Create (first push) or update the branch's preview of the service: its stack from the
    base's service config, then a release of the commit through the ship's plan. Returns the
    preview and its URL."""
    t = with_overrides(ctx, target_for(ctx, env, service, branch))
    base = base_config(ctx, t)
    absent = absent_processes(base, policy(env))
    if absent:  # a warning: the push cannot fix the base's service config, nor need to
        has = ", ".join(["web", *sorted(base.processes)])
        ui.warn(
            f"env.{env.name}.previewProcesses names {', '.join(absent)}, which {service.name}'s "
            f"service config in {policy(env).base} has not (its processes: {has}): the "
            f"preview {t.name} runs without {'them' if len(absent) > 1 else 'it'} (fix the "
            f"name in the default branch's .gitlift, or add it: git lift service edit -e "
            f"{policy(env).base}{ctx.service_flag(service.name)})"
        )
    cfg = preview_config(base, policy(env), slug(t))
    doc = servicecfg.to_document(cfg)
    current = ctx.aws.table(t.env).service_document(t)
    missing = stack_missing(ctx, t)
    if missing:
        refuse_over_limit(ctx, env, t)
        ui.info(f"git lift: creating preview {t.name} of {branch} in {env.name}")
    if missing or current is None or current.doc != doc:
        version = (current.version if current else 0) + 1
        saved = ServiceDocument(t.env, t.name, version, doc, deployer(ctx), time.time())
        answered = ctx.answered(service=service.name)  # the push is the confirmation

        def save() -> None:  # once the change set is confirmed, before it runs
            answered.aws.table(t.env).save_service_document(t, saved)

        deploy_stack(answered, t, cfg, DeployOptions(), save=save, check=False)
    request = ShipRequest(env=env.name, ref=commit, confirmed_by_push=True)
    code = ship(ctx.on_service(service.name, answered=True), request, target=t)
    if code != 0:
        raise LiftError(f"the release of preview {t.name} failed", hint="fix it and push again")
    return t, url(ctx, t, cfg)


def existing(ctx: Context, env: EnvironmentSettings) -> list[Target]:
    """Every preview with a stack in the environment, of the services .gitlift names."""
    prefix = Environment(env).service_stack_prefix
    found = []
    for stack in ctx.aws.stacks(env.name).stack_names(prefix):
        parts = split_preview(stack.removeprefix(prefix))
        if parts is None or parts[0] not in ctx.settings.services:
            continue  # a service's own stack, or another environment's (`<env>-x`)
        service = ctx.settings.services[parts[0]]
        found.append(ctx.preview_named(env, service, parts[1]))
    return found


def remote_branches(ctx: Context, env: EnvironmentSettings) -> dict[tuple[str, str], str]:
    """(service, slug) -> the remote's branch with that preview, for every branch of the
    remote that maps to the environment."""
    found: dict[tuple[str, str], str] = {}
    for branch in ctx.repo.remote_branches():
        if not env.matches(branch):
            continue
        for service in ctx.settings.services.values():
            t = target_for(ctx, env, service, branch)
            found[(service.name, slug(t))] = branch
    return found


def listing(ctx: Context, env: EnvironmentSettings) -> list[Found]:
    """The environment's previews, newest deploy first."""
    branches = remote_branches(ctx, env)
    found = [
        Found(t, branches.get((t.service.name, slug(t))), _last(ctx, t), _created(ctx, t))
        for t in existing(ctx, env)
    ]
    return sorted(found, key=lambda f: -(f.last.deployed_at if f.last else 0.0))


def config_names(ctx: Context, t: Target) -> dict[str, int]:
    """The keys a service's tasks read, with versions (names only): a preview's are its
    base's with its own overrides over them (`status` compares them with its release's)."""
    if t.base is None:
        return ctx.parameter_names(t)
    return {**ctx.parameter_names(t.base), **ctx.parameter_names(t)}


def live(
    ctx: Context,
    env: EnvironmentSettings,
    services: list[ServiceSettings],
    branch: str | None = None,
) -> list[tuple[Found, str | None]]:
    """`status` of a preview environment: the previews of `services` (`branch`'s alone when
    given), newest deploy first, each with its age (`3h`) when its stack says when it was
    made."""
    now = ctx.aws.wall_clock()
    wanted = {svc.name for svc in services}
    slugs = {slug(target_for(ctx, env, svc, branch)) for svc in services} if branch else None
    return [
        (found, age(now - found.created) if found.created else None)
        for found in listing(ctx, env)
        if found.target.service.name in wanted and (slugs is None or slug(found.target) in slugs)
    ]


def _created(ctx: Context, t: Target) -> float | None:
    stack = ctx.aws.stacks(t.env).stack(t.stack)
    return stack.created if stack else None


def address(ctx: Context, t: Target) -> str | None:
    """The preview's URL, from the service config it was deployed with."""
    document = ctx.aws.table(t.env).service_document(t)
    return url(ctx, t, servicecfg.parse(document.doc)) if document else None


def _last(ctx: Context, t: Target) -> Release | None:
    releases = ctx.aws.table(t.env).releases(t, limit=1)
    return releases[0] if releases else None


def refuse_over_limit(ctx: Context, env: EnvironmentSettings, t: Target) -> None:
    """At most maxPreviews branches have previews in the environment: a new one is refused,
    naming the least recently deployed to delete."""
    rules = policy(env)
    present = listing(ctx, env)
    slugs = {slug(f.target) for f in present}
    if t.preview is None or t.preview.slug in slugs or len(slugs) < rules.max_previews:
        return
    oldest = present[-1]
    named = oldest.branch.removeprefix("refs/heads/") if oldest.branch else slug(oldest.target)
    raise LiftError(
        f"{env.name} holds {names.plural(len(slugs), 'preview')} (maxPreviews = "
        f"{rules.max_previews}): no preview of this branch is created; the least recently "
        f"deployed is {oldest.target.name} ({oldest.shown_branch})",
        hint=f"delete one first: git lift preview delete -e {env.name} {named}",
    )


def delete(ctx: Context, t: Target, timeout: float = DELETE_TIMEOUT) -> None:
    """The preview's stack and its overrides go; its release records and tags stay."""
    again = f"git lift preview delete -e {t.env} {slug(t)}"
    answered = ctx.answered(service=t.service.name)
    delete_target(answered, t, Purge(config=True), timeout, again=again)


def delete_branch(ctx: Context, env: EnvironmentSettings, branch: str) -> list[str]:
    """Delete every preview of `branch` (a branch name, a ref, or a preview's slug); returns
    the names deleted."""
    full = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    wanted = {
        (svc.name, slug(target_for(ctx, env, svc, full)))
        for svc in ctx.settings.services.values()
        if env.matches(full)
    }
    deleted = []
    for t in existing(ctx, env):
        if (t.service.name, slug(t)) in wanted or slug(t) == branch:
            delete(ctx, t)
            deleted.append(t.name)
    return deleted


def summary(ctx: Context, env: EnvironmentSettings) -> list[dict[str, object]]:
    """`preview list`'s rows: branch, commit, URL, age and last deploy of each preview."""
    now = ctx.aws.wall_clock()
    rows: list[dict[str, object]] = []
    for found in listing(ctx, env):
        last = found.last
        rows.append(
            {
                "environment": env.name,
                "preview": found.target.name,
                "branch": found.shown_branch,
                "commit": last.commit[:12] if last else None,
                "url": address(ctx, found.target),
                "age": age(now - found.created) if found.created else None,
                "last_deploy": ago(now - last.deployed_at) if last else None,
                "release": last.number if last else None,
            }
        )
    return rows


def stale(ctx: Context, env: EnvironmentSettings) -> list[tuple[Found, str]]:
    """The previews `prune` deletes, each with why: its branch is gone from the remote, or
    it was not deployed for the environment's ttl."""
    now = ctx.aws.wall_clock()
    rules = policy(env)
    chosen = []
    for found in listing(ctx, env):
        if found.branch is None:
            chosen.append((found, "its branch is gone from the remote"))
        elif found.last is None or now - found.last.deployed_at > rules.ttl:
            chosen.append((found, f"not deployed for {age(rules.ttl)} (ttl)"))
    return chosen
