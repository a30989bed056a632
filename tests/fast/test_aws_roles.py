"""An environment's role (lift.env.NAME.roleArn) assumed from the ambient credentials, against
moto's STS in process: the calls act in the role's account, CloudTrail names the user, and
sessions are shared until the AWS_* environment changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from moto import mock_aws

from git_lift.aws import clients
from git_lift.aws.clients import Clients, session_name, shared_session
from git_lift.settings import EnvironmentAws

ROLE = "arn:aws:iam::111111111111:role/deployer"
# AWS: RoleSessionName "upper- and lower-case alphanumeric characters with no spaces ...
# underscores or any of the following characters: =,.@-", 2 to 64 of them (STS AssumeRole).
SESSION_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{2,64}")


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(clients.getpass, "getuser", lambda: "alice")
    with mock_aws():
        yield


def test_an_environments_role_acts_in_the_roles_account_as_the_user(moto: None) -> None:
    where = EnvironmentAws(region="eu-west-1", account="111111111111", role_arn=ROLE)
    aws = Clients(where, environment="prod")
    who = aws.sts.get_caller_identity()
    assert who["Account"] == "111111111111"
    assert who["Arn"] == "arn:aws:sts::111111111111:assumed-role/deployer/git-lift-alice"
    assert aws.account() == "111111111111"
    aws.ssm.put_parameter(Name="/prod/api/X", Value="v", Type="SecureString")  # account matches


def test_an_external_id_and_the_users_session_name_are_sent_with_the_role(moto: None) -> None:
    sent: list[dict[str, object]] = []
    base = clients.new_session(None, "eu-west-1")
    base.register(  # the client that assumes the role is made from this session
        "before-parameter-build.sts.AssumeRole", lambda params, **_: sent.append(dict(params))
    )
    assumed = clients._assumed(base, ROLE, "shared-secret-id", "eu-west-1")
    assert assumed.create_client("sts").get_caller_identity()["Account"] == "111111111111"
    assert [(p["RoleArn"], p["ExternalId"], p["RoleSessionName"]) for p in sent] == [
        (ROLE, "shared-secret-id", "git-lift-alice")
    ]


def test_sessions_are_shared_until_the_aws_environment_changes(
    moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = EnvironmentAws(region="eu-west-1")
    first = shared_session(where)
    assert shared_session(where) is first
    assert shared_session(EnvironmentAws(region="us-east-1")) is not first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "other")  # new credentials: a new session
    assert shared_session(where) is not first


@pytest.mark.parametrize(
    "user",
    ["alice", "jane doe", "DOMAIN\\jane", "jürgen", "josé.garcía", "a" * 100, "名前", ""],
)
def test_the_session_name_is_one_sts_accepts_whoever_the_user_is(
    user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients.getpass, "getuser", lambda: user)
    name = session_name()
    assert SESSION_NAME.fullmatch(name), name
    assert name.startswith("git-lift-")
