"""`git lift logs` in-process: --since read as a duration and bounded, the events of that window
printed once each with their time and task, a word on stderr when there are none, and -f
ending quietly on Ctrl-C."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from git_lift.aws.logs import LogEvent
from git_lift.aws.store import ServiceDocument
from git_lift.commands import logs
from git_lift.errors import LiftError, UsageError
from git_lift.servicecfg import default_document
from tests.support.fakes import InProcess, in_process

GROUP = "/lift/staging/payments-api"
STREAM = "payments-api/payments-api/0123456789abcdef0123"


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    box = in_process(tmp_path)
    box.aws.log_groups[GROUP] = []
    return box


def event(box: InProcess, seconds_ago: float, message: str, n: int) -> LogEvent:
    stamp = int((box.aws.fake_clock() - seconds_ago) * 1000)
    found = LogEvent(stamp, STREAM, message, f"event-{n}")
    box.aws.log_groups[GROUP].append(found)
    return found


def clock_of(found: LogEvent) -> str:
    return time.strftime("%H:%M:%S", time.localtime(found.timestamp / 1000))


@pytest.mark.parametrize(
    ("since", "seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), (" 5m ", 300), ("365d", 31536000)],
)
def test_since_is_a_number_and_a_unit(since: str, seconds: int) -> None:
    assert logs.parse_since(since) == seconds


@pytest.mark.parametrize("since", ["10", "1w", "-5m", "1.5h", "h", "2 h", ""])
def test_since_that_is_no_duration_is_refused_with_examples(since: str) -> None:
    with pytest.raises(UsageError) as raised:
        logs.parse_since(since)
    assert raised.value.message == f"--since {since!r} is not a duration"
    assert raised.value.hint == "use e.g. 30s, 10m, 2h or 1d"


@pytest.mark.parametrize("since", ["366d", "8761h", "525601m"])
def test_since_further_back_than_a_year_is_refused(since: str) -> None:
    with pytest.raises(UsageError) as raised:
        logs.parse_since(since)
    assert "is more than 365 days back" in raised.value.message


def test_the_events_of_the_window_are_printed_with_their_time_and_task(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    event(box, 3 * 3600, "too old", 1)
    started = event(box, 1800, "listening on :8080\n", 2)
    served = event(box, 60, "GET /health 200", 3)
    assert logs.logs(box.ctx, "staging", "1h", follow=False) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{clock_of(started)} 0123456789ab listening on :8080",
        f"{clock_of(served)} 0123456789ab GET /health 200",
    ]
    assert err == ""


def test_no_events_in_the_window_is_said_on_stderr(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    event(box, 3 * 3600, "too old", 1)
    assert logs.logs(box.ctx, "staging", "2h", follow=False) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert f"no log events in {GROUP} since " in err and "(2h ago)" in err


def test_a_service_without_its_log_group_points_at_service_create(box: InProcess) -> None:
    del box.aws.log_groups[GROUP]
    with pytest.raises(LiftError) as raised:
        logs.logs(box.ctx, "staging", "10m", follow=False)
    assert raised.value.message == f"there is no log group {GROUP}"
    assert raised.value.hint == "set it up: git lift setup -e staging"


def test_a_bad_since_is_refused_before_aws_is_asked(box: InProcess) -> None:
    del box.aws.log_groups[GROUP]  # asking would fail otherwise
    with pytest.raises(UsageError):
        logs.logs(box.ctx, "staging", "yesterday", follow=False)


def test_follow_prints_new_events_once_and_ends_quietly_on_ctrl_c(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = event(box, 10, "one", 1)
    polls: list[float] = []
    later: list[LogEvent] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        box.aws.fake_clock.sleep(seconds)
        if len(polls) == 1:
            later.append(event(box, 0, "two", 2))
        if len(polls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(box.aws, "sleep", sleep)
    assert logs.logs(box.ctx, "staging", "1m", follow=True) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{clock_of(first)} 0123456789ab one",
        f"{clock_of(later[0])} 0123456789ab two",
    ]
    assert polls == [2.0, 2.0, 2.0]  # a read every 2 s until stopped
    assert "error" not in err and "Traceback" not in err


def test_process_reads_that_processs_streams_alone(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {**default_document(False), "processes": {"worker": {"command": ["bin/w"]}}}
    saved = ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    box.aws.table("staging").save_service_document(box.target(), saved)
    event(box, 60, "web's line", 1)
    worker_stream = "process.worker/payments-api/fedcba98765432100000"
    box.aws.log_groups[GROUP].append(
        LogEvent(
            int(box.aws.fake_clock() * 1000) - 30_000, worker_stream, "worker's line", "event-2"
        )
    )
    assert logs.logs(box.ctx, "staging", "1h", follow=False, process="worker") == 0
    assert capsys.readouterr().out.endswith("fedcba987654 worker's line\n")
    assert logs.logs(box.ctx, "staging", "1h", follow=False, process="web") == 0
    assert capsys.readouterr().out.endswith("0123456789ab web's line\n")
    with pytest.raises(UsageError) as raised:
        logs.logs(box.ctx, "staging", "1h", follow=False, process="wroker")
    assert "(its processes: web, worker)" in raised.value.message
