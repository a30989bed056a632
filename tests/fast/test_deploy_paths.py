"""The deploy paths a user meets, on in-memory fakes of ECS and the table with a clock that
moves only when git lift sleeps: each asserts what the user would notice (the error, the
messages, what the release record says, whether the lock is free, what ECS was asked).
Plan, lock, waiter, rollback and record are the real code (ship_plan.execute, executor.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.aws.store import LockHeld, LockLost, Release
from git_lift.errors import DeployFailed
from tests.support.fakes import (
    NEW,
    NEW_IMAGE,
    OLD,
    TIMEOUT,
    World,
    behaves,
    replace_head,
    ship,
    world,
)


def record(w: World) -> Release:
    [only] = w.store.releases(w.target)
    return only


def test_a_release_that_starts_is_recorded_tagged_and_unlocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w) == 0
    said = capsys.readouterr().err
    assert f"-> {NEW_IMAGE}" in said  # the plan's diff
    assert "released payments-api c0ffee000000 to staging: release 1" in said
    assert "(lift/staging/payments-api/1)" in said
    assert (record(w).outcome, record(w).image, record(w).task_definition) == (
        "released",
        NEW_IMAGE,
        NEW,
    )
    assert w.store.lock(w.target) is None
    assert list(w.repo.tags) == ["lift/staging/payments-api/1"]
    assert w.ecs.running_definition == NEW and w.ecs.deployed == [NEW]


def test_a_release_ecs_fails_is_followed_back_by_the_circuit_breaker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("crash"))
    with pytest.raises(DeployFailed) as failed:
        ship(w)
    assert failed.value.message == (
        "staging-payments-api:2 did not start; payments-api is back on staging-payments-api:1"
    )
    said = capsys.readouterr().err
    assert "deploy failed: ECS deployment circuit breaker" in said
    assert "Essential container in task exited" in said
    assert "ECS is rolling back to staging-payments-api:1" in said
    assert w.ecs.deployed == [NEW]  # ECS rolled back; git lift did not deploy again
    assert w.ecs.running_definition == OLD and w.ecs.deregistered == [NEW]
    assert record(w).outcome == "failed" and w.store.lock(w.target) is None
    assert w.repo.tags == {}


def test_a_release_that_never_starts_times_out_and_is_rolled_back_by_git_lift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("hang"), breaker=False)
    started = w.clock()
    with pytest.raises(DeployFailed) as failed:
        ship(w, timeout=60)
    assert "back on staging-payments-api:1" in failed.value.message
    said = capsys.readouterr().err
    assert "timed out after 60s waiting for staging-payments-api:2" in said
    assert "rolling back to staging-payments-api:1" in said
    assert w.ecs.deployed == [NEW, OLD] and w.ecs.running_definition == OLD
    assert record(w).outcome == "failed" and w.store.lock(w.target) is None
    assert 60 <= w.clock() - started < 120  # the timeout, then a rollback that started at once


def test_a_rollback_that_fails_too_says_the_service_may_be_down_and_the_lock_held_throughout(
    tmp_path: Path,
) -> None:
    w = world(tmp_path, tasks=behaves("hang", old="hang"), breaker=False)
    expired: list[float] = []

    def lock_alive(_: int) -> None:  # the slowest failing ship: two whole timeouts
        held = w.store.lock(w.target)
        if held is not None and held.expires < w.clock():
            expired.append(w.clock())

    w.ecs.on_poll = lock_alive
    started = w.clock()
    with pytest.raises(DeployFailed) as failed:
        ship(w)
    assert "did not finish either: timed out after 900s" in failed.value.message
    assert failed.value.hint and "may be down" in failed.value.hint
    assert w.clock() - started >= 2 * TIMEOUT  # longer than the lock's first lease
    assert expired == []
    assert record(w).outcome == "failed" and w.store.lock(w.target) is None


def test_a_held_lock_stops_the_ship_before_anything_is_registered_or_deployed(
    tmp_path: Path,
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    replace_head(w.store, w.target, owner="alice@laptop pid 1 (abc123)", expires=w.clock() + 600)
    with pytest.raises(LockHeld) as held:
        ship(w)
    assert held.value.message == (
        "payments-api in staging is being deployed by alice@laptop pid 1 (abc123), for 600s more"
    )
    assert held.value.hint == "wait for it, or if it is stale: git lift unlock -e staging"
    assert list(w.ecs.definitions) == [OLD] and w.ecs.deployed == []
    assert w.store.releases(w.target) == []


def test_a_lock_taken_mid_wait_stops_the_watch_naming_the_new_holder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("hang"), breaker=False)
    started = w.clock()

    def taken(_: int) -> None:  # `git lift cancel` from CI, 40 s into the wait
        if w.clock() - started > 40 and w.store.head(w.target).owner != "bob@ci pid 7 (cafe01)":
            replace_head(w.store, w.target, owner="bob@ci pid 7 (cafe01)")

    w.ecs.on_poll = taken
    with pytest.raises(LockLost) as lost:
        ship(w)
    assert lost.value.holder == "bob@ci pid 7 (cafe01)"
    assert "was taken by bob@ci pid 7 (cafe01) while this ship waited" in lost.value.message
    assert w.clock() - started < 120  # stopped at the next heartbeat, not at the timeout
    assert w.ecs.deployed == [NEW]  # not rolled back: the new holder decides
    assert record(w).outcome == "unverified"
    assert (
        w.store.lock(w.target) is not None
        and w.store.head(w.target).owner == "bob@ci pid 7 (cafe01)"
    )
    assert capsys.readouterr().err.count("taken by bob") == 0  # said once, by the error


def test_ctrl_c_while_waiting_records_the_release_as_interrupted_and_frees_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("hang"))

    def interrupt(polls: int) -> None:
        if polls == 3:
            raise KeyboardInterrupt

    w.ecs.on_poll = interrupt
    with pytest.raises(KeyboardInterrupt):
        ship(w)
    said = capsys.readouterr().err
    assert "interrupted: ECS goes on rolling out staging-payments-api:2" in said
    assert "the lock is released" in said
    assert record(w).outcome == "interrupted" and w.store.lock(w.target) is None
    assert w.ecs.deployed == [NEW]
