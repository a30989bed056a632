"""The README's command tables say what the commands do: every row names a command that
exists, with options it accepts; and the config table's commands run as written on the
sandbox (as sqlite-utils tests its docs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest

from git_lift.cli import cli
from git_lift.setting_table import readme_table
from tests.support.helpers import GitRepo, Lift

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| `(git lift [^`]+)` \|", re.M)


def table_rows() -> list[str]:
    return [match.group(1).replace("\\|", "|") for match in ROW.finditer(README.read_text())]


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command a row names, and the words after its name."""
    command: click.Command = cli
    while words and isinstance(command, click.Group):
        found = command.get_command(click.Context(command), words[0])
        if found is None:
            break
        command, words = found, words[1:]
    return command, words


def test_the_tables_list_commands() -> None:
    assert len(table_rows()) > 30


@pytest.mark.parametrize("row", table_rows())
def test_every_table_row_names_a_command_and_options_it_accepts(row: str) -> None:
    command, rest = resolve(row.split()[2:])
    assert not isinstance(command, click.Group), f"{row}: no such command"
    accepted = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
    named = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(rest)))
    assert named <= accepted, f"{row}: {sorted(named - accepted)} not accepted"


def test_the_config_table_runs_as_written(aws: Any, repo: GitRepo, lift: Lift) -> None:
    """Each row of the config table, with its placeholders filled in, on the sandbox."""
    values = repo.path.parent / "values.env"
    values.write_text("DATABASE_URL=postgres://db/x\nAPI_TOKEN=t0ken\n")
    steps = [
        ("config import -e staging FILE", ["config", "import", "-e", "staging", str(values)]),
        ("config set", ["config", "set", "-e", "staging", "API_TOKEN=t1"]),
        ("config get", ["config", "get", "-e", "staging", "API_TOKEN"]),
        ("config show", ["config", "show", "-e", "staging", "--output", "json"]),
        ("config check", ["config", "check", "-e", "staging"]),
        ("config history", ["config", "history", "-e", "staging", "API_TOKEN"]),
        ("config restore", ["config", "restore", "-e", "staging", "API_TOKEN@1"]),
        ("config export", ["config", "export", "-e", "staging", "--format", "json"]),
        (
            "config exec",
            ["config", "exec", "-e", "staging", "--", "sh", "-c", 'test -n "$API_TOKEN"'],
        ),
        ("config diff", ["config", "diff", "-e", "staging", "-e", "production"]),
        ("config lock", ["config", "lock", "-e", "staging"]),
        ("config sync", ["config", "sync", "-e", "staging", "--yes"]),
        (
            "config unset",
            ["config", "unset", "-e", "staging", "API_TOKEN", "--yes", "--allow-removing-required"],
        ),
    ]
    for what, args in steps:
        result = lift(*args)
        assert result.returncode in (0, 1), f"{what}: {result.stderr}"
        assert "internal error" not in result.stderr, f"{what}: {result.stderr}"
        if what in ("config get",):
            assert result.stdout.strip() == "t1"
        if what == "config diff":
            assert "DATABASE_URL" in result.stdout + result.stderr
    assert (
        lift("config", "get", "-e", "staging", "DATABASE_URL").stdout.strip() == "postgres://db/x"
    )


def test_the_settings_table_is_the_one_the_code_reads() -> None:
    """README's settings table is generated from git_lift/setting_table.py (issue 18): every
    setting, its variable, values, default and trust, as the code reads them."""
    text = README.read_text()
    start, end = "<!-- settings table: python -m git_lift.setting_table -->\n", "<!-- end -->"
    assert start in text, "README has no settings table"
    shown = text.split(start, 1)[1].split(end, 1)[0]
    assert shown == readme_table(), "regenerate it: python -m git_lift.setting_table"
