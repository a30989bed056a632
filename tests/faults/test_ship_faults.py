"""Ships under faults: signals, kill -9, a throttled watch, a throttled record, an unlock race.

Each test ships for real (git, buildah, a registry, moto's server with the rollout simulator),
breaks the ship at a chosen point, then checks what the user was told, the lock, what ECS
runs and what `status` says about it. The module prints the figures the README shows: false
"released" claims, locks left without a word, and `status` wrong about what runs (all 0).
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from git_lift.sandbox.server import SandboxServer
from tests.support.ecs import running_task_definition, store, target
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]


@dataclass
class Outcome:
    scenario: str
    false_released: int
    silent_locks: int
    status_wrong: int


FIGURES: list[Outcome] = []


@pytest.fixture(scope="module", autouse=True)
def figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the figures once the module's ships are done, after pytest's own summary."""
    yield
    lines = [
        "ship under faults: false 'released' / locks left silently / status wrong",
        *(
            f"  {o.scenario:<18} {o.false_released} / {o.silent_locks} / {o.status_wrong}"
            for o in FIGURES
        ),
    ]
    if FIGURES:
        request.config.add_cleanup(lambda: print("\n" + "\n".join(lines), file=sys.__stderr__))


def running_image() -> str:
    return str(running_task_definition("staging")["containerDefinitions"][0]["image"])


