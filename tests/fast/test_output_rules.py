"""What the user reads and what scripts rely on: data on stdout, everything else on stderr
(`git lift config export > .env` stays clean), `error:` then `hint:`, the exit codes of each
kind of failure, and the JSON checker's paths that the service config editor shows."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from git_lift import errors, ui
from git_lift.__main__ import main
from git_lift.jsoncheck import Checker, kind


@pytest.fixture(autouse=True)
def normal_verbosity() -> Iterator[None]:
    ui.set_verbosity(0)
    yield
    ui.set_verbosity(0)


# Exit codes


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.UsageError, 2),
        (errors.ValidationError, 1),
        (errors.AwsError, 1),
        (errors.Unreachable, 1),
        (errors.NotSetUp, 1),
        (errors.Conflict, 1),
        (errors.DeployFailed, 1),
        (errors.Interrupted, 130),
        (errors.LiftError, 1),
    ],
)
def test_each_kind_of_failure_has_its_exit_code(error: type[errors.LiftError], code: int) -> None:
    assert error("x").exit_code == code


def test_an_unreachable_aws_is_an_aws_error_and_a_conflict_keeps_the_versions() -> None:
    assert isinstance(errors.Unreachable("down"), errors.AwsError)
    conflict = errors.Conflict("changed", hint="retry", versions={"A": 3, "B": 0})
    assert (conflict.message, conflict.hint, conflict.versions) == (
        "changed",
        "retry",
        {"A": 3, "B": 0},
    )
    assert str(conflict) == "changed"


def test_a_bad_flag_is_a_usage_error_with_a_hint_on_stderr_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--no-such-flag"]) == errors.USAGE
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and "--no-such-flag" in lines[0]
    assert "hint: see: git lift -h" in lines[1]


def test_a_bad_flag_of_a_subcommand_names_that_command_in_the_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["config", "get", "--bogus"]) == errors.USAGE
    assert "hint: see: git lift config get -h" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["ship", "--skip-gate"], "git lift ship"),  # a flag's value forgotten at the end
        (["config", "set", "--release", "-e"], "git lift config set"),
        (["-v", "status", "--output"], "git lift status"),
    ],
)
def test_a_flag_without_its_value_names_its_command_in_the_hint(
    argv: list[str], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == errors.USAGE
    err = capsys.readouterr().err
    assert "requires an argument" in err
    assert f"hint: see: {command} -h" in err


def test_help_is_data_on_stdout_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == errors.OK
    out, err = capsys.readouterr()
    assert "Usage:" in out and err == ""


# Messages


def test_error_then_hint_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    ui.error("no such environment", hint="git lift env list")
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["error: no such environment", "hint: git lift env list"]


def test_an_error_without_a_hint_prints_no_hint_line(capsys: pytest.CaptureFixture[str]) -> None:
    ui.error("failed")
    assert capsys.readouterr().err == "error: failed\n"


def test_data_goes_to_stdout_and_messages_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    ui.out("A=1")
    ui.info("read 1 key")
    ui.warn("B is not in env.sample")
    out, err = capsys.readouterr()
    assert out == "A=1\n"
    assert err == "read 1 key\nwarning: B is not in env.sample\n"


@pytest.mark.parametrize(
    ("level", "shown"),
    [(-1, ["warning: w"]), (0, ["i", "warning: w"]), (1, ["i", "d", "warning: w"])],
)
def test_quiet_hides_information_verbose_adds_detail_warnings_always_show(
    level: int, shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ui.set_verbosity(level)
    ui.info("i")
    ui.detail("d")
    ui.warn("w")
    assert capsys.readouterr().err.splitlines() == shown


def test_diff_lines_are_indented_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    ui.diff_lines([("add", "+ A = ********"), ("remove", "- B")])
    out, err = capsys.readouterr()
    assert out == "" and err == "  + A = ********\n  - B\n"


def test_progress_off_a_terminal_is_a_plain_line_per_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ui.progress("1/2 tasks running")
    ui.progress("2/2 tasks running")
    ui.progress_done()
    assert capsys.readouterr().err == "1/2 tasks running\n2/2 tasks running\n"


# Reading a value from a pipe


def test_read_line_takes_one_line_and_leaves_the_rest_for_the_next_reader() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b"first\nsecond\n")
        assert ui.read_line(read, 1.0) == b"first\n"
        assert ui.read_line(read, 1.0) == b"second\n"
    finally:
        os.close(read)
        os.close(write)


def test_read_line_returns_the_last_line_without_a_newline_at_the_end() -> None:
    read, write = os.pipe()
    os.write(write, b"value")
    os.close(write)
    try:
        assert ui.read_line(read, 1.0) == b"value"
        assert ui.read_line(read, 1.0) == b""
    finally:
        os.close(read)


def test_read_line_gives_up_on_a_pipe_nobody_writes_to() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b"half a li")
        assert ui.read_line(read, 0.05) is None
    finally:
        os.close(read)
        os.close(write)


# The JSON checker behind `infra service edit`


def test_the_checker_collects_every_problem_with_its_path() -> None:
    c = Checker()
    obj = c.fields(
        {"port": "80", "extra": 1, "on": 1}, "$.http", ("port", "on", "hosts"), ("name",)
    )
    assert obj is not None
    assert c.integer(obj, "port", "$.http", 80, 1, 65535) == 80  # the default, after a problem
    assert c.boolean(obj, "on", "$.http", False) is False
    assert c.strings({"hosts": ["a", 2, None]}, "hosts", "$.http", ()) == ()
    assert c.problems == [
        "$.http.extra: unknown field (known: port, on, hosts)",
        "$.http.name: required field is missing",
        "$.http.port: expected an integer, got string",
        "$.http.on: expected true or false, got integer",
        "$.http.hosts[1]: expected a string, got integer",
        "$.http.hosts[2]: expected a string, got null",
    ]


def test_an_integer_out_of_range_is_kept_and_reported() -> None:
    c = Checker()
    assert c.integer({"n": 0}, "n", "$", 5, 1, 10) == 0
    assert c.integer({"n": True}, "n", "$", 5, 1, 10) == 5  # JSON true is no number
    assert c.problems == ["$.n: 0 is out of range 1-10", "$.n: expected an integer, got boolean"]


def test_failed_matches_a_path_and_what_is_under_it_not_a_longer_name() -> None:
    c = Checker()
    c.add("$.cpu", "bad")
    c.add("$.http.port", "bad")
    assert c.failed("$.cpu") and c.failed("$.http") and c.failed("$.memory", "$.http.port")
    assert not c.failed("$.cp") and not c.failed("$.http.po") and not c.failed("$.memory")


def test_a_pattern_is_checked_once_the_value_has_no_other_problem() -> None:
    c = Checker()
    c.add("$.id", "expected a string, got integer")
    c.pattern("$.id", "x", re.compile("fs-"), "fs-0123")
    c.pattern("$.other", None, re.compile("fs-"), "fs-0123")
    c.pattern("$.sg", "sg", re.compile("sg-"), "sg-0123abcd")
    assert c.problems == [
        "$.id: expected a string, got integer",
        "$.sg: 'sg' does not look like sg-0123abcd",
    ]


def test_null_means_not_configured() -> None:
    c = Checker()
    read = lambda checker, value, path: value  # noqa: E731
    assert c.optional({"a": None}, "a", read) is None
    assert c.optional({}, "a", read) is None
    assert c.optional({"a": 3}, "a", read) == 3
    assert c.string_or_null({"k": None}, "k", "$") is None


@pytest.mark.parametrize(
    ("value", "name"),
    [(None, "null"), (True, "boolean"), (1, "integer"), (1.5, "number"), ("s", "string"),
     ([], "array"), ({}, "object")],
)  # fmt: skip
def test_kinds_are_named_as_json_names_them(value: object, name: str) -> None:
    assert kind(value) == name
