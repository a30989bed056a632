"""A service's config documents (versioned in the table) and the stack rendered from them:
what `service` commands and `setup` read and change."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from git_lift import servicecfg, ui
from git_lift.aws.cfn import DEAD, CloudFormation, Stack
from git_lift.aws.ecs import ServiceState
from git_lift.aws.store import EnvironmentRecord, ServiceDocument
from git_lift.errors import LiftError, NotSetUp
from git_lift.flows.context import Context
from git_lift.flows.environment_record import require_record
from git_lift.flows.infra_stack import DEFAULT_TIMEOUT, StackChange, change_stack
from git_lift.flows.sidecar_images import pinned_images
from git_lift.target import WEB, Target
from git_lift.templates.environment_params import CLOUDFORMATION_ROLE
from git_lift.templates.kept_revisions import keep_revisions, task_definition_title

# What a new service runs until its first `git lift ship`: a small public image that answers
# HTTP on port 80. Pass --image to start from your own.
PLACEHOLDER_IMAGE = "public.ecr.aws/nginx/nginx:stable-alpine"


@dataclass(frozen=True)
class DeployOptions:
    image: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def stored(ctx: Context, t: Target, version: int | None = None) -> ServiceDocument | None:
    """Version `version` of the service's config document (the newest when None)."""
    return ctx.aws.table(t.env).service_document(t, version)


def every_version(ctx: Context, t: Target) -> list[ServiceDocument]:
    """Every saved version of the service's config document, newest first."""
    return ctx.aws.table(t.env).service_documents(t)


def save_document(ctx: Context, t: Target, document: ServiceDocument) -> None:
    ctx.aws.table(t.env).save_service_document(t, document)


def stack_missing(ctx: Context, t: Target) -> bool:
    """Whether the service has no stack (never created, or deleted: its config stays)."""
    return ctx.aws.stacks(t.env).stack(t.stack) is None


class Running:
    """The service as it runs, each part read once for a stack update (the image it runs, the
    revisions to keep): its stack, when live, and each process's ECS service."""

    def __init__(self, ctx: Context, t: Target, cfn: CloudFormation) -> None:
        self._ctx, self._t, self.cfn = ctx, t, cfn
        self._states: dict[str, ServiceState] = {}

    @cached_property
    def stack(self) -> Stack | None:
        """The service's stack; None before it exists, while it awaits review, or when dead."""
        found = self.cfn.stack(self._t.stack)
        return None if found is None or found.reviewing or found.status in DEAD else found

    def state(self, process: str) -> ServiceState:
        """The process's ECS service (NotSetUp: the stack has not made it)."""
        if process not in self._states:
            self._states[process] = self._ctx.aws.ecs(self._t.for_process(process)).describe()
        return self._states[process]


def running_image(ctx: Context, t: Target, running: Running) -> str | None:
    """The image the service runs now (its task definition's container), None before the
    stack has created the service."""
    if running.stack is None:
        return None
    definition = ctx.aws.ecs(t).task_definition(running.state(WEB).task_definition)
    containers = definition.get("containerDefinitions", [])
    named = [c for c in containers if c.get("name") == t.container]
    chosen = named or (containers if len(containers) == 1 else [])
    if not chosen:
        raise LiftError(
            f"the task definition of {t.name} has no container named {t.container}",
            hint="set container in .gitlift to the container's name",
        )
    return str(chosen[0]["image"])


def keep_running(t: Target, cfg: servicecfg.ServiceConfig, document: Any, running: Running) -> Any:
    """`document` with each task definition that only a release's image sets apart from the
    stack's kept as the stack has it, its users naming the revision that runs
    (templates/kept_revisions.py says why): a count change registers nothing."""
    if running.stack is None:
        return document
    # A process that runs the stack's own revision (no release since) needs nothing kept.
    own = {r.logical_id: r.physical_id for r in running.cfn.resources(t.stack)}
    kept = {}
    for process in [WEB, *cfg.processes]:
        title = task_definition_title(process)
        try:
            state = running.state(process)
        except NotSetUp:  # a process this change adds
            continue
        if state.task_definition != own.get(title):
            kept[title] = state.task_definition
    if not kept:
        return document
    return keep_revisions(document, running.cfn.template(t.stack), kept, t.container)


def secrets(ctx: Context, t: Target, record: EnvironmentRecord, *, check: bool) -> dict[str, str]:
    """env.sample's keys as parameter ARNs; with `check`, every key must be in the store."""
    from git_lift.flows.config_check import require_keys, sample_keys

    keys = sample_keys(ctx, t.service)
    if check and keys:
        require_keys(ctx, t, keys, "the service's tasks could not start")
    return {key: t.config_arn(key, record.region, record.account) for key in keys}


def render(
    ctx: Context,
    t: Target,
    cfg: servicecfg.ServiceConfig,
    image: str | None,
    *,
    check: bool,
    running: Running | None = None,
) -> Any:
    """The service's template: the running image (or `image`), env.sample's secrets."""
    from git_lift.templates.service import service_template

    record = require_record(ctx, t.env)
    chosen = image or running_image(ctx, t, running or Running(ctx, t, ctx.aws.stacks(t.env)))
    if chosen is None:
        ui.info(f"{t.name} does not run in {t.env} yet: the stack starts {PLACEHOLDER_IMAGE}")
        chosen = PLACEHOLDER_IMAGE
    # Before the first release, the processes other than web wait at 0 tasks: the placeholder
    # with a worker's command fails (process_steps.first_count starts them).
    idle = chosen == PLACEHOLDER_IMAGE
    if idle and cfg.processes:
        ui.info(f"{', '.join(sorted(cfg.processes))}: no task until the first ship")
    kms = ctx.aws.keys(t.env).arn(ctx.settings.kms_key)
    return service_template(
        t,
        cfg,
        image=chosen,
        secrets=secrets(ctx, t, record, check=check),
        region=record.region,
        account_id=record.account,
        kms_key_arn=kms,
        sidecar_images=pinned_images(servicecfg.sidecars_of(cfg)),
        idle_processes=idle,
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
    running = Running(ctx, t, cfn)
    template = render(ctx, t, cfg, options.image, check=check, running=running)
    document = template.to_dict()
    if options.image is None:  # --image asks for that image: registered as asked
        document = keep_running(t, cfg, document, running)
    body = json.dumps(document, separators=(",", ":"), sort_keys=True)
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
