"""EventBridge Scheduler in memory: each schedule group's jobs -> the task definition each runs."""

from __future__ import annotations

from git_lift.aws.schedules import Schedules
from git_lift.target import Target
from tests.support.fakes.client import NoClient


class FakeSchedules(Schedules):
    def __init__(self, groups: dict[str, dict[str, str]], target: Target) -> None:
        super().__init__(NoClient("scheduler"), target)
        self.groups = groups  # group -> job -> task definition ARN (the stack makes them)

    def task_definitions(self) -> dict[str, str]:
        return dict(self.groups.get(self.group, {}))

    def point(self, name: str, task_definition: str) -> None:
        self.groups[self.group][name] = task_definition
