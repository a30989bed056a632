"""A newcomer's flags with a missing or empty value (last trial's finding): one `error:` line
and a `hint:`, exit 2, before anything is read; never an internal error."""

from __future__ import annotations

from tests.support.helpers import Lift


def test_dashboard_html_with_an_empty_name_is_a_usage_error(lift: Lift) -> None:
    """`--html ""` (a variable left unset in CI: `--html "$PAGE"`) was Path("."): the page
    was built, then writing it crashed with exit 3."""
    result = lift("dashboard", "--html", "")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "error: --html names no file",
        "hint: give the page's file: git lift dashboard --html public/index.html",
    ]
