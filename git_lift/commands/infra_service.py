"""`git lift service create|update|edit|show|history|template|delete`: a service's config document,
versioned in DynamoDB, and the stack (`Target.stack`) rendered from it."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from git_lift import processcfg, servicecfg, ui
from git_lift.aws.store import ServiceDocument
from git_lift.errors import LiftError, UsageError
from git_lift.flows import service_edit as editing
from git_lift.flows.context import Context
from git_lift.flows.environment_record import require_record
from git_lift.flows.release import deployer
from git_lift.flows.service_stack import DeployOptions as DeployOptions  # the cli makes them
from git_lift.flows.service_stack import (
    deploy_stack,
    every_version,
    render,
    save_document,
    secrets,
    stack_missing,
    stored,
)
from git_lift.flows.service_teardown import Purge as Purge  # the cli makes them
from git_lift.flows.service_teardown import delete_service
from git_lift.target import WEB, Target


def command(t: Target, verb: str, extra: str = "") -> str:
    """The `git lift service VERB` command line for this service in this environment."""
    return f"git lift service {verb} -e {t.env} -s {t.name}{extra}"


def header(t: Target, current: ServiceDocument | None) -> list[str]:
    if current is None:
        return [f"New service config of {t.name} in {t.env} (the defaults)."]
    return [
        f"Service config of {t.name} in {t.env}, version {current.version} "
        f"(saved by {current.author}, {ui.when(current.saved_at)})."
    ]


def apply(
    ctx: Context,
    t: Target,
    current: ServiceDocument | None,
    edited: editing.Edited,
    options: DeployOptions,
    resume_command: str,
) -> int:
    """Diff against the stored version, confirm, save version N+1, change the stack."""
    if current is not None and current.doc == edited.doc:
        ui.info(f"no changes to {t.name}'s config in {t.env}")
        editing.discard(ctx, t)
        return 0
    old_label = f"version {current.version}" if current else "new"
    ui.info(f"Changes to {t.name}'s config in {t.env}:")
    diff = servicecfg.render_diff(current.doc if current else None, edited.doc, old_label=old_label)
    ui.diff_lines([(_diff_kind(line), line) for line in diff])
    for line in processcfg.unheeded_counts(current.doc if current else None, edited.doc):
        ui.warn(line)
    version = (current.version if current else 0) + 1
    document = ServiceDocument(t.env, t.name, version, edited.doc, deployer(ctx), time.time())
    saved: list[int] = []

    def save() -> None:
        save_document(ctx, t, document)
        saved.append(version)
        editing.discard(ctx, t)
        ui.info(f"saved version {version} of {t.name}'s config in {t.env}")

    try:
        deploy_stack(ctx, t, edited.cfg, options, save=save, check=False)
    except BaseException as exc:
        if not saved:
            editing.keep(ctx, t, edited.text)
        if isinstance(exc, LiftError) and "--resume" not in (exc.hint or ""):
            after = (
                f"version {version} is saved; once fixed: {command(t, 'update')}"
                if saved
                else f"your edit is kept: {resume_command}"
            )
            exc.hint = f"{exc.hint}; {after}" if exc.hint else after
        raise
    return 0


def _diff_kind(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "hint"
    return {"+": "add", "-": "remove"}.get(line[:1], "")


def before_editing(ctx: Context, t: Target) -> None:
    """What would make the edit fail after the editor closes: no environment, missing config."""
    secrets(ctx, t, require_record(ctx, t.env), check=True)


def given_text(
    ctx: Context, t: Target, verb: str, *, resume: bool, file: Path | None
) -> str | None:
    """The document --file or --resume gives; None when neither does."""
    if file is not None and resume:
        raise UsageError(
            "--file and --resume do not go together",
            hint=f"{command(t, verb, ' --file PATH')} or {command(t, verb, ' --resume')}",
        )
    if file is not None:
        return editing.read_document(file)
    if resume:
        return editing.kept_text(ctx, t, command(t, verb))
    return None


def without_editor(
    t: Target, text: str, resume_command: str, file: Path | None
) -> editing.Edited | None:
    """The document as it is when no editor opens, checked before any AWS request; None when
    the editor opens. Without a terminal (CI, a pipe) an editor would wait for ever, and a
    --file is never opened in one."""
    if file is None and ui.interactive():
        return None
    fix = (
        f"fix {file} and run the command again"
        if file
        else f"fix it on a terminal: {resume_command}"
    )
    return editing.as_given(t, text, fix)


def create(
    ctx: Context, env: str, options: DeployOptions, *, resume: bool, file: Path | None = None
) -> int:
    t = ctx.target(env)
    resume_command = command(t, "create", " --resume")
    given = given_text(ctx, t, "create", resume=resume, file=file)
    default = servicecfg.default_document(t.environment.confirm)
    text = given or editing.editor_text(default, header(t, None))
    ready = without_editor(t, text, resume_command, file)
    current = stored(ctx, t)
    if current is not None and stack_missing(ctx, t):
        if given is None:
            return restore(ctx, t, current, options)
        before_editing(ctx, t)
        return apply(
            ctx,
            t,
            current,
            ready or editing.edit_loop(ctx, t, given, resume_command),
            options,
            resume_command,
        )
    if current is not None:
        raise LiftError(
            f"{t.name} in {t.env} has a config already (version {current.version})",
            hint=f"change it with: {command(t, 'edit')} (or apply it: {command(t, 'update')})",
        )
    before_editing(ctx, t)
    if ready is not None and given is None:
        ui.info(
            f"no terminal to edit in: {t.name} gets the default service config "
            "(--file PATH gives your own)"
        )
    edited = ready or editing.edit_loop(ctx, t, text, resume_command)
    return apply(ctx, t, None, edited, options, resume_command)


def restore(ctx: Context, t: Target, current: ServiceDocument, options: DeployOptions) -> int:
    """A service whose stack was deleted comes back with its newest config (`service delete`
    keeps the versions); its release numbering goes on where it was."""
    ui.info(
        f"restoring version {current.version} of {t.name}'s config in {t.env} "
        "(its stack was deleted; the config stayed)"
    )
    deploy_stack(ctx, t, servicecfg.parse(current.doc), options)
    return 0


def edit(
    ctx: Context, env: str, options: DeployOptions, *, resume: bool, file: Path | None = None
) -> int:
    t = ctx.target(env)
    resume_command = command(t, "edit", " --resume")
    given = given_text(ctx, t, "edit", resume=resume, file=file)
    if given is None and not ui.interactive():
        raise UsageError(
            "service edit opens an editor and there is no terminal",
            hint=f"give the new config as a file: {command(t, 'show')} > service.json, "
            f"change it, then: {command(t, 'edit', ' --file service.json')}",
        )
    ready = without_editor(t, given, resume_command, file) if given is not None else None
    current = stored(ctx, t)
    if current is None and not resume:
        raise ctx.not_set_up(f"{t.name} has no service config in {t.env}", t)
    before_editing(ctx, t)
    if ready is None:
        if given is None:
            assert current is not None  # without --resume, checked above
            given = editing.editor_text(current.doc, header(t, current))
        ready = editing.edit_loop(ctx, t, given, resume_command)
    return apply(ctx, t, current, ready, options, resume_command)


def scale(
    ctx: Context,
    env: str,
    options: DeployOptions,
    *,
    desired: int | None,
    low: int | None,
    high: int | None,
    process: str = WEB,
) -> int:
    """`git lift scale`: the desired count and autoscaling's bounds (of web, or of another
    process) changed as `service edit` changes any field: version N+1 saved with who, then
    the stack updated."""
    t = ctx.target(env)
    line = f"git lift scale -e {t.env} -s {t.name}"
    if process != WEB:
        line += f" --process {process}"
    current = require_document(ctx, t)
    doc = processcfg.rescale(
        current.doc,
        process,
        desired=desired,
        low=low,
        high=high,
        command=line,
        owner=str(t),
        env=t.env,
    )
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    edited = editing.as_given(t, text, f"fix the service config first: {command(t, 'edit')}")
    before_editing(ctx, t)
    return apply(ctx, t, current, edited, options, command(t, "edit", " --resume"))


def require_document(ctx: Context, t: Target, version: int | None = None) -> ServiceDocument:
    found = stored(ctx, t, version)
    if found is None:
        if version is not None:
            raise LiftError(
                f"{t.name} has no config version {version} in {t.env}",
                hint=f"list them: {command(t, 'history')}",
            )
        raise ctx.not_set_up(f"{t.name} has no service config in {t.env}", t)
    return found


def update(ctx: Context, env: str, options: DeployOptions) -> int:
    """Apply the stored config again, with the running image and env.sample's keys as now."""
    t = ctx.target(env)
    current = require_document(ctx, t)
    ui.info(f"applying version {current.version} of {t.name}'s config in {t.env}")
    deploy_stack(ctx, t, servicecfg.parse(current.doc), options)
    return 0


