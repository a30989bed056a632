"""click commands: parse, build the context, call commands.*, return an exit code.

Command modules are imported inside each command so that `--help` and hooks with nothing
to do never import boto3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from git_lift import ui
from git_lift.options import Options

if TYPE_CHECKING:
    from git_lift.commands.context import Context

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def global_options(func: F) -> F:
    """Options accepted before or after the command name (`git lift -s api config show`)."""
    options = [
        click.option("-s", "--service", help="Service name (multi-service repos)."),
        click.option("--profile", help="AWS profile."),
        click.option("--region", help="AWS region."),
        click.option(
            "--yes", is_flag=True, default=None, help="Do not prompt; confirms production."
        ),
        click.option("--output", type=click.Choice(["text", "json"]), help="Output format."),
        click.option(
            "-q", "--quiet", "verbosity", flag_value=-1, default=None, help="Less output."
        ),
        click.option("-v", "--verbose", "verbosity", flag_value=1, help="More output."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def merge_options(ctx: click.Context, /, values: dict[str, Any]) -> Options:
    options: Options = ctx.ensure_object(Options)
    for name in ("service", "region", "profile", "yes", "output"):
        value = values.pop(name, None)
        if value is not None:
            setattr(options, name, value)
    verbosity = values.pop("verbosity", None)
    if verbosity is not None:
        ui.set_verbosity(verbosity)
    return options


def context(ctx: click.Context, /, values: dict[str, Any]) -> Context:
    from git_lift.commands.context import load  # pygit2 is not needed for --help

    return load(merge_options(ctx, values))


env_option = click.option("-e", "--env", "env", required=True, help="Environment, e.g. staging.")
show_values_option = click.option(
    "--show-values", is_flag=True, help="Show values (masked by default)."
)
tier_option = click.option(
    "--tier",
    type=click.Choice(["standard", "advanced"]),
    default="standard",
    help="Parameter tier: advanced allows values up to 8 KB.",
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["dotenv", "json"]), default="dotenv"
)


@click.group(context_settings=CONTEXT_SETTINGS)
@global_options
@click.version_option(package_name="git-lift", message="git lift %(version)s")
@click.pass_context
def cli(ctx: click.Context, /, **values: Any) -> None:
    """Ship dockerized services to AWS ECS with git.

    \b
    Example:
      git lift config edit -e staging
      git lift config check
    """
    merge_options(ctx, values)


@cli.group(context_settings=CONTEXT_SETTINGS)
def config() -> None:
    """A service's environment config in Parameter Store (/ENV/SERVICE/KEY).

    \b
    Example:
      git lift config edit -e staging
      git lift config set -e staging LOG_LEVEL=debug
    """


@config.command("edit")
@env_option
@click.option("--resume", is_flag=True, help="Continue an edit whose apply failed or was refused.")
@show_values_option
@tier_option
@global_options
@click.pass_context
def config_edit(
    ctx: click.Context,
    /, env: str, resume: bool, show_values: bool, tier: str, **values: Any
) -> int:
    """Edit config in your git editor, review a masked diff, confirm, apply.

    \b
    Example:
      git lift config edit -e staging
    """
    from git_lift.commands import config as command

    return command.edit(
        context(ctx, values),
        env,
        resume=resume,
        show_values=show_values,
        advanced=tier == "advanced",
    )


@config.command("show")
@env_option
@show_values_option
@global_options
@click.pass_context
def config_show(ctx: click.Context, /, env: str, show_values: bool, **values: Any) -> int:
    """List keys with versions; values masked unless --show-values.

    \b
    Example:
      git lift config show -e staging --output json
    """
    from git_lift.commands import config as command

    return command.show(context(ctx, values), env, show_values=show_values)


@config.command("get")
@env_option
@click.argument("key")
@global_options
@click.pass_context
def config_get(ctx: click.Context, /, env: str, key: str, **values: Any) -> int:
    """Print one value.

    \b
    Example:
      git lift config get -e staging DATABASE_URL
    """
    from git_lift.commands import config as command

    return command.get(context(ctx, values), env, key)


@config.command("set")
@env_option
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@tier_option
@show_values_option
@global_options
@click.pass_context
def config_set(
    ctx: click.Context,
    /,
    env: str,
    assignments: tuple[str, ...],
    tier: str,
    show_values: bool,
    **values: Any,
) -> int:
    """Set keys. A bare KEY prompts for its value without echo (or reads a line of stdin).

    \b
    Example:
      git lift config set -e staging LOG_LEVEL=debug WORKERS=4
      git lift config set -e staging API_TOKEN        # prompts
    """
    from git_lift.commands import config as command

    return command.set_values(
        context(ctx, values), env, assignments, advanced=tier == "advanced", show_values=show_values
    )


@config.command("unset")
@env_option
@click.argument("keys", nargs=-1, required=True)
@global_options
@click.pass_context
def config_unset(ctx: click.Context, /, env: str, keys: tuple[str, ...], **values: Any) -> int:
    """Remove keys.

    \b
    Example:
      git lift config unset -e staging OLD_FLAG
    """
    from git_lift.commands import config as command

    return command.unset(context(ctx, values), env, keys)


@config.command("check")
@click.option(
    "-e", "--env", "envs", multiple=True, help="Environment (repeatable); all by default."
)
@click.option("--strict", is_flag=True, help="Keys in the store but not in env.sample are errors.")
@global_options
@click.pass_context
def config_check(ctx: click.Context, /, envs: tuple[str, ...], strict: bool, **values: Any) -> int:
    """env.sample against the store: missing keys fail, extra keys warn. Never decrypts.

    \b
    Example:
      git lift config check
      git lift config check -e production --output json
    """
    from git_lift.commands import config as command

    return command.check(context(ctx, values), envs, strict=strict)


@config.command("diff")
@click.option("-e", "--env", "envs", multiple=True, required=True, help="Two environments.")
@global_options
@click.pass_context
def config_diff(ctx: click.Context, /, envs: tuple[str, ...], **values: Any) -> int:
    """Keys present in one environment and not the other (names only).

    \b
    Example:
      git lift config diff -e staging -e production
    """
    from git_lift.commands import config as command

    return command.diff(context(ctx, values), envs)


@config.command("history")
@env_option
@click.argument("key")
@show_values_option
@global_options
@click.pass_context
def config_history(ctx: click.Context, /, env: str, key: str, show_values: bool, **values: Any) -> int:
    """Versions of one key, newest first.

    \b
    Example:
      git lift config history -e staging DATABASE_URL
    """
    from git_lift.commands import config as command

    return command.history(context(ctx, values), env, key, show_values=show_values)


@config.command("restore")
@env_option
@click.argument("spec", metavar="KEY@VERSION")
@global_options
@click.pass_context
def config_restore(ctx: click.Context, /, env: str, spec: str, **values: Any) -> int:
    """Set a key back to the value it had at a version (a new version is written).

    \b
    Example:
      git lift config restore -e staging DATABASE_URL@3
    """
    from git_lift.commands import config as command

    return command.restore(context(ctx, values), env, spec)


@config.command("export")
@env_option
@format_option
@global_options
@click.pass_context
def config_export(ctx: click.Context, /, env: str, fmt: str, **values: Any) -> int:
    """Print all values as dotenv or JSON (this prints secrets).

    \b
    Example:
      git lift config export -e staging --format json > staging.json
    """
    from git_lift.commands import config as command

    return command.export(context(ctx, values), env, fmt)


@config.command("import")
@env_option
@click.argument("path", metavar="FILE|-")
@format_option
@click.option("--replace", is_flag=True, help="Remove keys the file does not name.")
@tier_option
@global_options
@click.pass_context
def config_import(
    ctx: click.Context,
    /, env: str, path: str, fmt: str, replace: bool, tier: str, **values: Any
) -> int:
    """Set keys from a dotenv or JSON file, through the same diff and confirmation.

    \b
    Example:
      git lift config import -e staging .env.staging
    """
    from git_lift.commands import config as command

    return command.import_values(
        context(ctx, values), env, path, fmt, replace=replace, advanced=tier == "advanced"
    )


@config.command("exec", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@env_option
@click.argument("command_args", nargs=-1, type=click.UNPROCESSED, metavar="-- COMMAND...")
@global_options
@click.pass_context
def config_exec(ctx: click.Context, /, env: str, command_args: tuple[str, ...], **values: Any) -> int:
    """Run a command locally with the environment's config in its environment.

    \b
    Example:
      git lift config exec -e staging -- python manage.py migrate
    """
    from git_lift.commands import config as command

    return command.run_with_config(context(ctx, values), env, command_args)


timeout_option = click.option(
    "--timeout", type=float, default=15 * 60, show_default=True,
    help="Seconds to wait for the deployment before rolling back.",
)


@cli.command("ship")
@click.option("-e", "--env", "env", help="Environment; by default the one the ref maps to.")
@click.option("--ref", help="Commit, branch or tag to ship (default: HEAD).")
@click.option("--image", help="Deploy an image built elsewhere (CI) instead of building.")
@click.option("--build-arg", "build_args", multiple=True, metavar="K=V", help="Build argument.")
@click.option("--no-wait", is_flag=True, help="Start the deployment and return.")
@click.option("--allow-dirty", is_flag=True, help="Build uncommitted changes (never for confirm).")
@timeout_option
@global_options
@click.pass_context
def ship(ctx: click.Context, /, env: str | None, ref: str | None, image: str | None,
         build_args: tuple[str, ...], no_wait: bool, allow_dirty: bool, timeout: float,
         **values: Any) -> int:
    """Build, push and deploy a commit; wait until it runs; roll back if it does not.

    \b
    Example:
      git lift ship -e staging
      git lift ship --ref v1.4.0 --yes        # CI, after a tag push
    """
    from git_lift.commands import ship as command

    request = command.ShipRequest(env=env, ref=ref, image=image, build_args=build_args,
                                  wait=not no_wait, timeout=timeout, allow_dirty=allow_dirty)
    return command.ship(context(ctx, values), request)


@cli.command("rollback")
@env_option
@click.option("--to", "to", type=int, help="Release number (default: the one before).")
@timeout_option
@global_options
@click.pass_context
def rollback(ctx: click.Context, /, env: str, to: int | None, timeout: float, **values: Any) -> int:
    """Redeploy an earlier release and record it as a new release.

    \b
    Example:
      git lift rollback -e production
      git lift rollback -e production --to 12
    """
    from git_lift.commands import rollout as command

    lift_ctx = context(ctx, values)
    env_name = lift_ctx.environment(env).name
    return command.roll_back(lift_ctx, lift_ctx.service(), env_name, to, timeout)


@cli.command("status")
@click.option("-e", "--env", "envs", multiple=True, help="Environment (repeatable); all by default.")
@global_options
@click.pass_context
def status(ctx: click.Context, /, envs: tuple[str, ...], **values: Any) -> int:
    """What runs where: release, commit, image, tasks, commits not deployed, config drift.

    \b
    Example:
      git lift status
      git lift status -e production --output json
    """
    from git_lift.commands import status as command

    return command.status(context(ctx, values), envs)


@cli.command("history")
@env_option
@global_options
@click.pass_context
def history(ctx: click.Context, /, env: str, **values: Any) -> int:
    """Releases of the service in an environment, newest first.

    \b
    Example:
      git lift history -e production
    """
    from git_lift.commands import status as command

    return command.history(context(ctx, values), env)


@cli.command("unlock")
@env_option
@global_options
@click.pass_context
def unlock(ctx: click.Context, /, env: str, **values: Any) -> int:
    """Remove a stale deploy lock (a ship that was killed without cleaning up).

    \b
    Example:
      git lift unlock -e staging
    """
    from git_lift.commands import status as command

    return command.unlock(context(ctx, values), env)


@cli.group("sandbox", invoke_without_command=True)
@click.option("--detach", is_flag=True, help="Run in the background and return.")
@click.option("--port", type=int, default=0, help="Port for the AWS emulator (default: free).")
@click.option("--no-registry", is_flag=True, help="Do not start the local image registry.")
@click.pass_context
def sandbox(ctx: click.Context, /, detach: bool, port: int, no_registry: bool) -> int:
    """A local AWS emulator (moto + ECS rollouts) and image registry: no AWS account needed.

    \b
    Example:
      git lift sandbox --detach
      eval "$(git lift sandbox env)"
      git lift ship -e staging
    """
    if ctx.invoked_subcommand is not None:
        return 0
    from git_lift.commands import sandbox as command

    run = command.detach if detach else command.serve
    return run(ui.out, port=port, registry=not no_registry)


@sandbox.command("stop")
def sandbox_stop() -> int:
    """Stop the sandbox and its registry.

    \b
    Example:
      git lift sandbox stop
    """
    from git_lift.commands import sandbox as command

    return command.stop(ui.out)


@sandbox.command("reset")
def sandbox_reset() -> int:
    """Forget every AWS resource, rollout and request count the sandbox holds.

    \b
    Example:
      git lift sandbox reset
    """
    from git_lift.commands import sandbox as command

    return command.reset(ui.out)


@sandbox.command("env")
def sandbox_env() -> int:
    """Print the variables that point git lift at the running sandbox.

    \b
    Example:
      eval "$(git lift sandbox env)"
    """
    from git_lift.commands import sandbox as command

    return command.env(ui.out)


@cli.group(context_settings=CONTEXT_SETTINGS)
def hooks() -> None:
    """git lift's git hooks in this repository: config checked before a commit or push leaves.

    \b
    Example:
      git lift hooks install
    """


@hooks.command("install")
@global_options
@click.pass_context
def hooks_install(ctx: click.Context, /, **values: Any) -> int:
    """Install the pre-commit and pre-push hooks; an existing hook is chained, never lost.

    \b
    Example:
      git lift hooks install
    """
    from git_lift.commands import hooks as command

    return command.install(context(ctx, values).repo)


@hooks.command("uninstall")
@global_options
@click.pass_context
def hooks_uninstall(ctx: click.Context, /, **values: Any) -> int:
    """Remove git lift's hooks and put back the hooks they displaced.

    \b
    Example:
      git lift hooks uninstall
    """
    from git_lift.commands import hooks as command

    return command.uninstall(context(ctx, values).repo)


@cli.group(context_settings=CONTEXT_SETTINGS)
def hook() -> None:
    """Entry points the installed hooks run (GIT_LIFT_SKIP_HOOKS=1 skips them).

    \b
    Example:
      git lift hook pre-commit
    """


@hook.command("pre-commit")
@click.argument("files", nargs=-1)
@global_options
@click.pass_context
def hook_pre_commit(ctx: click.Context, /, files: tuple[str, ...], **values: Any) -> int:
    """Lint staged env.sample files; check the keys they add exist in the store.

    \b
    Example:
      git lift hook pre-commit
    """
    from git_lift.commands import hook_checks as command

    return 0 if command.skipped() else command.pre_commit(context(ctx, values), files)


@hook.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@click.option("--from-pre-commit", is_flag=True, help="Read the ref the pre-commit framework sets.")
@global_options
@click.pass_context
def hook_pre_push(
    ctx: click.Context, /, remote: str | None, url: str | None, from_pre_commit: bool, **values: Any
) -> int:
    """Check the config of each environment the pushed refs map to (refs on stdin, as git
    gives them); release those with deployOnPush.

    \b
    Example:
      echo "refs/heads/main $(git rev-parse HEAD) refs/heads/main $(git rev-parse @{u})" |
        git lift hook pre-push origin
    """
    import sys

    from git_lift.commands import hook_checks as command

    if command.skipped():
        return 0
    return command.pre_push_entry(context(ctx, values), sys.stdin, framework=from_pre_commit)


@cli.command("logs")
@env_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events.")
@click.option("--since", default="10m", show_default=True, help="How far back: 30s, 10m, 2h, 1d.")
@global_options
@click.pass_context
def logs(ctx: click.Context, /, env: str, follow: bool, since: str, **values: Any) -> int:
    """The service's container logs from CloudWatch (/lift/ENV/SERVICE).

    \b
    Example:
      git lift logs -e staging --since 1h
      git lift logs -e production -f
    """
    from git_lift.commands import logs as command

    return command.logs(context(ctx, values), env, since, follow)


@cli.command("shell", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@env_option
@click.argument("command_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- COMMAND...]")
@global_options
@click.pass_context
def shell(ctx: click.Context, /, env: str, command_args: tuple[str, ...], **values: Any) -> int:
    """A shell (or COMMAND) in a running task, through ECS Exec.

    \b
    Example:
      git lift shell -e staging
      git lift shell -e staging -- python manage.py shell
    """
    from git_lift.commands import logs as command

    return command.shell(context(ctx, values), env, command_args)


stack_timeout_option = click.option("--timeout", type=float, default=45 * 60, show_default=True,
                              help="Seconds to wait for CloudFormation.")
image_option = click.option("--image", metavar="URI",
                            help="Image to run instead of the running one (or the placeholder).")
resume_option = click.option("--resume", is_flag=True,
                             help="Continue an edit that was not applied.")
doc_version_option = click.option("--version", "version", type=int, metavar="N",
                                  help="A saved version (default: the newest).")
ENV_FLAGS = ("vpc_cidr", "public_subnets", "private_subnets", "nat", "certificate_arn",
             "notification_topic_arn", "internal_load_balancer", "timeout")


def environment_options(func: F) -> F:
    """Settings of `env create|update`; those not given are asked (create) or kept (update)."""
    options = [
        click.option("--vpc-cidr", help="VPC range, e.g. 10.0.0.0/16."),
        click.option("--public-subnets", metavar="CIDR,CIDR", help="Two public subnets."),
        click.option("--private-subnets", metavar="CIDR,CIDR", help="Two private subnets."),
        click.option("--nat/--no-nat", default=None, help="Tasks behind a NAT gateway."),
        click.option("--certificate-arn", help="ACM certificate: HTTPS ('' removes it)."),
        click.option("--notification-topic-arn", help="SNS topic for failed deployments."),
        click.option("--internal-load-balancer/--no-internal-load-balancer", default=None,
                     help="A second load balancer, inside the VPC."),
        stack_timeout_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
@global_options
@click.pass_context
def env_create(ctx: click.Context, /, env: str, **values: Any) -> int:
    """Create an environment: change set, confirm, stream stack events. Asks on a terminal.

    \b
    Example:
      git lift env create -e staging
      git lift env create -e production --no-nat --certificate-arn arn:aws:acm:... --yes
    """
    from git_lift.commands import infra_env as command

    flags = command.flags(**{name: values.pop(name) for name in ENV_FLAGS})
    return command.create(context(ctx, values), env, flags)


@env_group.command("update")
@env_option
@environment_options
@global_options
@click.pass_context
def env_update(ctx: click.Context, /, env: str, **values: Any) -> int:
    """Change an environment's settings (or apply git lift's newer template) by change set.

    \b
    Example:
      git lift env update -e staging --certificate-arn arn:aws:acm:eu-west-1:...
    """
    from git_lift.commands import infra_env as command

    flags = command.flags(**{name: values.pop(name) for name in ENV_FLAGS})
    return command.update(context(ctx, values), env, flags)


@env_group.command("show")
@env_option
@global_options
@click.pass_context
def env_show(ctx: click.Context, /, env: str, **values: Any) -> int:
    """An environment's settings, stack status and load balancer.

    \b
    Example:
      git lift env show -e staging --output json
    """
    from git_lift.commands import infra_env as command

    return command.show(context(ctx, values), env)


@env_group.command("list")
@global_options
@click.pass_context
def env_list(ctx: click.Context, /, **values: Any) -> int:
    """Environments: created ones, and those .gitlift declares that are not created yet.

    \b
    Example:
      git lift env list
    """
    from git_lift.commands import infra_env as command

    return command.list_environments(context(ctx, values))


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
@global_options
@click.pass_context
def service_create(ctx: click.Context, /, env: str, image: str | None, timeout: float,
                   resume: bool, **values: Any) -> int:
    """Edit a new service config, review, save version 1 and create the service's stack.

    \b
    Example:
      git lift service create -e staging
      git lift -s worker service create -e staging --yes
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=image, timeout=timeout)
    return command.create(context(ctx, values), env, options, resume=resume)


