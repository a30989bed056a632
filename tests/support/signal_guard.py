"""What a test leaves of the test process's signals: SIGINT, SIGTERM and SIGHUP handled as
before, and the signal mask as before. A disposition is the process's, not the test's: an
ignored SIGINT (SIG_IGN survives exec) or a blocked one (a child inherits the mask of the
thread that starts it) reaches every program a later test starts in this worker, which then
never sees its Ctrl-C; a Python handler left in place holds a later in-process test's
interrupt back. The autouse fixture in tests/conftest.py checks each test, puts back what it
changed (so that one test's leak fails only that test) and fails it naming the signal."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# Per-thread status (Linux): SigIgn and SigCgt say what the kernel does with each signal, which
# is what a child inherits, whatever Python believes it set; SigBlk is this thread's mask.
_STATUS = Path("/proc/thread-self/status")


def _kernel_ignored() -> frozenset[signal.Signals]:
    """The watched signals the kernel ignores for this process (empty where /proc is not)."""
    try:
        lines = _STATUS.read_text().splitlines()
    except OSError:
        return frozenset()
    [bits] = [int(line.split()[1], 16) for line in lines if line.startswith("SigIgn:")]
    return frozenset(sig for sig in WATCHED if bits >> (sig - 1) & 1)


@dataclass(frozen=True)
class Signals:
    """The watched signals' Python handlers, which of them the kernel ignores, and the mask."""

    handlers: dict[signal.Signals, Any]
    ignored: frozenset[signal.Signals]
    blocked: frozenset[signal.Signals]

    @classmethod
    def now(cls) -> Signals:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        return cls(
            handlers={sig: signal.getsignal(sig) for sig in WATCHED},
            ignored=_kernel_ignored(),
            blocked=frozenset(sig for sig in WATCHED if sig in mask),
        )

    def changes_since(self, before: Signals) -> list[str]:
        """What differs from `before`, one phrase per signal."""
        said = []
        for sig in WATCHED:
            if self.handlers[sig] != before.handlers[sig]:
                said.append(
                    f"{sig.name} handled by {_name(self.handlers[sig])} "
                    f"(was {_name(before.handlers[sig])})"
                )
            elif (sig in self.ignored) != (sig in before.ignored):
                now = "ignored" if sig in self.ignored else "no longer ignored"
                said.append(f"{sig.name} {now} by the kernel (set outside Python's signal module)")
            if (sig in self.blocked) != (sig in before.blocked):
                said.append(f"{sig.name} {'blocked' if sig in self.blocked else 'unblocked'}")
        return said

    def restore(self) -> None:
        for sig, handler in self.handlers.items():
            if handler is not None:  # None: set outside Python, which cannot put it back
                signal.signal(sig, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [s for s in WATCHED if s not in self.blocked])
        signal.pthread_sigmask(signal.SIG_BLOCK, list(self.blocked))


def _name(handler: Any) -> str:
    if isinstance(handler, signal.Handlers):
        return handler.name
    if handler is None:
        return "a handler set outside Python"
    return getattr(handler, "__qualname__", repr(handler))


def left_as_found(fail: Callable[[str], Any]) -> Any:
    """A generator for an autouse fixture: `fail` names what the test left changed."""
    before = Signals.now()
    yield
    changed = Signals.now().changes_since(before)
    if changed:
        before.restore()
        fail(
            "the test left the process's signals changed: "
            + "; ".join(changed)
            + " (every later test, and every program it starts, would inherit that: "
            "restore it in a finally)"
        )


@contextmanager
def sigint_in_this_process(*, ignored: bool = False, blocked: bool = False) -> Iterator[None]:
    """This process with SIGINT ignored and/or blocked (as `make test &` from a script starts
    pytest ignoring it), put back on the way out."""
    kept = Signals.now()
    try:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
        yield
    finally:
        kept.restore()
