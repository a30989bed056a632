"""Ctrl-C (and SIGTERM, SIGHUP) at the exact moments a ship swept by signals was found to leave
its lock (issue 18), on the fakes: the signal is sent to this process from inside the fake
call, so it lands where a real one landed, between a write and the code that knows it wrote.
Each asserts the lock, the release record, the tag and what the user was told."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from git_lift.aws.store import LockHeld, Release
from git_lift.errors import INTERRUPTED, Interrupted
from git_lift.proc import ProcessFailed
from tests.support.fakes import ARN, World, behaves, replace_head, ship, world

TAG = "lift/staging/payments-api/1"


def signalled(call: Callable[..., Any], sig: signal.Signals, *, before: bool = False) -> Any:
    """`call`, with `sig` sent to this process right after it (or right before it)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if before:
            os.kill(os.getpid(), sig)
        answer = call(*args, **kwargs)
        if not before:
            os.kill(os.getpid(), sig)
        return answer

    return wrapper


def only_record(w: World) -> Release:
    [record] = w.store.releases(w.target)
    return record


@pytest.fixture(autouse=True)
def signals_restored() -> Any:
    """SIGTERM and SIGHUP as pytest had them, whatever a failing test left."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for sig, handler in kept.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_while_the_lock_is_taken_leaves_no_lock_and_the_attempt_in_history(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sig: signal.Signals,
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    monkeypatch.setattr(w.store, "begin_release", signalled(w.store.begin_release, sig))
    with pytest.raises(KeyboardInterrupt):
        ship(w)
    assert w.store.lock(w.target) is None
    assert only_record(w).outcome == "interrupted" and w.ecs.deployed == []
    said = capsys.readouterr().err
    assert "interrupted: nothing was deployed; the lock is released" in said


def test_a_second_ctrl_c_during_the_cleanup_of_the_first_still_records_and_unlocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The terminal's Ctrl-C stops the wait; git forwards it again as the record is written."""
    w = world(tmp_path, tasks=behaves("hang"), breaker=False)
    w.ecs.on_poll = lambda polls: os.kill(os.getpid(), signal.SIGINT) if polls == 3 else None
    monkeypatch.setattr(
        w.store,
        "finish_release",
        signalled(w.store.finish_release, signal.SIGINT, before=True),
    )
    with pytest.raises(KeyboardInterrupt):
        ship(w)
    assert w.store.lock(w.target) is None
    assert only_record(w).outcome == "interrupted"
    said = capsys.readouterr().err
    assert "interrupted: ECS goes on rolling out staging-payments-api:2 (last seen: " in said
    assert "the lock is released. Watch it with: git lift status -e staging" in said
    assert w.repo.tags == {}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_once_the_rollout_completed_waits_for_the_record_tag_and_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    monkeypatch.setattr(w.store, "finish_release", signalled(w.store.finish_release, sig))
    with pytest.raises(BaseException) as stopped:  # not a bare KeyboardInterrupt: that is all
        ship(w)  # a user would have been told, with the tag missing
    assert isinstance(stopped.value, Interrupted) and stopped.value.exit_code == INTERRUPTED
    assert stopped.value.message == (
        "interrupted after the rollout: release 1 of payments-api in staging runs, "
        f"recorded and tagged {TAG}"
    )
    assert only_record(w).outcome == "released" and w.store.lock(w.target) is None
    assert list(w.repo.tags) == [TAG] and len(w.repo.notes) == 1


def test_an_interrupted_release_whose_tag_could_not_be_made_does_not_say_tagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    monkeypatch.setattr(
        w.store, "finish_release", signalled(w.store.finish_release, signal.SIGTERM)
    )

    def refused(name: str, commit_sha: str, message: str) -> None:
        raise ProcessFailed(["git", "tag"], -15, "")

    monkeypatch.setattr(w.repo, "create_tag", refused)
    with pytest.raises(Interrupted) as stopped:
        ship(w)
    assert stopped.value.message == (
        "interrupted after the rollout: release 1 of payments-api in staging runs, "
        f"recorded; its tag {TAG} could not be made (see the warning above)"
    )
    assert w.repo.tags == {} and only_record(w).outcome == "released"


def gone_pid() -> int:
    """The id of a process of this machine that has exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_lock_whose_holder_is_gone_from_this_machine_is_taken_over_with_a_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    dead = f"dev@{socket.gethostname()} pid {gone_pid()} (dead01)"
    replace_head(w.store, w.target, owner=dead, expires=w.clock() + 1199, deploying=ARN.format(1))
    assert ship(w) == 0
    said = capsys.readouterr().err
    assert (
        f"warning: took over the deploy lock of payments-api in staging from {dead}, whose "
        "process is gone; what it was deploying is not recorded"
    ) in said
    assert "released payments-api" in said and w.store.lock(w.target) is None


def test_a_lock_whose_holder_runs_is_still_refused(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    live = f"dev@{socket.gethostname()} pid {os.getpid()} (live01)"
    replace_head(w.store, w.target, owner=live, expires=w.clock() + 600)
    with pytest.raises(LockHeld) as held:
        ship(w)
    assert f"being deployed by {live}, for 600s more" in held.value.message
    assert w.ecs.deployed == []
