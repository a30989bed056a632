"""CloudWatch Logs: one service's log group (Target.log_group), one task's stream in it, and
its jobs' runs (Target.job_runs_log_group). Takes its client and Target."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from git_lift.aws.clients import translate_errors
from git_lift.aws.job_runs import JobRun, event_tasks, group_pattern, last_runs
from git_lift.errors import NotSetUp
from git_lift.target import Target

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient


DAY_MS = 24 * 3600 * 1000
# The job-runs group is read newest first, a window at a time, until every job has a run: a
# nightly job's last run is in the first. At most PAGES pages of up to 10,000 events each
# (FilterLogEvents' limit, botocore's logs model) per window bound the requests.
WINDOW_DAYS = (1, 7, 31, 400)
PAGES = 2


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # milliseconds since the epoch
    stream: str
    message: str
    event_id: str


class Logs:
    def __init__(
        self, client: CloudWatchLogsClient, target: Target, service_flag: str = ""
    ) -> None:
        self._client = client
        self.service_flag = service_flag  # ` -s NAME` in "not set up"'s hint, when needed
        self.group = target.log_group
        self.env = target.env
        self.job_runs_group = target.job_runs_log_group

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
                raise NotSetUp(
                    f"there is no log group {self.group}", self.env, self.service_flag
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

    def job_runs(self, container: str, jobs: Sequence[str]) -> dict[str, JobRun]:
        """The newest run of each of `jobs` in the job-runs group, by job name, in at most
        len(WINDOW_DAYS) * PAGES requests for all of them; none before the stack made it."""
        found: dict[str, JobRun] = {}
        end = int(time.time() * 1000) + 60_000  # events stamped a little ahead of our clock
        with translate_errors(f"reading {self.job_runs_group}"):
            for days in WINDOW_DAYS:
                missing = [j for j in jobs if j not in found]
                if not missing:
                    break
                start = int(time.time() * 1000) - days * DAY_MS
                try:
                    messages = self._window(group_pattern(missing), start, end)
                except self._client.exceptions.ResourceNotFoundException:
                    return found
                newest = last_runs(event_tasks(messages), container)
                found.update({j: r for j, r in newest.items() if j in missing})
                end = start
        return found

    def _window(self, pattern: str, start: int, end: int) -> list[str]:
        messages: list[str] = []
        more: dict[str, Any] = {}
        for _ in range(PAGES):
            page = self._client.filter_log_events(
                logGroupName=self.job_runs_group,
                startTime=start,
                endTime=end,
                filterPattern=pattern,
                **more,
            )
            messages += [str(e.get("message", "")) for e in page.get("events", [])]
            if not page.get("nextToken"):
                break
            more = {"nextToken": page["nextToken"]}
        return messages
