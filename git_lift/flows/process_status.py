"""`status`'s view of the processes other than web (processcfg.py): each one's ECS service,
its running and desired tasks, its rollout, and whether it runs the release's revision."""

from __future__ import annotations

from typing import Any

from git_lift.aws.store import Release
from git_lift.errors import NotSetUp
from git_lift.flows import process_steps
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.target import Target


def shown(
    ctx: Context, target: Target, release: Release | None, document: dict[str, Any] | None
) -> list[dict[str, object]]:
    """A row per process the service config `document` names (none without processes):
    `release`'s revision of it, and what its ECS service runs."""
    rows: list[dict[str, object]] = []
    for process in process_steps.names(document):
        ecs = ctx.aws.ecs(target.for_process(process))
        recorded = release.processes.get(process) if release else None
        try:
            state = ecs.describe()
        except NotSetUp as missing:
            rows.append({"name": process, "service": ecs.service, "missing": missing.message})
            continue
        primary = state.primary
        rows.append(
            {
                "name": process,
                "service": ecs.service,
                "running": state.running,
                "desired": state.desired,
                "rollout": primary.rollout_state if primary else None,
                "task_definition": short(state.task_definition),
                "release_task_definition": short(recorded) if recorded else None,
            }
        )
    return rows
