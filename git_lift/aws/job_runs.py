"""Scheduled jobs' runs as ECS's task history has them: each job's runs are an ECS task group
of their own (`Target.job_task_group`, set by the schedule and by `git lift run --job`), so
the newest task of a group is the job's last run. Pure: it reads DescribeTasks' tasks.

ECS keeps a stopped task for about an hour only ("stopped tasks appear in the returned
results for at least one hour": ECS API reference, ListTasks and DescribeTasks), so a job
that last ran earlier is read from the service's job-runs log group instead
(`Target.job_runs_log_group`, templates/jobs.py): each message is the "ECS Task State Change"
event of a stopped job task, whose `detail` is the task as DescribeTasks has it, times as ISO
strings ("Amazon ECS task state change events", ECS developer guide).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

JOB_GROUP = "job:"  # Target.job_task_group's prefix
FILTER_PATTERN = 1024  # logs FilterPattern max 1024 (botocore's logs model)
EVERY_RUN = '{ $.detail.lastStatus = "STOPPED" }'  # all the group holds: every job's stops


@dataclass(frozen=True)
class JobRun:
    task_id: str
    last_status: str  # PROVISIONING ... RUNNING ... STOPPED
    created_at: float  # seconds since the epoch
    started_at: float | None  # None: its container never started
    stopped_at: float | None
    exit_code: int | None  # the job's container's; None: it never ran, or runs on
    reason: str  # why ECS stopped it, when the container never ran

    @property
    def seconds(self) -> float | None:
        """How long it ran (started to stopped); None while it runs or if it never started."""
        if self.started_at is None or self.stopped_at is None:
            return None
        return max(0.0, self.stopped_at - self.started_at)


def _seconds(value: Any) -> float | None:
    """A DescribeTasks time (boto3 gives datetimes; JSON, epoch seconds) or an event's (an
    ISO string, "2026-12-06T03:00:01.5Z") as epoch seconds."""
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def job_run(raw: dict[str, Any], container: str) -> JobRun:
    """One task as a job's run; `container` is the one the job's command runs in."""
    mine: dict[str, Any] = next(
        (c for c in raw.get("containers", []) if c.get("name") == container), {}
    )
    exit_code = mine.get("exitCode")
    return JobRun(
        task_id=str(raw.get("taskArn", "")).rsplit("/", 1)[-1],
        last_status=str(raw.get("lastStatus", "")),
        created_at=_seconds(raw.get("createdAt")) or 0.0,
        started_at=_seconds(raw.get("startedAt")),
        stopped_at=_seconds(raw.get("stoppedAt")),
        exit_code=None if exit_code is None else int(exit_code),
        reason=str(raw.get("stoppedReason") or mine.get("reason") or ""),
    )


def last_runs(tasks: Iterable[dict[str, Any]], container: str) -> dict[str, JobRun]:
    """The newest run of each job among `tasks` (tasks of no job's group are left out)."""
    found: dict[str, JobRun] = {}
    for raw in tasks:
        group = str(raw.get("group", ""))
        if not group.startswith(JOB_GROUP):
            continue
        run = job_run(raw, container)
        job = group.removeprefix(JOB_GROUP)
        if job not in found or run.created_at > found[job].created_at:
            found[job] = run
    return found


def event_tasks(messages: Iterable[str]) -> list[dict[str, Any]]:
    """The stopped tasks of job-runs log events (each an EventBridge event's JSON); what is
    not one such event is left out."""
    tasks = []
    for message in messages:
        try:
            event = json.loads(message)
        except ValueError:
            continue
        detail = event.get("detail") if isinstance(event, dict) else None
        if isinstance(detail, dict):
            tasks.append(detail)
    return tasks


def group_pattern(jobs: Iterable[str]) -> str:
    """A FilterLogEvents JSON pattern matching the events of these jobs' tasks (CloudWatch
    Logs user guide, "Filter pattern syntax": JSON `||` of `$.field = "value"` terms)."""
    terms = [f'($.detail.group = "{JOB_GROUP}{job}")' for job in sorted(jobs)]
    pattern = "{ " + " || ".join(terms) + " }"
    return pattern if terms and len(pattern) <= FILTER_PATTERN else EVERY_RUN
