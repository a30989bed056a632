"""`git lift notify set-webhook`, `git lift notify test`, `git lift open` (issue 24)."""

from __future__ import annotations

from typing import Any

import click

from git_lift.cli.base import AWS, CONTEXT_SETTINGS, cli, context, env_option, global_options
from git_lift.errors import UsageError


@cli.group(context_settings=CONTEXT_SETTINGS)
def notify() -> None:
    """Who hears of releases: an environment's webhook and SNS topics (.gitlift `notify`).

    \b
    Example:
      printf %s "$WEBHOOK_URL" | git lift notify set-webhook -e production
      git lift notify test -e production
    """


@notify.command("set-webhook")
@env_option
@click.argument("given", nargs=-1, metavar="")  # caught to refuse it, never echoed
@global_options(*AWS)
@click.pass_context
def notify_set_webhook(
    click_ctx: click.Context, /, env: str, given: tuple[str, ...], **values: Any
) -> int:
    """Keep the environment's webhook URL in Parameter Store (typed hidden, or from stdin).

    The URL holds the webhook's token: it is kept as a SecureString, never in git, never
    in an argument. Notices go to it where .gitlift's `env.ENV.notify` names `webhook`.

    \b
    Example:
      printf %s "$WEBHOOK_URL" | git lift notify set-webhook -e production
    """
    from git_lift.commands import notify as command

    if given:  # before anything else: the URL must not reach a message either
        raise UsageError(
            "the webhook URL is never an argument (your shell's history would keep its token)",
            hint=f'pipe it in: printf %s "$WEBHOOK_URL" | git lift notify set-webhook -e {env}',
        )
    return command.set_webhook(context(click_ctx, values), env)


@notify.command("test")
@env_option
@global_options("service", *AWS)
@click.pass_context
def notify_test(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Send a test notice to every channel of the environment; exit 1 when one missed it.

    \b
    Example:
      git lift notify test -e production
    """
    from git_lift.commands import notify as command

    return command.test(context(click_ctx, values), env)


@cli.command("open")
@env_option
@global_options("service", *AWS)
@click.pass_context
def open_service(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Print the service's URL and open it in a browser (BROWSER, else the desktop's).

    The URL: the service's first hostname, else its environment's load balancer, with its
    first path; https when the environment has a certificate. Without a terminal or a
    BROWSER it is printed only.

    \b
    Example:
      git lift open -e staging
      git lift open -e production -s api
    """
    from git_lift.commands import notify as command

    return command.open_url(context(click_ctx, values), env)
