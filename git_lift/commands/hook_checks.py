"""`git lift hook pre-commit|pre-push`: what the installed hooks run. Names only, never a value.

boto3 is imported (through the context's stores) only once there is something to ask, so a
hook with nothing to check makes no AWS request and never loads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from git_lift import envfile, names, ui
from git_lift.errors import FAILED, OK, LiftError
from git_lift.flows import config_check, rotation
from git_lift.flows.config_check import SampleCheck
from git_lift.flows.config_report import report_checks
from git_lift.flows.context import Context
from git_lift.flows.hook_samples import (
    added_keys,
    commit_environments,
    exists_at,
    push_base,
    push_targets,
    sample_at,
    sample_unchanged,
    staged_samples,
    warn_policy_changes,
)
from git_lift.flows.preview_push import delete_previews, deploy_previews
from git_lift.flows.preview_refs import config_target, preview_environments
from git_lift.flows.pushed_refs import (
    RELEASE_REMOTE,
    PushedRef,
    PushTarget,
    framework_pushed,
    newest_per_environment,
    parse_pushed,
)
from git_lift.plan import KeyCheck
from git_lift.records import replace
from git_lift.settings import EnvironmentSettings

SKIP_VARIABLE = "GIT_LIFT_SKIP_HOOKS"


def skipped(environ: Mapping[str, str] = os.environ) -> bool:
    """GIT_LIFT_SKIP_HOOKS=1: CI checkouts and scripts that must not be stopped."""
    return environ.get(SKIP_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def run_checks(ctx: Context, checks: Sequence[SampleCheck], *, incremental: bool) -> list[KeyCheck]:
    """All checks at once, in parallel. `incremental` (or a check's `asked_alone`) asks about
    the keys alone (GetParameters, ten at a time); otherwise the store is listed."""
    checking = ctx.in_hook()
    asked = [replace(c, asked_alone=incremental or c.asked_alone) for c in checks]
    try:
        return config_check.run(checking, asked)
    except LiftError as exc:  # no client at all: no region, an unknown profile
        return [KeyCheck(c.target.env, [], [], error=exc.message) for c in checks]


def unverified(check: SampleCheck, error: str, *, stage: str, strict: bool) -> bool:
    """A store that cannot be asked (no credentials, no network): say what happens and why.
    Returns True when that stops the commit or push."""
    env, service = check.target.env, check.target.name
    if stage == "push" and check.target.environment.confirm:
        why = f"{env} has confirm = true: a push that cannot be verified is refused"
    elif strict:
        why = f"lift.hooks.strict is true: the {stage} is refused"
    else:
        ui.warn(f"{env}: cannot check {service}'s config: {error}")
        ui.hint(
            f"the {stage} goes ahead unchecked (lift.hooks.strict is not set); "
            f"check later with: git lift config check -e {env}"
        )
        return False
    ui.error(
        f"{env}: cannot check {service}'s config: {error}",
        hint=f"{why}; see why with: git lift config check -e {env} "
        f"(or skip once: git {stage} --no-verify)",
    )
    return True


def report(
    ctx: Context, checks: Sequence[SampleCheck], results: Sequence[KeyCheck], stage: str
) -> bool:
    """Every missing key of every environment, with its fix; True when something blocks."""
    failed = False
    unset = [c.target for c, r in zip(checks, results, strict=True) if c.whole and r.missing]
    absent = config_check.not_set_up(ctx.in_hook(), unset) if unset else set()
    for check, result in zip(checks, results, strict=True):
        if result.error:
            failed |= unverified(check, result.error, stage=stage, strict=ctx.settings.hooks_strict)
            continue
        if check.whole and result.missing and (check.target.env, check.target.name) in absent:
            env, service = check.target.env, check.target.name
            ui.warn(f"{service} is not set up in {env} yet: its config is checked once it is")
            ui.hint(ctx.setup_command(check.target))
            continue
        failed |= bool(
            report_checks(
                [result],
                check.target.name,
                strict=False,
                output="text",
                sample=check.target.service.env_sample,
                fix_flags=ctx.service_flag(check.target.name),
                named=len(ctx.settings.services) > 1,
            )
        )
    return failed


# pre-commit


def pre_commit(ctx: Context, files: Sequence[str] = ()) -> int:
    """Lint each staged env.sample and ask the store about the keys it adds (names only);
    the staged code's environment reads against env.sample (flows/code_check.py)."""
    from git_lift.flows import code_check  # the commit hook's alone: the push's skips it

    code_refused = code_check.pre_commit(ctx, files)
    staged = staged_samples(ctx, files)
    if not staged:
        return FAILED if code_refused else OK
    failed = code_refused
    checks: list[SampleCheck] = []
    envs = commit_environments(ctx)
    for path, service, text in staged:
        parsed = envfile.lint_sample(text)
        for problem in parsed.problems:
            ui.error(problem.render(path))
        if parsed.problems:
            ui.hint(f"fix {path}: one KEY=example a line, with example values, never secrets")
            failed = True
        added = added_keys(ctx, path, parsed.keys) if service is not None else []
        if service is not None and added and envs:
            ui.info(f"git lift: {path} adds {names.listed(added)}; checking {_names(envs)}")
            whole = set(added) == set(parsed.keys)
            checks += [
                SampleCheck(config_target(ctx, env, service), tuple(added), whole=whole)
                for env in envs
            ]
    if checks:
        failed |= report(ctx, checks, ask_unless_cached(ctx, checks), "commit")
    return FAILED if failed else OK


def ask_unless_cached(ctx: Context, checks: Sequence[SampleCheck]) -> list[KeyCheck]:
    """Keys the names cache saw in the store within lift.hooks.cacheTtl need no request (and
    no boto3); the others are asked, one GetParameters per environment and ten keys."""
    ttl = ctx.settings.hooks_cache_ttl
    left = [
        replace(c, keys=tuple(k for k in c.keys if k not in known))
        for c in checks
        for known in [ctx.names_cache.fresh(c.target, ttl) if ttl else {}]
    ]
    to_ask = [c for c in left if c.keys]
    cached = sum(len(c.keys) for c in checks) - sum(len(c.keys) for c in to_ask)
    if cached:
        ui.info(
            f"git lift: {names.plural(cached, 'key')} seen in the store within lift.hooks.cacheTtl "
            f"({ttl:g}s); asking about {sum(len(c.keys) for c in to_ask)}"
        )
    answers = iter(run_checks(ctx, to_ask, incremental=True) if to_ask else [])
    return [next(answers) if c.keys else KeyCheck(c.target.env, [], []) for c in left]


# pre-push


def push_checks(ctx: Context, targets: Sequence[PushTarget]) -> tuple[list[SampleCheck], bool]:
    """The checks a push needs. A ref that releases (deployOnPush), or one with no base to
    compare with, gets every service's env.sample at the pushed commit checked in full; a
    branch push only the keys its commits add to each env.sample (none changed: nothing to
    ask). Also whether a pushed env.sample is malformed."""
    checks: dict[SampleCheck, SampleCheck] = {}
    malformed = False
    for ref, env, commit in targets:
        base = push_base(ctx, ref, env, commit)
        head = f"git lift: {ref.short} ({commit[:12]}) goes to {env.name}"
        if base is None:
            ui.info(f"{head}; checking its config")
        added: list[str] = []  # "api/env.sample adds A, B": each service's file by its path
        for service in ctx.settings.services.values():
            path = service.env_sample
            if base is not None and sample_unchanged(ctx, base, commit, path):
                continue
            keys, bad = sample_at(ctx, path, commit, report=True)
            malformed |= bad
            before: set[str] = set()
            if base is not None:
                before = set(sample_at(ctx, path, base, report=False)[0])
                keys = tuple(key for key in keys if key not in before)
                added += [f"{path} adds {names.listed(keys)}"] if keys else []
            if keys or (base is None and exists_at(ctx, commit, path)):
                check = SampleCheck(
                    config_target(ctx, env, service),
                    keys,
                    asked_alone=base is not None,
                    whole=not before and not env.deploy_on_push,  # a release needs it all
                )
                checks.setdefault(check, check)
        if base is not None:
            what = "; ".join(added) or "no key added"
            ui.info(f"{head}; checked what it changes since {base[:12]}: {what}")
    return list(checks.values()), malformed


def pre_push(
    ctx: Context,
    pushed: Sequence[PushedRef],
    *,
    framework: bool = False,
    remote: str | None = None,
) -> int:
    """Check the config of every environment the pushed refs map to, then release the ones
    with deployOnPush; the push goes on only when all of it succeeded."""
    live = [ref for ref in pushed if not ref.deleted]
    # Deleted branches that had previews (pushes to origin only, where they were made).
    to_origin = remote in (None, RELEASE_REMOTE) and not framework
    deleted = preview_environments(ctx, [r for r in pushed if r.deleted]) if to_origin else []
    warn_policy_changes(ctx, live)
    if live and ctx.settings.policy_unknown is not None:
        message, hint = ctx.settings.policy_unknown
        ui.warn(f"git lift: {message}; this push releases nothing")
        ui.hint(hint)
    targets = push_targets(ctx, live)
    if not targets:
        return delete_previews(ctx, deleted)
    checks, failed = push_checks(ctx, targets)
    results = run_checks(ctx, checks, incremental=False) if checks else []
    if checks:
        failed |= report(ctx, checks, results, "push")
    if failed:
        return FAILED
    rotation.push_notes(
        ctx,
        [
            (ctx.target(env.name, service), commit, env.deploy_on_push)
            for _, env, commit in targets
            for service in ctx.settings.services.values()
        ],
        # Environments whose store answered: their saved configs' secret_refs are read too.
        asked={c.target.env for c, r in zip(checks, results, strict=True) if not r.error},
    )
    releases = [target for target in targets if target[1].deploy_on_push]
    previews = [target for target in releases if target[1].preview is not None]
    if releases and remote not in (None, RELEASE_REMOTE):
        ui.warn(
            f"{', '.join(t[0].short for t in releases)} not released: releases happen only on "
            f"pushes to {RELEASE_REMOTE}, where they are recorded (this push goes to {remote})"
        )
        return OK
    releases = newest_per_environment([t for t in releases if t[1].preview is None]) + previews
    if framework:
        from git_lift.flows.hook_shims import own_pre_push_installed  # its own hook's question

        if releases and not own_pre_push_installed(ctx.repo):
            ui.hint(
                f"{_names([env for _, env, _ in releases])} releases on push, which needs git "
                "lift's own pre-push hook (the pre-commit framework's sees one ref): "
                "git lift hooks install"
            )
        return OK
    ordinary = [target for target in releases if target[1].preview is None]
    code = release(ctx, ordinary)
    code = deploy_previews(ctx, previews) if code == OK else code
    return delete_previews(ctx, deleted) if code == OK else code


def pre_push_entry(
    ctx: Context, stdin: TextIO, *, framework: bool, remote: str | None = None
) -> int:
    pushed = framework_pushed(os.environ) if framework else parse_pushed(stdin.read())
    return pre_push(ctx, pushed, framework=framework, remote=remote)


# What `git lift hook pre-commit|pre-push` run, whether click parsed the line or __main__ did
# (the hooks' own lines, parsed without loading click): `load` builds the context once the
# hook is known not to be skipped.


def run_pre_commit(load: Callable[[], Context], files: Sequence[str]) -> int:
    return OK if skipped() else pre_commit(load(), files)


def run_pre_push(
    load: Callable[[], Context], stdin: TextIO, *, framework: bool, remote: str | None
) -> int:
    if skipped():
        return OK
    return pre_push_entry(load(), stdin, framework=framework, remote=remote)


def release(ctx: Context, releases: Sequence[PushTarget]) -> int:
    """Ship each pushed release ref: no prompt, the push itself is the confirmation. Over a
    monorepo, only the services with something to release are released, in parallel."""
    if not releases:
        return OK
    ctx.settings.require_release_policy()
    from git_lift.flows.ship_many import Shipped, ship_services  # deploys: imports boto3
    from git_lift.flows.shipping import ShipRequest

    services = sorted(ctx.settings.services.values(), key=lambda svc: svc.name)
    for ref, env, commit in releases:
        ui.info(
            f"git lift: releasing {', '.join(s.name for s in services)} to {env.name}: "
            f"commit {commit[:12]} ({ref.remote_ref})"
        )
        request = ShipRequest(env=env.name, ref=commit, confirmed_by_push=True)
        try:
            shipped = ship_services(ctx, request, services)
        except LiftError as exc:
            ui.error(exc.message, hint=exc.hint)
            shipped = Shipped(failed=[s.name for s in services], code=exc.exit_code)
        if shipped.code != OK:
            ui.error(
                f"the release of {', '.join(shipped.failed)} to {env.name} failed, so the push "
                f"is stopped: {ref.short} does not reach the remote",
                hint="fix it and push again (git push --no-verify pushes without releasing)",
            )
            return shipped.code
        if shipped.skipped:
            ui.info(
                f"git lift: {env.name}: released {', '.join(shipped.released) or 'nothing'}; "
                f"skipped {', '.join(shipped.skipped)} (nothing to release: the image, task "
                "definition and config they run are this commit's)"
            )
    return OK


def _names(envs: Sequence[EnvironmentSettings]) -> str:
    return ", ".join(dict.fromkeys(env.name for env in envs)) or "no environment"
