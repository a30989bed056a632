"""Parameter Store: `/<env>/<service>/<KEY>` SecureStrings. Takes its client; returns data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from git_lift.aws.clients import Landed, translate_errors

PAGE = 10  # the most GetParametersByPath, GetParameters and DeleteParameters take at once
STANDARD_LIMIT = 4096
ADVANCED_LIMIT = 8192


@dataclass(frozen=True)
class Parameter:
    key: str
    value: str
    version: int


@dataclass(frozen=True)
class Listed:
    """A key as DescribeParameters lists it: no value, nothing decrypted."""

    key: str
    version: int
    modified: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    modified: datetime | None
    modified_by: str
    value: str | None  # None unless values were asked for


# Told what the store was seen to hold: (present keys and versions, absent keys, complete).
NamesSeen = Callable[[dict[str, int], list[str], bool], None]


def prefix(env: str, service: str) -> str:
    return f"/{env}/{service}"


def chunks(items: list[str], size: int = PAGE) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ParameterStore:
    def __init__(
        self,
        client: Any,
        env: str,
        service: str,
        kms_key: str,
        seen: NamesSeen | None = None,
    ) -> None:
        self._client = client
        self.path = prefix(env, service)
        self._kms_key = kms_key
        self._seen = seen  # the names cache: told every name listed, read, written or removed

    def _saw(
        self, present: dict[str, int], absent: Iterable[str] = (), *, complete: bool = False
    ) -> None:
        if self._seen is not None:
            self._seen(present, sorted(set(absent) - set(present)), complete)

    def name(self, key: str) -> str:
        return f"{self.path}/{key}"

    def _key(self, name: str) -> str:
        return name.rsplit("/", 1)[-1]

    def read(self) -> dict[str, Parameter]:
        """Every key with its decrypted value: ceil(N/10) GetParametersByPath calls."""
        found: dict[str, Parameter] = {}
        kwargs: dict[str, Any] = {
            "Path": self.path,
            "Recursive": False,
            "WithDecryption": True,
            "MaxResults": PAGE,
        }
        with translate_errors(f"reading {self.path}"):
            while True:
                page = self._client.get_parameters_by_path(**kwargs)
                for item in page["Parameters"]:
                    key = self._key(item["Name"])
                    found[key] = Parameter(key, item["Value"], int(item["Version"]))
                if not page.get("NextToken"):
                    self._saw({key: p.version for key, p in found.items()}, complete=True)
                    return found
                kwargs["NextToken"] = page["NextToken"]

    def names(self) -> dict[str, int]:
        """Every key and its version, without values: DescribeParameters pages only."""
        return {key: item.version for key, item in self.listing().items()}

    def listing(self) -> dict[str, Listed]:
        """Every key with its version and date, without values (and so without needing
        kms:Decrypt): DescribeParameters pages of 50, the most AWS gives."""
        found: dict[str, Listed] = {}
        kwargs: dict[str, Any] = {
            "ParameterFilters": [{"Key": "Path", "Option": "OneLevel", "Values": [self.path]}],
            "MaxResults": 50,
        }
        with translate_errors(f"listing {self.path}"):
            while True:
                page = self._client.describe_parameters(**kwargs)
                for item in page["Parameters"]:
                    key = self._key(item["Name"])
                    version = int(item.get("Version", 0))
                    found[key] = Listed(key, version, item.get("LastModifiedDate"))
                if not page.get("NextToken"):
                    self._saw({key: item.version for key, item in found.items()}, complete=True)
                    return found
                kwargs["NextToken"] = page["NextToken"]

    def get(self, key: str) -> Parameter | None:
        """One key's value: one GetParameter, whatever the size of the config; None if unset."""
        with translate_errors(f"reading {self.name(key)}"):
            try:
                item = self._client.get_parameter(Name=self.name(key), WithDecryption=True)
            except self._client.exceptions.ParameterNotFound:
                self._saw({}, [key])
                return None
        found = item["Parameter"]
        self._saw({key: int(found["Version"])})
        return Parameter(key, found["Value"], int(found["Version"]))

    def _get(self, keys: Iterable[str], *, decrypt: bool) -> list[dict[str, Any]]:
        """GetParameters in groups of ten; keys the store lacks are left out."""
        found: list[dict[str, Any]] = []
        asked = sorted(set(keys))
        with translate_errors(f"reading keys under {self.path}"):
            for group in chunks(asked):
                page = self._client.get_parameters(
                    Names=[self.name(key) for key in group], WithDecryption=decrypt
                )
                found.extend(page["Parameters"])
        self._saw({self._key(item["Name"]): int(item["Version"]) for item in found}, asked)
        return found

    def versions(self, keys: Iterable[str]) -> dict[str, int]:
        """Current versions of some keys (absent keys are left out), without decrypting."""
        return {
            self._key(item["Name"]): int(item["Version"]) for item in self._get(keys, decrypt=False)
        }

    def read_keys(self, keys: Iterable[str]) -> dict[str, Parameter]:
        """Some keys with their values (absent keys are left out): what a change touches,
        without decrypting the rest of the service's config."""
        return {
            (key := self._key(item["Name"])): Parameter(key, item["Value"], int(item["Version"]))
            for item in self._get(keys, decrypt=True)
        }

    def values_at(self, versions: dict[str, int]) -> dict[str, str]:
        """The values of some keys at given versions (`NAME:VERSION` selectors), decrypted."""
        found: dict[str, str] = {}
        selectors = [f"{self.name(key)}:{version}" for key, version in sorted(versions.items())]
        with translate_errors(f"reading keys under {self.path}"):
            for group in chunks(selectors):
                page = self._client.get_parameters(Names=group, WithDecryption=True)
                found.update(
                    {self._key(p["Name"]).split(":")[0]: p["Value"] for p in page["Parameters"]}
                )
        return found

    def put(self, key: str, value: str, *, advanced: bool) -> int:
        try:
            with translate_errors(f"writing {self.name(key)}"):
                answer = self._client.put_parameter(
                    Name=self.name(key),
                    Value=value,
                    Type="SecureString",
                    KeyId=self._kms_key,
                    Overwrite=True,
                    Tier="Advanced" if advanced else "Standard",
                )
        except Landed as landed:  # the answer was lost, the write was not: no second version
            self._saw({key: landed.version})
            return landed.version
        self._saw({key: int(answer["Version"])})
        return int(answer["Version"])

    def delete(self, keys: list[str]) -> None:
        with translate_errors(f"deleting under {self.path}"):
            for group in chunks(keys):
                self._client.delete_parameters(Names=[self.name(key) for key in group])
                self._saw({}, group)

    def history(self, key: str, *, with_values: bool) -> list[HistoryEntry]:
        entries: list[HistoryEntry] = []
        kwargs: dict[str, Any] = {"Name": self.name(key), "WithDecryption": with_values}
        with translate_errors(f"reading the history of {self.name(key)}"):
            while True:
                page = self._client.get_parameter_history(**kwargs)
                entries.extend(
                    HistoryEntry(
                        version=int(item["Version"]),
                        modified=item.get("LastModifiedDate"),
                        modified_by=str(item.get("LastModifiedUser", "")),
                        value=item["Value"] if with_values else None,
                    )
                    for item in page["Parameters"]
                )
                if not page.get("NextToken"):
                    return entries
                kwargs["NextToken"] = page["NextToken"]

    def value_at(self, key: str, version: int) -> str:
        with translate_errors(f"reading {self.name(key)} version {version}"):
            answer = self._client.get_parameter(
                Name=f"{self.name(key)}:{version}", WithDecryption=True
            )
        return str(answer["Parameter"]["Value"])

    def arn(self, key: str, region: str, account: str) -> str:
        return f"arn:aws:ssm:{region}:{account}:parameter{self.name(key)}"
