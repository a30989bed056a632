"""What each Parameter Store operation costs in requests, and what it tells the names cache,
against moto in process (botocore's Stubber where moto cannot answer as AWS does)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from git_lift.aws.ssm import ParameterStore, chunks
from git_lift.errors import AwsError, Conflict
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)
Seen = list[tuple[dict[str, int], list[str], bool]]


@pytest.fixture(scope="module")
def moto_ssm() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield boto3.client("ssm", region_name="eu-west-1")


@pytest.fixture
def ssm(moto_ssm: Any) -> Iterator[tuple[Any, Counter[str]]]:
    """The client, counting requests by operation; each test starts with no parameters."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls.update([model.name])

    moto_ssm.meta.events.register("before-call.*.*", count)
    yield moto_ssm, calls
    moto_ssm.meta.events.unregister("before-call.*.*", count)
    names = [p["Name"] for p in moto_ssm.describe_parameters(MaxResults=50)["Parameters"]]
    while names:
        moto_ssm.delete_parameters(Names=names[:10])
        names = [p["Name"] for p in moto_ssm.describe_parameters(MaxResults=50)["Parameters"]]


def store_of(client: Any, seen: Seen | None = None) -> ParameterStore:
    record = None if seen is None else (lambda *args: seen.append(args))
    return ParameterStore(client, API, "alias/aws/ssm", record)  # type: ignore[arg-type]


def fill(client: Any, count: int) -> None:
    for n in range(count):
        client.put_parameter(Name=f"/staging/api/KEY_{n:03}", Value=f"v{n}", Type="SecureString")


def test_getting_one_key_is_one_request_whatever_the_size_of_the_config(ssm: Any) -> None:
    client, calls = ssm
    fill(client, 30)
    calls.clear()
    found = store_of(client).get("KEY_017")
    assert found is not None and (found.key, found.value, found.version) == ("KEY_017", "v17", 1)
    assert calls == Counter({"GetParameter": 1})


def test_getting_an_unset_key_is_none_and_the_names_cache_learns_it_is_absent(
    ssm: Any,
) -> None:
    client, calls = ssm
    seen: Seen = []
    assert store_of(client, seen).get("ABSENT") is None
    assert calls == Counter({"GetParameter": 1})
    assert seen == [({}, ["ABSENT"], False)]


