"""Freeze windows as release policy (issue 24): read from the default branch's .gitlift (or
your own git config) only, checked before anything is written, and refusing a release inside
the window unless --skip-gate REASON, which is returned for the record. In-process: settings are
pure, the gate runs on FakeAws's clock (1_700_000_000: Tuesday 14 Nov 2023, 22:13 UTC)."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import settings
from git_lift.errors import UsageError, ValidationError
from git_lift.flows.gate import gate
from git_lift.gitlift import Entry
from tests.support.fakes.world import InProcess, in_process

SHA = "c0ffee" + "0" * 34
NIGHT = "Tue 22:00-Wed 06:00"  # holds at the fakes' clock
LATER = "Thu 22:00-Fri 06:00 Europe/Paris"  # does not
TOPIC = "arn:aws:sns:eu-west-1:123456789012:releases"


def build(policy: list[tuple[str, str]], work_tree: list[tuple[str, str]] | None = None,
          own: list[tuple[str, str]] | None = None) -> settings.Settings:  # fmt: skip
    return settings.build(
        gitlift=[Entry(k, v) for k, v in (policy if work_tree is None else work_tree)],
        policy=[Entry(k, v) for k, v in policy],
        repo_config=[Entry(k, v) for k, v in own or []],
        environ={},
        flags={},
        remote_url="git@github.com:acme/payments-api.git",
        top_folder="payments-api",
        default_branch="main",
        gitlift_trusted=True,
    )


def test_several_windows_come_from_the_default_branch() -> None:
    s = build([("env.production.ref", "refs/tags/v*"), ("env.production.freeze", NIGHT),
               ("env.production.freeze", LATER)])  # fmt: skip
    assert [w.text for w in s.environment("production").freeze] == [NIGHT, LATER]


def test_a_branch_can_neither_lift_nor_add_a_freeze() -> None:
    trusted = [("env.production.ref", "refs/tags/v*"), ("env.production.freeze", NIGHT)]
    lifted = build(trusted, work_tree=[("env.production.ref", "refs/tags/v*")])
    assert [w.text for w in lifted.environment("production").freeze] == [NIGHT]
    added = build([], work_tree=[("env.qa.freeze", LATER), ("env.qa.notify", "webhook")])
    assert added.environment("qa").freeze == () and added.environment("qa").notify == ()
    assert build(trusted).policy_changes([Entry("env.production.ref", "refs/tags/v*")]) == [
        "changes production's freeze windows"
    ]


def test_your_own_git_config_may_freeze_an_environment() -> None:
    s = build([], own=[("lift.env.staging.freeze", NIGHT)])
    assert [w.text for w in s.environment("staging").freeze] == [NIGHT]


def test_your_own_git_config_adds_to_the_teams_freeze_and_channels_never_drops_them() -> None:
    team = [("env.production.ref", "refs/tags/v*"), ("env.production.freeze", NIGHT),
            ("env.production.notify", "webhook")]  # fmt: skip
    mine = [("lift.env.production.freeze", LATER), ("lift.env.production.notify", TOPIC)]
    s = build(team, own=mine)
    production = s.environment("production")
    assert [w.text for w in production.freeze] == [NIGHT, LATER]
    assert production.notify == ("webhook", TOPIC)
    assert s.policy_changes(Entry(k, v) for k, v in team) == []


def test_a_bad_window_stops_before_anything_with_the_setting_named() -> None:
    with pytest.raises(UsageError) as bad:
        build([("env.production.freeze", "Friday evening")])
    assert bad.value.message.startswith("env.production.freeze = 'Friday evening' is not DAY")


@pytest.fixture
def frozen(tmp_path: Path) -> InProcess:
    gitlift = (
        '[env "staging"]\n\tref = refs/heads/main\n'
        f'[env "production"]\n\tref = refs/tags/v*\n\tfreeze = {LATER}\n\tfreeze = {NIGHT}\n'
    )
    return in_process(tmp_path, gitlift=gitlift)


def test_inside_the_window_a_release_is_refused_naming_when_it_ends(frozen: InProcess) -> None:
    with pytest.raises(ValidationError) as refused:
        gate(frozen.ctx, frozen.target("production"), SHA, None)
    assert refused.value.message == (f"production is frozen until Wed 06:00 UTC (freeze = {NIGHT})")
    assert refused.value.hint is not None and "--skip-gate REASON" in refused.value.hint


def test_skip_gate_lets_it_through_and_returns_the_reason_for_the_record(
    frozen: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gate(frozen.ctx, frozen.target("production"), SHA, "fix for #7") == "fix for #7"
    assert "skipping the gate of production (frozen until Wed 06:00 UTC): fix for #7" in (
        capsys.readouterr().err
    )


def test_outside_the_window_the_release_goes_and_no_skip_is_recorded(frozen: InProcess) -> None:
    frozen.aws.fake_clock.now += 8 * 3600  # Wednesday 06:13 UTC
    assert gate(frozen.ctx, frozen.target("production"), SHA, None) is None
    assert gate(frozen.ctx, frozen.target("production"), SHA, "just in case") is None


def test_skip_gate_where_there_is_no_gate_nor_freeze_is_a_usage_error(frozen: InProcess) -> None:
    with pytest.raises(UsageError) as refused:
        gate(frozen.ctx, frozen.target("staging"), SHA, "why")
    assert refused.value.message == "staging has no gate to skip"
