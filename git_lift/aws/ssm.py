"""Parameter Store: a Target's `/<env>/<service>/<KEY>` SecureStrings. Takes its client; returns
data. Listings go through botocore's paginators; a version that moved under a change is a
`Conflict`, raised here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from git_lift.aws.clients import Landed, translate_errors
from git_lift.errors import Conflict

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_ssm.type_defs import ParameterTypeDef

    from git_lift.target import Target

PAGE = 10  # the most GetParametersByPath, GetParameters and DeleteParameters take at once
DESCRIBE_PAGE = 50  # the most DescribeParameters gives
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


def chunks(items: list[str], size: int = PAGE) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _key(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _parameter(item: ParameterTypeDef) -> Parameter:
    key = _key(item["Name"])
    return Parameter(key, item["Value"], int(item["Version"]))


class ParameterStore:
    def __init__(
        self,
        client: SSMClient,
        target: Target,
        kms_key: str,
        seen: NamesSeen | None = None,
    ) -> None:
        self._client = client
        self.target = target
        self.path = target.parameter_path
        self._kms_key = kms_key
        self._seen = seen  # the names cache: told every name listed, read, written or removed

    def _saw(
        self, present: dict[str, int], absent: Iterable[str] = (), *, complete: bool = False
    ) -> None:
        if self._seen is not None:
            self._seen(present, sorted(set(absent) - set(present)), complete)

    def name(self, key: str) -> str:
        return self.target.parameter_name(key)

    def arn(self, key: str, region: str, account: str) -> str:
        return self.target.parameter_arn(key, region, account)

    def read(self) -> dict[str, Parameter]:
        """Every key with its decrypted value: ceil(N/10) GetParametersByPath calls."""
        pages = self._client.get_paginator("get_parameters_by_path").paginate(
            Path=self.path,
            Recursive=False,
            WithDecryption=True,
            PaginationConfig={"PageSize": PAGE},
        )
        with translate_errors(f"reading {self.path}"):
            found = {p.key: p for page in pages for p in map(_parameter, page["Parameters"])}
        self._saw({key: p.version for key, p in found.items()}, complete=True)
        return found

    def names(self) -> dict[str, int]:
        """Every key and its version, without values: DescribeParameters pages only."""
        return {key: item.version for key, item in self.listing().items()}

    def listing(self) -> dict[str, Listed]:
        """Every key with its version and date, without values (and so without needing
        kms:Decrypt): DescribeParameters pages of 50, the most AWS gives."""
        pages = self._client.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [self.path]}],
            PaginationConfig={"PageSize": DESCRIBE_PAGE},
        )
        with translate_errors(f"listing {self.path}"):
            found = {
                key: Listed(key, int(item.get("Version", 0)), item.get("LastModifiedDate"))
                for page in pages
                for item in page["Parameters"]
                for key in [_key(item["Name"])]
            }
        self._saw({key: item.version for key, item in found.items()}, complete=True)
        return found

    def get(self, key: str) -> Parameter | None:
        """One key's value: one GetParameter, whatever the size of the config; None if unset."""
        with translate_errors(f"reading {self.name(key)}"):
            try:
                item = self._client.get_parameter(Name=self.name(key), WithDecryption=True)
            except self._client.exceptions.ParameterNotFound:
                self._saw({}, [key])
                return None
        found = _parameter(item["Parameter"])
        self._saw({key: found.version})
        return found

    def _get(self, keys: Iterable[str], *, decrypt: bool) -> list[ParameterTypeDef]:
        """GetParameters in groups of ten; keys the store lacks are left out."""
        found: list[ParameterTypeDef] = []
        asked = sorted(set(keys))
        with translate_errors(f"reading keys under {self.path}"):
            for group in chunks(asked):
                page = self._client.get_parameters(
                    Names=[self.name(key) for key in group], WithDecryption=decrypt
                )
                found.extend(page["Parameters"])
        self._saw({_key(item["Name"]): int(item["Version"]) for item in found}, asked)
        return found

    def versions(self, keys: Iterable[str]) -> dict[str, int]:
        """Current versions of some keys (absent keys are left out), without decrypting."""
        return {_key(item["Name"]): int(item["Version"]) for item in self._get(keys, decrypt=False)}

    def require_versions(self, expected: Mapping[str, int | None], *, hint: str) -> None:
        """A `Conflict` naming the keys whose version is no longer the one a change was
        planned on (None: the key was absent); one GetParameters per ten keys."""
        now = self.versions(expected)
        changed = [key for key, version in expected.items() if now.get(key) != version]
        if changed:
            raise Conflict(
                f"changed in {self.target.env} since you started: {', '.join(changed)}; "
                "nothing was written",
                hint=hint,
                versions={key: now.get(key, 0) for key in expected},
            )

    def read_keys(self, keys: Iterable[str]) -> dict[str, Parameter]:
        """Some keys with their values (absent keys are left out): what a change touches,
        without decrypting the rest of the service's config."""
        return {p.key: p for p in map(_parameter, self._get(keys, decrypt=True))}

    def values_at(self, versions: dict[str, int]) -> dict[str, str]:
        """The values of some keys at given versions (`NAME:VERSION` selectors), decrypted."""
        found: dict[str, str] = {}
        selectors = [f"{self.name(key)}:{version}" for key, version in sorted(versions.items())]
        with translate_errors(f"reading keys under {self.path}"):
            for group in chunks(selectors):
                page = self._client.get_parameters(Names=group, WithDecryption=True)
                found.update(
                    {_key(p["Name"]).split(":")[0]: p["Value"] for p in page["Parameters"]}
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
        pages = self._client.get_paginator("get_parameter_history").paginate(
            Name=self.name(key), WithDecryption=with_values
        )
        with translate_errors(f"reading the history of {self.name(key)}"):
            return [
                HistoryEntry(
                    version=int(item["Version"]),
                    modified=item.get("LastModifiedDate"),
                    modified_by=str(item.get("LastModifiedUser", "")),
                    value=item["Value"] if with_values else None,
                )
                for page in pages
                for item in page["Parameters"]
            ]

    def value_at(self, key: str, version: int) -> str:
        with translate_errors(f"reading {self.name(key)} version {version}"):
            answer = self._client.get_parameter(
                Name=f"{self.name(key)}:{version}", WithDecryption=True
            )
        return str(answer["Parameter"]["Value"])
