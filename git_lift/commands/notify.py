"""`git lift notify set-webhook`, `git lift notify test`, `git lift open` (issue 24): keep an
environment's webhook URL in Parameter Store (never in git, never in an argv), send a test
notice to its channels, and open the service's URL."""

from __future__ import annotations

from git_lift import ui
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context
from git_lift.flows.notices import keep_webhook, tell_test
from git_lift.flows.service_url import url_of, why_none
from git_lift.setting_table import WEBHOOK


def set_webhook(ctx: Context, env: str) -> int:
    environment = ctx.environment(env)
    pipe = f'printf %s "$WEBHOOK_URL" | git lift notify set-webhook -e {env}'
    with ui.prompted("nothing was written", hint=f"run it again, or pipe it in: {pipe}"):
        typed = ui.prompt_secret("webhook URL")
    if typed is None or not typed.strip():
        # None: no line within the wait; "": an empty line or a closed stdin, said at once.
        what = (
            f"no webhook URL arrived on stdin within {ui.STDIN_WAIT:.0f}s"
            if typed is None
            else "the webhook URL read from stdin is empty"
        )
        raise UsageError(
            f"{what}; nothing was written",
            hint=f"pipe it in: {pipe}",
        )
    parameter, version = keep_webhook(ctx, environment.name, typed)
    ui.info(f"kept the webhook URL of {environment.name} in {parameter} (version {version})")
    if WEBHOOK not in environment.notify:
        ui.warn(f"{environment.name} does not notify the webhook yet")
        ui.hint(
            f"on the default branch: git config -f .gitlift --add env.{environment.name}.notify "
            f"{WEBHOOK}, commit and push"
        )
    return 0


def test(ctx: Context, env: str) -> int:
    target = ctx.target(env)
    channels = target.environment.notify
    if not channels:
        raise UsageError(
            f"{target.env} has no notify channel",
            hint=f"on the default branch: git config -f .gitlift --add env.{target.env}.notify "
            f"{WEBHOOK} (or an SNS topic ARN), commit and push",
        )
    missed = tell_test(ctx, target)
    told = len(channels) - len(missed)
    ui.info(f"told {told} of {len(channels)} channel{'s' if len(channels) != 1 else ''}")
    if missed:
        raise LiftError(
            f"{len(missed)} channel{'s' if len(missed) != 1 else ''} of {target.env} missed "
            "the test notice (see why above)",
            hint=f"fix them, then: git lift notify test -e {target.env}",
        )
    return 0


def open_url(ctx: Context, env: str) -> int:
    """Print the service's URL, and open it in a browser where there is one to open."""
    target = ctx.target(env)
    url = url_of(ctx, target)
    if url is None and target.environment.preview:  # its services are branches'
        raise LiftError(
            f"no URL known for {target}: a preview environment's services are its branches'",
            hint=f"each preview's URL: git lift preview list -e {target.env}",
        )
    if url is None:
        raise why_none(ctx, target)
    ui.out(url)
    if ui.can_open_browser() and not ui.open_browser(url):
        ui.info("no browser to open it here: the URL is above")
    return 0
