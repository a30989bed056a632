"""aws/clients.py in process: botocore's failures become one-line LiftErrors with the fix named
(from the modelled error codes, with botocore's Stubber where moto cannot fail that way), an
unreachable endpoint is Unreachable, and an environment's expected account is checked once,
before the first write, never before a read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from git_lift.aws import clients
from git_lift.aws.clients import CREDENTIALS_HINT, Clients, translate_errors
from git_lift.aws.ssm import ParameterStore
from git_lift.errors import AwsError, LiftError, Unreachable
from git_lift.settings import EnvironmentAws, EnvironmentSettings, ServiceSettings
from git_lift.target import Target

MOTO_ACCOUNT = "123456789012"  # the account moto's credentials belong to
API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def stubbed(code: str, message: str = "no") -> Any:
    client = boto3.client(
        "ssm", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    stubber = Stubber(client)
    stubber.add_client_error("get_parameter", service_error_code=code, service_message=message)
    stubber.activate()
    return client


def failure(code: str, message: str = "no") -> LiftError:
    client = stubbed(code, message)
    with pytest.raises(LiftError) as raised, translate_errors("reading X"):
        client.get_parameter(Name="/staging/api/X")
    return raised.value


@pytest.mark.parametrize("code", ["ThrottlingException", "Throttling", "TooManyUpdates"])
def test_throttling_after_retries_says_to_wait(code: str) -> None:
    error = failure(code, "Rate exceeded")
    assert type(error) is AwsError
    assert error.message == "AWS kept throttling while reading X after retries: Rate exceeded"
    assert error.hint == "wait a minute and run the command again"


@pytest.mark.parametrize("code", ["AccessDeniedException", "AccessDenied"])
def test_a_denied_request_points_at_the_policy_git_lift_prints(code: str) -> None:
    error = failure(code, "not allowed: ssm:GetParameter")
    assert isinstance(error, AwsError)
    assert error.message == "AWS denied the request while reading X: not allowed: ssm:GetParameter"
    assert error.hint == "ask for the policy `git lift iam-policy` prints"


@pytest.mark.parametrize(
    "code", ["UnrecognizedClientException", "ExpiredTokenException", "InvalidClientTokenId"]
)
def test_rejected_credentials_name_how_to_configure_them(code: str) -> None:
    error = failure(code, "The security token included in the request is expired")
    assert not isinstance(error, AwsError)  # not AWS failing: the user's credentials
    assert error.message.startswith("AWS rejected the credentials while reading X: ")
    assert error.hint == CREDENTIALS_HINT


def test_any_other_code_is_named_with_its_message_and_no_hint() -> None:
    error = failure("ParameterLimitExceeded", "too many")
    assert error.message == "AWS error ParameterLimitExceeded while reading X: too many"
    assert error.hint is None


def test_an_endpoint_that_refuses_connections_is_unreachable_within_one_attempt() -> None:
    client = boto3.client(
        "ssm",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(Unreachable) as raised, translate_errors("listing /staging/api"):
        client.describe_parameters()
    assert raised.value.message.startswith("cannot reach AWS (")
    assert raised.value.message.endswith(" while listing /staging/api")
    assert raised.value.hint == "check the network, the region and AWS_ENDPOINT_URL"


def test_missing_credentials_and_region_are_named_with_their_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    # A session of its own: boto3's default one keeps the credentials an earlier test had.
    client = boto3.session.Session().client("ssm", region_name="eu-west-1")
    with pytest.raises(LiftError) as raised, translate_errors("reading X"):
        client.get_parameter(Name="X")
    assert raised.value.message == "no AWS credentials found while reading X"
    assert raised.value.hint == CREDENTIALS_HINT
    with pytest.raises(LiftError) as no_region, translate_errors():
        boto3.session.Session().client("ssm")
    assert no_region.value.message == "no AWS region configured"
    assert no_region.value.hint is not None and "lift.region" in no_region.value.hint


def test_a_write_in_the_wrong_account_is_refused_before_anything_is_written(moto: None) -> None:
    where = EnvironmentAws(region="eu-west-1", account="999999999999")
    aws = Clients(where, environment="prod")
    store = ParameterStore(aws.ssm, API, "alias/aws/ssm")
    assert store.names() == {}  # reads go through unchecked
    with pytest.raises(LiftError) as raised:
        store.put("TOKEN", "value", advanced=False)
    assert raised.value.message == (
        "prod lives in account 999999999999, but the credentials are for account "
        f"{MOTO_ACCOUNT}; nothing was written"
    )
    assert raised.value.hint is not None and "lift.env.prod.profile" in raised.value.hint
    assert store.names() == {}


def test_the_account_is_asked_once_before_the_first_write_and_never_for_reads(
    moto: None,
) -> None:
    aws = Clients(EnvironmentAws(region="eu-west-1", account=MOTO_ACCOUNT))
    store = ParameterStore(aws.ssm, API, "alias/aws/ssm")
    sts_calls: Counter[str] = Counter()
    aws.sts.meta.events.register(
        "before-call.*.*", lambda model, **_: sts_calls.update([model.name])
    )
    store.names()
    store.get("TOKEN")
    assert sts_calls == Counter()
    store.put("TOKEN", "one", advanced=False)
    store.put("TOKEN", "two", advanced=False)
    assert sts_calls == Counter({"GetCallerIdentity": 1})
    assert store.get("TOKEN") is not None


def test_clients_are_made_once_per_service(moto: None) -> None:
    aws = Clients(EnvironmentAws(region="eu-west-1"))
    assert aws.ssm is aws.ssm
    assert aws.ssm is not aws.dynamodb
    assert aws.ssm.meta.region_name == "eu-west-1"
    with pytest.raises(AttributeError):
        aws._private  # noqa: B018


def test_aws_max_attempts_bounds_the_attempts(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    once = Clients(EnvironmentAws(region="eu-west-1"))
    assert once.ssm.meta.config.retries["total_max_attempts"] == 1
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "0")  # at least the one attempt
    assert (
        Clients(EnvironmentAws(region="eu-west-1")).ssm.meta.config.retries["total_max_attempts"]
        == 1
    )


def test_a_hook_refuses_an_attempt_that_could_end_past_its_budget(
    moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(clients.time, "monotonic", lambda: now[0])
    aws = Clients(EnvironmentAws(region="eu-west-1"), clients.HOOK_CONFIG)
    store = ParameterStore(aws.ssm, API, "alias/aws/ssm")
    assert store.names() == {}  # within the budget
    longest = clients.HOOK_CONNECT_TIMEOUT + clients.HOOK_READ_TIMEOUT
    now[0] += clients.HOOK_BUDGET - longest + 0.5  # an attempt now could end too late
    with pytest.raises(Unreachable) as raised:
        store.names()
    assert raised.value.message == f"AWS did not answer within {clients.HOOK_BUDGET:.0f}s"


def test_a_put_whose_answer_was_lost_reports_the_version_that_landed(moto: None) -> None:
    aws = Clients(EnvironmentAws(region="eu-west-1"))
    store = ParameterStore(aws.ssm, API, "alias/aws/ssm")
    store.put("TOKEN", "one", advanced=False)
    check = clients._put_landed_check(aws.ssm)
    lost = botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")
    sent = {"body": b'{"Name": "/staging/api/TOKEN", "Value": "one"}'}
    with pytest.raises(clients.Landed) as landed:
        check(caught_exception=lost, request_dict=sent)
    assert landed.value.version == 1
    # a value that is not there, or an error that is not a lost connection: botocore retries
    other = {"body": b'{"Name": "/staging/api/TOKEN", "Value": "two"}'}
    assert check(caught_exception=lost, request_dict=other) is None
    assert check(caught_exception=None, request_dict=sent) is None


def test_put_returns_the_landed_version_instead_of_writing_twice() -> None:
    class LostAnswer:
        def put_parameter(self, **_: Any) -> Any:
            raise clients.Landed(4)

    seen: list[dict[str, int]] = []
    store = ParameterStore(LostAnswer(), API, "k", lambda present, *_: seen.append(present))  # type: ignore[arg-type]
    assert store.put("TOKEN", "v", advanced=False) == 4
    assert seen == [{"TOKEN": 4}]
