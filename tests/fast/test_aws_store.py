"""The DynamoDB records (aws/store.py, aws/table.py, aws/release_items.py) against moto in
process: the deploy lock and release counter under two writers, records in parts, conditional
writes that lose as Conflict / LockHeld / LockLost, and the requests each costs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from git_lift import limits
from git_lift.aws import release_items
from git_lift.aws.store import (
    EnvironmentRecord,
    LockHeld,
    LockLost,
    Release,
    ServiceDocument,
    Store,
)
from git_lift.errors import Conflict
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import TABLE, Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)
WORKER = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("worker", ".", "Dockerfile", ".", "env.sample", "app"),
)
TTL = 600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def moto_dynamodb() -> Iterator[Any]:
    """One in-process moto and client for the module (a client takes 0.2 s to build)."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield boto3.client("dynamodb", region_name="eu-west-1")


@pytest.fixture
def dynamodb(moto_dynamodb: Any) -> Iterator[tuple[Any, Counter[str]]]:
    """The client, counting its requests by operation; each test starts without the table."""
    client = moto_dynamodb
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls.update([model.name])

    client.meta.events.register("before-call.*.*", count)
    yield client, calls
    client.meta.events.unregister("before-call.*.*", count)
    if TABLE in client.list_tables()["TableNames"]:
        client.delete_table(TableName=TABLE)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(dynamodb: tuple[Any, Counter[str]], clock: Clock) -> Store:
    return Store(dynamodb[0], clock=clock)


def release(number: int, **changes: Any) -> Release:
    base = Release(
        number=number,
        env="staging",
        service="api",
        commit="c" * 40,
        image="registry/api@sha256:" + "1" * 64,
        task_definition=f"arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-api:{number}",
        deployed_by="alice",
        deployed_at=1_700_000_000.0 + number,
    )
    return replace(base, **changes)


def test_the_table_is_created_on_first_use_and_the_request_is_then_made(
    dynamodb: tuple[Any, Counter[str]], store: Store
) -> None:
    client, calls = dynamodb
    assert client.list_tables()["TableNames"] == []
    assert store.lock(API) is None
    assert client.list_tables()["TableNames"] == [TABLE]
    # the failed GetItem, the table, and the GetItem again; then one request per read
    assert calls["CreateTable"] == 1 and calls["GetItem"] == 2
    calls.clear()
    assert store.lock(API) is None
    assert calls == Counter({"GetItem": 1})


def test_each_begin_takes_the_next_number_in_one_request(
    dynamodb: tuple[Any, Counter[str]], store: Store
) -> None:
    _, calls = dynamodb
    store.lock(API)  # the table exists
    calls.clear()
    assert store.begin_release(API, "alice", TTL) == 1
    assert calls == Counter({"UpdateItem": 1})
    store.finish_release(API, release(1), "alice")
    assert store.begin_release(API, "bob", TTL) == 2
    # another service of the same environment counts on its own
    assert store.begin_release(WORKER, "bob", TTL) == 1


def test_a_second_writer_is_refused_while_the_lock_is_held_and_names_the_holder(
    store: Store, clock: Clock
) -> None:
    assert store.begin_release(API, "alice", TTL) == 1
    clock.now += 100
    with pytest.raises(LockHeld) as raised:
        store.begin_release(API, "bob", TTL)
    assert raised.value.holder == "alice"
    assert raised.value.message == "api in staging is being deployed by alice, for 500s more"
    assert raised.value.hint == "wait for it, or if it is stale: git lift unlock -e staging"
    # the refused writer took no number: the holder's next finish and the next begin show it
    store.finish_release(API, release(1), "alice")
    assert store.begin_release(API, "bob", TTL) == 2


def test_an_expired_lock_is_taken_over_and_its_holder_then_loses_it(
    store: Store, clock: Clock
) -> None:
    store.begin_release(API, "alice", TTL)
    clock.now += TTL + 1
    assert store.begin_release(API, "bob", TTL) == 2
    with pytest.raises(LockLost) as renewing:
        store.renew_lock(API, "alice", TTL)
    assert renewing.value.holder == "bob"
    assert "taken by bob while this ship waited" in renewing.value.message
    lock = store.lock(API)
    assert lock is not None and lock.owner == "bob" and lock.number == 2