@pytest.mark.parametrize("count", [9, 10, 11, 27])
def test_listing_n_names_takes_one_describe_request_per_ten_on_moto(ssm: Any, count: int) -> None:
    """AWS gives 50 a page; moto gives 10 whatever is asked, and after a full page a token
    to an empty one: the paginator follows either, and asks for nothing else."""
    client, calls = ssm
    fill(client, count)
    calls.clear()
    assert len(store_of(client).names()) == count
    assert calls == Counter({"DescribeParameters": count // 10 + 1})


def test_a_listing_tells_the_names_cache_it_saw_every_name(ssm: Any) -> None:
    client, _ = ssm
    fill(client, 3)
    seen: Seen = []
    store_of(client, seen).names()
    assert seen == [({"KEY_000": 1, "KEY_001": 1, "KEY_002": 1}, [], True)]


def test_a_partial_read_tells_the_cache_what_is_present_and_absent_but_not_complete(
    ssm: Any,
) -> None:
    client, _ = ssm
    fill(client, 2)
    seen: Seen = []
    store_of(client, seen).versions(["KEY_001", "GONE", "KEY_000"])
    assert seen == [({"KEY_000": 1, "KEY_001": 1}, ["GONE"], False)]


def test_deleting_25_keys_takes_three_requests_and_the_cache_learns_each_group(
    ssm: Any,
) -> None:
    client, calls = ssm
    fill(client, 25)
    seen: Seen = []
    store = store_of(client, seen)
    calls.clear()
    store.delete([f"KEY_{n:03}" for n in range(25)])
    assert calls == Counter({"DeleteParameters": 3})
    assert [len(absent) for _, absent, _ in seen] == [10, 10, 5]
    assert store.names() == {}


def test_values_at_given_versions_are_the_values_written_then(ssm: Any) -> None:
    client, calls = ssm
    store = store_of(client)
    for n in range(12):
        store.put(f"K{n:02}", "first", advanced=False)
        store.put(f"K{n:02}", "second", advanced=False)
    calls.clear()
    wanted = {f"K{n:02}": 1 + n % 2 for n in range(12)}
    values = store.values_at(wanted)
    assert values == {f"K{n:02}": ("first", "second")[n % 2] for n in range(12)}
    assert calls == Counter({"GetParameters": 2})


def test_a_put_reports_the_new_version_to_the_caller_and_the_cache(ssm: Any) -> None:
    client, _ = ssm
    seen: Seen = []
    store = store_of(client, seen)
    assert store.put("TOKEN", "a", advanced=False) == 1
    assert store.put("TOKEN", "b" * 5000, advanced=True) == 2
    assert seen == [({"TOKEN": 1}, [], False), ({"TOKEN": 2}, [], False)]
    described = client.describe_parameters()["Parameters"][0]
    assert described["Tier"] == "Advanced"


def test_chunks_of_ten_cover_every_item_once_in_order() -> None:
    items = [str(n) for n in range(23)]
    groups = list(chunks(items))
    assert [len(g) for g in groups] == [10, 10, 3]
    assert [i for g in groups for i in g] == items
    assert list(chunks([])) == []


def stubbed_client() -> tuple[Any, Stubber]:
    client = boto3.client(
        "ssm", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    return client, Stubber(client)


def described(names: list[str], token: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "Parameters": [{"Name": f"/staging/api/{n}", "Version": 2} for n in names]
    }
    if token:
        page["NextToken"] = token
    return page


def test_the_listing_follows_next_tokens_and_asks_for_pages_of_50() -> None:
    client, stubber = stubbed_client()
    filters = [{"Key": "Path", "Option": "OneLevel", "Values": ["/staging/api"]}]
    stubber.add_response(
        "describe_parameters",
        described(["A", "B"], token="t1"),
        {"ParameterFilters": filters, "MaxResults": 50},
    )
    stubber.add_response(
        "describe_parameters",
        described([], token="t2"),  # AWS may answer an empty page that is not the last
        {"ParameterFilters": filters, "MaxResults": 50, "NextToken": "t1"},
    )
    stubber.add_response(
        "describe_parameters",
        described(["C"]),
        {"ParameterFilters": filters, "MaxResults": 50, "NextToken": "t2"},
    )
    with stubber:
        assert store_of(client).names() == {"A": 2, "B": 2, "C": 2}
    stubber.assert_no_pending_responses()


def test_reading_values_follows_next_tokens_in_pages_of_ten() -> None:
    client, stubber = stubbed_client()
    expected = {"Path": "/staging/api", "Recursive": False, "WithDecryption": True}
    first = [{"Name": f"/staging/api/K{n}", "Value": str(n), "Version": 1} for n in range(10)]
    second = [{"Name": "/staging/api/LAST", "Value": "x", "Version": 3}]
    stubber.add_response(
        "get_parameters_by_path",
        {"Parameters": first, "NextToken": "next"},
        {**expected, "MaxResults": 10},
    )
    stubber.add_response(
        "get_parameters_by_path",
        {"Parameters": second},
        {**expected, "MaxResults": 10, "NextToken": "next"},
    )
    with stubber:
        found = store_of(client).read()
    assert len(found) == 11 and found["LAST"].version == 3


def test_throttling_mid_listing_is_an_aws_error_naming_the_path() -> None:
    client, stubber = stubbed_client()
    stubber.add_response("describe_parameters", described(["A"], token="t1"), None)
    stubber.add_client_error(
        "describe_parameters", service_error_code="ThrottlingException", service_message="slow"
    )
    with stubber, pytest.raises(AwsError) as raised:
        store_of(client).names()
    assert raised.value.message == (
        "AWS kept throttling while listing /staging/api after retries: slow"
    )


def test_a_write_sends_a_securestring_with_the_environments_key_and_overwrites() -> None:
    client, stubber = stubbed_client()
    stubber.add_response(
        "put_parameter",
        {"Version": 5, "Tier": "Standard"},
        {
            "Name": "/staging/api/TOKEN",
            "Value": ANY,
            "Type": "SecureString",
            "KeyId": "alias/aws/ssm",
            "Overwrite": True,
            "Tier": "Standard",
        },
    )
    with stubber:
        assert store_of(client).put("TOKEN", "s3cret", advanced=False) == 5


def test_a_conflict_tells_the_caller_what_each_planned_key_is_now(ssm: Any) -> None:
    """The config flow merges a retry from Conflict.versions: 0 stands for an absent key."""
    client, _ = ssm
    store = store_of(client)
    store.put("KEPT", "a", advanced=False)
    store.put("MOVED", "a", advanced=False)
    store.put("MOVED", "b", advanced=False)
    store.put("GONE", "a", advanced=False)
    store.delete(["GONE"])
    planned: dict[str, int | None] = {"KEPT": 1, "MOVED": 1, "GONE": 1, "NEW": None}
    with pytest.raises(Conflict) as raised:
        store.require_versions(planned, hint="h")
    assert raised.value.message.startswith("changed in staging since you started: MOVED, GONE;")
    assert raised.value.versions == {"KEPT": 1, "MOVED": 2, "GONE": 0, "NEW": 0}


def test_a_version_parameter_store_no_longer_keeps_is_an_error_naming_it(ssm: Any) -> None:
    client, _ = ssm
    store = store_of(client)
    store.put("TOKEN", "one", advanced=False)
    with pytest.raises(AwsError) as raised:
        store.value_at("TOKEN", 7)
    assert "while reading /staging/api/TOKEN version 7" in raised.value.message
    assert store.values_at({"TOKEN": 7}) == {}  # GetParameters leaves it out instead
