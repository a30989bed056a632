"""Freeze windows (`env.NAME.freeze = "Fri 16:00-Mon 08:00 Europe/Paris"`): weekly spans of
wall-clock time in one time zone during which releases to the environment are refused unless
`--skip-gate REASON` (flows/gate.py).

Pure: a window is parsed once (offline, with an `error:` naming the setting) and asked whether
an instant falls inside it. Times are the zone's wall clock, so a window keeps its local hours
across daylight saving time: the instant is turned into local time (always one answer) and its
place in the local week compared with the window's; nothing converts local times back into
instants, where DST would make some ambiguous or missing. A window whose start is after its end
in the week (Fri 16:00-Mon 08:00) runs across the week's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from git_lift import names
from git_lift.errors import UsageError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = 7 * 24 * 60  # minutes
EXAMPLE = "Fri 16:00-Mon 08:00 Europe/Paris"
SHAPE = re.compile(
    r"\s*(?P<d1>[A-Za-z]+)\s+(?P<t1>\d{1,2}:\d{2})\s*-\s*"
    r"(?P<d2>[A-Za-z]+)\s+(?P<t2>\d{1,2}:\d{2})(?:\s+(?P<zone>\S+))?\s*"
)


@dataclass(frozen=True)
class Window:
    start: int  # minutes into the local week, Monday 00:00 = 0
    end: int
    zone: str  # an IANA name; UTC when the setting names none
    text: str  # as written

    def contains(self, instant: datetime) -> bool:
        """`instant` (aware) falls inside the window, read on the zone's wall clock."""
        at = week_minute(instant, self.zone)
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end  # across the week's end

    def until(self) -> str:
        """When it ends, as the window says it (`Mon 08:00 Europe/Paris`)."""
        return f"{shown(self.end)} {self.zone}"


def week_minute(instant: datetime, zone: str) -> int:
    local = instant.astimezone(ZoneInfo(zone))
    return local.weekday() * 24 * 60 + local.hour * 60 + local.minute


def shown(minute: int) -> str:
    day, rest = divmod(minute, 24 * 60)
    return f"{DAYS[day].title()} {rest // 60:02d}:{rest % 60:02d}"


def parse(setting: str, value: str) -> Window:
    """One window; a UsageError naming `setting` and what is wrong otherwise."""
    found = SHAPE.fullmatch(value)
    if found is None:
        raise _bad(setting, value, "is not DAY HH:MM-DAY HH:MM [ZONE]")
    start = _minute(setting, value, found["d1"], found["t1"])
    end = _minute(setting, value, found["d2"], found["t2"])
    if start == end:
        raise _bad(setting, value, "starts when it ends")
    return Window(start, end, _zone(setting, value, found["zone"] or "UTC"), value.strip())


def parse_all(setting: str, values: list[str] | tuple[str, ...]) -> tuple[Window, ...]:
    return tuple(parse(setting, value) for value in values)


def current(windows: tuple[Window, ...], instant: datetime) -> Window | None:
    """The first window `instant` falls inside, None when releases are open."""
    return next((w for w in windows if w.contains(instant)), None)


def at(seconds: float) -> datetime:
    """An instant from a wall clock's seconds since the epoch."""
    return datetime.fromtimestamp(seconds, UTC)


def _minute(setting: str, value: str, day: str, time: str) -> int:
    word = day.lower()
    if word in DAYS:
        index = DAYS.index(word)
    elif word in FULL_DAYS:
        index = FULL_DAYS.index(word)
    else:
        raise _bad(setting, value, f"names no day of the week in {day!r}")
    hour, minute = (int(part) for part in time.split(":"))
    if hour > 23 or minute > 59:
        raise _bad(setting, value, f"has no time {time!r}")
    return index * 24 * 60 + hour * 60 + minute


def _zone(setting: str, value: str, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # zoneinfo refuses absolute and `..` keys with ValueError, unknown ones NotFound
        known = {zone.lower(): zone for zone in available_timezones()}
        meant = known.get(name.lower()) or names.close_spelling(name, known.values())
        raise _bad(setting, value, f"names an unknown time zone {name!r}", meant) from None
    return name


def _bad(setting: str, value: str, why: str, zone: str | None = None) -> UsageError:
    guess = f"did you mean {zone}? " if zone else ""
    return UsageError(
        f"{setting} = {value!r} {why}",
        hint=f'{guess}write it as "{EXAMPLE}" (days Mon..Sun, 24 h times, an IANA time zone; '
        "UTC when none)",
    )
