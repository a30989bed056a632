"""The one confirmation policy of config writes, ships and stack changes: --yes always goes
ahead; an environment with `confirm` needs its name typed, or --yes without a terminal; others
get a y/N question on a terminal and, without one, go ahead only when unattended use is fine."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from git_lift import ui
from git_lift.errors import LiftError, UsageError
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.options import Options
from git_lift.repo import Repo
from git_lift.settings import build


def ctx(tmp_path: Path, *, yes: bool = False) -> Context:
    settings = build(
        gitlift=[],
        policy=[],
        repo_config=[],
        environ={},
        flags={},
        remote_url=None,
        top_folder="payments-api",
        default_branch="main",
        gitlift_trusted=True,
    )
    repo = Repo(pygit2.init_repository(str(tmp_path / "repo")))
    return Context(repo=repo, settings=settings, options=Options(yes=yes), cwd=tmp_path)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A terminal whose user answers "yes" to questions and types `production`; the list
    records what was asked."""
    asked: list[str] = []

    def question(text: str) -> bool:
        asked.append(text)
        return True

    def typed(env: str) -> bool:
        asked.append(f"type {env}")
        return env == "production"

    monkeypatch.setattr(ui, "interactive", lambda: True)
    monkeypatch.setattr(ui, "confirm", question)
    monkeypatch.setattr(ui, "confirm_by_typing", typed)
    return asked


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: False)

    def never(*_: object) -> bool:
        raise AssertionError("asked without a terminal")

    monkeypatch.setattr(ui, "confirm", never)
    monkeypatch.setattr(ui, "confirm_by_typing", never)


def ask(context: Context, env: str = "production", **kwargs: object) -> None:
    options = {"typed": True, "what": f"writing to {env}", "refused": "nothing was written"}
    confirm(context, env, **(options | kwargs))  # type: ignore[arg-type]


def test_yes_goes_ahead_without_asking_even_where_the_name_must_be_typed(
    tmp_path: Path, terminal: list[str]
) -> None:
    ask(ctx(tmp_path, yes=True), question="Apply?")
    assert terminal == []


def test_a_confirm_environment_asks_for_its_name_not_a_y_n_question(
    tmp_path: Path, terminal: list[str]
) -> None:
    ask(ctx(tmp_path), question="Apply to production?")
    assert terminal == ["type production"]


def test_a_wrong_name_typed_refuses_and_says_what_did_not_happen(
    tmp_path: Path, terminal: list[str]
) -> None:
    with pytest.raises(LiftError) as refused:
        ask(ctx(tmp_path), "staging", refused="nothing was shipped")
    assert refused.value.message == "not confirmed; nothing was shipped"
    assert terminal == ["type staging"]  # the environment asked about, not another


def test_a_plain_environment_gets_the_question_and_no_answer_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: True)
    monkeypatch.setattr(ui, "confirm", lambda question: question != "Apply to staging?")
    with pytest.raises(LiftError, match=r"^not confirmed; nothing was written$"):
        ask(ctx(tmp_path), "staging", typed=False, question="Apply to staging?")


def test_a_plain_environment_with_no_question_goes_ahead_on_a_terminal(
    tmp_path: Path, terminal: list[str]
) -> None:
    ask(ctx(tmp_path), "staging", typed=False, question=None)
    assert terminal == []


def test_without_a_terminal_a_confirm_environment_needs_yes(
    tmp_path: Path, no_terminal: None
) -> None:
    with pytest.raises(UsageError) as refused:
        ask(ctx(tmp_path), what="shipping to production", refused="nothing was shipped")
    assert refused.value.message == (
        "shipping to production needs confirmation and there is no terminal to ask; "
        "nothing was shipped"
    )
    assert refused.value.hint is not None and "--yes" in refused.value.hint


def test_without_a_terminal_a_plain_environment_goes_ahead_only_when_unattended(
    tmp_path: Path, no_terminal: None
) -> None:
    ask(ctx(tmp_path), "staging", typed=False, question="Apply?")  # unattended by default
    with pytest.raises(UsageError, match="needs confirmation and there is no terminal"):
        ask(ctx(tmp_path), "staging", typed=False, question="Apply?", unattended=False)


def test_yes_without_a_terminal_goes_ahead_where_the_name_must_be_typed(
    tmp_path: Path, no_terminal: None
) -> None:
    ask(ctx(tmp_path, yes=True), unattended=False)
