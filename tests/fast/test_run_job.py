"""`git lift run --job NAME` in-process (issue 21): a scheduled job runs now as a one-off task
of the running release, with the job's command, size and timeout as its schedule runs it; an
unknown job, a job with a command, or no command at all are refused before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.aws.store import ServiceDocument
from git_lift.commands.run import run_task
from git_lift.errors import LiftError, UsageError
from git_lift.flows.one_off import RunRequest
from tests.support.fakes import OLD, World, world

JOBS = {
    "nightly-report": {
        "command": ["bin/report", "--yesterday"],
        "schedule": "cron(0 3 * * ? *)",
        "memory": 2048,
        "timeout": 600,
    },
    "sweep": {"command": ["bin/sweep"], "schedule": "rate(15 minutes)"},
}


@pytest.fixture
def w(tmp_path: Path) -> World:
    found = world(tmp_path, tasks=lambda arn: "start")
    document = {**servicecfg.default_document(False), "jobs": JOBS}
    found.store.save_service_document(
        found.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    return found


def test_a_job_runs_now_with_its_command_and_size(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.ecs.one_off = lambda command: (0, ["12 rows"])
    assert run_task(w.ctx, "staging", RunRequest((), job="nightly-report")) == 0
    (task,) = w.ecs.runs
    assert task["task_definition"] == OLD  # the running release's, as the schedule's
    assert task["command"] == ["bin/report", "--yesterday"]
    assert (task["cpu"], task["memory"]) == (256, 2048)  # the service's cpu, the job's memory
    assert capsys.readouterr().out == "12 rows\n"


def test_a_job_without_a_size_runs_at_the_services(w: World) -> None:
    assert run_task(w.ctx, "staging", RunRequest((), job="sweep")) == 0
    (task,) = w.ecs.runs
    assert task["command"] == ["bin/sweep"]
    assert (task["cpu"], task["memory"]) == (None, None)


def test_a_job_past_its_timeout_is_stopped_and_fails(w: World) -> None:
    w.ecs.one_off_hangs = True
    with pytest.raises(LiftError) as failed:
        run_task(w.ctx, "staging", RunRequest((), job="nightly-report"))
    assert "did not finish in 600s (the job's timeout): it is stopped" in failed.value.message
    assert [task for task, _ in w.ecs.stopped_by_us] == [w.ecs.runs[0]["arn"]]


@pytest.mark.parametrize(
    ("request_", "said"),
    [
        (RunRequest((), job="weekly"), "has no job 'weekly' (its jobs: nightly-report, sweep)"),
        (RunRequest(("bin/other",), job="sweep"), "--job sweep runs the job's own command"),
        (RunRequest(()), "give the command to run, or a scheduled job"),
    ],
)
def test_mistakes_are_refused_before_anything_starts(
    w: World, request_: RunRequest, said: str
) -> None:
    with pytest.raises(UsageError) as refused:
        run_task(w.ctx, "staging", request_)
    assert said in refused.value.message
    assert refused.value.hint is not None and "git lift " in refused.value.hint
    assert w.ecs.runs == []