def test_a_holder_known_to_be_gone_is_replaced_before_expiry(store: Store) -> None:
    store.begin_release(API, "alice", TTL)
    with pytest.raises(LockHeld):
        store.begin_release(API, "bob", TTL, replacing="carol")  # not the holder
    assert store.begin_release(API, "bob", TTL, replacing="alice") == 2


def test_renewing_pushes_the_expiry_so_a_long_ship_keeps_its_lock(
    store: Store, clock: Clock
) -> None:
    store.begin_release(API, "alice", TTL)
    clock.now += TTL - 10
    store.renew_lock(API, "alice", TTL)
    clock.now += 20  # past the first expiry, within the renewed one
    with pytest.raises(LockHeld):
        store.begin_release(API, "bob", TTL)
    lock = store.lock(API)
    assert lock is not None and lock.expires == clock.now - 20 + TTL


def test_finish_stores_the_record_and_drops_the_lock_in_one_transaction(
    dynamodb: tuple[Any, Counter[str]], store: Store
) -> None:
    _, calls = dynamodb
    store.begin_release(API, "alice", TTL)
    store.note_deploying(API, "alice", "td:1", "td:2")
    lock = store.lock(API)
    assert lock is not None and (lock.previous, lock.deploying) == ("td:1", "td:2")
    calls.clear()
    store.finish_release(API, release(1, config_versions={"TOKEN": 3}), "alice")
    assert calls == Counter({"TransactWriteItems": 1})
    assert store.lock(API) is None
    assert store.releases(API) == [release(1, config_versions={"TOKEN": 3})]


def test_finish_after_losing_the_lock_keeps_the_record_and_names_the_new_holder(
    store: Store, clock: Clock
) -> None:
    store.begin_release(API, "alice", TTL)
    clock.now += TTL + 1
    store.begin_release(API, "bob", TTL)
    with pytest.raises(LockLost) as raised:
        store.finish_release(API, release(1, outcome="failed"), "alice")
    assert raised.value.holder == "bob"
    assert "taken by bob while this ship held it" in raised.value.message
    assert [r.number for r in store.releases(API)] == [1]
    lock = store.lock(API)
    assert lock is not None and lock.owner == "bob"  # bob's lock is untouched


def test_noting_a_deployment_after_an_unlock_is_lock_lost_and_writes_nothing(
    store: Store,
) -> None:
    store.begin_release(API, "alice", TTL)
    assert store.release_lock(API, None) is True  # `unlock --force`
    with pytest.raises(LockLost) as raised:
        store.note_deploying(API, "alice", "td:1", "td:2")
    assert raised.value.holder is None
    assert "nothing was deployed" in raised.value.message
    assert store.lock(API) is None


def test_release_lock_drops_only_the_owners_lock(store: Store) -> None:
    store.begin_release(API, "alice", TTL)
    assert store.release_lock(API, "bob") is False
    assert store.lock(API) is not None
    assert store.release_lock(API, "alice") is True
    assert store.release_lock(API, None) is False  # nothing left to drop
    assert store.begin_release(API, "bob", TTL) == 2  # the counter survives the unlock


def test_releases_are_listed_newest_first_up_to_the_limit(store: Store) -> None:
    for number in range(1, 6):
        store.begin_release(API, "alice", TTL)
        store.finish_release(API, release(number), "alice")
    store.begin_release(WORKER, "alice", TTL)
    store.finish_release(WORKER, release(1, service="worker"), "alice")
    assert [r.number for r in store.releases(API)] == [5, 4, 3, 2, 1]
    assert [r.number for r in store.releases(API, limit=2)] == [5, 4]


def test_a_record_written_by_a_newer_git_lift_is_read_without_its_unknown_fields(
    dynamodb: tuple[Any, Counter[str]], store: Store
) -> None:
    """A teammate on a newer git lift records fields this one does not know: history and
    rollback still read the record (as this version's new fields must not break older ones)."""
    client = dynamodb[0]
    store.put_release(API, release(1))
    item = client.scan(TableName=TABLE)["Items"]
    record = next(i for i in item if "doc" in i)
    doc = json.loads(record["doc"]["S"])
    doc["field_from_the_future"] = {"anything": 1}
    record["doc"]["S"] = json.dumps(doc)
    client.put_item(TableName=TABLE, Item=record)
    assert [r.number for r in store.releases(API)] == [1]


