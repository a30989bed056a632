"""`git lift env ...`, `git lift service ...` and `git lift iam-policy`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from git_lift.cli.base import AWS, CONTEXT_SETTINGS, F, cli, context, env_option, global_options
from git_lift.cli.release import checked_image
from git_lift.cli.usage import Count
from git_lift.errors import UsageError

if TYPE_CHECKING:
    from git_lift.commands.infra_env import EnvFlags

stack_timeout_option = click.option(
    "--timeout",
    type=float,
    default=45 * 60,
    show_default=True,
    help="Seconds to wait for CloudFormation.",
)
image_option = click.option(
    "--image",
    metavar="URI",
    callback=checked_image,
    help="Image to run instead of the running one (or the placeholder).",
)
resume_option = click.option(
    "--resume", is_flag=True, help="Continue an edit that was not applied."
)
file_option = click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PATH",
    help="The service config as JSON (as `service show` prints it), instead of the editor.",
)
doc_version_option = click.option(
    "--version", "version", type=int, metavar="N", help="A saved version (default: the newest)."
)
ENV_FLAGS = (
    "vpc_cidr",
    "vpc_id",
    "public_subnets",
    "private_subnets",
    "nat",
    "certificate_arn",
    "notification_topic_arn",
    "internal_load_balancer",
    "access_logs_bucket",
    "timeout",
)


def environment_options(func: F) -> F:
    """Settings of `env create|update`; those not given are asked (create) or kept (update)."""
    options = [
        click.option("--vpc-cidr", help="Range of the VPC git lift makes, e.g. 10.0.0.0/16."),
        click.option(
            "--vpc-id",
            metavar="ID",
            help="An existing VPC instead (no VPC, NAT, gateway or routes made); "
            "the subnets are then its subnets' ids.",
        ),
        click.option(
            "--public-subnets",
            metavar="CIDR,CIDR|ID,ID...",
            help="Two public subnets: CIDRs to make, or ids (subnet-...) with --vpc-id.",
        ),
        click.option(
            "--private-subnets",
            metavar="CIDR,CIDR|ID,ID...",
            help="Two private subnets: CIDRs to make, or ids (subnet-...) with --vpc-id.",
        ),
        click.option(
            "--nat/--no-nat",
            default=None,
            help="Tasks in private subnets behind a NAT gateway (with --vpc-id: the VPC's own).",
        ),
        click.option("--certificate-arn", help="ACM certificate: HTTPS ('' removes it)."),
        click.option("--notification-topic-arn", help="SNS topic for failed deployments."),
        click.option(
            "--internal-load-balancer/--no-internal-load-balancer",
            default=None,
            help="A second load balancer, inside the VPC.",
        ),
        click.option(
            "--access-logs-bucket",
            metavar="BUCKET",
            help="S3 bucket for the load balancers' access logs ('' turns them off).",
        ),
        stack_timeout_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def env_flags(values: dict[str, Any]) -> EnvFlags:
    """Take `environment_options`' values out of `values`, checked (infra_env.EnvFlags)."""
    from git_lift.commands import infra_env

    return infra_env.flags(**{name: values.pop(name) for name in ENV_FLAGS})


@cli.group("env", context_settings=CONTEXT_SETTINGS)
def env_group() -> None:
    """Environments: network, ECS cluster lift-ENV, load balancer (stack lift-ENV).

    \b
    Example:
      git lift env create -e staging --yes
      git lift env show -e staging
    """