@service_group.command("edit")
@env_option
@image_option
@stack_timeout_option
@resume_option
@global_options
@click.pass_context
def service_edit(ctx: click.Context, /, env: str, image: str | None, timeout: float,
                 resume: bool, **values: Any) -> int:
    """Edit the service config in your editor, review the diff, save version N+1, apply.

    \b
    Example:
      git lift service edit -e staging
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=image, timeout=timeout)
    return command.edit(context(ctx, values), env, options, resume=resume)


@service_group.command("update")
@env_option
@image_option
@stack_timeout_option
@global_options
@click.pass_context
def service_update(ctx: click.Context, /, env: str, image: str | None, timeout: float,
                   **values: Any) -> int:
    """Apply the stored config again (keeps the running image; secrets from env.sample).

    \b
    Example:
      git lift service update -e staging
    """
    from git_lift.commands import infra_service as command

    options = command.DeployOptions(image=image, timeout=timeout)
    return command.update(context(ctx, values), env, options)


@service_group.command("show")
@env_option
@doc_version_option
@global_options
@click.pass_context
def service_show(ctx: click.Context, /, env: str, version: int | None, **values: Any) -> int:
    """Print the service config (the newest version, or --version N).

    \b
    Example:
      git lift service show -e staging --version 2
    """
    from git_lift.commands import infra_service as command

    return command.show(context(ctx, values), env, version)


@service_group.command("history")
@env_option
@global_options
@click.pass_context
def service_history(ctx: click.Context, /, env: str, **values: Any) -> int:
    """Saved versions of the service config, newest first, with author and time.

    \b
    Example:
      git lift service history -e staging
    """
    from git_lift.commands import infra_service as command

    return command.history(context(ctx, values), env)


@service_group.command("template")
@env_option
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json",
              show_default=True)
@doc_version_option
@global_options
@click.pass_context
def service_template(ctx: click.Context, /, env: str, fmt: str, version: int | None,
                     **values: Any) -> int:
    """Print the CloudFormation template the service config renders to, for review.

    \b
    Example:
      git lift service template -e staging --format yaml
    """
    from git_lift.commands import infra_service as command

    return command.template(context(ctx, values), env, fmt, version)


@cli.command("iam-policy")
@env_option
@click.option("--for", "audience", type=click.Choice(["developer", "ci", "admin"]),
              default="developer", show_default=True,
              help="ci: ship and checks; developer: also config, logs, shell, services; "
                   "admin: also env create/update.")
@click.option("--account", help="AWS account id (default: the caller's, from STS).")
@global_options
@click.pass_context
def iam_policy(ctx: click.Context, /, env: str, audience: str, account: str | None,
               **values: Any) -> int:
    """Print a least-privilege IAM policy (JSON) for what git lift does in ENV.

    \b
    Example:
      git lift iam-policy -e staging --for ci > ci-policy.json
    """
    from git_lift.commands import iam_policy as command

    return command.print_policy(context(ctx, values), env, audience, account)