def status_json(lift: Lift) -> dict[str, Any]:
    result = lift("status", "-e", "staging", "--output", "json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)[0])


def judge(scenario: str, lift: Lift, told: str) -> dict[str, Any]:
    """Tally one scenario: a "released" claim must match what ECS runs, a lock left behind
    must have been mentioned, and status must say what runs; return status's JSON."""
    row = status_json(lift)
    image = running_image()
    claimed = "released payments-api" in told
    held = store().lock(target())
    status_right = row["running_image"] == image and (
        row["image"] == image or row["mismatch"] is not None
    )
    FIGURES.append(
        Outcome(
            scenario,
            int(claimed and row["image"] != image),
            int(held is not None and "lock" not in told),
            int(not status_right),
        )
    )
    assert FIGURES[-1] == Outcome(scenario, 0, 0, 0), (told, row, image, held)
    return row


def start_ship(lift: Lift, env: dict[str, str] | None = None, *flags: str) -> subprocess.Popen[str]:
    """`git lift ship -e staging` in the background, returned once it has started deploying
    (its first poll done; it polls once a second from then on)."""
    process = subprocess.Popen(
        ["git-lift", "ship", "-e", "staging", *flags],
        cwd=lift.cwd,
        env={**os.environ, "GIT_LIFT_POLL_INTERVAL": "1", **(env or {})},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("deploying"):
            return process
    raise AssertionError(f"the ship never deployed (exit {process.wait()})")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Its exit code and the rest of what it said. A ship that has not ended in two minutes
    is killed and the test fails: a hang must not hang the suite (one was seen: the signal's
    KeyboardInterrupt landed while urllib3's pool held its queue's lock, flows/interrupts.py)."""
    try:
        _, rest = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, rest = process.communicate()
        raise AssertionError(f"the ship hung after its signal and was killed: {rest}") from None
    return process.returncode, rest


def second_commit(repo: GitRepo) -> None:
    repo.write("app.txt", "v2\n")
    repo.commit("v2")


@pytest.fixture
def released(shipping: GitRepo, lift: Lift) -> GitRepo:
    """Release 1 runs; the work tree holds a second commit, not shipped yet."""
    assert lift("ship", "-e", "staging").returncode == 0
    second_commit(shipping)
    return shipping


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_signal_while_waiting_releases_the_lock_and_says_what_ecs_does(
    released: GitRepo, lift: Lift, sig: signal.Signals
) -> None:
    process = start_ship(lift)
    os.killpg(process.pid, sig)
    code, told = finish(process)
    assert code == 130, told
    assert "interrupted: ECS goes on rolling out" in told and "last seen: " in told
    assert "the lock is released" in told and "git lift status -e staging" in told
    assert store().lock(target()) is None
    row = judge(sig.name, lift, told)
    assert row["release"] == 1 and "running release 2's image (interrupted)" in row["mismatch"]
    history = lift("history", "-e", "staging").stdout.splitlines()
    assert history[0].split()[0] == "2" and history[0].endswith("(interrupted)")


def test_kill_9_leaves_a_lock_the_next_ship_takes_over_naming_its_dead_holder(
    released: GitRepo, lift: Lift
) -> None:
    process = start_ship(lift)
    os.killpg(process.pid, signal.SIGKILL)
    finish(process)
    assert status_json(lift)["mismatch"].startswith("running an image no release recorded: ")
    taken = lift("ship", "-e", "staging")  # its holder is gone from this machine
    assert taken.returncode == 0, taken.stderr
    holder = f"{getpass.getuser()}@{socket.gethostname()} pid {process.pid} "
    assert f"took over the deploy lock of payments-api in staging from {holder}" in taken.stderr
    assert "whose process is gone; what it was deploying is not recorded" in taken.stderr
    row = judge("kill -9", lift, taken.stderr)
    assert (row["release"], row["mismatch"]) == (3, None)
    again = start_ship(lift, None, "--force")  # release 3 runs this commit already
    os.killpg(again.pid, signal.SIGKILL)
    finish(again)
    unlocked = lift("unlock", "-e", "staging")  # its process is gone: no --force needed
    assert unlocked.returncode == 0, unlocked.stderr
    assert f"held by {getpass.getuser()}@{socket.gethostname()} pid {again.pid} " in (
        unlocked.stderr
    )
    assert store().lock(target()) is None


def test_a_watch_that_loses_aws_says_what_ecs_was_doing_and_releases_the_lock(
    released: GitRepo, lift: Lift, aws: SandboxServer
) -> None:
    process = start_ship(lift, {"AWS_MAX_ATTEMPTS": "2", "GIT_LIFT_POLL_INTERVAL": "0.02"})
    aws.throttle("ecs.DescribeServices", 1000)
    code, told = finish(process)
    aws.throttle("ecs.DescribeServices", 0)
    assert code == 1, told
    assert "error: lost touch with AWS while waiting for staging-payments-api:3" in told
    assert "ECS goes on without git lift, last seen: staging-payments-api:3" in told
    assert "hint: see what runs: git lift status -e staging" in told
    assert "released payments-api" not in told
    assert store().lock(target()) is None
    judge("throttled describe", lift, told)


def test_a_few_throttled_polls_do_not_stop_the_watch(
    released: GitRepo, lift: Lift, aws: SandboxServer
) -> None:
    process = start_ship(lift, {"AWS_MAX_ATTEMPTS": "2", "GIT_LIFT_POLL_INTERVAL": "0.02"})
    aws.throttle("ecs.DescribeServices", 2)
    code, told = finish(process)
    assert code == 0, told
    assert "cannot reach ECS" in told and "released payments-api" in told
    assert status_json(lift)["release"] == 2


def test_a_record_aws_never_takes_is_kept_and_recorded_later(
    released: GitRepo, lift: Lift, aws: SandboxServer
) -> None:
    aws.throttle("dynamodb.TransactWriteItems", 1000)
    result = lift("ship", "-e", "staging", env={"AWS_MAX_ATTEMPTS": "2"})
    aws.throttle("dynamodb.TransactWriteItems", 0)
    assert result.returncode == 1, result.stderr
    assert "could not record release 2 yet" in result.stderr  # it retried
    assert "error: release 2 is running in staging but could not be recorded" in result.stderr
    assert "hint: record it when AWS answers: git lift ship --record-only -e staging" in (
        result.stderr
    )
    assert store().lock(target()) is None
    row = judge("throttled record", lift, result.stderr)
    assert "git lift ship --record-only -e staging" in row["mismatch"]
    recorded = lift("ship", "-e", "staging", "--record-only")
    assert recorded.returncode == 0, recorded.stderr
    assert "recorded release 2 of payments-api in staging (released)" in recorded.stderr
    row = status_json(lift)
    assert (row["release"], row["mismatch"]) == (2, None)
    assert "lift/staging/payments-api/2" in released.git("tag", "-l").stdout


def test_a_throttled_record_is_retried_until_it_is_written(
    released: GitRepo, lift: Lift, aws: SandboxServer
) -> None:
    aws.throttle("dynamodb.TransactWriteItems", 6)  # more than botocore's own retries here
    result = lift("ship", "-e", "staging", env={"AWS_MAX_ATTEMPTS": "2"})
    assert result.returncode == 0, result.stderr
    assert "could not record release 2 yet" in result.stderr and "release 2" in result.stderr
    assert status_json(lift)["release"] == 2


def test_unlock_race_the_first_ship_never_undoes_the_second(released: GitRepo, lift: Lift) -> None:
    first = start_ship(lift)
    os.killpg(first.pid, signal.SIGSTOP)  # A waits, holding the lock
    try:
        refused = lift("unlock", "-e", "staging")
        assert refused.returncode == 1
        assert "is locked by" in refused.stderr and "its process is running" in refused.stderr
        assert "--force" in refused.stderr
        forced = lift("unlock", "-e", "staging", "--force")
        assert forced.returncode == 0 and "removing a live lock" in forced.stderr
        second = lift("ship", "-e", "staging")
        assert second.returncode == 0, second.stderr
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    seconds = running_image()
    code, told = finish(first)
    assert code == 1, told
    assert "error: the deploy lock of payments-api in staging was removed while this ship" in (told)
    assert "which this ship did not start; nothing was rolled back" in told
    assert "Traceback" not in told and "rolling back" not in told
    assert running_image() == seconds
    row = judge("unlock race", lift, told)
    assert (row["release"], row["mismatch"]) == (3, None)
    history = lift("history", "-e", "staging").stdout.splitlines()
    assert history[1].split()[0] == "2" and history[1].endswith("(superseded)")


def test_a_registry_that_is_down_stops_the_ship_before_anything_changes(
    released: GitRepo, lift: Lift
) -> None:
    before = running_image()
    down = {"GIT_LIFT_REGISTRY": "127.0.0.1:9"}  # nothing listens there
    result = lift("ship", "-e", "staging", env=down)
    told = result.stderr
    assert result.returncode == 1, told
    assert "cannot reach registry 127.0.0.1:9" in told and "hint: " in told
    assert "released payments-api" not in told and not told.count("deploying ")
    assert store().lock(target()) is None and running_image() == before
    judge("registry down", lift, told)
