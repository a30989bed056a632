"""A service's log events from CloudWatch, printed as they come (`git lift logs`)."""

from __future__ import annotations

import time
from typing import Any

from git_lift import ui
from git_lift.flows.context import Context
from git_lift.target import Target

POLL_SECONDS = 2.0


def print_events(
    ctx: Context,
    target: Target,
    since: str,
    back: float,
    *,
    follow: bool,
    streams: str | None = None,
) -> None:
    """Events of the last `back` seconds (`since` as the user wrote it); with `follow`, new
    ones every 2 s until interrupted. An event is printed once, however often it is read.
    `streams`: the log stream name prefix to read alone (one process's)."""
    source = ctx.aws.logs(target)
    start = int((ctx.aws.wall_clock() - back) * 1000)
    seen: set[str] = set()
    first = True
    while True:
        for event in source.events(start, streams):
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp / 1000))
            ui.out(f"{stamp} {event.stream.rsplit('/', 1)[-1][:12]} {event.message.rstrip()}")
            start = max(start, event.timestamp)
        if first and not seen:  # an empty stdout alone reads like a broken command
            where = f"{source.group} ({streams}*)" if streams else source.group
            ui.info(f"no log events in {where} since {ui.when(start / 1000)} ({since} ago)")
        first = False
        if not follow:
            return
        ctx.aws.sleep(POLL_SECONDS)


def exec_session(ctx: Context, target: Target, command: str) -> tuple[dict[str, Any], str]:
    """An ECS Exec session into one of the target's running tasks, and its region."""
    return ctx.aws.ecs(target).exec_session(target.container, command)
