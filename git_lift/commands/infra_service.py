"""`git lift service create|update|edit|show|history|template`: a service's config document,
versioned in DynamoDB, and the stack (`Target.stack`) rendered from it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from git_lift import servicecfg, ui
from git_lift.aws.cfn import DEAD, CloudFormation
from git_lift.aws.store import EnvironmentRecord, ServiceDocument
from git_lift.commands import infra_service_edit as editing
from git_lift.commands.infra_env import require_record
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context
from git_lift.flows.infra_stack import DEFAULT_TIMEOUT, StackChange, change_stack
from git_lift.flows.release import deployer
from git_lift.target import Target
from git_lift.templates.environment_params import CLOUDFORMATION_ROLE

# What a new service runs until its first `git lift ship`: a small public image that answers
# HTTP on port 80. Pass --image to start from your own.
PLACEHOLDER_IMAGE = "public.ecr.aws/nginx/nginx:stable-alpine"


@dataclass(frozen=True)
class DeployOptions:
    image: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def command(t: Target, verb: str, extra: str = "") -> str:
    """The `git lift service VERB` command line for this service in this environment."""
    return f"git lift service {verb} -e {t.env} -s {t.name}{extra}"


def running_image(ctx: Context, t: Target, cfn: CloudFormation) -> str | None:
    """The image the service runs now (its task definition's container), None before the
    stack has created the service."""
    stack = cfn.stack(t.stack)
    if stack is None or stack.reviewing or stack.status in DEAD:
        return None
    ecs = ctx.aws.ecs(t)
    definition = ecs.task_definition(ecs.describe().task_definition)
    containers = definition.get("containerDefinitions", [])
    named = [c for c in containers if c.get("name") == t.container]
    chosen = named or (containers if len(containers) == 1 else [])
    if not chosen:
        raise LiftError(
            f"the task definition of {t.name} has no container named {t.container}",
            hint="set container in .gitlift to the container's name",
        )
    return str(chosen[0]["image"])


def secrets(ctx: Context, t: Target, record: EnvironmentRecord, *, check: bool) -> dict[str, str]:
    """env.sample's keys as parameter ARNs; with `check`, every key must be in the store."""
    from git_lift.flows.config_check import require_keys, sample_keys

    keys = sample_keys(ctx, t.service)
    if check and keys:
        require_keys(ctx, t, keys, "the service's tasks could not start")
    return {key: t.parameter_arn(key, record.region, record.account) for key in keys}


def render(
    ctx: Context,
    t: Target,
    cfg: servicecfg.ServiceConfig,
    cfn: CloudFormation,
    image: str | None,
    *,
    check: bool,
) -> Any:
    """The service's template: the running image (or `image`), env.sample's secrets."""
    from git_lift.aws.identity import key_arn
    from git_lift.templates.service import service_template

    record = require_record(ctx, t.env)
    chosen = image or running_image(ctx, t, cfn)
    if chosen is None:
        ui.info(f"{t.name} does not run in {t.env} yet: the stack starts {PLACEHOLDER_IMAGE}")
        chosen = PLACEHOLDER_IMAGE
    kms = key_arn(ctx.aws.client("kms", t.env), ctx.settings.kms_key)
    return service_template(
        t,
        cfg,
        image=chosen,
        secrets=secrets(ctx, t, record, check=check),
        region=record.region,
        account_id=record.account,
        kms_key_arn=kms,
    )


def stack_role(ctx: Context, t: Target) -> str:
    """The role CloudFormation changes the service stack with, which the environment stack
    made. An environment made before it has none: no fallback to the caller's own rights, which
    the developer policy no longer holds (and which let a developer rewrite a service role's
    trust); `env update` makes it."""
    outputs = require_record(ctx, t.env).outputs
    if not outputs.get(CLOUDFORMATION_ROLE):
        raise LiftError(
            f"environment {t.env} has no role for CloudFormation to change service stacks with "
            f"({t.environment_names.cloudformation_role}): it was created by an older git lift",
            hint=f"an admin makes it with: git lift env update -e {t.env}",
        )
    return outputs[CLOUDFORMATION_ROLE]


def deploy_stack(
    ctx: Context,
    t: Target,
    cfg: servicecfg.ServiceConfig,
    options: DeployOptions,
    save: Callable[[], None] | None = None,
    *,
    check: bool = True,
) -> None:
    from git_lift.templates.environment_params import TEMPLATE_BUCKET

    cfn = ctx.aws.stacks(t.env)
    role_arn = stack_role(ctx, t)
    template = render(ctx, t, cfg, cfn, options.image, check=check)
    body = json.dumps(template.to_dict(), separators=(",", ":"), sort_keys=True)
    change = StackChange(
        name=t.stack,
        body=body,
        tags=t.tags,
        environment=t.environment,
        timeout=options.timeout,
        role_arn=role_arn,
        bucket=require_record(ctx, t.env).outputs.get(TEMPLATE_BUCKET),
    )
    stack = change_stack(ctx, cfn, change, save=save)
    if stack is not None and stack.outputs.get("TaskDefinitionArn"):
        task_definition = stack.outputs["TaskDefinitionArn"].rsplit("/", 1)[-1]
        ui.info(
            f"{t.name} in {t.env}: ECS service {t.ecs_service} in {t.cluster}, {task_definition}"
        )


def stored(ctx: Context, t: Target, version: int | None = None) -> ServiceDocument | None:
    return ctx.aws.table(t.env).service_document(t, version)


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
    version = (current.version if current else 0) + 1
    document = ServiceDocument(t.env, t.name, version, edited.doc, deployer(ctx), time.time())
    saved: list[int] = []

    def save() -> None:
        ctx.aws.table(t.env).save_service_document(t, document)
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
    return editing.as_given(text, fix)


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
        raise LiftError(
            f"{t.name} has no service config in {t.env}", hint=f"create it: {command(t, 'create')}"
        )
    before_editing(ctx, t)
    if ready is None:
        if given is None:
            assert current is not None  # without --resume, checked above
            given = editing.editor_text(current.doc, header(t, current))
        ready = editing.edit_loop(ctx, t, given, resume_command)
    return apply(ctx, t, current, ready, options, resume_command)


def require_document(ctx: Context, t: Target, version: int | None = None) -> ServiceDocument:
    found = stored(ctx, t, version)
    if found is None:
        if version is not None:
            raise LiftError(
                f"{t.name} has no config version {version} in {t.env}",
                hint=f"list them: {command(t, 'history')}",
            )
        raise LiftError(
            f"{t.name} has no service config in {t.env}", hint=f"create it: {command(t, 'create')}"
        )
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
    documents = ctx.aws.table(t.env).service_documents(t)
    if not documents:
        raise LiftError(
            f"{t.name} has no service config in {t.env}", hint=f"create it: {command(t, 'create')}"
        )
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
    rendered = render(ctx, t, servicecfg.parse(doc), ctx.aws.stacks(t.env), None, check=False)
    ui.out((to_yaml(rendered) if fmt == "yaml" else to_json(rendered)).rstrip("\n"))
    return 0
