"""The Parameter Store layer against moto in-process, counting the requests it makes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from git_lift.aws.ssm import ParameterStore
from git_lift.errors import Conflict
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)


def parameters(client: Any) -> ParameterStore:
    return ParameterStore(client, API, "alias/aws/ssm")


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Counter[str]]]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("ssm", region_name="eu-west-1")
        calls: Counter[str] = Counter()
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([model.name])
        )
        yield client, calls


def fill(client: Any, count: int, prefix: str = "/staging/api") -> None:
    for n in range(count):
        client.put_parameter(Name=f"{prefix}/KEY_{n:03}", Value=f"secret-{n}", Type="SecureString")


def test_reading_n_keys_takes_ceil_n_over_10_requests_and_nothing_else(ssm: Any) -> None:
    client, calls = ssm
    fill(client, 25)
    fill(client, 3, prefix="/staging/other")  # another service's keys are not read
    calls.clear()
    values = parameters(client).read()
    assert len(values) == 25
    assert values["KEY_007"].value == "secret-7" and values["KEY_007"].version == 1
    assert calls == Counter({"GetParametersByPath": 3})


def test_names_never_decrypt(ssm: Any) -> None:
    client, calls = ssm
    fill(client, 12)
    calls.clear()
    names = parameters(client).names()
    assert sorted(names) == [f"KEY_{n:03}" for n in range(12)]
    assert set(calls) == {"DescribeParameters"}


def test_versions_of_some_keys_in_groups_of_ten(ssm: Any) -> None:
    client, calls = ssm
    fill(client, 15)
    store = parameters(client)
    store.put("KEY_001", "changed", advanced=False)
    calls.clear()
    versions = store.versions([f"KEY_{n:03}" for n in range(15)] + ["ABSENT"])
    assert versions["KEY_001"] == 2 and versions["KEY_002"] == 1 and "ABSENT" not in versions
    assert calls == Counter({"GetParameters": 2})


def test_put_is_a_securestring_with_the_configured_key_and_history_is_kept(ssm: Any) -> None:
    client, _ = ssm
    store = parameters(client)
    store.put("TOKEN", "one", advanced=False)
    store.put("TOKEN", "two", advanced=False)
    described = client.describe_parameters()["Parameters"][0]
    assert described["Type"] == "SecureString"
    assert [e.version for e in store.history("TOKEN", with_values=False)] == [1, 2]
    assert all(e.value is None for e in store.history("TOKEN", with_values=False))
    assert store.value_at("TOKEN", 1) == "one"
    store.delete(["TOKEN"])
    assert store.read() == {}


def test_read_keys_decrypts_only_the_keys_asked_for(ssm: Any) -> None:
    client, calls = ssm
    fill(client, 25)
    calls.clear()
    store = parameters(client)
    found = store.read_keys(["KEY_003", "ABSENT"])
    assert list(found) == ["KEY_003"] and found["KEY_003"].value == "secret-3"
    assert calls == Counter({"GetParameters": 1})


def test_history_beyond_one_page_is_read_whole(ssm: Any) -> None:
    client, calls = ssm
    store = parameters(client)
    for n in range(1, 56):
        store.put("TOKEN", f"v{n}", advanced=False)
    calls.clear()
    entries = store.history("TOKEN", with_values=True)
    assert [e.version for e in entries] == list(range(1, 56))
    assert entries[-1].value == "v55"
    assert calls == Counter({"GetParameterHistory": 2})  # AWS gives at most 50 a page


def test_a_listing_beyond_one_page_lists_every_name_of_the_service_alone(ssm: Any) -> None:
    client, _ = ssm
    fill(client, 23)
    fill(client, 2, prefix="/staging/api/nested")  # one level only, as env.sample keys are
    fill(client, 2, prefix="/staging/apiary")
    listed = parameters(client).listing()
    assert sorted(listed) == [f"KEY_{n:03}" for n in range(23)]
    assert all(item.version == 1 and item.modified is not None for item in listed.values())


def test_a_version_moved_since_the_plan_is_a_conflict_naming_the_keys(ssm: Any) -> None:
    client, calls = ssm
    fill(client, 3)
    store = parameters(client)
    planned: dict[str, int | None] = {"KEY_000": 1, "KEY_001": 1, "NEW": None}
    calls.clear()
    store.require_versions(planned, hint="h")  # nothing moved: no error
    assert calls == Counter({"GetParameters": 1})
    store.put("KEY_001", "changed elsewhere", advanced=False)
    store.put("NEW", "created elsewhere", advanced=False)
    with pytest.raises(Conflict) as raised:
        store.require_versions(planned, hint="reapply")
    assert raised.value.message == (
        "changed in staging since you started: KEY_001, NEW; nothing was written"
    )
    assert raised.value.hint == "reapply"
