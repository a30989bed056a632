"""Scheduled jobs in the service config (issue 21, "Scheduled jobs"): each reads back as
written, and each mistake in a schedule, timezone or size is refused offline with its JSON path."""

from __future__ import annotations

import copy
import json

import pytest

from git_lift import servicecfg as sc
from git_lift.jobcfg import Job

pytestmark = pytest.mark.fast

NIGHTLY = {
    "command": ["bin/report", "--yesterday"],
    "schedule": "cron(0 3 * * ? *)",
    "timezone": "Europe/Paris",
    "cpu": 512,
    "memory": 1024,
    "timeout": 1800,
}


def doc(jobs: object) -> dict[str, object]:
    d = sc.default_document(production=False)
    d["jobs"] = copy.deepcopy(jobs)
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(sc.ServiceConfigError) as info:
        sc.parse(document)
    return info.value.problems


def job(**changes: object) -> dict[str, object]:
    j = dict(NIGHTLY)
    j.update(changes)
    return doc({"nightly-report": j})


def test_a_job_reads_back_and_round_trips() -> None:
    cfg = sc.parse(
        doc({"nightly-report": NIGHTLY, "sweep": {"command": ["x"], "schedule": "rate(1 hour)"}})
    )
    assert cfg.jobs["nightly-report"] == Job(
        command=("bin/report", "--yesterday"),
        schedule="cron(0 3 * * ? *)",
        timezone="Europe/Paris",
        cpu=512,
        memory=1024,
        timeout=1800,
    )
    # Unset sizes are the service's; the timezone is UTC.
    sweep = cfg.jobs["sweep"]
    assert (sweep.cpu, sweep.memory, sweep.timezone) == (None, None, "UTC")
    again = json.loads(json.dumps(sc.to_document(cfg)))
    assert sc.parse(again) == cfg


def test_a_service_without_jobs_has_none_and_its_document_is_unchanged() -> None:
    d = sc.default_document(production=False)
    assert sc.parse(d).jobs == {}
    assert "jobs" not in d


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 3 * * ? *)",
        "cron(15 10 ? * MON-FRI *)",
        "cron(0/5 8-17 ? * 2-6 *)",
        "cron(0 18 L * ? 2027)",
        "cron(0 9 ? * 6#3 *)",
        "cron(0 9 15W * ? *)",
        "cron(0 0 1,15 JAN-MAR ? *)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 day)",
        "rate(12 hours)",
    ],
)
def test_eventbridge_scheduler_expressions_are_accepted(schedule: str) -> None:
    assert sc.parse(job(schedule=schedule)).jobs["nightly-report"].schedule == schedule


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ("0 3 * * *", "not cron(...) or rate(...)"),
        ("cron(0 3 * * *)", "has 5 fields; Scheduler's cron has six"),
        ("cron(0 3 * * * *)", "one of day-of-month and day-of-week must be ?"),
        ("cron(0 3 ? * ? *)", "one of day-of-month and day-of-week must be ?"),
        ("cron(60 3 * * ? *)", "minutes: 60 is out of range 0-59"),
        ("cron(0 24 * * ? *)", "hours: 24 is out of range 0-23"),
        ("cron(0 3 * 13 ? *)", "month: 13 is out of range 1-12"),
        ("cron(0 3 ? * 8 *)", "day-of-week: 8 is out of range 1-7"),
        ("cron(0 3 ? * FUNDAY *)", "day-of-week: 'FUNDAY'"),
        ("cron(0 3 * * ? 1969)", "year: 1969 is out of range 1970-2199"),
        ("cron(0 ? * * ? *)", "hours: '?'"),
        ("cron(0 3 * * ? */0)", "a step of 0"),
        ("rate(0 minutes)", "a positive whole number"),
        ("rate(1 minutes)", "rate(1 minute)"),
        ("rate(2 hour)", "rate(2 hours)"),
        ("rate(1 week)", "minute(s), hour(s) or day(s)"),
    ],
)
def test_bad_schedules_are_refused_with_their_path(schedule: str, says: str) -> None:
    (problem,) = problems(job(schedule=schedule))
    assert problem.startswith("$.jobs.nightly-report.schedule: ")
    assert says in problem


def test_an_unknown_timezone_is_refused_naming_a_close_one() -> None:
    (problem,) = problems(job(timezone="Europe/Pariss"))
    assert problem.startswith("$.jobs.nightly-report.timezone: 'Europe/Pariss' is not")
    assert "Europe/Paris" in problem


def test_a_job_name_a_schedule_could_not_carry_is_refused() -> None:
    (problem,) = problems(doc({"Nightly_Report": NIGHTLY}))
    assert problem.startswith("$.jobs.Nightly_Report: ")


def test_job_mistakes_are_each_named_with_their_path() -> None:
    found = problems(
        doc({"a": {"schedule": "rate(1 hour)", "command": [], "timeout": 5, "memory": 300, "x": 1}})
    )
    assert "$.jobs.a.command: expected null or an array of strings" not in " ".join(found)
    assert any(p.startswith("$.jobs.a.command: ") for p in found)
    assert any(p.startswith("$.jobs.a.timeout: 5 is out of range") for p in found)
    assert any(p.startswith("$.jobs.a.x: unknown field") for p in found)


def test_missing_command_and_schedule_are_named() -> None:
    found = problems(doc({"a": {}}))
    assert "$.jobs.a.command: required field is missing" in found
    assert "$.jobs.a.schedule: required field is missing" in found


def test_a_job_size_fargate_cannot_run_is_refused() -> None:
    (problem,) = problems(job(cpu=256, memory=4096))
    assert problem.startswith("$.jobs.nightly-report.memory: 4096 is not a valid Fargate memory")
    # A job sized with memory only is checked against the service's cpu (256).
    (problem,) = problems(job(cpu=None, memory=8192))
    assert problem.startswith("$.jobs.nightly-report.memory: 8192 is not a valid Fargate memory")


def test_jobs_must_be_an_object() -> None:
    (problem,) = problems(doc([NIGHTLY]))
    assert problem.startswith("$.jobs: expected an object")
