"""Scheduled jobs in the service config (`jobs`): each runs the release's task definition with
its own command on an EventBridge Scheduler schedule; pure.

servicecfg.parse calls `read` with its Checker, so that each mistake is named with its JSON
path among the others. Schedules are checked offline against EventBridge Scheduler's syntax
(Scheduler user guide, "Schedule types": cron and rate expressions): six cron fields
`minutes hours day-of-month month day-of-week year`, exactly one of the two day fields `?`,
and `rate(value unit)` with a singular unit for 1 and a plural one above.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from dataclasses import dataclass

from git_lift.jsoncheck import Checker, kind

# A job's name is its schedule's name inside the service's schedule group: Scheduler's Name
# (botocore scheduler model: 1-64 of [0-9a-zA-Z-_.]); kept to git lift's lowercase style.
JOB_MAX = 40
JOB_NAME = re.compile(rf"^[a-z0-9](?:[a-z0-9-]{{0,{JOB_MAX - 2}}}[a-z0-9])?$")
# How long `git lift run --job` waits for a run, in seconds (ECS itself never stops a task
# for running long).
TIMEOUT = (60, 86400, 3600)
DEFAULT_TIMEZONE = "UTC"

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names for low, low+1, ... (JAN=1, SUN=1)
    special: bool = False  # day fields: `?` and `L` (and `W` or `#`)


CRON_FIELDS = (
    CronField("minutes", 0, 59),
    CronField("hours", 0, 23),
    CronField("day-of-month", 1, 31, special=True),
    CronField("month", 1, 12, _MONTHS),
    CronField("day-of-week", 1, 7, _DAYS, special=True),
    CronField("year", 1970, 2199),
)
_RATE = re.compile(r"^rate\((\S+) (\S+)\)$")
_RATE_UNITS = ("minute", "hour", "day")


@dataclass(frozen=True)
class Job:
    command: tuple[str, ...]
    schedule: str
    timezone: str = DEFAULT_TIMEZONE
    cpu: int | None = None  # None: the service's
    memory: int | None = None
    timeout: int = TIMEOUT[2]


def read(c: Checker, value: object, path: str = "$.jobs") -> dict[str, Job]:
    if not isinstance(value, dict):
        c.add(path, f'expected an object like {{"nightly-report": {{...}}}}, got {kind(value)}')
        return {}
    jobs: dict[str, Job] = {}
    for name, item in value.items():
        if not JOB_NAME.match(str(name)):
            c.add(
                f"{path}.{name}",
                f"a job name is 1-{JOB_MAX} lowercase letters, digits and hyphens "
                "(like nightly-report)",
            )
            continue
        found = _job(c, item, f"{path}.{name}")
        if found is not None:
            jobs[str(name)] = found
    return jobs


def _job(c: Checker, value: object, path: str) -> Job | None:
    names = ("command", "schedule", "timezone", "cpu", "memory", "timeout")
    obj = c.fields(value, path, names, required=("command", "schedule"))
    if obj is None:
        return None
    command = c.command(obj, path, '["bin/report"]')
    schedule = c.string(obj, "schedule", path, "")
    if "schedule" in obj and not c.failed(f"{path}.schedule"):
        problem = schedule_problem(schedule)
        if problem:
            c.add(f"{path}.schedule", problem)
    timezone = c.string(obj, "timezone", path, DEFAULT_TIMEZONE)
    if not c.failed(f"{path}.timezone") and timezone not in _timezones():
        close = difflib.get_close_matches(timezone, sorted(_timezones()), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        c.add(f"{path}.timezone", f"{timezone!r} is not an IANA timezone name{hint}")
    return Job(
        command=command,
        schedule=schedule,
        timezone=timezone,
        cpu=None if obj.get("cpu") is None else c.integer(obj, "cpu", path, 256, 256, 16384),
        memory=None
        if obj.get("memory") is None
        else c.integer(obj, "memory", path, 512, 512, 122880),
        timeout=c.integer(obj, "timeout", path, TIMEOUT[2], TIMEOUT[0], TIMEOUT[1]),
    )


@functools.cache
def _timezones() -> frozenset[str]:
    # Scheduler's ScheduleExpressionTimezone takes IANA names; Python's zoneinfo has the list.
    return frozenset(zoneinfo.available_timezones())


def schedule_problem(expression: str) -> str | None:
    """What EventBridge Scheduler would refuse in a cron(...) or rate(...) expression."""
    if expression.startswith("rate(") and expression.endswith(")"):
        return _rate_problem(expression)
    if expression.startswith("cron(") and expression.endswith(")"):
        return _cron_problem(expression[5:-1])
    return (
        f'{expression!r} is not cron(...) or rate(...), like "cron(0 3 * * ? *)" or "rate(1 hour)"'
    )


def _rate_problem(expression: str) -> str | None:
    m = _RATE.match(expression)
    if m is None:
        return f'{expression!r} is not rate(value unit), like "rate(1 hour)"'
    value, unit = m.groups()
    if not value.isdigit() or int(value) < 1:
        return f"{value!r}: a rate's value is a positive whole number"
    if unit.rstrip("s") not in _RATE_UNITS:
        return f"{unit!r}: a rate's unit is minute(s), hour(s) or day(s)"
    count = int(value)
    right = unit.rstrip("s") + ("" if count == 1 else "s")
    if unit != right:
        return f"write rate({count} {right}): the unit is singular for 1 and plural above"
    return None


def _cron_problem(body: str) -> str | None:
    parts = body.split()
    if len(parts) != len(CRON_FIELDS):
        return (
            f"cron({body}) has {len(parts)} fields; Scheduler's cron has six: minutes hours "
            'day-of-month month day-of-week year, like "cron(0 3 * * ? *)"'
        )
    for spec, part in zip(CRON_FIELDS, parts, strict=True):
        problem = _field_problem(spec, part)
        if problem:
            return f"{spec.name}: {problem}"
    day_of_month, day_of_week = parts[2], parts[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return (
            "one of day-of-month and day-of-week must be ? and the other not, like "
            '"cron(0 3 * * ? *)" or "cron(0 3 ? * MON-FRI *)"'
        )
    return None


def _field_problem(spec: CronField, part: str) -> str | None:
    if part == "?":
        return None if spec.special else f"{part!r} is only for day-of-month or day-of-week"
    for item in part.split(","):
        problem = _item_problem(spec, item)
        if problem:
            return problem
    return None


def _item_problem(spec: CronField, item: str) -> str | None:
    if spec.special and spec.name == "day-of-month":
        if item in ("L", "LW"):
            return None
        if item.endswith("W"):
            return _value_problem(spec, item[:-1])
    if spec.special and spec.name == "day-of-week":
        if item == "L" or (item.endswith("L") and len(item) > 1):
            return _value_problem(spec, item[:-1] or "1")
        if "#" in item:
            day, _, nth = item.partition("#")
            if not (nth.isdigit() and 1 <= int(nth) <= 5):
                return f"{item!r}: the week after # is 1-5"
            return _value_problem(spec, day)
    base, slash, step = item.partition("/")
    if slash:
        if not step.isdigit():
            return f"{item!r}: a step is a whole number"
        if int(step) == 0:
            return f"{item!r}: a step of 0"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    return _value_problem(spec, low) or (_value_problem(spec, high) if dash else None)


def _value_problem(spec: CronField, text: str) -> str | None:
    if text.upper() in spec.names:
        return None
    if not text.isdigit():
        known = f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
        return f"{text!r} is not a value ({spec.low}-{spec.high}{known})"
    if not spec.low <= int(text) <= spec.high:
        return f"{int(text)} is out of range {spec.low}-{spec.high}"
    return None
