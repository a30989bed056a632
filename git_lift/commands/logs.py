"""`git lift logs` (CloudWatch) and `git lift shell` (ECS Exec into a running task)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from git_lift import proc
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context
from git_lift.flows.interrupts import ends_quietly
from git_lift.flows.log_tail import exec_session, print_events
from git_lift.flows.process_run import process_target

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Further back than a year is a typo (and past what a log group usually keeps); a huge number
# would put the start before the epoch, which CloudWatch refuses.
MAX_SINCE = 365 * 86400


def parse_since(text: str) -> float:
    """`10m`, `2h`, `1d` -> seconds, at most a year."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise UsageError(f"--since {text!r} is not a duration", hint="use e.g. 30s, 10m, 2h or 1d")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds > MAX_SINCE:
        raise UsageError(
            f"--since {text!r} is more than 365 days back", hint="use at most 365d, e.g. 30d"
        )
    return seconds


def logs(ctx: Context, env: str, since: str, follow: bool, process: str | None = None) -> int:
    """Events since `since`; with `follow`, new ones every 2 s until Ctrl-C (SIGTERM,
    SIGHUP), which ends it quietly, as it ends `tail -f`. `process`: that process's app
    container's alone (Target.process_streams)."""
    back = parse_since(since)
    target = ctx.target(env)
    streams = None
    if process is not None:
        target = process_target(ctx, target, process)
        streams = target.process_streams
    if not follow:
        print_events(ctx, target, since, back, follow=follow, streams=streams)
        return 0
    with ends_quietly():
        print_events(ctx, target, since, back, follow=follow, streams=streams)
    return 0


def shell(ctx: Context, env: str, command: Sequence[str]) -> int:
    """ECS Exec needs AWS's session-manager-plugin, as `aws ecs execute-command` does."""
    plugin = proc.which("session-manager-plugin")
    if plugin is None:
        raise LiftError(
            "ECS Exec needs AWS's session-manager-plugin, which is not installed",
            hint="install it: https://docs.aws.amazon.com/systems-manager/latest/"
            "userguide/session-manager-working-with-install-plugin.html",
        )
    target = ctx.target(env)
    session, region = exec_session(ctx, target, " ".join(command) or "/bin/sh")
    return proc.run_interactive([plugin, json.dumps(session), region, "StartSession"])
