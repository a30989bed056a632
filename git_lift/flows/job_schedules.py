"""Scheduled jobs follow the release: a release (ship, promote, rollback) points each job's
EventBridge Scheduler schedule at the task definition it deploys, and a release that fails
points them back (templates/jobs.py makes the schedules; jobcfg.py reads `jobs`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from git_lift import ui
from git_lift.aws.job_runs import JobRun
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.release_plan import Run, Step
from git_lift.flows.service_state import saved_config
from git_lift.names import plural
from git_lift.target import Target


def job_names(ctx: Context, target: Target) -> tuple[str, ...]:
    """The jobs of the service config's newest saved version (none without one)."""
    return jobs_of(saved_config(ctx, target))


def jobs_of(document: dict[str, object] | None) -> tuple[str, ...]:
    """The job names of a service config document."""
    jobs = document.get("jobs") if document else None
    return tuple(sorted(jobs)) if isinstance(jobs, dict) else ()


UNSCHEDULED = "UNSCHEDULED"  # a job of the config that Scheduler has no schedule for


def shown(ctx: Context, target: Target, document: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`status`: each job's schedule, the revision it runs and its last run (none without
    jobs), from the service config `document` status read, Scheduler's schedules, and the
    jobs' last runs (last_runs). A job of the config without a schedule
    (a stack not updated yet; the sandbox, whose CloudFormation makes none) is shown as
    configured."""
    if not jobs_of(document):
        return []
    configured: Any = (document or {}).get("jobs")
    found = ctx.aws.schedules(target).schedules()
    runs = last_runs(ctx, target, sorted(set(configured) | set(found)))
    rows = []
    for name in sorted(set(configured) | set(found)):
        job, s = configured.get(name) or {}, found.get(name)
        rows.append(
            {
                "name": name,
                "schedule": s.expression if s else str(job.get("schedule", "")),
                "timezone": s.timezone if s else str(job.get("timezone") or "UTC"),
                "task_definition": s.task_definition if s else "",
                "state": s.state if s else UNSCHEDULED,
                "last_run": _run(runs.get(name)),
            }
        )
    return rows


def last_runs(ctx: Context, target: Target, jobs: list[str]) -> dict[str, JobRun]:
    """Each job's last run: from ECS's task history once for every job (Ecs.job_runs), which
    keeps stopped tasks about an hour; the jobs it has none of, from the job-runs log group
    the service stack sends their stops to (Logs.job_runs), once for all of them."""
    runs = ctx.aws.ecs(target).job_runs(target.container)
    older = [job for job in jobs if job not in runs]
    if older:
        runs.update(ctx.aws.logs(target).job_runs(target.container, older))
    return runs


def steps(ctx: Context, target: Target) -> tuple[Step, ...]:
    """The release's schedule step, when the service has jobs."""
    return (MoveSchedules(),) if job_names(ctx, target) else ()


def steps_for(document: dict[str, object] | None) -> tuple[Step, ...]:
    """The same, from a service config document already read."""
    return (MoveSchedules(),) if jobs_of(document) else ()


@dataclass(frozen=True)
class MoveSchedules(Step):
    """Each schedule of the service's group runs the release's task definition from now on.
    Undone (the release failed after it) by pointing them at what the service ran before."""

    name = "move schedules"

    def run(self, run: Run) -> None:
        moved = _point(run, run.arn)
        if moved:
            jobs = plural(len(moved), "scheduled job")
            ui.info(f"{jobs} now run {short(run.arn)}: {', '.join(moved)}")

    def undo(self, run: Run) -> None:
        back = run.state.task_definition
        moved = _point(run, back)
        if moved:
            ui.info(f"scheduled jobs back on {short(back)}: {', '.join(moved)}")


def _point(run: Run, task_definition: str) -> list[str]:
    schedules = run.ctx.aws.schedules(run.plan.target)
    moved = []
    for name, schedule in sorted(schedules.schedules().items()):
        if schedule.task_definition != task_definition:
            schedules.point(name, task_definition)
            moved.append(name)
    return moved


def _run(run: JobRun | None) -> dict[str, Any] | None:
    """A job's last run as `status` shows it (--output json too), with its duration."""
    return None if run is None else {**asdict(run), "seconds": run.seconds}
