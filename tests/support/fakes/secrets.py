"""Secrets Manager in memory: the pinned config snapshots (aws/secrets.py). `pin` is the real
one (it splits a snapshot into parts); the part writes, labels and reads are faked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from git_lift.aws.secrets import LABEL_PREFIX, Pinned, SecretDates, SecretMetadata, Snapshots, label
from git_lift.errors import LiftError
from git_lift.target import Target
from tests.support.fakes.client import NoClient


@dataclass
class Secret:
    arn: str
    tags: dict[str, str]
    bodies: dict[str, str] = field(default_factory=dict)  # version id -> SecretString
    stages: dict[str, list[str]] = field(default_factory=dict)  # version id -> labels


@dataclass
class Secrets:
    """Every secret of the account, by name."""

    secrets: dict[str, Secret] = field(default_factory=dict)
    # Secrets the service's config refers to (secret_refs.py), as DescribeSecret tells them.
    described: dict[str, SecretDates] = field(default_factory=dict)
    describes: int = 0  # DescribeSecret calls made for them

    def by_arn(self, arn: str) -> Secret:
        return next(s for s in self.secrets.values() if s.arn == arn)


class FakeSnapshots(Snapshots):
    INHERITED = ("pin",)

    def __init__(self, data: Secrets, target: Target) -> None:
        super().__init__(NoClient("secretsmanager"), target)  # type: ignore[arg-type]
        self.data = data

    def _put(self, name: str, part: dict[str, str], number: int) -> Pinned:
        if name not in self.data.secrets:
            arn = f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-AbCdEf"
            self.data.secrets[name] = Secret(arn, {"lift:environment": self.target.env})
        secret = self.data.secrets[name]
        version = f"v{len(secret.bodies) + 1:04d}"
        secret.bodies[version] = json.dumps(part, sort_keys=True)
        secret.stages[version] = [label(number)]
        return Pinned(secret.arn, version, tuple(sorted(part)))

    def prune(self, arn: str, keep_from: int) -> None:
        for labels in self.data.by_arn(arn).stages.values():
            for old in list(labels):
                number = old.removeprefix(LABEL_PREFIX)
                if old != number and number.isdigit() and int(number) < keep_from:
                    labels.remove(old)

    def add_label(self, arn: str, version: str, number: int) -> None:
        stages = self.data.by_arn(arn).stages
        for labels in stages.values():  # a label names one version at a time
            if label(number) in labels:
                labels.remove(label(number))
        stages.setdefault(version, []).append(label(number))

    def kept(self, arn: str, version: str) -> bool:
        labels = self.data.by_arn(arn).stages.get(version, [])
        return any(s.startswith(LABEL_PREFIX) for s in labels)

    def values(self, arn: str, version: str) -> dict[str, str]:
        body = json.loads(self.data.by_arn(arn).bodies[version])
        return {str(k): str(v) for k, v in body.items()}

    def existing(self) -> list[str]:
        names: list[str] = []
        while self.target.snapshot_secret(len(names) + 1) in self.data.secrets:
            names.append(self.target.snapshot_secret(len(names) + 1))
        return names

    def delete(self, names: list[str]) -> None:
        for name in names:
            self.data.secrets.pop(name, None)


class FakeSecretMetadata(SecretMetadata):
    def __init__(self, data: Secrets) -> None:
        super().__init__(NoClient("secretsmanager"))  # type: ignore[arg-type]
        self.data = data

    def dates(self, arn: str) -> SecretDates:
        self.data.describes += 1
        found = self.data.described.get(arn)
        if found is None:
            raise LiftError(f"describing the secret {arn}: ResourceNotFoundException")
        return found
