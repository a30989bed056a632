"""Shared fixtures: real git repositories in temp folders and a real moto server over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from git_lift.sandbox.server import SandboxServer
from tests.helpers import GitRepo, Lift

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pinned identity, no user or system config, no stray AWS configuration."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".state"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Dev")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "dev@example.com")
    for name in list(os.environ):
        if name.startswith(("AWS_", "GIT_LIFT_")) or name in {"GIT_DIR", "GIT_INDEX_FILE"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A clean moto server over real HTTP, with fake credentials exported for subprocesses."""
    sandbox_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox_server.url)
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    yield sandbox_server


@pytest.fixture
def server(sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox, for tests that talk to it directly (not through env vars)."""
    return sandbox_server


@pytest.fixture
def session(server: SandboxServer) -> boto3.session.Session:
    """A boto3 session with fake credentials, on a freshly reset sandbox."""
    server.reset()
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A service repository `payments-api` with a bare origin and one commit pushed."""
    return GitRepo.create(
        tmp_path / "payments-api", origin=tmp_path / "remote" / "payments-api.git"
    )


@pytest.fixture
def lift(repo: GitRepo) -> Lift:
    return Lift(repo.path)
