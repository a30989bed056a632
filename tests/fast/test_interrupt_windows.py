"""A signal inside a shielded command's interruptible stretch raises KeyboardInterrupt where
Python is, except in the pure-Python half of a library's lock (Condition.__enter__, Queue's
methods), where an exception leaves the lock held: a ship hung so, its next request waiting
on urllib3's pool lock for ever. There it is delivered again a moment later."""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType

import pytest

from git_lift.flows.interrupts import shielded


def frame_inside_condition_enter() -> FrameType:
    """The frame of threading's Condition.__enter__ just after its lock was acquired."""
    seen: list[FrameType] = []

    class Spy:
        def __enter__(self) -> bool:
            caller = sys._getframe(1)
            assert caller.f_code.co_name == "__enter__"  # Condition's own
            seen.append(caller)
            return True

        def __exit__(self, *exc: object) -> None:
            return None

        def acquire(self, *args: object) -> bool:  # what Condition copies from its lock
            return True

        def release(self) -> None:
            return None

    with threading.Condition(Spy()):  # type: ignore[arg-type]
        pass
    return seen[0]


def test_a_signal_in_a_lock_window_is_delivered_again_out_of_it() -> None:
    window = frame_inside_condition_enter()
    with shielded() as shield, pytest.raises(KeyboardInterrupt), shield.interruptible():
        try:
            shield._handle(signal.SIGINT, window)  # as Python would call it there
        except KeyboardInterrupt:
            pytest.fail("raised inside the lock's window")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # git lift's own code: raised here
            time.sleep(0.01)
        pytest.fail("the signal was not delivered again")


def test_a_signal_in_git_lift_s_own_code_stops_it_at_once() -> None:
    with shielded() as shield, pytest.raises(KeyboardInterrupt), shield.interruptible():
        shield._handle(signal.SIGINT, sys._getframe())
