"""The config writers' lease waits on the Aws factory's clock: a writer that finds another
one's lease waits LEASE_WAIT of that clock, then gives up having written nothing and keeps
the change for `--resume`; in a test no real time passes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from git_lift.aws.factory import Aws
from git_lift.commands import config
from git_lift.errors import LiftError
from git_lift.flows import config_state, context
from git_lift.options import Options
from tests.support.fakes import Clock
from tests.support.helpers import GitRepo

ELSEWHERE = "ci@build-host.example pid 4242 (abc123)"  # a live writer on another machine


def test_a_writer_waits_for_anothers_lease_on_the_factorys_clock(
    aws: Any, repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.path)
    ctx = context.load(Options(yes=True))
    clock = Clock()
    ctx.aws = Aws(ctx.settings, sleep=clock.sleep, clock=clock)
    target = ctx.target("staging")
    assert ctx.aws.table(target.env).take_config_lease(target, ELSEWHERE, 600.0)

    started = time.monotonic()
    with pytest.raises(LiftError) as raised:
        config.set_values(ctx, "staging", ["LOG_LEVEL=debug"], advanced=False, show_values=False)

    assert raised.value.message == (
        "another config write to payments-api in staging did not finish within 90s; "
        "nothing was written"
    )
    assert sum(clock.slept) > 90 and time.monotonic() - started < 30
    assert ctx.parameters(target).read() == {}
    kept = config_state.pending_path(ctx, target).read_text(encoding="utf-8")
    assert "LOG_LEVEL=debug" in kept
