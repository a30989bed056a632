"""Ctrl-C, SIGTERM and SIGHUP swept across a ship (issue 18).

`git lift ship -e staging` is run as a user runs it (git dispatching to git-lift, in a process
group of its own, as a terminal or `timeout -s INT` has it) and the whole group is signalled
at 40 points spread over a ship: git forwards the signal to git-lift as well, so git-lift gets
it twice, the way Ctrl-C reaches it from a terminal. After each one: no lock held by a process
that is gone without a word, the attempt in `history` (released, failed or `(interrupted)`),
and no release recorded `released` without its tag.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import boto3
import pytest

from git_lift.aws.store import Store
from tests.support.ecs import target
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]

POINTS = 40
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PLANNED = "payments-api in staging: "  # the plan's first line; the lock is taken next


def store() -> Store:
    return Store(boto3.client("dynamodb", region_name="eu-west-1"))


@pytest.fixture
def shipped(shipping: GitRepo, lift: Lift) -> GitRepo:
    """Release 1 runs; its image is in the registry, so each ship of HEAD reuses it."""
    first = lift("ship", "-e", "staging")
    assert first.returncode == 0, first.stderr
    return shipping


def ship(lift: Lift) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["git", "lift", "ship", "-e", "staging"],
        cwd=lift.cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def planned(process: subprocess.Popen[str], lines: list[str]) -> None:
    """Read the ship's stderr until its plan is shown (the lock is taken right after)."""
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        if line.startswith(PLANNED):
            return
    raise AssertionError(f"the ship never planned (exit {process.wait()}): {lines}")


def timeline(lift: Lift) -> tuple[float, float]:
    """When an uninterrupted ship shows its plan, and when it ends (seconds from its start)."""
    started = time.monotonic()
    process = ship(lift)
    planned(process, [])
    plan = time.monotonic() - started
    _, told = process.communicate(timeout=120)
    assert process.returncode == 0, told
    return plan, time.monotonic() - started


@dataclass
class Trial:
    sig: signal.Signals
    at: float  # seconds from the start of the ship
    told: str
    held: bool  # the deploy lock, once git-lift has exited

    @property
    def silent(self) -> bool:
        """A lock left behind that ship did not mention, or said it released."""
        return self.held and ("lock" not in self.told or "the lock is released" in self.told)


def interrupt(lift: Lift, sig: signal.Signals, at: float, plan: float) -> Trial:
    """Signal the ship's process group `at` seconds in (after its plan: that long after the
    plan line, so each point lands at the same stage of the ship however slow the start)."""
    started, lines = time.monotonic(), []
    process = ship(lift)
    if at >= plan:
        planned(process, lines)
        time.sleep(max(0.0, at - plan))
    else:
        time.sleep(max(0.0, at - (time.monotonic() - started)))
    os.killpg(process.pid, sig)
    _, rest = process.communicate(timeout=120)  # stderr closes when git-lift has exited
    held = store().lock(target()) is not None
    if held:  # counted; the next trial starts unlocked
        store().release_lock(target(), None)
    return Trial(sig, at, "".join(lines) + rest, held)


def points(plan: float, end: float) -> list[float]:
    """POINTS instants over the ship: a few while it starts and plans (nothing is held yet),
    the rest from its plan to its end, where the lock is taken, held and dropped."""
    early = POINTS // 10
    late = POINTS - early
    return [plan * (i + 0.5) / early for i in range(early)] + [
        plan + (end - plan) * (i + 0.5) / late for i in range(late)
    ]


def counter() -> int:
    """Release numbers handed out so far (each ship's attempt takes one with the lock)."""
    head = boto3.client("dynamodb", region_name="eu-west-1").get_item(
        TableName="git-lift", Key={"pk": {"S": target().release_key}, "sk": {"S": "counter"}}
    )
    return int(head["Item"]["n"]["N"])


@pytest.mark.slow
def test_a_signal_anywhere_in_a_ship_leaves_no_silent_lock_and_every_attempt_recorded(
    shipped: GitRepo, lift: Lift, request: pytest.FixtureRequest
) -> None:
    plan, end = timeline(lift)
    trials = [
        interrupt(lift, SIGNALS[n % len(SIGNALS)], at, plan)
        for n, at in enumerate(points(plan, end))
    ]
    history = lift("history", "-e", "staging", "--output", "json")
    assert history.returncode == 0, history.stderr
    records = json.loads(history.stdout)
    tags = set(shipped.git("tag", "-l", "lift/staging/*").stdout.split())
    untagged = [
        r["number"]
        for r in records
        if r["outcome"] == "released" and f"lift/staging/payments-api/{r['number']}" not in tags
    ]
    silent = [t for t in trials if t.silent]
    missing = counter() - len(records)
    interrupted = sum(r["outcome"] == "interrupted" for r in records)
    figure = (
        f"ship interrupted at {POINTS} points over {end:.1f}s (SIGINT, SIGTERM, SIGHUP, each "
        f"twice): {sum(t.held for t in trials)} locks left, {len(silent)} without a word; "
        f"{missing} attempts missing from history ({interrupted} recorded interrupted); "
        f"{len(untagged)} released without a tag"
    )
    request.config.add_cleanup(lambda: print("\n" + figure, file=sys.__stderr__))
    assert [(t.sig.name, round(t.at, 2), t.told) for t in silent] == []
    warned = [t.told for t in trials if "could not" in t.told]
    assert missing == 0, warned
    assert all(t.held is False for t in trials), figure
    assert untagged == [], [t.told for t in trials if "could not create tag" in t.told]
