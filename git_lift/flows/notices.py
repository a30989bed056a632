"""Tell an environment's `notify` channels (issue 24) how a release ended: the executor
(executor.py) calls `announce` once per release, rollback, failed or interrupted attempt, and
`cancel` once per cancel, so ship, promote, rollback and tag pushes all go through here.

A channel is `webhook` (its URL a SecureString in Parameter Store, named by target.py) or an
SNS topic ARN, both from the default branch's .gitlift only (settings.py). A notice that
cannot be told is one `warning:` line: the release, its record and its exit code stay as
they are. The hook's AWS budget (10 s) and the webhook's timeout (5 s) bound the wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from git_lift import ui, webhook
from git_lift.aws.store import Release
from git_lift.errors import LiftError
from git_lift.flows.context import Context
from git_lift.flows.release import deployer
from git_lift.flows.service_url import url_of
from git_lift.notice import Notice
from git_lift.setting_table import WEBHOOK
from git_lift.target import Target


def notice_of(
    ctx: Context,
    target: Target,
    event: str,
    record: Release | None,
    *,
    who: str,
    seconds: float = 0.0,
    url: str | None = None,
    number: int | None = None,
) -> Notice:
    """The notice of `event` about `record` (None: not on record); `number` when it is not
    the record's own."""
    return Notice(
        event=event,
        service=target.name,
        environment=target.env,
        release=number if number is not None else (record.number or None) if record else None,
        commit=record.commit if record else "",
        subject=subject_of(ctx, record.commit) if record else None,
        who=who,
        seconds=seconds,
        url=url,
        rolled_back_from=record.rolled_back_from if record else None,
    )


def event_of(record: Release) -> str:
    if record.released and record.rolled_back_from is not None:
        return "rolled back"
    return record.outcome


def announce(
    ctx: Context,
    target: Target,
    record: Release,
    seconds: float,
    event: str | None = None,
    *,
    document: dict[str, Any] | None = None,
) -> str | None:
    """Tell the channels (none: no request at all); the service's URL when the release runs
    (looked up here once, for the notice and for the caller to show; from the service config
    `document` the plan read, when it read one)."""
    event = event or event_of(record)
    url = (
        url_of(ctx, target, document)
        if event in ("released", "rolled back", "unverified")
        else None
    )
    notice = notice_of(ctx, target, event, record, who=record.deployed_by, seconds=seconds, url=url)
    tell(ctx, target, notice)
    return url


def tell(ctx: Context, target: Target, notice: Notice) -> list[str]:
    """Send `notice` to every channel of the environment; the channels it did not reach,
    each said as a warning."""
    channels = target.environment.notify
    if not channels:
        return []
    missed = []
    notices = ctx.aws.notices(target.env)
    for channel in channels:
        try:
            if channel == WEBHOOK:
                url = notices.webhook_url()
                if url is None:
                    raise LiftError(
                        f"no webhook URL in {notices.parameter}",
                        hint=f"git lift notify set-webhook -e {target.env}",
                    )
                webhook.post(url, notice.body())
            else:
                notices.publish(channel, f"git lift: {notice.title()}", notice.body().decode())
        except LiftError as failed:
            missed.append(channel)
            ui.warn(f"could not notify {shown(channel)} of {notice.title()}: {failed.message}")
            ui.hint(failed.hint or fix_for(channel, target.env))
        except Exception as broken:
            missed.append(channel)  # its type only: a message could hold the webhook's URL
            ui.warn(f"could not notify {shown(channel)}: {type(broken).__name__}")
    return missed


def fix_for(channel: str, env: str) -> str:
    if channel == WEBHOOK:
        return f"check the webhook, or keep its new URL: git lift notify set-webhook -e {env}"
    return (
        f"check that the topic exists in its account and region, and that these credentials "
        f"may publish to it (git lift iam-policy -e {env}); then: git lift notify test -e {env}"
    )


def shown(channel: str) -> str:
    return "the webhook" if channel == WEBHOOK else channel


def subject_of(ctx: Context, sha: str) -> str | None:
    """None for a commit this clone lacks (a rollback to a release made elsewhere)."""
    return ctx.repo.subject(sha) if sha else None


def keep_webhook(ctx: Context, env: str, url: str) -> tuple[str, int]:
    """Keep an environment's webhook URL (checked first: https, or http to this machine);
    the parameter's name and version."""
    notices = ctx.aws.notices(env)
    return notices.parameter, notices.put_webhook_url(webhook.check_url(url))


def tell_test(ctx: Context, target: Target) -> list[str]:
    """A test notice (event `test`, the release that runs, if any) to every channel; the
    channels it missed."""
    newest = next(iter(ctx.aws.table(target.env).releases(target, limit=1)), None)
    url = url_of(ctx, target)
    return tell(ctx, target, notice_of(ctx, target, "test", newest, who=deployer(ctx), url=url))


@contextmanager
def cancelling(ctx: Context, target: Target, number: int | None) -> Iterator[None]:
    """Around `git lift cancel`'s work: once it is done, the notice (timed from here)."""
    began = ctx.aws.clock()
    yield
    tell_cancelled(ctx, target, number, ctx.aws.clock() - began)


def tell_cancelled(ctx: Context, target: Target, number: int | None, seconds: float) -> None:
    """`git lift cancel` brought back what ran before release `number`: the notice names that
    release's commit (when its attempt is on record) and the one who cancelled."""
    if not target.environment.notify:
        return
    try:
        recent = ctx.aws.table(target.env).releases(target, limit=5)
    except LiftError:
        recent = []
    attempt = next((r for r in recent if r.number == number), None)
    notice = notice_of(
        ctx, target, "cancelled", attempt, who=deployer(ctx), seconds=seconds, number=number
    )
    tell(ctx, target, replace(notice, rolled_back_from=None))
