"""A scheduled job's last run outlives ECS's hour of task history (issue 21): `status` reads
the service's job-runs log group (each stopped job task's "ECS Task State Change" event, sent
there by the stack's EventBridge rule) for the jobs ECS has no run of, once for all of them,
and the reads of that group are bounded whatever it holds."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from git_lift import servicecfg
from git_lift.aws import logs
from git_lift.aws.logs import LogEvent, Logs
from git_lift.aws.store import ServiceDocument
from git_lift.commands import status
from git_lift.ui import when
from tests.support.fakes import FakeAws, behaves, ship, world

pytestmark = pytest.mark.fast

RUNS = "/lift/staging/payments-api/job-runs"
JOBS = {
    "nightly-report": {"command": ["bin/report"], "schedule": "cron(0 3 * * ? *)"},
    "sweep": {"command": ["bin/sweep"], "schedule": "rate(15 minutes)"},
}


def stopped(job: str, started: str, stopped: str, exit_code: int | None, reason: str) -> str:
    """A stopped task's event as EventBridge writes it to a CloudWatch Logs target (ECS
    developer guide, "Amazon ECS task state change events": ISO times)."""
    container: dict[str, Any] = {"name": "payments-api"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    return json.dumps(
        {
            "source": "aws.ecs",
            "detail-type": "ECS Task State Change",
            "detail": {
                "taskArn": f"arn:aws:ecs:eu-west-1:123456789012:task/lift-staging/{job[0] * 32}",
                "group": f"job:{job}",
                "lastStatus": "STOPPED",
                "createdAt": started,
                "startedAt": started,
                "stoppedAt": stopped,
                "stoppedReason": reason,
                "containers": [container],
            },
        }
    )


def test_a_job_ecs_has_forgotten_shows_its_last_run_from_the_job_runs_log_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    document = {**servicecfg.default_document(False), "jobs": JOBS}
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    ship(w)
    exited = "Essential container in task exited"
    aws.log_groups[RUNS] = [
        LogEvent(
            1,
            "s",
            stopped("nightly-report", "2026-12-05T03:00:00Z", "2026-12-05T03:00:42.5Z", 0, exited),
            "1",
        ),
        LogEvent(
            2,
            "s",
            stopped("nightly-report", "2026-12-06T03:00:00Z", "2026-12-06T03:01:30Z", 3, exited),
            "2",
        ),
        LogEvent(3, "s", "not an event", "3"),
    ]
    assert status.status(w.ctx, ("staging",)) == 0
    lines = capsys.readouterr().out.splitlines()
    report = lines.index(next(line for line in lines if "job       nightly-report" in line))
    started = 1796526000.0  # 2026-12-06T03:00:00Z
    assert lines[report + 1] == f"            last run  {when(started)}, exit 3 in 90s"
    sweep = lines.index(next(line for line in lines if "job       sweep" in line))
    assert lines[sweep + 1] == (
        "            last run  none recorded (see its output: git lift logs -e staging --since 1d)"
    )
    assert aws.job_run_reads == [RUNS]  # one read of the group for both jobs


class Recorder:
    """A CloudWatch Logs client: one answer to every FilterLogEvents, each call recorded."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return self.answer


@pytest.fixture
def target(tmp_path: Path) -> Any:
    return world(tmp_path, tasks=behaves("start")).target


def test_the_job_runs_group_is_read_newest_window_first_and_stops_once_each_job_is_found(
    target: Any,
) -> None:
    event = stopped("sweep", "2026-12-06T03:00:00Z", "2026-12-06T03:00:05Z", 0, "exited")
    client = Recorder({"events": [{"message": event}]})
    runs = Logs(client, target).job_runs("payments-api", ["sweep"])  # type: ignore[arg-type]
    assert runs["sweep"].exit_code == 0 and runs["sweep"].seconds == 5.0
    (call,) = client.calls  # found in the newest day: one request
    assert call["logGroupName"] == RUNS
    assert call["filterPattern"] == '{ ($.detail.group = "job:sweep") }'
    assert call["endTime"] - call["startTime"] == 86_400_000 + 60_000


def test_a_job_that_never_ran_costs_a_bounded_number_of_requests_however_full_the_group(
    target: Any,
) -> None:
    """Every window answers a full page with more to come, and none of the job's events."""
    client = Recorder({"events": [], "nextToken": "more"})
    assert Logs(client, target).job_runs("payments-api", ["a", "b"]) == {}  # type: ignore[arg-type]
    assert len(client.calls) == len(logs.WINDOW_DAYS) * logs.PAGES
    assert client.calls[0]["filterPattern"] == (
        '{ ($.detail.group = "job:a") || ($.detail.group = "job:b") }'
    )
    windows = [(c["startTime"], c["endTime"]) for c in client.calls[:: logs.PAGES]]
    assert all(newer[0] == older[1] for newer, older in itertools.pairwise(windows))


class NotFound(Exception):
    pass


class Missing(Recorder):
    """A service stack made before the rule: there is no job-runs log group."""

    exceptions = type("Exceptions", (), {"ResourceNotFoundException": NotFound})

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        raise NotFound(kwargs["logGroupName"])


def test_a_stack_without_the_job_runs_group_yet_costs_one_request_and_no_error(
    target: Any,
) -> None:
    client = Missing({})
    assert Logs(client, target).job_runs("payments-api", ["sweep"]) == {}  # type: ignore[arg-type]
    assert len(client.calls) == 1
