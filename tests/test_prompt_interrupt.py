"""Ctrl-C at one of git lift's prompts, on a real terminal: the cursor sits after the prompt,
so `error: interrupted` starts a line of its own (click's own Abort prints that newline; the
project turns Abort into an interruption), and the exit code is 130."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.helpers import GitRepo, run_in_terminal
from tests.support.signal_guard import sigint_in_this_process


def plain(shown: str) -> list[str]:
    """The terminal's lines without colour (a hint is yellow there)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", shown.replace("\r\n", "\n")).splitlines()


# The worker's own SIGINT must not reach git-lift: a run started with `make test &` from a
# script has it ignored (two loaded full runs failed so: killed at the timeout, the Ctrl-C
# never seen); run_in_terminal starts git-lift as a shell would, whatever the worker has.
@pytest.mark.parametrize(
    "worker",
    [{}, {"ignored": True}, {"blocked": True}],
    ids=["as-started", "worker-ignores-sigint", "worker-blocks-sigint"],
)
def test_ctrl_c_at_the_confirmation_ends_the_line_then_says_interrupted(
    aws: Any, repo: GitRepo, worker: dict[str, bool]
) -> None:
    # git-lift itself: `git lift` ends by the same SIGINT, which a shell reports as 130 too
    with sigint_in_this_process(**worker):
        code, shown = run_in_terminal(
            ["git-lift", "config", "set", "-e", "staging", "API_TOKEN=x"],
            repo.path,
            [("Apply to staging? [y/N]:", "\x03")],  # Ctrl-C, as the terminal sends it
            timeout=60,
            enter=False,
        )
    assert code == 130, shown
    lines = plain(shown)
    # a line of its own, not after the prompt, saying what was not done and the way on
    at = lines.index("error: interrupted at the prompt; nothing was written")
    assert lines[at + 1] == "hint: run the command again and answer y, or add --yes", shown
    assert not any(
        line.startswith("Apply to staging? [y/N]:") and "error" in line for line in lines
    )


def test_ctrl_c_at_a_bare_keys_value_prompt_says_nothing_was_written(
    aws: Any, repo: GitRepo
) -> None:
    code, shown = run_in_terminal(
        ["git-lift", "config", "set", "-e", "staging", "API_TOKEN"],
        repo.path,
        [("API_TOKEN:", "\x03")],
        timeout=60,
        enter=False,
    )
    assert code == 130, shown
    lines = plain(shown)
    at = lines.index("error: interrupted at the prompt; nothing was written")
    assert lines[at + 1].startswith("hint: run it again, or pipe the value in: printf"), shown
