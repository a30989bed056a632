"""What a new user reads: the man page `git lift --help` opens, and the files the README cites."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("man") is None, reason="man-db is not installed")
def test_dash_dash_help_through_git_finds_the_page_installed_with_the_venv(
    tmp_path: Path,
) -> None:
    # As a user has it: the venv's bin first on PATH, no MANPATH, so man derives its search
    # path from PATH (`bin/../share/man`). An editable install puts no page there: make does.
    venv_bin = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAN", "GIT_"))}
    env.update(
        PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        MANPAGER="cat",
        PAGER="cat",
        HOME=str(tmp_path),
        GIT_CONFIG_NOSYSTEM="1",
    )
    result = subprocess.run(
        ["git", "lift", "--help"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert "No manual entry" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert "git-lift - ship dockerized services" in result.stdout
    assert "git lift config edit" in result.stdout


def test_every_markdown_file_the_readme_names_is_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = re.findall(r"\]\(([^)#:]+)\)", readme)
    named = re.findall(r"[\w./-]+\.md\b", readme)
    assert named, "the README names no markdown file: update this test"
    missing = sorted({path for path in [*linked, *named] if not (ROOT / path).exists()})
    assert missing == []


COMMAND = re.compile(
    r"git lift ([a-z][a-z-]*(?:\|[a-z][a-z-]*)*)(?:[ \t]+([a-z][a-z-]*(?:\|[a-z][a-z-]*)*))?"
)


@pytest.mark.parametrize("doc", ["README.md", "docs/DESIGN.md"])
def test_every_command_the_docs_name_exists(doc: str) -> None:
    """The repository's docs describe what exists: every `git lift X [Y]` they name in code
    (a block or a `span`) is a command (and, for a group, a subcommand) of this git lift."""
    import click

    from git_lift.cli import cli

    text = (ROOT / doc).read_text()
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M))
    named = [found for code in blocks + spans for found in COMMAND.findall(code)]
    assert named, f"{doc} names no command: update this test"
    unknown = set()
    for first, second in named:
        for name in first.split("|"):
            command = cli.commands.get(name)
            if command is None:
                unknown.add(name)
            elif isinstance(command, click.Group) and second:
                unknown.update(
                    f"{name} {sub}" for sub in second.split("|") if sub not in command.commands
                )
    assert sorted(unknown) == []
