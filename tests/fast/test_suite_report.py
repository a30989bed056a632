"""The figures `make test` prints (bench/suite_report.py): test lines per source line, and the
in-process suite's time from pytest's JUnit report, each against its target."""

from __future__ import annotations

from pathlib import Path

from bench.suite_report import report

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="{failures}" skipped="0" tests="140"
time="{seconds}"></testsuite></testsuites>
"""


def tree(root: Path, source: str, tests: str) -> Path:
    for folder, text in (("git_lift", source), ("tests", tests)):
        (root / folder).mkdir(parents=True)
        (root / folder / "a.py").write_text(text)
    return root


def test_the_ratio_counts_non_blank_lines_and_says_whether_the_target_is_met(
    tmp_path: Path,
) -> None:
    root = tree(tmp_path, "a = 1\n\n   \nb = 2\n", "x = 1\ny = 2\n\nz = 3\n")
    [ratio, fast] = report(root, None)
    assert ratio == "test lines per source line: 1.50 (3 / 2 non-blank lines); target 1.2: met"
    assert fast == "in-process suite: no report (run `make test`)"


def test_the_in_process_suite_time_is_read_from_pytests_report(tmp_path: Path) -> None:
    root = tree(tmp_path, "a = 1\nb = 2\n", "x = 1\n")
    slow, quick = tmp_path / "slow.xml", tmp_path / "quick.xml"
    slow.write_text(JUNIT.format(failures=1, seconds="31.5"))
    quick.write_text(JUNIT.format(failures=0, seconds="12.0"))
    assert report(root, slow) == [
        "test lines per source line: 0.50 (1 / 2 non-blank lines); target 1.2: NOT met",
        "in-process suite: 140 tests in 31.5s (1 failed); target under 30s: NOT met",
    ]
    assert report(root, quick)[1] == (
        "in-process suite: 140 tests in 12.0s (0 failed); target under 30s: met"
    )