def test_a_record_too_large_for_one_item_is_split_and_read_back_whole(
    dynamodb: tuple[Any, Counter[str]], store: Store
) -> None:
    client, calls = dynamodb
    # 2,000 keys of 200 characters: about 420 KB of versions, past DynamoDB's 400 KB item
    versions = {f"K{n:04d}_" + "X" * 194: n for n in range(2000)}
    big = release(7, config_versions=versions)
    store.lock(API)
    calls.clear()
    store.put_release(API, big)
    assert calls == Counter({"TransactWriteItems": 1})
    items = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": API.release_key}},
    )["Items"]
    assert len(items) >= 3  # the record and at least two parts
    # each part, as stored, fits the budget, and each item DynamoDB's limit with room to spare
    assert all(len(item["doc"]["S"].encode()) <= limits.ITEM_BUDGET for item in items)
    assert all(len(item["doc"]["S"]) < limits.DYNAMODB_ITEM for item in items)
    small = release(8)
    store.put_release(API, small)
    assert store.releases(API) == [small, big]


def test_split_keeps_every_key_within_the_budget_and_in_order() -> None:
    versions = {f"KEY_{n:03d}": n for n in range(100)}
    parts = release_items.split(versions, budget=200)
    assert len(parts) > 1
    assert all(limits.json_size(p) <= 200 for p in parts)
    merged: dict[str, int] = {}
    for part in parts:
        merged.update(part)
    assert list(merged) == sorted(versions) and merged == versions


def test_an_environment_is_created_once(store: Store) -> None:
    record = EnvironmentRecord(
        "staging", "eu-west-1", "123456789012", "lift-staging", {}, {}, "alice", 1.0, "alice", 1.0
    )
    store.put_environment(record, create=True)
    with pytest.raises(Conflict) as raised:
        store.put_environment(replace(record, created_by="bob"), create=True)
    assert raised.value.hint == "see it: git lift env show -e staging"
    assert store.environment("staging") == record
    store.put_environment(replace(record, updated_by="bob"), create=False)  # an update
    assert [e.updated_by for e in store.environments()] == ["bob"]
    assert store.environment("prod") is None


def test_a_service_document_version_saved_meanwhile_is_a_conflict_naming_its_author(
    store: Store,
) -> None:
    mine = ServiceDocument("staging", "api", 2, {"cpu": 512}, "alice", 2.0)
    theirs = replace(mine, doc={"cpu": 1024}, author="bob")
    store.save_service_document(API, replace(mine, version=1, doc={}))
    store.save_service_document(API, theirs)
    with pytest.raises(Conflict) as raised:
        store.save_service_document(API, mine)
    assert "saved by bob while you edited; nothing was saved" in raised.value.message
    assert store.service_document(API) == theirs
    assert store.service_document(API, 1) is not None
    assert store.service_document(API, 9) is None
    assert [d.version for d in store.service_documents(API)] == [2, 1]


def test_the_config_lease_is_held_by_one_writer_until_dropped_or_expired(
    store: Store, clock: Clock
) -> None:
    assert store.take_config_lease(API, "alice", 30) is True
    assert store.take_config_lease(API, "alice", 30) is True  # renewed
    assert store.take_config_lease(API, "bob", 30) is False
    assert store.config_lease_holder(API) == "alice"
    store.release_config_lease(API, "bob")  # not his: nothing happens
    assert store.config_lease_holder(API) == "alice"
    clock.now += 31
    assert store.take_config_lease(API, "bob", 30) is True
    store.release_config_lease(API, "alice")  # expired and taken: alice drops nothing
    assert store.config_lease_holder(API) == "bob"
    store.release_config_lease(API, "bob")
    assert store.config_lease_holder(API) is None
    assert store.take_config_lease(API, "carol", 30, replacing="bob") is True
