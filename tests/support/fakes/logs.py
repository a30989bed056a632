"""CloudWatch Logs in memory: each log group's events, oldest first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from git_lift.aws.job_runs import JobRun, event_tasks, last_runs
from git_lift.aws.logs import LogEvent, Logs
from git_lift.errors import NotSetUp
from git_lift.target import Target
from tests.support.fakes.client import NoClient


class FakeLogs(Logs):
    def __init__(
        self, groups: dict[str, list[LogEvent]], target: Target, reads: list[str] | None = None
    ) -> None:
        super().__init__(NoClient("logs"), target)  # type: ignore[arg-type]
        self.groups = groups  # a group the service stack made exists, if empty
        self.reads = [] if reads is None else reads  # the job-runs groups read, one per call

    def events(self, start_ms: int, streams: str | None = None) -> Iterator[LogEvent]:
        if self.group not in self.groups:
            raise NotSetUp(f"there is no log group {self.group}", self.env, self.service_flag)
        yield from (
            e
            for e in self.groups[self.group]
            if e.timestamp >= start_ms and e.stream.startswith(streams or "")
        )

    def stream_events(
        self, group: str, stream: str, token: str | None
    ) -> tuple[list[LogEvent], str | None]:
        events = [e for e in self.groups.get(group, []) if e.stream == stream]
        start = int(token or 0)
        return events[start:], str(len(events))

    def job_runs(self, container: str, jobs: Sequence[str]) -> dict[str, JobRun]:
        self.reads.append(self.job_runs_group)
        events = self.groups.get(self.job_runs_group, [])
        newest = last_runs(event_tasks(e.message for e in events), container)
        return {job: run for job, run in newest.items() if job in jobs}
