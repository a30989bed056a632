"""EventBridge Scheduler: a service's scheduled jobs (its schedule group, `Target.schedule_group`),
each pointed at a task definition revision. Takes its client and Target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from git_lift.aws.clients import translate_errors
from git_lift.target import Target

# What GetSchedule answers that UpdateSchedule takes again: UpdateSchedule replaces the whole
# schedule, so a field left out would be reset (scheduler model, UpdateScheduleInput).
_KEPT = (
    "ActionAfterCompletion",
    "Description",
    "EndDate",
    "FlexibleTimeWindow",
    "GroupName",
    "KmsKeyArn",
    "Name",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "State",
    "Target",
)


@dataclass(frozen=True)
class JobSchedule:
    expression: str  # cron(...) or rate(...)
    timezone: str
    task_definition: str  # the revision it runs
    state: str = "ENABLED"


class Schedules:
    def __init__(self, client: Any, target: Target) -> None:
        self._client = client
        self.group = target.schedule_group

    def schedules(self) -> dict[str, JobSchedule]:
        """Each job's schedule, by job name; none when the group does not exist (a service
        without jobs, or a stack not updated yet)."""
        found: dict[str, JobSchedule] = {}
        with translate_errors(f"reading the schedules of {self.group}"):
            try:
                pages = self._client.get_paginator("list_schedules").paginate(GroupName=self.group)
                names = [s["Name"] for page in pages for s in page.get("Schedules", [])]
            except self._client.exceptions.ResourceNotFoundException:
                return {}
            for name in names:
                schedule = self._client.get_schedule(GroupName=self.group, Name=name)
                ecs = schedule.get("Target", {}).get("EcsParameters", {})
                found[name] = JobSchedule(
                    str(schedule.get("ScheduleExpression", "")),
                    str(schedule.get("ScheduleExpressionTimezone") or "UTC"),
                    str(ecs.get("TaskDefinitionArn", "")),
                    str(schedule.get("State", "ENABLED")),
                )
        return found

    def point(self, name: str, task_definition: str) -> None:
        """Run job `name`'s schedule on `task_definition` from now on, all else kept."""
        with translate_errors(f"moving {self.group}/{name} to {task_definition}"):
            schedule = self._client.get_schedule(GroupName=self.group, Name=name)
            kept = {k: schedule[k] for k in _KEPT if schedule.get(k) is not None}
            kept["Target"]["EcsParameters"]["TaskDefinitionArn"] = task_definition
            self._client.update_schedule(**kept)
