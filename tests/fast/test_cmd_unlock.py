"""`git lift unlock` in-process: a stale lock goes, a lock whose ship may be running stays
unless --force, and a lock that changed hands meanwhile is never dropped."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from git_lift.commands import status
from git_lift.errors import ValidationError
from tests.support.fakes import InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def lock(box: InProcess, owner: str, *, for_seconds: float) -> None:
    head = box.aws.store.head(box.target())
    head.owner, head.expires = owner, box.aws.fake_clock() + for_seconds


ELSEWHERE = "ci@runner-7 pid 4242 (git lift ship)"


def test_nothing_to_unlock_is_said_and_is_no_failure(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status.unlock(box.ctx, "staging") == 0
    assert "payments-api in staging is not locked" in capsys.readouterr().err


def test_an_expired_lock_is_removed_without_force(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    lock(box, ELSEWHERE, for_seconds=-5)
    assert status.unlock(box.ctx, "staging") == 0
    assert box.aws.store.lock(box.target()) is None
    assert f"removed the deploy lock of payments-api in staging (held by {ELSEWHERE})" in (
        capsys.readouterr().err
    )


def test_a_live_lock_held_elsewhere_needs_force_and_stays(box: InProcess) -> None:
    lock(box, ELSEWHERE, for_seconds=120)
    with pytest.raises(ValidationError) as raised:
        status.unlock(box.ctx, "staging")
    assert "it may still be running elsewhere" in raised.value.message
    assert f"locked by {ELSEWHERE} for 120s more" in raised.value.message
    assert raised.value.hint is not None
    assert "git lift unlock -e staging --force" in raised.value.hint
    assert box.aws.store.lock(box.target()) is not None


def test_a_live_lock_of_a_running_process_here_says_so(box: InProcess) -> None:
    mine = f"me@{socket.gethostname()} pid {os.getpid()} (git lift ship)"
    lock(box, mine, for_seconds=60)
    with pytest.raises(ValidationError) as raised:
        status.unlock(box.ctx, "staging")
    assert "its process is running" in raised.value.message


def test_a_live_lock_whose_process_here_is_gone_is_removed_without_force(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = 2**22 + 12345  # above Linux's pid_max default: no such process
    lock(box, f"me@{socket.gethostname()} pid {dead} (git lift ship)", for_seconds=60)
    assert status.unlock(box.ctx, "staging") == 0
    assert box.aws.store.lock(box.target()) is None


def test_force_removes_a_live_lock_with_a_warning_of_the_race(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    lock(box, ELSEWHERE, for_seconds=120)
    assert status.unlock(box.ctx, "staging", force=True) == 0
    assert box.aws.store.lock(box.target()) is None
    err = capsys.readouterr().err
    assert "removing a live lock: a ship still running would go on and race" in err


def test_a_lock_taken_over_meanwhile_is_not_dropped(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lock(box, ELSEWHERE, for_seconds=-5)
    real = box.aws.store.release_lock

    def taken_over(target: object, owner: str | None) -> bool:
        lock(box, "other@host pid 1 (git lift ship)", for_seconds=100)
        return real(box.target(), owner)

    monkeypatch.setattr(box.aws.store, "release_lock", taken_over)
    assert status.unlock(box.ctx, "staging") == 1
    assert box.aws.store.lock(box.target()) is not None
    assert "changed meanwhile; nothing removed" in capsys.readouterr().err
