"""Scheduled jobs' runs as ECS's task history has them: each job's runs are an ECS task group
of their own (`Target.job_task_group`, set by the schedule and by `git lift run --job`), so
the newest task of a group is the job's last run. Pure: it reads DescribeTasks' tasks.

ECS keeps a stopped task for about an hour only ("stopped tasks appear in the returned
results for at least one hour": ECS API reference, ListTasks and DescribeTasks), so a job
that last ran earlier has no run here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

JOB_GROUP = "job:"  # Target.job_task_group's prefix


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
    """A DescribeTasks time (boto3 gives datetimes; JSON, epoch seconds) as epoch seconds."""
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
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
