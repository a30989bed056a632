"""Ctrl-C, SIGTERM and SIGHUP where stopping halfway would leave something behind.

Inside `shielded()` the three signals are held back, and raise KeyboardInterrupt only inside
`interruptible()` stretches, once: what follows the interrupt is cleanup, which a second
signal must not cut short. A Ctrl-C often arrives twice (the terminal sends it to git, which
forwards it to the git-lift it runs; `timeout -s INT` signals both too), and a signal landing
between a conditional write and the code that knows it wrote (taking the deploy lock), or
inside the `except` that drops the lock, used to leave the lock held by a process that had
exited (issue 18). Child processes are not shielded: a `git push` still ends at Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from git_lift.proc import SHIELDED_SIGNALS

SIGNALS = SHIELDED_SIGNALS
# The pure-Python halves of the locks libraries hold (Condition.__enter__, Queue's methods):
# an exception raised there can leave a lock acquired that nothing will release. queue.py is
# named, not imported: every git-lift process, a hook's too, loads this module at start.
LOCK_WINDOWS = frozenset(
    {threading.__file__, os.path.join(os.path.dirname(threading.__file__), "queue.py")}
)
REDELIVERY = 0.01  # seconds


class Shield:
    """Signals held back (`pending`, the first of them) outside interruptible stretches."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self.keep = False  # leave the handlers in place on the way out (the process ends)
        self._open = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._open and frame is not None and frame.f_code.co_filename in LOCK_WINDOWS:
            # Between a lock's acquire and the `with` block that releases it: raised here,
            # the lock stays held and the next request waits on it for ever (a ship hung so,
            # in urllib3's pool). Delivered again in a moment, out of the window.
            redeliver = threading.Timer(REDELIVERY, os.kill, (os.getpid(), signum))
            redeliver.daemon = True
            redeliver.start()
            return
        if self._open:
            self._open = False  # first, so that a second signal finds the stretch closed
            raise KeyboardInterrupt
        if self.pending is None:
            self.pending = signum

    @property
    def interrupted(self) -> bool:
        return self.pending is not None

    def stop_if_interrupted(self) -> None:
        """Raise KeyboardInterrupt now for a signal held back so far."""
        if self.pending is not None:
            raise KeyboardInterrupt

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A stretch a signal may stop (KeyboardInterrupt, once); one already held back stops
        it before it starts."""
        self.stop_if_interrupted()
        self._open = True
        try:
            yield
        finally:
            self._open = False


@contextmanager
def shielded() -> Iterator[Shield]:
    """Hold SIGINT, SIGTERM and SIGHUP back (see Shield) until the block ends. Python runs
    signal handlers in the main thread only: elsewhere nothing is shielded."""
    shield = Shield()
    if threading.current_thread() is not threading.main_thread():
        yield shield
        return
    previous = {sig: signal.signal(sig, shield._handle) for sig in SIGNALS}
    try:
        yield shield
    finally:
        if not shield.keep:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class _Process:
    ends_with_the_command = False  # set by the entry point (__main__.console_main) alone


def process_ends_with_the_command() -> None:
    """Said by the entry point of a git-lift process (not by in-process callers: tests, or a
    command calling another's flow): once its command returns, the process exits."""
    _Process.ends_with_the_command = True


@contextmanager
def ends_quietly() -> Iterator[None]:
    """For a command that runs until stopped (`logs -f`, as `tail -f`): Ctrl-C, SIGTERM or
    SIGHUP end the block without an error. In a process that ends with the command their
    repeats are held back from then on (git forwards the terminal's Ctrl-C to the git-lift it
    runs, `timeout` signals both: one stop often comes twice, the second on the way out);
    anywhere else the handlers are put back, as after any shielded block: left in place, they
    held back every later interrupt of an in-process caller (found by tests/support/
    signal_guard.py)."""
    with shielded() as shield:
        try:
            with shield.interruptible():
                yield
        except KeyboardInterrupt:
            shield.keep = _Process.ends_with_the_command
