"""The command surface: help through git, exit codes, startup that does not import boto3."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from git_lift.cli import cli
from git_lift.cli.manpage import render
from tests.support.helpers import GitRepo

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


def cli_command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


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


def test_a_command_that_asks_aws_loads_botocore_but_not_boto3(aws: Any, repo: GitRepo) -> None:
    """boto3's resources and S3 transfers are nothing git lift uses: its clients are
    botocore's, and each command that reaches AWS starts without boto3's imports. A config
    command that releases nothing loads none of the release machinery either (49 modules, a
    sixth of `config show`'s CPU)."""
    heavy = ("boto3", "botocore", "s3transfer", "git_lift.flows.ship_plan")
    code = (
        "import sys\nfrom git_lift.__main__ import main\n"
        "code = main(['config', 'check', '-e', 'staging'])\n"
        f"print(code, [m for m in {heavy!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True, check=False
    )
    assert "missing from payments-api's config: API_TOKEN, DATABASE_URL" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1 ['botocore']"


def test_usage_error_is_one_line_with_a_hint(tmp_path: Path) -> None:
    result = subprocess.run(
        ["git", "lift", "config", "show"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "error: missing option '-e' / '--env'"
    assert result.stderr.splitlines()[1].startswith("hint: ")


# The global options each command acts on (-q and -v: every command). Help lists these and no
# others: an option listed for a command must do something there (issue 18).
S, AWS, YES, OUT = ("-s",), ("--profile", "--region"), ("--yes",), ("--output",)
USES: dict[str, tuple[str, ...]] = {
    "adopt": S + AWS + YES,
    "cancel": S + AWS,
    "config check": S + AWS + OUT,
    "config diff": S + AWS,
    "config compare": S + AWS + OUT,
    "config edit": S + AWS + YES,
    "config exec": S + AWS,
    "config lock": S + AWS,
    "config sync": S + AWS + YES,
    "config export": S + AWS,
    "config get": S + AWS,
    "config history": S + AWS + OUT,
    "config import": S + AWS + YES,
    "config restore": S + AWS + YES,
    "config set": S + AWS + YES,
    "config show": S + AWS + OUT,
    "config unset": S + AWS + YES,
    "dashboard": S + AWS,
    "diff": S + AWS + OUT,
    "env create": AWS + YES,
    "env list": AWS + OUT,
    "env show": AWS + OUT,
    "env update": AWS + YES,
    "env delete": AWS + YES,
    "history": S + AWS + OUT,
    "hook pre-commit": AWS,
    "hook pre-push": AWS,
    "hooks install": (),
    "hooks uninstall": (),
    "iam-policy": S + AWS,
    "init": (*S, "--region"),  # written into .gitlift; init asks AWS nothing
    "logs": S + AWS,
    "promote": S + AWS + YES + OUT,
    "release-config": S + AWS + YES,
    "rollback": S + AWS + OUT,
    "sandbox env": (),
    "sandbox reset": (),
    "sandbox stop": (),
    "service create": S + AWS + YES,
    "service edit": S + AWS + YES,
    "service history": S + AWS + OUT,
    "service show": S + AWS + OUT,
    "service template": S + AWS,
    "service update": S + AWS + YES,
    "service delete": S + AWS + YES,
    "scale": S + AWS + YES,
    "setup": S + AWS + YES + OUT,
    "shell": S + AWS,
    "run": S + AWS,
    "ship": S + AWS + YES + OUT,
    "status": S + AWS + OUT,
    "trust": YES,
    "unlock": S + AWS,
    # issue 24: release notices and the service's URL
    "notify set-webhook": AWS,
    "notify test": S + AWS,
    "open": S + AWS,
    # Previews (issue 23): every service's previews of a branch, so no -s.
    "preview delete": AWS,
    "preview list": AWS + OUT,
    "preview prune": AWS,
}
GLOBAL_FLAGS = ("-s", "--profile", "--region", "--yes", "--output")


def leaf_help(path: tuple[str, ...]) -> str:
    command: click.Command = cli
    ctx = click.Context(cli, info_name="git lift")
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None
        command, ctx = found, click.Context(found, info_name=name, parent=ctx)
    return command.get_help(ctx)


@pytest.mark.parametrize(
    "command",
    [c for c in all_commands(cli) if not isinstance(cli_command(c), click.Group)],
    ids=" ".join,
)
def test_help_lists_only_the_global_options_a_command_uses(command: tuple[str, ...]) -> None:
    text = leaf_help(command)
    listed = {flag for flag in GLOBAL_FLAGS if re.search(rf"(?m)^\s+(-\w, )?{flag}\b", text)}
    assert " ".join(command) in USES, "say which global options the new command uses"
    assert listed == set(USES[" ".join(command)]), text
    if command[0] != "sandbox":  # the sandbox is not a repository's: it takes no global option
        assert re.search(r"(?m)^\s+-q, --quiet", text), text
        assert re.search(r"(?m)^\s+-v, --verbose", text), text


def test_config_restore_shows_its_argument_as_optional() -> None:
    usage = leaf_help(("config", "restore")).splitlines()[0]
    assert usage == "Usage: git lift config restore [OPTIONS] [KEY@VERSION]"


def test_counts_in_messages_are_pluralised_by_one_helper() -> None:
    """`(1 keys)`, `1 commit(s)`: a count says its noun through names.plural."""
    found = []
    for path in sorted((ROOT / "git_lift").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\{(?![A-Z_]+[:}])[^{}]*\} (keys|commits|key\(s\)|commit\(s\))\b", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
