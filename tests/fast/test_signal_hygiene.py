"""What git lift and the tests leave of a process's signals. A disposition is the process's:
an ignored SIGINT (SIG_IGN survives exec) or a blocked one (a child inherits the mask of the
thread that starts it) reaches every program started later, which then never sees its Ctrl-C.
That is how two Ctrl-C tests failed in loaded full runs: started with `make test &` from a
script, the pytest workers had SIGINT ignored (a shell without job control starts a
background command so), and so had the git-lift they started, at its prompt and in its editor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from git_lift import proc
from git_lift.flows import interrupts
from tests.support.helpers import as_a_shell_starts_it
from tests.support.signal_guard import WATCHED, Signals, left_as_found, sigint_in_this_process

# A child that says how it found SIGINT: its handler at start (Python keeps an inherited
# SIG_IGN, and installs its KeyboardInterrupt handler only over SIG_DFL) and whether blocked.
REPORT = (
    "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN, "
    "signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))"
)


@contextmanager
def python_defaults() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP as Python sets them up when started from a terminal,
    whatever this pytest was started with (in the background from a script: SIGINT ignored);
    what it had is put back on the way out."""
    with sigint_in_this_process():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, WATCHED)
        yield


def child_sees(**popen: object) -> tuple[str, str]:
    said = subprocess.run(
        [sys.executable, "-c", REPORT], capture_output=True, text=True, check=True, **popen
    )
    ignored, blocked = said.stdout.split()
    return ignored, blocked


def test_a_child_inherits_an_ignored_or_blocked_sigint_unless_started_as_a_shell_would() -> None:
    as_found = child_sees()  # ("True", ...) too when pytest itself was started so
    with sigint_in_this_process(ignored=True, blocked=True):
        assert child_sees() == ("True", "True")  # the cause: git-lift deaf to Ctrl-C
        assert child_sees(preexec_fn=as_a_shell_starts_it) == ("False", "False")
    assert child_sees() == as_found


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN), "SIGINT handled by SIG_IGN"),
        (lambda: signal.signal(signal.SIGHUP, lambda s, f: None), "SIGHUP handled by "),
        (lambda: signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM]), "SIGTERM blocked"),
    ],
    ids=["ignored", "handled", "blocked"],
)
def test_the_guard_fails_a_test_that_leaves_a_signal_changed_and_puts_it_back(
    change: object, named: str
) -> None:
    with python_defaults():
        before = Signals.now()
        said: list[str] = []
        guard = left_as_found(said.append)
        next(guard)
        change()  # type: ignore[operator]
        with pytest.raises(StopIteration):
            next(guard)
        [message] = said
        assert named in message and "restore it in a finally" in message
        assert Signals.now() == before


def test_the_guard_passes_a_test_that_restores_what_it_changed() -> None:
    said: list[str] = []
    guard = left_as_found(said.append)
    next(guard)
    with sigint_in_this_process(ignored=True, blocked=True):
        pass
    with pytest.raises(StopIteration):
        next(guard)
    assert said == []


def stopped_quietly() -> None:
    with interrupts.ends_quietly():
        raise KeyboardInterrupt  # the Ctrl-C that ends `logs -f`


def test_a_quiet_stop_in_process_puts_the_handlers_back() -> None:
    """`logs -f` called in-process (a test): a later Ctrl-C interrupts as before."""
    with python_defaults():
        stopped_quietly()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)


def test_a_process_that_ends_with_its_command_holds_the_repeat_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """git forwards the terminal's Ctrl-C to the git-lift it runs: the second comes as
    `logs -f` is on its way out, and must not turn exit 0 into `error: interrupted`."""
    kept = Signals.now()
    monkeypatch.setattr(interrupts._Process, "ends_with_the_command", True)
    try:
        stopped_quietly()
        os.kill(os.getpid(), signal.SIGINT)  # held back: nothing raised
        os.kill(os.getpid(), signal.SIGTERM)  # held back too: the process is not killed
    finally:
        kept.restore()


def test_an_interrupt_as_signals_are_held_leaves_them_unblocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C caught as proc.run blocks the signals for a tag's `git` raises once the
    block call returns: it must find the finally that unblocks them."""
    real = signal.pthread_sigmask

    def then_interrupted(how: int, mask: object) -> set[signal.Signals]:
        before = real(how, mask)  # type: ignore[arg-type]
        if how == signal.SIG_BLOCK and signal.SIGINT in mask:  # type: ignore[operator]
            raise KeyboardInterrupt
        return before

    monkeypatch.setattr(signal, "pthread_sigmask", then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        proc.run(["true"], own_session=True)
    monkeypatch.undo()
    assert not set(proc.SHIELDED_SIGNALS) & real(signal.SIG_BLOCK, [])
