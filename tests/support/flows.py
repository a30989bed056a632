"""A real Context over a real temporary git repository, with AWS from moto in-process and a
clock that moves only when git lift sleeps: the config flows run as the CLI runs them, in
milliseconds, with no server and no subprocess but git's."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.aws.factory import Aws
from git_lift.flows.context import Context, load_settings
from git_lift.options import Options
from git_lift.repo import Repo
from tests.support.fakes import Clock
from tests.support.helpers import GitRepo

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def in_process_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and no endpoint: moto answers in this process."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)


def git_repo(tmp_path: Path, *, origin: bool = False) -> GitRepo:
    """`payments-api` with its first commit (pushed to a bare origin when `origin`: the
    trusted .gitlift is the remote's)."""
    remote = tmp_path / "remote" / "payments-api.git" if origin else None
    return GitRepo.create(tmp_path / "payments-api", origin=remote)


def context(path: Path, options: Options | None = None) -> Context:
    """The Context `git lift` builds in `path`, with AWS on a fake clock."""
    repo = Repo.discover(str(path))
    chosen = options or Options()
    ctx = Context(repo=repo, settings=load_settings(repo, chosen), options=chosen, cwd=path)
    clock = Clock()
    ctx.aws = Aws(ctx.settings, sleep=clock.sleep, clock=clock, wall_clock=clock)
    return ctx
