"""Scheduled jobs follow the release in-process (issue 21): a ship points every job's schedule
at the task definition it deploys, a release that fails points them back, a rollback moves them
to the release it brings back; `status` shows each job's schedule and the revision it runs; a
service without jobs never asks Scheduler."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.aws.schedules import JobSchedule
from git_lift.aws.store import ServiceDocument
from git_lift.commands import status
from git_lift.commands.rollback import roll_back
from git_lift.commands.run import run_task
from git_lift.errors import DeployFailed
from git_lift.flows.one_off import RunRequest
from git_lift.ui import when
from tests.support.fakes import NEW, OLD, FakeAws, World, behaves, ship, world

pytestmark = pytest.mark.fast

GROUP = "lift-staging-payments-api"
JOBS = {
    "nightly-report": {"command": ["bin/report"], "schedule": "cron(0 3 * * ? *)"},
    "sweep": {"command": ["bin/sweep"], "schedule": "rate(15 minutes)"},
}


def with_jobs(tmp_path: Path, tasks: Callable[[str], str]) -> World:
    w = world(tmp_path, tasks=tasks)
    document = {**servicecfg.default_document(False), "jobs": JOBS}
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    aws.schedule_groups[GROUP] = {  # as the service stack made them
        "nightly-report": JobSchedule("cron(0 3 * * ? *)", "Europe/Paris", OLD),
        "sweep": JobSchedule("rate(15 minutes)", "UTC", OLD),
    }
    return w


def groups(w: World) -> dict[str, dict[str, str]]:
    """Each group's jobs -> the task definition each runs."""
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    return {
        group: {name: s.task_definition for name, s in jobs.items()}
        for group, jobs in aws.schedule_groups.items()
    }


def test_a_ship_moves_every_schedule_to_the_new_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_jobs(tmp_path, behaves("start"))
    assert ship(w) == 0
    assert groups(w)[GROUP] == {"nightly-report": NEW, "sweep": NEW}
    assert "2 scheduled jobs now run staging-payments-api:2: nightly-report, sweep" in (
        capsys.readouterr().err
    )


def test_a_release_that_fails_puts_the_schedules_back(tmp_path: Path) -> None:
    w = with_jobs(tmp_path, behaves("crash"))
    with pytest.raises(DeployFailed):
        ship(w, timeout=120)
    assert w.ecs.running_definition == OLD
    assert groups(w)[GROUP] == {"nightly-report": OLD, "sweep": OLD}


def test_a_rollback_moves_the_schedules_to_the_release_it_brings_back(tmp_path: Path) -> None:
    w = with_jobs(tmp_path, behaves("start"))
    ship(w)
    assert groups(w)[GROUP]["sweep"] == NEW
    first = w.store.releases(w.target)[0]
    ship(w, force=True)  # the same image and config: release 2 all the same
    newest = w.ecs.running_definition
    roll_back(w.ctx, w.target, first.number, 60.0)
    assert newest != first.task_definition
    assert groups(w)[GROUP] == {
        "nightly-report": first.task_definition,
        "sweep": first.task_definition,
    }