def show(ctx: Context, env: str, version: int | None) -> int:
    t = ctx.target(env)
    document = require_document(ctx, t, version)
    if ctx.options.output == "json":
        ui.out(json.dumps(asdict(document), indent=2, sort_keys=True))
        return 0
    ui.info(
        f"{t.name} in {t.env}: version {document.version}, "
        f"saved by {document.author} ({ui.when(document.saved_at)})"
    )
    ui.out(json.dumps(document.doc, indent=2, sort_keys=True))
    return 0


def history(ctx: Context, env: str) -> int:
    t = ctx.target(env)
    documents = every_version(ctx, t)
    if not documents:
        raise ctx.not_set_up(f"{t.name} has no service config in {t.env}", t)
    if ctx.options.output == "json":
        rows = [{k: v for k, v in asdict(d).items() if k != "doc"} for d in documents]
        ui.out(json.dumps(rows, indent=2, sort_keys=True))
        return 0
    for d in documents:
        ui.out(f"v{d.version:<4} {ui.when(d.saved_at)}  {d.author}")
    return 0


def template(ctx: Context, env: str, fmt: str, version: int | None) -> int:
    from git_lift.templates import to_json, to_yaml

    t = ctx.target(env)
    found = stored(ctx, t) if version is None else require_document(ctx, t, version)
    if found is None:
        ui.info(f"{t.name} has no service config in {t.env}: rendering the defaults")
        doc: dict[str, Any] = servicecfg.default_document(t.environment.confirm)
    else:
        doc = found.doc
    rendered = render(ctx, t, servicecfg.parse(doc), None, check=False)
    ui.out((to_yaml(rendered) if fmt == "yaml" else to_json(rendered)).rstrip("\n"))
    return 0


def delete(ctx: Context, env: str, purge: Purge, timeout: float) -> int:
    """List what goes and what stays, confirm, delete the stack under the deploy lock."""
    return delete_service(ctx, env, purge, timeout)