@env_group.command("create")
@env_option
@environment_options
@global_options(*AWS, "yes")
@click.pass_context
def env_create(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Create an environment: change set, confirm, stream stack events. Asks on a terminal.

    \b
    Example:
      git lift env create -e staging
      git lift env create -e production --no-nat --certificate-arn arn:aws:acm:... --yes
      git lift env create -e staging --vpc-id vpc-0a1b2c3d --yes \\
          --public-subnets subnet-0a1b2c3d,subnet-1a2b3c4d \\
          --private-subnets subnet-2a3b4c5d,subnet-3a4b5c6d
    """
    from git_lift.commands import infra_env as command

    flags = env_flags(values)  # first: the context takes the global options alone
    return command.create(context(click_ctx, values), env, flags)


@env_group.command("update")
@env_option
@environment_options
@global_options(*AWS, "yes")
@click.pass_context
def env_update(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Change an environment's settings (or apply git lift's newer template) by change set.

    \b
    Example:
      git lift env update -e staging --certificate-arn arn:aws:acm:eu-west-1:...
    """
    from git_lift.commands import infra_env as command

    flags = env_flags(values)
    return command.update(context(click_ctx, values), env, flags)


@env_group.command("show")
@env_option
@global_options(*AWS, "output")
@click.pass_context
def env_show(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """An environment's settings, stack status and load balancer.

    \b
    Example:
      git lift env show -e staging --output json
    """
    from git_lift.commands import infra_env as command

    return command.show(context(click_ctx, values), env)


@env_group.command("list")
@global_options(*AWS, "output")
@click.pass_context
def env_list(click_ctx: click.Context, /, **values: Any) -> int:
    """Environments: created ones, and those .gitlift declares that are not created yet.

    \b
    Example:
      git lift env list
    """
    from git_lift.commands import infra_env as command

    return command.list_environments(context(click_ctx, values))


@env_group.command("delete")
@env_option
@stack_timeout_option
@global_options(*AWS, "yes")
@click.pass_context
def env_delete(click_ctx: click.Context, /, env: str, timeout: float, **values: Any) -> int:
    """Delete an environment: its stack (network, cluster, load balancers) and its record.

    Refused while service stacks live in it (each named, with the command that deletes it).
    Lists what goes and what stays, confirms (typing the name where `confirm`; --yes without
    a terminal), streams stack events.

    \b
    Example:
      git lift env delete -e staging
    """
    from git_lift.commands import infra_env as command

    return command.delete(context(click_ctx, values), env, timeout)


@cli.group("service", context_settings=CONTEXT_SETTINGS)
def service_group() -> None:
    """A service's config (versioned JSON in DynamoDB) and its stack lift-ENV-SERVICE.

    \b
    Example:
      git lift service create -e staging
      git lift service edit -e staging
    """


@service_group.command("create")
@env_option
@image_option
@stack_timeout_option
@resume_option
@file_option
@global_options("service", *AWS, "yes")
@click.pass_context
def service_create(
    click_ctx: click.Context,
    /,
    env: str,
    image: str | None,
    timeout: float,
    resume: bool,
    file: Path | None,
    **values: Any,
) -> int:
    """Edit a new service config, review, save version 1 and create the service's stack.

    Without a terminal no editor opens: the default config is used, or --file's.

    \b
    Example:
      git lift service create -e staging
      git lift -s worker service create -e staging --yes --file worker.json
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=image, timeout=timeout)
    return command.create(context(click_ctx, values), env, options, resume=resume, file=file)


@service_group.command("edit")
@env_option
@image_option
@stack_timeout_option
@resume_option
@file_option
@global_options("service", *AWS, "yes")
@click.pass_context
def service_edit(
    click_ctx: click.Context,
    /,
    env: str,
    image: str | None,
    timeout: float,
    resume: bool,
    file: Path | None,
    **values: Any,
) -> int:
    """Edit the service config in your editor, review the diff, save version N+1, apply.

    Without a terminal no editor opens: give the new config with --file.

    \b
    Example:
      git lift service edit -e staging
      git lift service edit -e staging --yes --file service.json   # CI
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=image, timeout=timeout)
    return command.edit(context(click_ctx, values), env, options, resume=resume, file=file)


@service_group.command("update")
@env_option
@image_option
@stack_timeout_option
@global_options("service", *AWS, "yes")
@click.pass_context
def service_update(
    click_ctx: click.Context, /, env: str, image: str | None, timeout: float, **values: Any
) -> int:
    """Apply the stored config again (keeps the running image; secrets from env.sample).

    \b
    Example:
      git lift service update -e staging
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=image, timeout=timeout)
    return command.update(context(click_ctx, values), env, options)


@service_group.command("show")
@env_option
@doc_version_option
@global_options("service", *AWS, "output")
@click.pass_context
def service_show(click_ctx: click.Context, /, env: str, version: int | None, **values: Any) -> int:
    """Print the service config (the newest version, or --version N).

    \b
    Example:
      git lift service show -e staging --version 2
    """
    from git_lift.commands import infra_service as command

    return command.show(context(click_ctx, values), env, version)


@service_group.command("history")
@env_option
@global_options("service", *AWS, "output")
@click.pass_context
def service_history(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Saved versions of the service config, newest first, with author and time.

    \b
    Example:
      git lift service history -e staging
    """
    from git_lift.commands import infra_service as command

    return command.history(context(click_ctx, values), env)


@service_group.command("template")
@env_option
@click.option(
    "--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True
)
@doc_version_option
@global_options("service", *AWS)
@click.pass_context
def service_template(
    click_ctx: click.Context, /, env: str, fmt: str, version: int | None, **values: Any
) -> int:
    """Print the CloudFormation template the service config renders to, for review.

    \b
    Example:
      git lift service template -e staging --format yaml
    """
    from git_lift.commands import infra_service as command

    return command.template(context(click_ctx, values), env, fmt, version)


@service_group.command("delete")
@env_option
@click.option(
    "--purge-config",
    is_flag=True,
    help="Also delete the config values (Parameter Store) and the pinned config snapshots.",
)
@click.option("--purge-images", is_flag=True, help="Also delete the images in the ECR repository.")
@stack_timeout_option
@global_options("service", *AWS, "yes")
@click.pass_context
def service_delete(
    click_ctx: click.Context,
    /,
    env: str,
    purge_config: bool,
    purge_images: bool,
    timeout: float,
    **values: Any,
) -> int:
    """Delete the service's stack: ECS service, target group and rule, log group, roles.

    Lists what goes and what stays (config values, release records, the service config
    history, images, pinned snapshots), confirms (typing the service's name where `confirm`;
    --yes without a terminal), holds the deploy lock and streams stack events. `setup` or
    `service create` brings it back with its newest config; release numbers go on.

    \b
    Example:
      git lift service delete -e staging
      git lift -s worker service delete -e staging --purge-config --yes
    """
    from git_lift.commands import infra_service as command

    purge = command.Purge(config=purge_config, images=purge_images)
    return command.delete(context(click_ctx, values), env, purge, timeout)


# scaling: `git lift scale`.
@cli.command("scale")
@env_option
@click.argument("desired", metavar="[N]", type=Count(0), required=False)
@click.option("--min", "low", type=Count(0), metavar="N", help="Autoscaling's minimum, 0 or more.")
@click.option("--max", "high", type=Count(1), metavar="N", help="Autoscaling's maximum, 1 or more.")
@click.option(
    "--process",
    default="web",
    show_default=True,
    metavar="P",
    help="The process to scale (a worker the service config's processes name).",
)
@stack_timeout_option
@global_options("service", *AWS, "yes")
@click.pass_context
def scale(
    click_ctx: click.Context,
    /,
    env: str,
    desired: int | None,
    low: int | None,
    high: int | None,
    process: str,
    timeout: float,
    **values: Any,
) -> int:
    """Set a process's desired count N, or autoscaling's --min/--max, in ENV.

    A new service config version, as `service edit` saves one (with who), then the stack is
    updated. With autoscaling on, the count is autoscaling's: N is refused, and a --min above
    the running count raises it at once. Refused too when min is above max.

    \b
    Example:
      git lift scale -e production 4
      git lift scale -e production --min 2 --max 12
      git lift scale -e production --process worker 6
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=None, timeout=timeout)
    return command.scale(
        context(click_ctx, values),
        env,
        options,
        desired=desired,
        low=low,
        high=high,
        process=process,
    )


def checked_account(
    click_ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """Anything but 12 digits would put ARNs in the policy that match nothing."""
    if value is not None and not re.fullmatch(r"[0-9]{12}", value):
        raise UsageError(
            f"--account {value!r} is not an AWS account id (12 digits)",
            hint="e.g. --account 123456789012, or leave it out for the caller's account",
        )
    return value


def checked_principals(
    click_ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """Refused before any request: a trust policy naming no one would let no one in."""
    from git_lift.templates.iam_trust import principal

    for arn in value:
        principal(arn)
    return value


@cli.command("iam-policy")
@env_option
@click.option(
    "--for",
    "audience",
    type=click.Choice(
        [
            "developer",
            "ci",
            "admin",
            "boundary",
            "stack-boundary",
            "deployer-role",
            "task",
            "preview",
        ]
    ),
    default="developer",
    show_default=True,
    help="ci: ship and checks; developer: also config, logs, shell, services (through the "
    "environment's CloudFormation role, no IAM writes); admin: also env create/update; "
    "boundary: the permissions boundary of every role a service stack makes; "
    "stack-boundary: the CloudFormation role's own boundary; "
    "deployer-role: the trust policy of ENV's roleArn (who may assume it); "
    "task: what the service's running code may do (its task role, from its service config); "
    "preview: what a push needs for branches' previews in a preview environment.",
)
@click.option(
    "--account",
    callback=checked_account,
    help="AWS account id, 12 digits (default: ENV's `account`, else its credentials', by STS).",
)
@click.option(
    "--principal",
    "principals",
    multiple=True,
    metavar="ARN",
    callback=checked_principals,
    help="deployer-role: a role or user that may assume it (repeatable; default: you).",
)
@global_options("service", *AWS)
@click.pass_context
def iam_policy(
    click_ctx: click.Context,
    /,
    env: str,
    audience: str,
    account: str | None,
    principals: tuple[str, ...],
    **values: Any,
) -> int:
    """Print a least-privilege IAM policy (JSON) for what git lift does in ENV, for ENV's own
    account and region.

    \b
    Example:
      git lift iam-policy -e staging --for ci > ci-policy.json
      git lift iam-policy -e production --for deployer-role \\
          --principal arn:aws:iam::123456789012:role/ci > trust.json
      git lift iam-policy -e staging --for task -s api
    """
    from git_lift.commands import iam_policy as command

    return command.print_policy(context(click_ctx, values), env, audience, account, principals)


@cli.command("adopt")
@env_option
@click.option("--cluster", required=True, help="The ECS cluster the service runs in.")
@click.option(
    "--ecs-service",
    required=True,
    help="The ECS service's name (-s names git lift's service, in a repo of several).",
)
@click.option("--container", help="The container git lift deploys (when several are essential).")
@global_options("service", *AWS, "yes")
@click.pass_context
def adopt(
    click_ctx: click.Context,
    /,
    env: str,
    cluster: str,
    ecs_service: str,
    container: str | None,
    **values: Any,
) -> int:
    """Point git lift at an ECS service it did not create (cloudlift, Terraform, console).

    \b
    Reads the service's task definition and writes the names it found into .gitlift.

    \b
    Example:
      git lift adopt -e staging --cluster cluster-staging --ecs-service payments-Payments
    """
    from git_lift.commands import adopt as command

    return command.adopt(context(click_ctx, values), env, cluster, ecs_service, container)