def test_a_service_without_jobs_never_asks_scheduler(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    aws.schedules = lambda target: pytest.fail("asked Scheduler")  # type: ignore[method-assign]
    assert ship(w) == 0


def test_status_shows_each_jobs_schedule_and_the_revision_it_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_jobs(tmp_path, behaves("start"))
    ship(w)
    capsys.readouterr()
    assert status.status(w.ctx, ("staging",)) == 0
    out = capsys.readouterr().out
    assert "  job       nightly-report  cron(0 3 * * ? *) Europe/Paris  runs " in out
    assert "  job       sweep  rate(15 minutes) UTC  runs staging-payments-api:2" in out
    w.ctx.options = dataclasses.replace(w.ctx.options, output="json")
    status.status(w.ctx, ("staging",))
    (row,) = json.loads(capsys.readouterr().out)
    assert [j["name"] for j in row["jobs"]] == ["nightly-report", "sweep"]
    assert row["jobs"][1]["task_definition"] == NEW


def test_status_of_a_service_without_jobs_never_asks_scheduler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    aws.schedules = lambda target: pytest.fail("asked Scheduler")  # type: ignore[method-assign]
    ship(w)
    assert status.status(w.ctx, ("staging",)) == 0
    assert "  job " not in capsys.readouterr().out


def test_status_shows_each_jobs_last_run_exit_code_and_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_jobs(tmp_path, behaves("start"))
    ship(w)
    w.ecs.one_off = lambda command: (3, ["report failed"])
    assert run_task(w.ctx, "staging", RunRequest((), job="nightly-report")) == 3
    assert w.ecs.runs[0]["group"] == "job:nightly-report"  # where its schedule's runs go
    w.ecs.task_history.append(  # a scheduled run of sweep, 90 s long, that ECS still keeps
        {
            "taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/lift-staging/" + "a" * 32,
            "group": "job:sweep",
            "lastStatus": "STOPPED",
            "createdAt": 1000.0,
            "startedAt": 1010.0,
            "stoppedAt": 1100.0,
            "containers": [{"name": "payments-api", "exitCode": 0}],
        }
    )
    capsys.readouterr()
    assert status.status(w.ctx, ("staging",)) == 0
    lines = capsys.readouterr().out.splitlines()
    report = lines.index(next(line for line in lines if "job       nightly-report" in line))
    assert lines[report + 1].startswith("            last run  ")
    assert lines[report + 1].endswith(", exit 3 in 0s")
    sweep = lines.index(next(line for line in lines if "job       sweep" in line))
    assert lines[sweep + 1].endswith(f"last run  {when(1010.0)}, exit 0 in 90s")
    w.ctx.options = dataclasses.replace(w.ctx.options, output="json")
    status.status(w.ctx, ("staging",))
    (row,) = json.loads(capsys.readouterr().out)
    assert row["jobs"][1]["last_run"]["exit_code"] == 0
    assert row["jobs"][1]["last_run"]["task_id"] == "a" * 32
    assert row["jobs"][1]["last_run"]["seconds"] == 90.0


def test_a_job_ecs_no_longer_knows_and_one_that_never_started_are_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_jobs(tmp_path, behaves("start"))
    ship(w)
    w.ecs.task_history.append(
        {
            "taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/lift-staging/" + "b" * 32,
            "group": "job:sweep",
            "lastStatus": "STOPPED",
            "createdAt": 1000.0,
            "stoppedAt": 1005.0,
            "stoppedReason": "CannotPullContainerError: pull access denied",
            "containers": [{"name": "payments-api"}],
        }
    )
    assert status.status(w.ctx, ("staging",)) == 0
    out = capsys.readouterr().out
    assert "last run  none recorded (see its output: git lift logs -e staging --since 1d)" in out
    assert f"last run  {when(1000.0)}, did not start: CannotPullContainerError" in out
    w.ecs.task_history.append(  # a newer run, running now
        {
            "taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/lift-staging/" + "c" * 32,
            "group": "job:sweep",
            "lastStatus": "RUNNING",
            "createdAt": 2000.0,
            "startedAt": 2003.0,
            "containers": [{"name": "payments-api"}],
        }
    )
    assert status.status(w.ctx, ("staging",)) == 0
    assert f"last run  {when(2003.0)}, running (task {'c' * 32})" in capsys.readouterr().out


def test_status_of_a_service_with_three_jobs_reads_each_source_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_jobs(tmp_path, behaves("start"))
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    aws.schedule_groups[GROUP]["cleanup"] = JobSchedule("rate(1 day)", "UTC", OLD)
    ship(w)
    reads = []
    newest = w.store.service_documents
    w.store.service_documents = lambda *a, **k: reads.append(1) or newest(*a, **k)  # type: ignore[method-assign]
    assert status.status(w.ctx, ("staging",)) == 0
    assert capsys.readouterr().out.count("last run  ") == 3
    assert len(reads) == 1  # the service config, read once for the row
    assert w.ecs.job_runs_calls == 1  # one look at ECS's task history for all three jobs


def test_a_job_scheduler_has_no_schedule_for_is_shown_from_the_config_with_its_last_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sandbox's stacks make no schedules (moto's CloudFormation has no Scheduler): the
    config's jobs are still shown, and a `run --job` is their last run."""
    w = with_jobs(tmp_path, behaves("start"))
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    del aws.schedule_groups[GROUP]
    ship(w)
    assert run_task(w.ctx, "staging", RunRequest((), job="sweep")) == 0
    capsys.readouterr()
    assert status.status(w.ctx, ("staging",)) == 0
    lines = capsys.readouterr().out.splitlines()
    sweep = lines.index(next(line for line in lines if "job       sweep" in line))
    assert lines[sweep] == (
        "  job       sweep  rate(15 minutes) UTC  not scheduled: EventBridge Scheduler has no "
        "schedule for it"
    )
    assert lines[sweep + 1].endswith(", exit 0 in 0s")
    assert any(
        "job       nightly-report  cron(0 3 * * ? *) UTC  not scheduled" in line for line in lines
    )
