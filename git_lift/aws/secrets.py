"""Secrets Manager: the pinned config snapshot of a service, `lift/<env>/<service>`.

Each release of an environment with `pinConfig` writes one new version of the secret (JSON, one
field per env.sample key) labelled `lift-<n>`; its task definition names the version id, so a
rollback runs the config its release ran. A snapshot over the 64 KB a secret holds is split:
part 1 is `lift/<env>/<service>`, part k the secret `lift/<env>/<service>/<k>`.

Secrets Manager allows 20 staging labels per secret (AWSCURRENT and AWSPREVIOUS among them) and
removes unlabelled versions beyond 100 once they are a day old: the labels of the last
LABEL_WINDOW releases are kept and older ones removed, so their versions age out as AWS does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from git_lift.aws.clients import translate_errors

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from git_lift.target import Target

MAX_SECRET_BYTES = 65536
LABEL_WINDOW = 15  # releases whose snapshot `rollback` may target
LABEL_PREFIX = "lift-"


def label(number: int) -> str:
    return f"{LABEL_PREFIX}{number}"


def split(values: dict[str, str], limit: int = MAX_SECRET_BYTES) -> list[dict[str, str]]:
    """Keys in order, into as few JSON documents of at most `limit` bytes as it takes."""
    parts: list[dict[str, str]] = [{}]
    for key in sorted(values):
        candidate = {**parts[-1], key: values[key]}
        if parts[-1] and len(json.dumps(candidate).encode()) > limit:
            parts.append({key: values[key]})
        else:
            parts[-1] = candidate
    return parts


def value_from(arn: str, key: str, version: str) -> str:
    """The task definition's reference to one key of one version (ECS's JSON-key syntax)."""
    return f"{arn}:{key}::{version}"


@dataclass(frozen=True)
class Pinned:
    """One part of a snapshot: the secret's ARN, the version written and the keys it holds."""

    arn: str
    version: str
    keys: tuple[str, ...]


class Snapshots:
    def __init__(self, client: SecretsManagerClient, target: Target) -> None:
        self._client = client
        self.target = target

    def pin(self, values: dict[str, str], number: int) -> list[Pinned]:
        """Write release `number`'s snapshot (a new version of each part, labelled)."""
        return [
            self._put(self.target.snapshot_secret(index), part, number)
            for index, part in enumerate(split(values), start=1)
        ]

    def _put(self, name: str, part: dict[str, str], number: int) -> Pinned:
        body = json.dumps(part, sort_keys=True)
        # Only our label: moving AWSCURRENT is of no use to tasks (they name version ids),
        # and moto's AWSCURRENT move strips every other label from the version it leaves.
        stages = [label(number)]
        with translate_errors(f"writing the config snapshot {name}"):
            try:
                answer = self._client.put_secret_value(
                    SecretId=name, SecretString=body, VersionStages=stages
                )
            except self._client.exceptions.ResourceNotFoundException:
                self._client.create_secret(
                    Name=name,
                    Description=f"git lift: config snapshots of {self.target}",
                    Tags=[{"Key": "lift:environment", "Value": self.target.env}],
                )
                answer = self._client.put_secret_value(
                    SecretId=name, SecretString=body, VersionStages=stages
                )
        return Pinned(str(answer["ARN"]), str(answer["VersionId"]), tuple(sorted(part)))

    def prune(self, arn: str, keep_from: int) -> None:
        """Remove `lift-<n>` labels of releases before `keep_from` from one part."""
        with translate_errors(f"pruning the labels of {arn}"):
            stages = self._client.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
            for version, labels in stages.items():
                for old in labels:
                    number = old.removeprefix(LABEL_PREFIX)
                    if old != number and number.isdigit() and int(number) < keep_from:
                        self._client.update_secret_version_stage(
                            SecretId=arn, VersionStage=old, RemoveFromVersionId=version
                        )

    def add_label(self, arn: str, version: str, number: int) -> None:
        with translate_errors(f"labelling a version of {arn}"):
            self._client.update_secret_version_stage(
                SecretId=arn, VersionStage=label(number), MoveToVersionId=version
            )

    def kept(self, arn: str, version: str) -> bool:
        """Whether a version still carries a release's label: one without may age out."""
        with translate_errors(f"reading {arn}"):
            stages = self._client.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
        return any(str(s).startswith(LABEL_PREFIX) for s in stages.get(version, []))

    def existing(self) -> list[str]:
        """The names of the service's snapshot secrets: part 1, 2... up to the first missing
        one (DescribeSecret on each: ListSecrets cannot be scoped to the service)."""
        names: list[str] = []
        while True:
            name = self.target.snapshot_secret(len(names) + 1)
            with translate_errors(f"describing {name}"):
                try:
                    self._client.describe_secret(SecretId=name)
                except self._client.exceptions.ResourceNotFoundException:
                    return names
            names.append(name)

    def delete(self, names: list[str]) -> None:
        """Delete the snapshot secrets now, without the recovery window: a secret waiting
        for deletion keeps its name, and the next ship could not write a snapshot under it."""
        for name in names:
            with translate_errors(f"deleting {name}"):
                try:
                    self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
                except self._client.exceptions.ResourceNotFoundException:
                    continue  # gone already: a second run after a cut connection

    def values(self, arn: str, version: str) -> dict[str, str]:
        with translate_errors(f"reading the config snapshot {arn}"):
            answer = self._client.get_secret_value(SecretId=arn, VersionId=version)
        return {str(k): str(v) for k, v in json.loads(answer["SecretString"]).items()}


@dataclass(frozen=True)
class SecretDates:
    """What DescribeSecret says of a secret's changes (its value is never read): when
    Secrets Manager last rotated it and when anything last changed it (a new value moves
    AWSCURRENT and sets LastChangedDate), as epoch seconds, and the version AWSCURRENT labels."""

    arn: str
    last_rotated: float | None
    last_changed: float | None
    current_version: str | None


class SecretMetadata:
    """Secrets the service's config refers to (secret_refs.py): metadata only."""

    def __init__(self, client: SecretsManagerClient) -> None:
        self._client = client

    def dates(self, arn: str) -> SecretDates:
        # DescribeSecret: "does not include the encrypted secret value" (botocore's model).
        with translate_errors(f"describing the secret {arn}"):
            answer = self._client.describe_secret(SecretId=arn)
        stages = answer.get("VersionIdsToStages", {})
        current = next((v for v, labels in stages.items() if "AWSCURRENT" in labels), None)
        rotated, changed = answer.get("LastRotatedDate"), answer.get("LastChangedDate")
        return SecretDates(
            arn,
            rotated.timestamp() if rotated else None,
            changed.timestamp() if changed else None,
            current,
        )
