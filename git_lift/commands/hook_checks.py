"""`git lift hook pre-commit|pre-push`: what the installed hooks run. Names only, never a value.

boto3 is imported (through the context's stores) only once there is something to ask, so a
hook with nothing to check makes no AWS request and never loads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TextIO

from git_lift import envfile, names, ui
from git_lift.commands import hooks
from git_lift.errors import FAILED, OK, LiftError, ValidationError
from git_lift.flows import config_check
from git_lift.flows.config_check import SampleCheck
from git_lift.flows.config_report import report_checks
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.flows.pushed_refs import (
    RELEASE_REMOTE,
    PushedRef,
    PushTarget,
    framework_pushed,
    newest_per_environment,
    parse_pushed,
)
from git_lift.gitlift import Entry
from git_lift.plan import KeyCheck
from git_lift.repo import ZERO_SHA
from git_lift.settings import EnvironmentSettings, ServiceSettings

SKIP_VARIABLE = "GIT_LIFT_SKIP_HOOKS"
SAMPLE_NAME = "env.sample"


def skipped(environ: Mapping[str, str] = os.environ) -> bool:
    """GIT_LIFT_SKIP_HOOKS=1: CI checkouts and scripts that must not be stopped."""
    return environ.get(SKIP_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def run_checks(ctx: Context, checks: Sequence[SampleCheck], *, incremental: bool) -> list[KeyCheck]:
    """All checks at once, in parallel. `incremental` (or a check's `asked_alone`) asks about
    the keys alone (GetParameters, ten at a time); otherwise the store is listed."""
    checking = replace(ctx, hook=True)  # someone waits: fail fast without network
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
    absent = config_check.not_set_up(replace(ctx, hook=True), unset) if unset else set()
    for check, result in zip(checks, results, strict=True):
        if result.error:
            failed |= unverified(check, result.error, stage=stage, strict=ctx.settings.hooks_strict)
            continue
        if check.whole and result.missing and (check.target.env, check.target.name) in absent:
            env, service = check.target.env, check.target.name
            ui.warn(f"{service} is not set up in {env} yet: its config is checked once it is")
            ui.hint(f"git lift setup -e {env}{ctx.service_flag(service)}")
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


def staged_samples(
    ctx: Context, files: Sequence[str]
) -> list[tuple[str, ServiceSettings | None, str]]:
    """(path, its service or None, staged text) of each env.sample being committed."""
    by_path = {
        PurePosixPath(svc.env_sample).as_posix(): svc for svc in ctx.settings.services.values()
    }
    candidates = (
        [PurePosixPath(name).as_posix() for name in files]
        if files
        else [
            path
            for path in ctx.repo.staged_paths()
            if path in by_path or PurePosixPath(path).name == SAMPLE_NAME
        ]
    )
    found = []
    for path in candidates:
        text = ctx.repo.read_staged_file(path)
        if text is not None:
            found.append((path, by_path.get(path), text))
    return found


def added_keys(ctx: Context, path: str, keys: Sequence[str]) -> list[str]:
    """Keys the staged file names that HEAD's version of it does not."""
    try:
        before = ctx.repo.read_file_at(ctx.repo.head_sha(), path)
    except ValidationError:  # the first commit
        before = None
    old = set(envfile.parse(before).keys) if before else set()
    return [key for key in dict.fromkeys(keys) if key not in old]


def commit_environments(ctx: Context) -> list[EnvironmentSettings]:
    """Where a commit here is headed: the environments the current branch maps to; for a branch
    that maps to none (a feature branch, a rebase's detached HEAD), the default branch's."""
    ref = ctx.repo.head_ref()
    envs = ctx.settings.environments_for_ref(ref) if ref else []
    default = ctx.repo.default_branch()
    return envs or (ctx.settings.environments_for_ref(f"refs/heads/{default}") if default else [])


def pre_commit(ctx: Context, files: Sequence[str] = ()) -> int:
    """Lint each staged env.sample and ask the store about the keys it adds (names only)."""
    staged = staged_samples(ctx, files)
    if not staged:
        return OK
    failed = False
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
                SampleCheck(ctx.target(env.name, service), tuple(added), whole=whole)
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
            if base is not None and ctx.repo.blob_id_at(base, path) == ctx.repo.blob_id_at(
                commit, path
            ):
                continue
            keys, bad = sample_at(ctx, path, commit, report=True)
            malformed |= bad
            before: set[str] = set()
            if base is not None:
                before = set(sample_at(ctx, path, base, report=False)[0])
                keys = tuple(key for key in keys if key not in before)
                added += [f"{path} adds {names.listed(keys)}"] if keys else []
            if keys or (base is None and ctx.repo.blob_id_at(commit, path) is not None):
                check = SampleCheck(
                    ctx.target(env.name, service),
                    keys,
                    asked_alone=base is not None,
                    whole=not before and not env.deploy_on_push,  # a release needs it all
                )
                checks.setdefault(check, check)
        if base is not None:
            what = "; ".join(added) or "no key added"
            ui.info(f"{head}; checked what it changes since {base[:12]}: {what}")
    return list(checks.values()), malformed


def push_base(ctx: Context, ref: PushedRef, env: EnvironmentSettings, commit: str) -> str | None:
    """What a branch push is compared with: the remote's commit (their common ancestor, for a
    forced push), else, for a new branch, its merge base with the default branch. None for a
    ref that releases, which is always checked in full."""
    if env.deploy_on_push or not ref.remote_ref.startswith("refs/heads/"):
        return None
    if ref.remote_sha != ZERO_SHA:
        found = ctx.repo.merge_base(ref.remote_sha, commit)
        if found is not None:
            return found
    if ref.remote_ref == f"refs/heads/{ctx.repo.default_branch()}":
        return None  # the default branch's first push: nothing to compare with
    tip = ctx.repo.default_branch_tip()
    return ctx.repo.merge_base(tip, commit) if tip else None


def sample_at(
    ctx: Context, path: str, commit: str, *, report: bool
) -> tuple[tuple[str, ...], bool]:
    """The keys an env.sample names at a commit (none when absent), and whether it is
    malformed (its problems said when `report`)."""
    text = ctx.repo.read_file_at(commit, path)
    if text is None:
        return (), False
    parsed = envfile.parse(text)
    for problem in parsed.problems if report else []:
        ui.error(f"{problem.render(path)} (at {commit[:12]})")
    return tuple(dict.fromkeys(parsed.keys)), bool(parsed.problems)


def warn_policy_changes(ctx: Context, pushed: Sequence[PushedRef]) -> None:
    """A pushed .gitlift that would change which refs release where is said, never obeyed:
    release policy comes from the default branch as the remote has it."""
    for commit in dict.fromkeys(ctx.repo.resolve(ref.local_sha) for ref in pushed):
        entries = [Entry(e.name, e.value) for e in ctx.repo.config_file_at(commit, GITLIFT_FILE)]
        for change in ctx.settings.policy_changes(entries):
            ui.warn(
                f"{GITLIFT_FILE} at {commit[:12]} {change}; ignored: release policy is read "
                f"from {ctx.repo.default_branch() or 'the default branch'} as the remote has it"
            )
            ui.hint("the change takes effect once it is merged into the default branch")


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
    warn_policy_changes(ctx, live)
    if live and ctx.settings.policy_unknown is not None:
        message, hint = ctx.settings.policy_unknown
        ui.warn(f"git lift: {message}; this push releases nothing")
        ui.hint(hint)
    targets = [
        (ref, env, ctx.repo.resolve(ref.local_sha))
        for ref in live
        for env in ctx.settings.environments_for_ref(ref.remote_ref)
    ]
    if not targets:
        return OK
    checks, failed = push_checks(ctx, targets)
    if checks:
        failed |= report(ctx, checks, run_checks(ctx, checks, incremental=False), "push")
    if failed:
        return FAILED
    releases = [target for target in targets if target[1].deploy_on_push]
    if releases and remote not in (None, RELEASE_REMOTE):
        ui.warn(
            f"{', '.join(t[0].short for t in releases)} not released: releases happen only on "
            f"pushes to {RELEASE_REMOTE}, where they are recorded (this push goes to {remote})"
        )
        return OK
    releases = newest_per_environment(releases)
    if framework:
        if releases and not _own_hook_installed(ctx):
            ui.hint(
                f"{_names([env for _, env, _ in releases])} releases on push, which needs git "
                "lift's own pre-push hook (the pre-commit framework's sees one ref): "
                "git lift hooks install"
            )
        return OK
    return release(ctx, releases)


def pre_push_entry(
    ctx: Context, stdin: TextIO, *, framework: bool, remote: str | None = None
) -> int:
    pushed = framework_pushed(os.environ) if framework else parse_pushed(stdin.read())
    return pre_push(ctx, pushed, framework=framework, remote=remote)


def release(ctx: Context, releases: Sequence[PushTarget]) -> int:
    """Ship each pushed release ref: no prompt, the push itself is the confirmation."""
    if not releases:
        return OK
    ctx.settings.require_release_policy()
    from git_lift.flows.shipping import ship_pushed  # builds and deploys: imports boto3

    for ref, env, commit in releases:
        for service in sorted(ctx.settings.services.values(), key=lambda svc: svc.name):
            ui.info(
                f"git lift: releasing {service.name} to {env.name}: "
                f"commit {commit[:12]} ({ref.remote_ref})"
            )
            one = replace(ctx, options=replace(ctx.options, service=service.name, yes=True))
            try:
                code = ship_pushed(one, env.name, commit)
            except LiftError as exc:
                ui.error(exc.message, hint=exc.hint)
                code = exc.exit_code
            if code != OK:
                ui.error(
                    f"the release of {service.name} to {env.name} failed, so the push is "
                    f"stopped: {ref.short} does not reach the remote",
                    hint="fix it and push again (git push --no-verify pushes without releasing)",
                )
                return code
    return OK


def _own_hook_installed(ctx: Context) -> bool:
    folder = ctx.repo.hooks_dir()
    return any(hooks.is_ours(folder / name) for name in ("pre-push", "pre-push.legacy"))


def _names(envs: Sequence[EnvironmentSettings]) -> str:
    return ", ".join(dict.fromkeys(env.name for env in envs)) or "no environment"
