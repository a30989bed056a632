"""Freeze windows (issue 24): `env.NAME.freeze = "Fri 16:00-Mon 08:00 Europe/Paris"` parsed
offline with an error naming the setting, and whether an instant falls inside, on the zone's
wall clock (across the week's end, across daylight saving time). In-process: freeze.py is pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from git_lift import freeze
from git_lift.errors import UsageError

SETTING = "env.production.freeze"
PARIS = ZoneInfo("Europe/Paris")
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


WEEKEND = freeze.parse(SETTING, "Fri 16:00-Mon 08:00 Europe/Paris")


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (paris(2026, 12, 4, 15, 59), False),  # Friday, a minute before
        (paris(2026, 12, 4, 16, 0), True),  # the start is inside
        (paris(2026, 12, 5, 12, 0), True),  # Saturday
        (paris(2026, 12, 6, 23, 59), True),  # Sunday night: the week's end
        (paris(2026, 12, 7, 0, 0), True),  # Monday, the week begins again
        (paris(2026, 12, 7, 7, 59), True),
        (paris(2026, 12, 7, 8, 0), False),  # the end is outside
        (paris(2026, 12, 9, 12, 0), False),  # Wednesday
    ],
)
def test_a_window_across_the_week_end(when: datetime, inside: bool) -> None:
    assert WEEKEND.contains(when) is inside
    assert WEEKEND.contains(when.astimezone(UTC)) is inside  # the same instant


def test_the_window_keeps_its_local_hours_across_daylight_saving_time() -> None:
    # Paris is UTC+1 in winter and UTC+2 in summer: 16:00 local is 15:00 or 14:00 UTC.
    winter, summer = (
        datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
        datetime(2026, 7, 3, 14, 0, tzinfo=UTC),
    )
    assert WEEKEND.contains(winter) and WEEKEND.contains(summer)
    assert not WEEKEND.contains(winter - timedelta(minutes=1))
    assert not WEEKEND.contains(summer - timedelta(minutes=1))


def test_a_window_over_the_hour_daylight_saving_time_skips_or_repeats() -> None:
    # 29 March 2026: Paris's clocks go from 02:00 to 03:00; 25 October 2026: from 03:00 to 02:00.
    night = freeze.parse(SETTING, "Sun 02:00-Sun 03:00 Europe/Paris")
    spring = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)  # 01:59 local, then 03:00
    assert not night.contains(spring) and not night.contains(spring + timedelta(minutes=1))
    autumn = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 local, the first time
    assert all(night.contains(autumn + timedelta(minutes=m)) for m in range(0, 120, 7))
    assert not night.contains(autumn + timedelta(minutes=120))  # 03:00 local


def test_the_zone_defaults_to_utc_and_days_may_be_spelled_out() -> None:
    window = freeze.parse(SETTING, "friday 22:00-Saturday 6:30")
    assert window.zone == "UTC" and window.until() == "Sat 06:30 UTC"
    assert window.contains(datetime(2026, 12, 5, 6, 29, tzinfo=UTC))
    assert not window.contains(datetime(2026, 12, 5, 6, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("Fri 16:00 Europe/Paris", "is not DAY HH:MM-DAY HH:MM [ZONE]"),
        ("Fri 16:00-Mon", "is not DAY HH:MM-DAY HH:MM [ZONE]"),
        ("", "is not DAY HH:MM-DAY HH:MM [ZONE]"),
        ("Fry 16:00-Mon 08:00", "names no day of the week in 'Fry'"),
        ("Fri 24:00-Mon 08:00", "has no time '24:00'"),
        ("Fri 16:60-Mon 08:00", "has no time '16:60'"),
        ("Fri 16:00-Fri 16:00", "starts when it ends"),
        ("Fri 16:00-Mon 08:00 Europe/Pariss", "names an unknown time zone 'Europe/Pariss'"),
        ("Fri 16:00-Mon 08:00 ../../etc/passwd", "names an unknown time zone"),
        ("Fri 16:00-Mon 08:00 /etc/localtime", "names an unknown time zone"),
        ("Fri 16:00-Mon 08:00 Europe/Paris extra", "is not DAY HH:MM-DAY HH:MM [ZONE]"),
    ],
)
def test_a_bad_window_is_an_error_naming_the_setting_and_the_form(value: str, said: str) -> None:
    with pytest.raises(UsageError) as refused:
        freeze.parse(SETTING, value)
    assert refused.value.message.startswith(f"{SETTING} = {value!r} ")
    assert said in refused.value.message
    assert refused.value.hint is not None and freeze.EXAMPLE in refused.value.hint


@pytest.mark.parametrize(
    ("zone", "meant"), [("europe/paris", "Europe/Paris"), ("Europe/Pari", "Europe/Paris")]
)
def test_a_mistyped_zone_is_refused_with_the_zone_it_most_likely_meant(
    zone: str, meant: str
) -> None:
    with pytest.raises(UsageError) as refused:
        freeze.parse(SETTING, f"Fri 16:00-Mon 08:00 {zone}")
    assert refused.value.hint is not None and refused.value.hint.startswith(
        f"did you mean {meant}? "
    )


# Properties, against a second way of saying it: inside when the window's start came more
# recently on the local wall clock than its end.

minutes = st.integers(0, freeze.WEEK - 1)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)


def window(start: int, end: int, zone: str) -> freeze.Window:
    text = f"{freeze.shown(start)}-{freeze.shown(end)} {zone}"
    return freeze.parse(SETTING, text)


def since(mark: int, now: int) -> int:
    """Minutes since the wall clock last read `mark` (0 when it reads it now)."""
    return (now - mark) % freeze.WEEK


@hypothesis_settings(max_examples=150, deadline=None)
@given(minutes, minutes, st.sampled_from(ZONES), instants)
def test_inside_when_the_start_came_after_the_end(
    start: int, end: int, zone: str, instant: datetime
) -> None:
    if start == end:
        return
    now = freeze.week_minute(instant, zone)
    assert window(start, end, zone).contains(instant) is (since(start, now) < since(end, now))


@hypothesis_settings(max_examples=150, deadline=None)
@given(minutes, minutes, st.sampled_from(ZONES), instants)
def test_a_window_and_its_complement_split_the_week(
    start: int, end: int, zone: str, instant: datetime
) -> None:
    if start == end:
        return
    one, other = window(start, end, zone), window(end, start, zone)
    assert one.contains(instant) is not other.contains(instant)


@hypothesis_settings(max_examples=100, deadline=None)
@given(minutes, minutes, st.sampled_from(ZONES))
def test_written_back_a_window_reads_the_same(start: int, end: int, zone: str) -> None:
    if start == end:
        return
    again = window(start, end, zone)
    assert (again.start, again.end, again.zone) == (start, end, zone)


def test_the_first_window_that_holds_is_the_one_said() -> None:
    windows = freeze.parse_all(SETTING, ["Wed 10:00-Wed 11:00", "Fri 16:00-Mon 08:00 Europe/Paris"])
    assert freeze.current(windows, paris(2026, 12, 5, 9, 0)) is windows[1]
    assert freeze.current(windows, datetime(2026, 12, 9, 10, 30, tzinfo=UTC)) is windows[0]
    assert freeze.current(windows, datetime(2026, 12, 9, 12, 0, tzinfo=UTC)) is None
