"""Parameter Store in memory: one account's parameters, shared by every ParameterStore the
fake factory hands out, with their versions and history, and the AWS actions each call would
make (`calls`), so a test can say "nothing was written" or "one request per ten keys"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from git_lift.aws.ssm import (
    DESCRIBE_PAGE,
    PAGE,
    HistoryEntry,
    Listed,
    NamesSeen,
    Parameter,
    ParameterStore,
    chunks,
)
from git_lift.errors import AwsError
from git_lift.target import Target
from tests.support.fakes.client import NoClient

USER = "arn:aws:iam::123456789012:user/dev"


@dataclass(frozen=True)
class Version:
    value: str
    version: int
    modified: datetime
    user: str
    tier: str


@dataclass
class Parameters:
    """Every parameter of the account: name -> its versions, oldest first.

    `before` runs ahead of each AWS action (its name, e.g. "PutParameter"): raise from it to
    make that request fail, or change `params` in it to play another writer."""

    clock: Callable[[], float]
    params: dict[str, list[Version]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    before: Callable[[str], None] = lambda action: None

    def call(self, action: str, times: int = 1) -> None:
        for _ in range(max(1, times)):
            self.before(action)
            self.calls.append(action)

    def counts(self) -> Counter[str]:
        return Counter(self.calls)

    def writes(self) -> list[str]:
        return [c for c in self.calls if c in ("PutParameter", "DeleteParameters")]

    def put(self, name: str, value: str, *, tier: str = "Standard", user: str = USER) -> int:
        """Write a version straight into the store (a test's setup, or another writer)."""
        versions = self.params.setdefault(name, [])
        number = versions[-1].version + 1 if versions else 1
        now = datetime.fromtimestamp(self.clock(), UTC)
        versions.append(Version(value, number, now, user, tier))
        return number

    def current(self, name: str) -> Version | None:
        versions = self.params.get(name)
        return versions[-1] if versions else None

    def under(self, path: str) -> dict[str, Version]:
        """Current versions one level under `path`, by key."""
        prefix = path.rstrip("/") + "/"
        return {
            name.removeprefix(prefix): versions[-1]
            for name, versions in sorted(self.params.items())
            if name.startswith(prefix) and "/" not in name.removeprefix(prefix) and versions
        }

    def values(self, path: str) -> dict[str, str]:
        return {key: v.value for key, v in self.under(path).items()}


def pages(count: int, size: int) -> int:
    return -(-count // size)


class FakeParameterStore(ParameterStore):
    """A ParameterStore over `Parameters`; `name`, `arn`, `names` and `require_versions` are
    the real ones (tests/fast/test_fakes.py keeps this list and the signatures honest)."""

    INHERITED = ("name", "arn", "names", "require_versions")

    def __init__(
        self, data: Parameters, target: Target, kms_key: str, seen: NamesSeen | None = None
    ) -> None:
        super().__init__(NoClient("ssm"), target, kms_key, seen)  # type: ignore[arg-type]
        self.data = data

    def _found(self, keys: Iterable[str]) -> Iterator[tuple[str, Version]]:
        for key in sorted(set(keys)):
            now = self.data.current(self.name(key))
            if now is not None:
                yield key, now

    def read(self) -> dict[str, Parameter]:
        found = self.data.under(self.path)
        self.data.call("GetParametersByPath", pages(len(found), PAGE))
        self._saw({key: v.version for key, v in found.items()}, complete=True)
        return {key: Parameter(key, v.value, v.version) for key, v in found.items()}

    def listing(self) -> dict[str, Listed]:
        found = self.data.under(self.path)
        self.data.call("DescribeParameters", pages(len(found), DESCRIBE_PAGE))
        self._saw({key: v.version for key, v in found.items()}, complete=True)
        return {key: Listed(key, v.version, v.modified) for key, v in found.items()}

    def get(self, key: str) -> Parameter | None:
        self.data.call("GetParameter")
        now = self.data.current(self.name(key))
        if now is None:
            self._saw({}, [key])
            return None
        self._saw({key: now.version})
        return Parameter(key, now.value, now.version)

    def _read(self, keys: Iterable[str]) -> dict[str, Version]:
        asked = sorted(set(keys))
        self.data.call("GetParameters", len(list(chunks(asked))))
        found = dict(self._found(asked))
        self._saw({key: v.version for key, v in found.items()}, asked)
        return found

    def versions(self, keys: Iterable[str]) -> dict[str, int]:
        return {key: v.version for key, v in self._read(keys).items()}

    def read_keys(self, keys: Iterable[str]) -> dict[str, Parameter]:
        return {key: Parameter(key, v.value, v.version) for key, v in self._read(keys).items()}

    def values_at(self, versions: dict[str, int]) -> dict[str, str]:
        self.data.call("GetParameters", len(list(chunks(sorted(versions)))))
        found = {}
        for key, number in versions.items():
            for v in self.data.params.get(self.name(key), []):
                if v.version == number:
                    found[key] = v.value
        return found

    def put(self, key: str, value: str, *, advanced: bool) -> int:
        self.data.call("PutParameter")
        number = self.data.put(self.name(key), value, tier="Advanced" if advanced else "Standard")
        self._saw({key: number})
        return number

    def delete(self, keys: list[str]) -> None:
        for group in chunks(keys):
            self.data.call("DeleteParameters")
            for key in group:
                self.data.params.pop(self.name(key), None)
            self._saw({}, group)

    def history(self, key: str, *, with_values: bool) -> list[HistoryEntry]:
        self.data.call("GetParameterHistory")
        return [
            HistoryEntry(v.version, v.modified, v.user, v.value if with_values else None)
            for v in self.data.params.get(self.name(key), [])
        ]

    def value_at(self, key: str, version: int) -> str:
        self.data.call("GetParameter")
        for v in self.data.params.get(self.name(key), []):
            if v.version == version:
                return v.value
        raise AwsError(  # as translate_errors words ParameterVersionNotFound
            f"AWS error ParameterVersionNotFound while reading {self.name(key)} version "
            f"{version}: Version {version} of {self.name(key)} does not exist"
        )
