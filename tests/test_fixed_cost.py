"""What every git lift process pays before its first request: one botocore session per
environment shared by its clients, and no interpreter teardown after the output is flushed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from git_lift.aws.clients import HOOK_CONFIG, Clients
from git_lift.settings import build
from tests.support.helpers import run

ENTRY = (
    "import atexit, sys\n"
    "from git_lift.__main__ import console_main\n"
    "atexit.register(lambda: print('teardown ran', file=sys.stderr))\n"
    "sys.argv = ['git-lift', *sys.argv[1:]]\n"
    "console_main()\n"
)


@pytest.mark.parametrize(("argv", "code"), [(["-h"], 0), (["--no-such-flag"], 2)])
def test_the_entry_point_flushes_and_exits_without_teardown(
    tmp_path: Path, argv: list[str], code: int
) -> None:
    result = run([sys.executable, "-c", ENTRY, *argv], tmp_path, check=False)
    assert result.returncode == code
    assert ("Usage: git lift" in result.stdout) if code == 0 else result.stderr.startswith("error:")
    assert "teardown ran" not in result.stderr  # os._exit after flushing, not SystemExit


def test_clients_of_one_environment_share_one_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = build(
        gitlift=[],
        policy=[],
        repo_config=[],
        environ={"AWS_REGION": "eu-west-1"},
        flags={},
        remote_url=None,
        top_folder="payments-api",
        default_branch="main",
    )
    where = settings.environments["staging"].aws
    command, hook = Clients(where), Clients(where, HOOK_CONFIG)
    assert command.ssm is not hook.ssm  # their own retry settings
    assert command._session is hook._session  # one session: models and credentials once
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "another-account")
    assert Clients(where).ecs.meta.region_name == "eu-west-1"
    assert Clients(where)._session is not command._session
