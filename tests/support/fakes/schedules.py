"""EventBridge Scheduler in memory: each schedule group's jobs and what each runs."""

from __future__ import annotations

import dataclasses

from git_lift.aws.schedules import JobSchedule, Schedules
from git_lift.target import Target
from tests.support.fakes.client import NoClient


class FakeSchedules(Schedules):
    def __init__(self, groups: dict[str, dict[str, JobSchedule]], target: Target) -> None:
        super().__init__(NoClient("scheduler"), target)
        self.groups = groups  # group -> job -> its schedule (the stack makes them)

    def schedules(self) -> dict[str, JobSchedule]:
        return dict(self.groups.get(self.group, {}))

    def point(self, name: str, task_definition: str) -> None:
        jobs = self.groups[self.group]
        jobs[name] = dataclasses.replace(jobs[name], task_definition=task_definition)
