"""The DynamoDB table of git lift (aws/store.py), in memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from git_lift.aws.store import (
    WHILE_HELD,
    WHILE_WAITING,
    EnvironmentRecord,
    Lock,
    Release,
    ServiceDocument,
    Store,
    document_conflict,
    lock_held,
    lock_lost,
)
from git_lift.aws.table import BATCH_GET_KEYS
from git_lift.errors import Conflict
from git_lift.target import Target
from tests.support.fakes.client import NoClient


@dataclass
class Head:
    """The release counter and the deploy lock of one service in one environment."""

    n: int = 0
    owner: str | None = None
    expires: float = 0.0
    previous: str | None = None
    deploying: str | None = None


class FakeStore(Store):
    """The table in memory: the deploy lock and release records, environment records, service
    config documents and the config writers' lease, with the real errors."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(NoClient("dynamodb"), clock)
        self.heads: dict[str, Head] = {}
        self.records: dict[str, dict[int, Release]] = {}
        self.environment_records: dict[str, EnvironmentRecord] = {}
        self.documents: dict[str, dict[int, ServiceDocument]] = {}
        self.leases: dict[str, tuple[str, float]] = {}  # lease key -> (owner, expires)
        self.document_reads = 0  # requests a real table would get: a Query each
        self.batch_reads = 0  # and a BatchGetItem per 100 services (saved_secret_refs)

    def head(self, target: Target) -> Head:
        return self.heads.setdefault(target.release_key, Head())

    def begin_release(self, target: Target, owner: str, ttl: float, *, replacing: str = "") -> int:
        head, now = self.head(target), self._clock()
        if head.owner not in (None, replacing) and head.expires >= now:
            raise lock_held(target, self.lock(target), now)
        head.owner, head.expires, head.n = owner, now + ttl, head.n + 1
        return head.n

    def hold_lock(self, target: Target, owner: str, ttl: float, *, replacing: str = "") -> None:
        head, now = self.head(target), self._clock()
        if head.owner not in (None, replacing) and head.expires >= now:
            raise lock_held(target, self.lock(target), now)
        head.owner, head.expires = owner, now + ttl

    def renew_lock(self, target: Target, owner: str, ttl: float) -> None:
        head = self.head(target)
        if head.owner != owner:
            raise lock_lost(target, self.lock(target), WHILE_WAITING)
        head.expires = self._clock() + ttl

    def finish_release(self, target: Target, release: Release, owner: str) -> None:
        self.put_release(target, release)
        if self.head(target).owner != owner:
            raise lock_lost(target, self.lock(target), WHILE_HELD)
        self.release_lock(target, owner)

    def put_release(self, target: Target, release: Release) -> None:
        self.records.setdefault(target.release_key, {})[release.number] = release

    def releases(self, target: Target, limit: int = 50) -> list[Release]:
        found = self.records.get(target.release_key, {})
        return [found[n] for n in sorted(found, reverse=True)][:limit]

    def lock(self, target: Target) -> Lock | None:
        head = self.head(target)
        if head.owner is None:
            return None
        return Lock(head.owner, head.expires, head.previous, head.deploying, head.n)

    def note_deploying(self, target: Target, owner: str, previous: str, deploying: str) -> None:
        self.head(target).previous, self.head(target).deploying = previous, deploying

    def release_lock(self, target: Target, owner: str | None) -> bool:
        head = self.head(target)
        if head.owner is None or owner not in (None, head.owner):
            return False
        n = head.n
        self.heads[target.release_key] = Head(n=n)
        return True

    # Environments ---------------------------------------------------------------------------

    def put_environment(self, record: EnvironmentRecord, *, create: bool) -> None:
        if create and record.name in self.environment_records:
            raise Conflict(
                f"environment {record.name} was created by someone else meanwhile",
                hint=f"see it: git lift env show -e {record.name}",
            )
        self.environment_records[record.name] = record

    def delete_environment(self, env: str) -> None:
        self.environment_records.pop(env, None)

    def environment(self, env: str) -> EnvironmentRecord | None:
        return self.environment_records.get(env)

    def environments(self) -> list[EnvironmentRecord]:
        return [self.environment_records[name] for name in sorted(self.environment_records)]

    # Service config documents ---------------------------------------------------------------

    def service_documents(self, target: Target, limit: int = 100) -> list[ServiceDocument]:
        self.document_reads += 1
        found = self.documents.get(target.service_key, {})
        return [found[v] for v in sorted(found, reverse=True)][:limit]

    def service_document(
        self, target: Target, version: int | None = None
    ) -> ServiceDocument | None:
        if version is None:
            newest = self.service_documents(target, limit=1)
            return newest[0] if newest else None
        return self.documents.get(target.service_key, {}).get(version)

    def save_service_document(self, target: Target, document: ServiceDocument) -> None:
        saved = self.documents.setdefault(target.service_key, {})
        theirs = saved.get(document.version)
        if theirs is None:
            saved[document.version] = document
            return
        raise document_conflict(target, document.version, theirs.author)

    def saved_secret_refs(self, targets: Sequence[Target]) -> dict[str, Any]:
        self.batch_reads += -(-len(targets) // BATCH_GET_KEYS)
        newest = {t.name: self.documents.get(t.service_key, {}) for t in targets}
        return {
            name: saved[max(saved)].doc.get("secret_refs") or {}
            for name, saved in newest.items()
            if saved
        }

    # Config writers' lease ------------------------------------------------------------------

    def take_config_lease(
        self, target: Target, owner: str, ttl: float, *, replacing: str = ""
    ) -> bool:
        now = self._clock()
        held = self.leases.get(target.lease_key)
        if held is not None and held[1] >= now and held[0] not in (owner, replacing or owner):
            return False
        self.leases[target.lease_key] = (owner, now + ttl)
        return True

    def config_lease_holder(self, target: Target) -> str | None:
        held = self.leases.get(target.lease_key)
        return held[0] if held else None

    def release_config_lease(self, target: Target, owner: str) -> None:
        if self.config_lease_holder(target) == owner:
            del self.leases[target.lease_key]
