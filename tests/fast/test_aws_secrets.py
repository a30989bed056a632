"""Pinned config snapshots in Secrets Manager (aws/secrets.py) against moto in process: a
release's snapshot is one labelled version per part, a task reads the values of the version it
names, and labels of old releases are pruned so their versions can age out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from git_lift.aws.secrets import MAX_SECRET_BYTES, Snapshots, label, split, value_from
from git_lift.errors import AwsError
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)


@pytest.fixture(scope="module")
def moto_client() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield boto3.client("secretsmanager", region_name="eu-west-1")


@pytest.fixture
def client(moto_client: Any) -> Iterator[Any]:
    """Each test starts with no secrets."""
    yield moto_client
    for secret in moto_client.list_secrets()["SecretList"]:
        moto_client.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)


def test_a_snapshot_is_created_on_first_pin_tagged_with_its_environment(client: Any) -> None:
    [pinned] = Snapshots(client, API).pin({"B": "2", "A": "1"}, 1)
    assert pinned.keys == ("A", "B")
    described = client.describe_secret(SecretId="lift/staging/api")
    assert {"Key": "lift:environment", "Value": "staging"} in described["Tags"]
    assert "lift-1" in described["VersionIdsToStages"][pinned.version]
    assert pinned.arn == described["ARN"]


def test_each_release_reads_back_the_values_of_its_own_version(client: Any) -> None:
    snapshots = Snapshots(client, API)
    [first] = snapshots.pin({"TOKEN": "one"}, 1)
    [second] = snapshots.pin({"TOKEN": "two", "NEW": "x"}, 2)
    assert first.arn == second.arn and first.version != second.version
    assert snapshots.values(first.arn, first.version) == {"TOKEN": "one"}
    assert snapshots.values(second.arn, second.version) == {"NEW": "x", "TOKEN": "two"}


def test_a_snapshot_over_64_kb_is_split_into_numbered_secrets(client: Any) -> None:
    values = {f"KEY_{n}": "v" * 20_000 for n in range(7)}  # 140 KB
    pinned = Snapshots(client, API).pin(values, 3)
    assert len(pinned) == 3
    assert [p.arn.split(":secret:")[1].rsplit("-", 1)[0] for p in pinned] == [
        "lift/staging/api",
        "lift/staging/api/2",
        "lift/staging/api/3",
    ]
    snapshots = Snapshots(client, API)
    merged: dict[str, str] = {}
    for part in pinned:
        got = snapshots.values(part.arn, part.version)
        assert sorted(got) == list(part.keys)
        merged.update(got)
    assert merged == values


def test_split_keeps_each_part_within_the_limit_and_every_key_once() -> None:
    values = {f"K{n:03}": "x" * 30 for n in range(100)}
    parts = split(values, limit=500)
    assert all(len(json.dumps(p).encode()) <= 500 for p in parts)
    assert [k for p in parts for k in p] == sorted(values)
    assert split({}) == [{}]  # an empty config is still one (empty) snapshot
    assert split({"A": "a"}, limit=MAX_SECRET_BYTES) == [{"A": "a"}]


def test_pruning_drops_only_the_labels_of_older_releases(client: Any) -> None:
    snapshots = Snapshots(client, API)
    pinned = [snapshots.pin({"TOKEN": str(n)}, n)[0] for n in range(1, 5)]
    arn = pinned[0].arn
    snapshots.prune(arn, keep_from=3)
    assert [snapshots.kept(arn, p.version) for p in pinned] == [False, False, True, True]
    stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    labels = {s for versions in stages.values() for s in versions}
    assert {"lift-3", "lift-4"} <= labels and not {"lift-1", "lift-2"} & labels


def test_a_rollback_labels_an_old_version_again_so_it_is_kept(client: Any) -> None:
    snapshots = Snapshots(client, API)
    [old] = snapshots.pin({"TOKEN": "old"}, 1)
    snapshots.pin({"TOKEN": "new"}, 2)
    snapshots.prune(old.arn, keep_from=2)
    assert not snapshots.kept(old.arn, old.version)
    snapshots.add_label(old.arn, old.version, 3)
    assert snapshots.kept(old.arn, old.version)
    assert label(3) in client.describe_secret(SecretId=old.arn)["VersionIdsToStages"][old.version]


def test_a_task_definition_names_one_key_of_one_version() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lift/staging/api-AbCdEf"
    assert value_from(arn, "TOKEN", "v-1") == f"{arn}:TOKEN::v-1"


def test_a_snapshot_version_that_aged_out_is_an_error_naming_the_secret(client: Any) -> None:
    snapshots = Snapshots(client, API)
    [pinned] = snapshots.pin({"TOKEN": "one"}, 1)
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(AwsError) as raised:
        snapshots.values(pinned.arn, missing)
    assert f"while reading the config snapshot {pinned.arn}" in raised.value.message
