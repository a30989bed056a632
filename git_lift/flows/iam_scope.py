"""What an IAM policy is scoped to (`git lift iam-policy`): the services, the region and
account the environment's credentials act in, the KMS key, and who runs this."""

from __future__ import annotations

from git_lift.flows.context import Context
from git_lift.templates.iam_scope import Scope


def policy_scope(ctx: Context, env: str, account: str | None) -> Scope:
    """The scope of the policy of one environment: its own account and region (its `account`
    when set, else the one its credentials belong to), -s's service or every service."""
    environment = ctx.environment(env)
    services = [ctx.service()] if ctx.options.service else ctx.services(every=True)
    identity = ctx.aws.identity(environment.name)
    return Scope(
        targets=tuple(ctx.target(environment.name, service) for service in services),
        region=identity.region,  # the environment's own, else the shared one
        account=account or environment.aws.account or identity.account(),
        kms_key_arn=ctx.aws.keys(environment.name).arn(ctx.settings.kms_key),
        pins_config=environment.pins_config,
    )


def caller_before_role(ctx: Context, env: str) -> str:
    """Who runs this, as the environment's credentials before its role is assumed see them."""
    return ctx.aws.identity(env, before_role=True).arn()
