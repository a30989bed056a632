"""click's own usage errors read as the project's (newcomer trial): `error: ` in lower case
with no full stop, the fix on a `hint:` line, and a negative count said as one."""

from __future__ import annotations

import pytest

from git_lift import errors, ui
from git_lift.__main__ import main


@pytest.fixture(autouse=True)
def normal_verbosity() -> None:
    ui.set_verbosity(0)


def said(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(argv) == errors.USAGE
    out, err = capsys.readouterr()
    assert out == ""
    return err.splitlines()


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["scale", "-e", "staging", "-1"], "error: N must be 0 or more, not -1"),
        (["scale", "-e", "staging", "--", "-1"], "error: N must be 0 or more, not -1"),
        (["scale", "-e", "staging", "--min", "-1"], "error: --min must be 0 or more, not -1"),
        (["scale", "-e", "staging", "--max", "0"], "error: --max must be 1 or more, not 0"),
        (
            ["scale", "-e", "staging", "two"],
            "error: N must be a whole number, 0 or more, not 'two'",
        ),
    ],
)
def test_a_count_below_its_least_says_what_it_must_be(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert said(argv, capsys) == [error, "hint: see: git lift scale -h"]


def test_an_unknown_option_is_said_in_the_projects_words_with_the_guess_in_the_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert said(["config", "get", "--verbos"], capsys) == [
        "error: no such option: --verbos",
        "hint: see: git lift config get -h (did you mean --verbose?)",
    ]
    assert said(["ship", "-e", "staging", "-1"], capsys)[0] == "error: no such option: -1"


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["statsu"], "error: no such command 'statsu'"),
        (["status", "--output", "xml"], "error: invalid value for --output: 'xml' is not one of"),
        (["ship", "-e"], "error: option '-e' requires an argument"),
        (["config", "set"], "error: missing argument 'KEY=VALUE...'"),
    ],
)
def test_clicks_messages_start_in_lower_case_and_end_without_a_full_stop(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = said(argv, capsys)
    assert lines[0].startswith(error) and not lines[0].endswith(".")
    assert len(lines) == 2 and lines[1].startswith("hint: ")
    assert "Did you mean" not in lines[0]
