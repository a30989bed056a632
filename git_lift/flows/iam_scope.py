"""What an IAM policy is scoped to (`git lift iam-policy`): the services, the region and
account the environment's credentials act in, the KMS key, and who runs this."""

from __future__ import annotations

from dataclasses import dataclass

from git_lift import envfile, secret_refs, servicecfg, ui
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context
from git_lift.flows.service_stack import stored
from git_lift.servicecfg import ServiceConfig
from git_lift.settings import ServiceSettings
from git_lift.target import EVERY_PREVIEW
from git_lift.templates.iam_scope import Scope


def policy_scope(
    ctx: Context, env: str, account: str | None, *, one: bool = False, previews: bool = False
) -> Scope:
    """The scope of the policy of one environment: its own account and region (its `account`
    when set, else the one its credentials belong to), -s's service or every service (`one`:
    the service -s or the folder names); `previews`: every preview of them (a preview
    environment's `<service>--*`)."""
    environment = ctx.environment(env)
    every = not one and not ctx.options.service
    services = ctx.services(every=True) if every else [ctx.service()]
    identity = ctx.aws.identity(environment.name)
    if previews and environment.preview is None:
        raise UsageError(
            f"{env} is not a preview environment: the preview policy is for one",
            hint="leave out --for preview, or name one: git lift iam-policy -e ENV --for preview",
        )
    targets = tuple(
        ctx.preview_named(environment, service, EVERY_PREVIEW)
        if previews
        else ctx.target(environment.name, service)
        for service in services
    )
    return Scope(
        targets=targets,
        region=identity.region,  # the environment's own, else the shared one
        account=account or environment.aws.account or identity.account(),
        kms_key_arn=ctx.aws.keys(environment.name).arn(ctx.settings.kms_key),
        pins_config=environment.pins_config,
        locks_config=environment.config_lock,
        secret_refs=sample_secret_refs(ctx, environment.name, services, identity.region),
    )


def sample_secret_refs(
    ctx: Context, env: str, services: list[ServiceSettings], region: str
) -> tuple[str, ...]:
    """The secrets the services' env.sample files (work tree) name by ARN, in `region`, and
    those their saved service configs name (`secret_refs`; none before the service exists)."""
    found: set[str] = set()
    for service in services:
        path = ctx.env_sample_path(service)
        if path.is_file():
            refs = secret_refs.from_sample(envfile.read(path, service.env_sample))
            found.update(secret_refs.for_environment(refs, region).values())
        try:
            document = stored(ctx, ctx.target(env, service))
        except LiftError:  # no table yet: the policy is printed before `env create`
            document = None
        if document is not None:
            found.update(servicecfg.secret_refs_of_document(document.doc).values())
    return tuple(sorted(found))


def caller_before_role(ctx: Context, env: str) -> str:
    """Who runs this, as the environment's credentials before its role is assumed see them."""
    return ctx.aws.identity(env, before_role=True).arn()


@dataclass(frozen=True)
class TaskPolicy:
    scope: Scope  # the one service
    cfg: ServiceConfig  # its stored config, else the defaults
    document: dict[str, object]  # the task role's inline statements


def task_policy(ctx: Context, env: str, account: str | None) -> TaskPolicy:
    """The task role's policy as the service's stored config makes it (the defaults' when it
    has none yet, as `service template` renders them)."""
    from git_lift.templates.task_policies import task_policy as document

    s = policy_scope(ctx, env, account, one=True)
    (t,) = s.targets
    current = stored(ctx, t)
    if current is None:
        ui.info(f"{t.name} has no service config in {t.env}: the defaults' task role")
    doc = current.doc if current else servicecfg.default_document(t.environment.confirm)
    cfg = servicecfg.parse(doc)
    return TaskPolicy(s, cfg, document(cfg, s.region, s.account))
