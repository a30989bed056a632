"""CloudWatch Logs: one service's log group (Target.log_group), and one task's stream in it.
Takes its client and Target."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from git_lift.aws.clients import translate_errors
from git_lift.errors import LiftError
from git_lift.target import Target

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # milliseconds since the epoch
    stream: str
    message: str
    event_id: str


class Logs:
    def __init__(self, client: CloudWatchLogsClient, target: Target) -> None:
        self._client = client
        self.group = target.log_group
        self.env = target.env

    def events(self, start_ms: int, streams: str | None = None) -> Iterator[LogEvent]:
        """Events from `start_ms` on, oldest first, across the group's streams (those whose
        name starts with `streams` when given: FilterLogEvents' logStreamNamePrefix)."""
        prefix: dict[str, Any] = {"logStreamNamePrefix": streams} if streams else {}
        pages = self._client.get_paginator("filter_log_events").paginate(
            logGroupName=self.group, startTime=start_ms, **prefix
        )
        with translate_errors(f"reading {self.group}"):
            try:
                for page in pages:
                    for raw in page.get("events", []):
                        # Checked here too: moto's FilterLogEvents ignores the prefix.
                        if not str(raw.get("logStreamName", "")).startswith(streams or ""):
                            continue
                        yield LogEvent(
                            int(raw.get("timestamp", 0)),
                            str(raw.get("logStreamName", "")),
                            str(raw.get("message", "")),
                            str(raw.get("eventId", "")),
                        )
            except self._client.exceptions.ResourceNotFoundException as exc:
                raise LiftError(
                    f"there is no log group {self.group}",
                    hint=f"the service stack creates it: git lift service create -e {self.env}",
                ) from exc

    def stream_events(
        self, group: str, stream: str, token: str | None
    ) -> tuple[list[LogEvent], str | None]:
        """One stream's events after `token` (None: from its start), oldest first, and the
        token to read on from. A stream not made yet (the task has not started) has none."""
        more: dict[str, Any] = {"nextToken": token} if token else {}
        with translate_errors(f"reading {group}/{stream}"):
            try:
                answer = self._client.get_log_events(
                    logGroupName=group, logStreamName=stream, startFromHead=True, **more
                )
            except self._client.exceptions.ResourceNotFoundException:
                return [], token
        events = [
            LogEvent(
                int(raw.get("timestamp", 0)),
                stream,
                str(raw.get("message", "")),
                f"{stream}/{raw.get('timestamp', 0)}",
            )
            for raw in answer.get("events", [])
        ]
        return events, str(answer.get("nextForwardToken") or "") or token
