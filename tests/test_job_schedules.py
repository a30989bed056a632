"""Scheduled jobs end to end (issue 21): `git lift ship` moves each job's EventBridge Scheduler
schedule to the release's task definition, `status` shows it, `rollback` moves it back;
`run --job` runs one now.
Real git, buildah, a real registry, `git lift` as a subprocess, moto over HTTP (its Scheduler
API) and the sandbox's one-off tasks. The schedules are made as the service stack makes them
(moto's CloudFormation does not make Scheduler resources)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import boto3
import pytest

from git_lift.aws.logs import WINDOW_DAYS
from git_lift.aws.store import ServiceDocument
from git_lift.servicecfg import default_document
from tests.support.ecs import running_task_definition, store, target
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]

GROUP = "lift-staging-payments-api"
RUNS = "/lift/staging/payments-api/job-runs"  # the job runs' log group
JOBS = {"nightly-report": {"command": ["bin/report"], "schedule": "cron(0 3 * * ? *)"}}


@pytest.fixture
def service(shipping_tasks: GitRepo) -> GitRepo:
    """Ready to ship, with a job in its config and its schedule on the running revision."""
    document = {**default_document(False), "jobs": JOBS}
    saved = ServiceDocument("staging", "payments-api", 1, document, "Test Dev", time.time())
    store().save_service_document(target("staging"), saved)
    scheduler().create_schedule_group(Name=GROUP)
    scheduler().create_schedule(
        Name="nightly-report",
        GroupName=GROUP,
        ScheduleExpression="cron(0 3 * * ? *)",
        ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/lift-staging",
            "RoleArn": "arn:aws:iam::123456789012:role/lift-staging-payments-api-scheduler",
            "Input": '{"containerOverrides":[{"name":"payments-api","command":["bin/report"]}]}',
            "EcsParameters": {
                "TaskDefinitionArn": running_task_definition("staging")["taskDefinitionArn"],
                "LaunchType": "FARGATE",
            },
        },
    )
    return shipping_tasks


def scheduler() -> Any:
    return boto3.client("scheduler", region_name="eu-west-1")


def logs() -> Any:
    return boto3.client("logs", region_name="eu-west-1")


def scheduled() -> dict[str, Any]:
    return dict(scheduler().get_schedule(GroupName=GROUP, Name="nightly-report"))


def test_ship_moves_the_schedule_and_rollback_moves_it_back(service: GitRepo, lift: Lift) -> None:
    before = scheduled()
    first = before["Target"]["EcsParameters"]["TaskDefinitionArn"]
    result = lift("ship", "-e", "staging")
    assert result.returncode == 0, result.stderr
    shipped = running_task_definition("staging")["taskDefinitionArn"]
    assert shipped != first
    after = scheduled()
    assert after["Target"]["EcsParameters"]["TaskDefinitionArn"] == shipped
    assert "1 scheduled job now run" in result.stderr and "nightly-report" in result.stderr
    # Everything else of the schedule is as it was.
    for kept in ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow"):
        assert after[kept] == before[kept]
    assert after["Target"]["Input"] == before["Target"]["Input"]
    shown = lift("status", "-e", "staging")
    assert shown.returncode == 0, shown.stderr
    revision = shipped.rsplit("/", 1)[1]
    assert f"  job       nightly-report  cron(0 3 * * ? *) Europe/Paris  runs {revision}" in (
        shown.stdout
    )
    service.write("app.txt", "v2\n")
    service.commit("v2")
    service.git("push", "-q", "origin", "main")
    assert lift("ship", "-e", "staging").returncode == 0
    back = lift("rollback", "-e", "staging", "--to", "1")
    assert back.returncode == 0, back.stderr
    assert scheduled()["Target"]["EcsParameters"]["TaskDefinitionArn"] == shipped


def test_run_job_runs_the_jobs_command_now(service: GitRepo, lift: Lift, aws: Any) -> None:
    result = lift("run", "-e", "staging", "--job", "nightly-report")
    assert result.returncode == 0, result.stderr
    assert aws.request_counts().get("ecs.RunTask") == 1
    refused = lift("run", "-e", "staging", "--job", "weekly")
    assert refused.returncode == 2
    assert "has no job 'weekly' (its jobs: nightly-report)" in refused.stderr


def test_status_shows_the_last_run_of_run_job_and_stays_small(
    service: GitRepo, lift: Lift, aws: Any
) -> None:
    """`run --job` joins the job's task group, so `status` finds it as the job's last run; a
    service with three jobs costs a few requests, not a few per job."""
    jobs = {
        **JOBS,
        "sweep": {"command": ["bin/sweep"], "schedule": "rate(15 minutes)"},
        "cleanup": {"command": ["bin/cleanup"], "schedule": "rate(1 day)"},
    }
    document = {**default_document(False), "jobs": jobs}
    saved = ServiceDocument("staging", "payments-api", 2, document, "Test Dev", time.time())
    store().save_service_document(target("staging"), saved)
    made = scheduled()
    for name in ("sweep", "cleanup"):
        scheduler().create_schedule(
            Name=name,
            GroupName=GROUP,
            ScheduleExpression=jobs[name]["schedule"],
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=made["Target"],
        )
    assert lift("ship", "-e", "staging").returncode == 0
    logs().create_log_group(logGroupName=RUNS)  # as the service stack makes it, empty
    ran = lift("run", "-e", "staging", "--job", "nightly-report")
    assert ran.returncode == 0, ran.stderr
    aws.reset_counts()
    shown = lift("status", "-e", "staging")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    report = next(n for n, line in enumerate(lines) if "job       nightly-report" in line)
    assert lines[report + 1].startswith("            last run  ")
    assert re.search(r", exit 0 in \d+s$", lines[report + 1]), lines[report + 1]
    assert shown.stdout.count("last run  none recorded") == 2
    counts = aws.request_counts()
    # The two jobs ECS has no run of: the job-runs log group, one window at a time, both at
    # once (aws/logs.py; empty, every window is read).
    assert counts.get("logs.FilterLogEvents") == len(WINDOW_DAYS)
    assert counts.get("ecs.ListTasks") == 2  # running and stopped, for every job at once
    assert counts.get("ecs.DescribeTasks") == 1
    assert counts.get("dynamodb.Query") == 2  # the releases, and the service config once
    assert counts.get("dynamodb.GetItem") == 1  # the environment's record: the service's URL
    # Scheduler's GetSchedule is the one read per job (ListSchedules has no task definition).
    assert sum(counts.values()) <= 13 + len(WINDOW_DAYS), counts


def test_a_jobs_last_run_outlives_ecss_task_history(service: GitRepo, lift: Lift, aws: Any) -> None:
    """moto has no EventBridge delivery to CloudWatch Logs: the sandbox's one-off task runner
    writes a stopped job task's "ECS Task State Change" event into the job-runs log group as
    the stack's rule would (sandbox/one_off.py), so this runs the whole path: the job's task
    stops, ECS forgets it (its hour passes), and `status` still shows its last run."""
    assert lift("ship", "-e", "staging").returncode == 0
    logs().create_log_group(logGroupName=RUNS)  # as the service stack makes it
    ran = lift("run", "-e", "staging", "--job", "nightly-report")
    assert ran.returncode == 0, ran.stderr
    (event,) = logs().filter_log_events(logGroupName=RUNS)["events"]
    detail = json.loads(event["message"])["detail"]
    assert (detail["group"], detail["lastStatus"]) == ("job:nightly-report", "STOPPED")
    assert detail["stoppedAt"].endswith("Z") and detail["containers"][0]["exitCode"] == 0
    from git_lift.sandbox.moto_state import ecs_backend

    tasks = ecs_backend("123456789012", "eu-west-1").tasks["lift-staging"]
    for arn in [a for a, t in tasks.items() if t.group.startswith("job:")]:
        del tasks[arn]  # an hour later: ECS has forgotten the job's task
    shown = lift("status", "-e", "staging")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    report = next(n for n, line in enumerate(lines) if "job       nightly-report" in line)
    assert re.search(r"last run  .*, exit 0 in \d+s$", lines[report + 1]), lines[report + 1]
