"""DynamoDB answers moto never gives, through botocore's Stubber: a query past one page, a
table created by someone else at the same moment, a transaction cancelled for a reason other
than our condition, and throttling. The typed answer comes from the modelled exception and its
cancellation reasons, never from a message."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from git_lift.aws.store import EnvironmentRecord, LockLost, Release, Store
from git_lift.errors import AwsError, LiftError
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import TABLE, Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)
RELEASE = Release(1, "staging", "api", "c" * 40, "img", "td", "alice", 1.0)


@pytest.fixture
def stubbed() -> tuple[Store, Stubber]:
    client = boto3.client(
        "dynamodb", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    return Store(client, clock=lambda: 1000.0), Stubber(client)


def environment_item(name: str) -> dict[str, Any]:
    record = EnvironmentRecord(name, "eu-west-1", "1", f"lift-{name}", {}, {}, "a", 1.0, "a", 1.0)
    doc = json.dumps(record.__dict__)
    return {"pk": {"S": "environment"}, "sk": {"S": name}, "doc": {"S": doc}}


QUERY = {"TableName": TABLE, "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": ANY}


def test_every_environment_is_listed_past_the_first_page(stubbed: tuple[Store, Stubber]) -> None:
    store, stubber = stubbed
    last = {"pk": {"S": "environment"}, "sk": {"S": "prod"}}
    stubber.add_response(
        "query",
        {"Items": [environment_item("dev"), environment_item("prod")], "LastEvaluatedKey": last},
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": ANY,
        },
    )
    stubber.add_response(
        "query",
        {"Items": [environment_item("staging")]},
        {**QUERY, "ExclusiveStartKey": last},
    )
    with stubber:
        assert [e.name for e in store.environments()] == ["dev", "prod", "staging"]


def test_a_table_another_writer_is_creating_is_waited_for_not_an_error(
    stubbed: tuple[Store, Stubber],
) -> None:
    store, stubber = stubbed
    key = {"TableName": TABLE, "Key": ANY}
    stubber.add_client_error("get_item", service_error_code="ResourceNotFoundException")
    stubber.add_client_error("create_table", service_error_code="ResourceInUseException")
    stubber.add_response(
        "describe_table", {"Table": {"TableStatus": "ACTIVE"}}, {"TableName": TABLE}
    )
    stubber.add_response("get_item", {}, key)
    with stubber:
        assert store.lock(API) is None
    stubber.assert_no_pending_responses()


def cancelled(*codes: str) -> dict[str, Any]:
    return {
        "service_error_code": "TransactionCanceledException",
        "service_message": "Transaction cancelled, please refer cancellation reasons for specific "
        "reasons [" + ", ".join(codes) + "]",
        "response_meta": {},
        "modeled_fields": {"CancellationReasons": [{"Code": code} for code in codes]},
    }


def test_a_transaction_cancelled_by_our_condition_is_a_lost_lock(
    stubbed: tuple[Store, Stubber],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error("transact_write_items", **cancelled("None", "ConditionalCheckFailed"))
    stubber.add_response("put_item", {})  # the record is kept anyway: its number is ours
    stubber.add_response("get_item", {"Item": {"owner": {"S": "bob"}, "expires": {"N": "2000"}}})
    with stubber, pytest.raises(LockLost) as raised:
        store.finish_release(API, RELEASE, "alice")
    assert raised.value.holder == "bob"
    stubber.assert_no_pending_responses()


def test_a_transaction_cancelled_for_another_reason_is_not_a_lost_lock(
    stubbed: tuple[Store, Stubber],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error("transact_write_items", **cancelled("None", "TransactionConflict"))
    with stubber, pytest.raises(AwsError) as raised:
        store.finish_release(API, RELEASE, "alice")
    assert not isinstance(raised.value, LockLost)
    assert raised.value.message.startswith(
        f"AWS error TransactionCanceledException while using DynamoDB table {TABLE}"
    )


def test_throttling_of_a_lock_request_is_an_aws_error_not_a_held_lock(
    stubbed: tuple[Store, Stubber],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error(
        "update_item", service_error_code="ProvisionedThroughputExceededException"
    )
    stubber.add_client_error("update_item", service_error_code="ThrottlingException")
    with stubber:
        with pytest.raises(AwsError) as first:
            store.begin_release(API, "alice", 60)
        with pytest.raises(AwsError) as second:
            store.begin_release(API, "alice", 60)
    assert "ProvisionedThroughputExceededException" in first.value.message
    assert second.value.hint == "wait a minute and run the command again"


def test_a_release_lock_whose_condition_fails_is_false_not_an_error(
    stubbed: tuple[Store, Stubber],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error("update_item", service_error_code="ConditionalCheckFailedException")
    with stubber:
        assert store.release_lock(API, "alice") is False


# The saved configs' secret_refs of many services at once (aws/store.py saved_secret_refs):
# BatchGetItem takes 100 keys a request and may leave some unread (UnprocessedKeys).


def service(name: str) -> Target:
    return Target(
        EnvironmentSettings("staging", ("refs/heads/main",)),
        ServiceSettings(name, name, "Dockerfile", name, "env.sample", "app"),
    )


def refs_item(target: Target, refs: dict[str, str]) -> dict[str, Any]:
    return {"pk": {"S": target.service_key}, "secret_refs": {"S": json.dumps(refs)}}


def batch(keys: list[Target]) -> dict[str, Any]:
    asked = [{"pk": {"S": t.service_key}, "sk": {"S": "secret_refs"}} for t in keys]
    projected = {"ProjectionExpression": "#a0, #a1", **NAMES}
    return {"RequestItems": {TABLE: {"Keys": asked, **projected}}}


NAMES = {"ExpressionAttributeNames": {"#a0": "pk", "#a1": "secret_refs"}}
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"


def test_150_services_take_two_requests_and_unread_keys_are_asked_again(
    stubbed: tuple[Store, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, stubber = stubbed
    pauses: list[float] = []
    monkeypatch.setattr("git_lift.aws.table.time.sleep", pauses.append)
    targets = [service(f"svc-{n:03}") for n in range(150)]
    first, rest = targets[:100], targets[100:]
    unread = batch([first[99]])["RequestItems"]
    stubber.add_response(
        "batch_get_item",
        {
            "Responses": {TABLE: [refs_item(first[0], {"DB": ARN}), refs_item(first[1], {})]},
            "UnprocessedKeys": unread,
        },
        batch(first),
    )
    stubber.add_response(
        "batch_get_item",
        {"Responses": {TABLE: [refs_item(first[99], {"DB": ARN})]}},
        batch([first[99]]),
    )
    stubber.add_response("batch_get_item", {"Responses": {TABLE: []}}, batch(rest))
    with stubber:
        found = store.saved_secret_refs(targets)
    stubber.assert_no_pending_responses()
    assert found == {"svc-000": {"DB": ARN}, "svc-001": {}, "svc-099": {"DB": ARN}}
    assert pauses == [0.05]  # one retry, after a pause


def test_keys_left_unread_after_five_tries_are_an_error_not_a_silent_gap(
    stubbed: tuple[Store, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, stubber = stubbed
    monkeypatch.setattr("git_lift.aws.table.time.sleep", lambda seconds: None)
    target = service("api")
    left = batch([target])["RequestItems"]
    for _ in range(5):
        stubber.add_response("batch_get_item", {"UnprocessedKeys": left}, batch([target]))
    with stubber, pytest.raises(LiftError) as failed:
        store.saved_secret_refs([target])
    assert "left 1 of table git-lift's items unread after 5 tries" in failed.value.message
