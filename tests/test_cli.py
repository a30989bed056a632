"""The command surface: help through git, exit codes, startup that does not import boto3."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from git_lift.cli import cli
from git_lift.cli.manpage import render

ROOT = Path(__file__).resolve().parent.parent


def all_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        found.append((*path, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*path, name))
    return found


@pytest.mark.parametrize("command", all_commands(cli), ids=" ".join)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(
    command: tuple[str, ...],
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "git_lift", *command, "-h"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: git lift " + " ".join(command) in result.stdout
    assert "Example:" in result.stdout
    assert f"git lift {' '.join(command)}" in (ROOT / "README.md").read_text()


def test_dash_h_through_git(tmp_path: Path) -> None:
    result = subprocess.run(
        ["git", "lift", "-h"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "Usage: git lift" in result.stdout


def test_dash_dash_help_through_git_opens_the_man_page(tmp_path: Path) -> None:
    # git turns `git lift --help` into `git help lift`, which runs `man git-lift`.
    man = ROOT / "man"
    result = subprocess.run(
        ["git", "lift", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            "PATH": subprocess.os.environ["PATH"],
            "MANPATH": f"{man}:",
            "MANPAGER": "cat",
            "PAGER": "cat",
            "HOME": str(tmp_path),
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "git-lift - ship dockerized services" in result.stdout
    assert "git lift config edit" in result.stdout


def test_the_committed_man_page_covers_every_command_and_option() -> None:
    # Compared by content, not byte for byte: click versions differ in how they lay help out.
    page = (ROOT / "man" / "man1" / "git-lift.1").read_text()
    hint = "regenerate: python -m git_lift.cli.manpage > man/man1/git-lift.1"
    for path in all_commands(cli):
        assert f'.SS "git lift {" ".join(path)}"' in page, hint
    generated = render()
    for flag in sorted(set(re.findall(r"(?m)^\s+(--?[a-z][a-z-]*)", generated))):
        assert flag in page, f"{flag} is missing; {hint}"


def test_help_and_a_usage_error_do_not_import_boto3() -> None:
    code = (
        "import sys\nfrom git_lift.__main__ import main\n"
        "assert main(['-h']) == 0\nassert main(['config', 'bogus']) == 2\n"
        "heavy = [m for m in ('boto3', 'botocore', 'troposphere', 'moto') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_usage_error_is_one_line_with_a_hint(tmp_path: Path) -> None:
    result = subprocess.run(
        ["git", "lift", "config", "show"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "error: Missing option '-e' / '--env'."
    assert result.stderr.splitlines()[1].startswith("hint: ")
