"""The records in the DynamoDB table `git-lift`: release counters and records, deploy locks,
environment records, service documents (and beside them the newest one's secret_refs, which
the pre-push hook reads for many services at once), the config writers' lease.

Keys come from Target; a conditional write that loses says so as Conflict, LockHeld or
LockLost, from DynamoDB's modelled exceptions (aws/table.py), never from message text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from git_lift import limits
from git_lift.aws import release_items
from git_lift.aws.table import ConditionFailed, Table
from git_lift.errors import Conflict, LiftError
from git_lift.target import TABLE, Target

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Release:
    number: int
    env: str
    service: str
    commit: str
    image: str
    task_definition: str
    deployed_by: str
    deployed_at: float
    config_versions: dict[str, int] = field(default_factory=dict)
    rolled_back_from: int | None = None
    # or "failed" (rolled back), "unverified" (--no-wait), "superseded" (another deploy
    # replaced it before it completed)
    outcome: str = "released"
    dirty: str | None = None  # the diff's hash for an --allow-dirty build of `commit`
    # Pinned config: each snapshot secret's ARN and the version id the task definition names.
    pinned: dict[str, str] = field(default_factory=dict)
    gate_skipped: str | None = None  # the reason given with --skip-gate
    promoted_from: str | None = None  # "staging@4": the release whose image this one runs
    release_command: str | None = None  # how its release command ended: "exit 0 in 42s"
    # A config release (release-config): the keys whose version changed since the release it
    # followed, space-separated ("-": none, a forced one); never a value.
    config_changed: str | None = None
    # KEY -> the version id AWSCURRENT labelled, for each Secrets Manager secret the config
    # refers to (flows/secret_versions.py); rotation compares it with AWSCURRENT now.
    secret_versions: dict[str, str] = field(default_factory=dict)
    # The task definition each process other than web ran (processcfg.py); records from
    # before processes have none.
    processes: dict[str, str] = field(default_factory=dict)

    @property
    def released(self) -> bool:
        return self.outcome == "released"

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Release:
        """A stored record; fields a newer git lift added are left out, so a teammate who
        upgraded first does not break this version's history and rollback."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in doc.items() if key in known})


@dataclass(frozen=True)
class Lock:
    owner: str
    expires: float
    previous: str | None = None  # what ran before the deployment in flight (`cancel`)
    deploying: str | None = None  # the task definition in flight
    number: int | None = None  # its release number


class LockHeld(LiftError):
    """Someone else holds the deploy lock: `holder` (None when it went meanwhile)."""

    def __init__(self, message: str, holder: str | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.holder = holder


class LockLost(LiftError):
    """Our deploy lock was removed (`unlock --force`) or taken by `holder` while we held it."""

    def __init__(self, message: str, holder: str | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.holder = holder


@dataclass(frozen=True)
class EnvironmentRecord:
    """What `git lift env create` made: the stack, its outputs and the settings it used."""

    name: str
    region: str
    account: str
    stack: str
    params: dict[str, Any]
    outputs: dict[str, str]
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


@dataclass(frozen=True)
class ServiceDocument:
    """One saved version of a service's config document."""

    env: str
    service: str
    version: int
    doc: dict[str, Any]
    author: str
    saved_at: float


class Store(Table):
    def __init__(self, client: DynamoDBClient, clock: Callable[[], float] = time.time) -> None:
        super().__init__(client)
        self._clock = clock

    # Releases and the deploy lock --------------------------------------------------------
    # One "head" item per environment and service holds the release counter and the lock, so
    # a deploy costs two DynamoDB requests: begin (lock + number) and finish (record + unlock).

    @staticmethod
    def _head(target: Target) -> dict[str, Any]:
        return {"pk": {"S": target.release_key}, "sk": {"S": "counter"}}

    def begin_release(self, target: Target, owner: str, ttl: float, *, replacing: str = "") -> int:
        """Take the deploy lock and the next release number in one conditional write.
        `replacing` names a holder known to be gone, whose lock may be taken over."""
        return self._take_lock(target, owner, ttl, replacing, numbered=True)

    def hold_lock(self, target: Target, owner: str, ttl: float, *, replacing: str = "") -> None:
        """Take the deploy lock without a release number (`service delete`: no ship may
        start meanwhile, and the numbering goes on after it)."""
        self._take_lock(target, owner, ttl, replacing, numbered=False)

    def _take_lock(
        self, target: Target, owner: str, ttl: float, replacing: str, *, numbered: bool
    ) -> int:
        now = self._clock()
        count = " ADD #n :one" if numbered else ""
        try:
            answer = self._call(
                lambda: self._client.update_item(
                    TableName=TABLE,
                    Key=self._head(target),
                    UpdateExpression="SET #o = :owner, expires = :expires" + count,
                    ConditionExpression="attribute_not_exists(#o) OR expires < :now OR #o = :gone",
                    ExpressionAttributeNames={"#o": "owner", **({"#n": "n"} if numbered else {})},
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        **({":one": {"N": "1"}} if numbered else {}),
                        ":expires": {"N": str(now + ttl)},
                        ":now": {"N": str(now)},
                        ":gone": {"S": replacing or owner},
                    },
                    ReturnValues="UPDATED_NEW",
                )
            )
        except ConditionFailed:
            raise lock_held(target, self.lock(target), now) from None
        return int(answer["Attributes"]["n"]["N"]) if numbered else 0

    def renew_lock(self, target: Target, owner: str, ttl: float) -> None:
        """Push our lock's expiry to `ttl` from now (the heartbeat of a waiting ship);
        LockLost names whoever holds it when it is no longer ours."""
        now = self._clock()
        try:
            self._call(
                lambda: self._client.update_item(
                    TableName=TABLE,
                    Key=self._head(target),
                    UpdateExpression="SET expires = :expires",
                    ConditionExpression="#o = :owner",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":expires": {"N": str(now + ttl)},
                    },
                )
            )
        except ConditionFailed:
            raise lock_lost(target, self.lock(target), WHILE_WAITING) from None

    def finish_release(self, target: Target, release: Release, owner: str) -> None:
        """Store the release record (whatever its outcome) and drop our lock, atomically.

        When the lock is no longer ours the record is stored anyway (its number is ours) and
        LockLost names whoever holds the lock now."""
        try:
            self._call(
                lambda: self._client.transact_write_items(
                    TransactItems=[
                        *release_items.puts(target, asdict(release)),
                        {
                            "Update": {
                                "TableName": TABLE,
                                "Key": self._head(target),
                                "UpdateExpression": "REMOVE #o, expires, previous, deploying",
                                "ConditionExpression": "#o = :owner",
                                "ExpressionAttributeNames": {"#o": "owner"},
                                "ExpressionAttributeValues": {":owner": {"S": owner}},
                            }
                        },
                    ]
                )
            )
        except ConditionFailed:
            self.put_release(target, release)
            raise lock_lost(target, self.lock(target), WHILE_HELD) from None

    def put_release(self, target: Target, release: Release) -> None:
        """Store a release record under its (already reserved) number; the lock is untouched.
        A record in parts (aws/release_items.py) is written in one transaction."""
        puts = release_items.puts(target, asdict(release))
        if len(puts) == 1:
            self._call(lambda: self._client.put_item(**puts[0]["Put"]))
        else:
            self._call(lambda: self._client.transact_write_items(TransactItems=puts))

    def releases(self, target: Target, limit: int = 50) -> list[Release]:
        """Newest first, failed attempts included (see Release.outcome)."""
        found = []
        for item in self._newest_items(target.release_key, "0", limit):
            doc = json.loads(item["doc"]["S"])
            if release_items.parts_of(item):
                prefix = target.release_config_prefix(doc["number"])
                for part in self._partition(target.release_key, prefix):
                    doc["config_versions"].update(part)
            found.append(Release.from_doc(doc))
        return found

    def lock(self, target: Target) -> Lock | None:
        answer = self._call(lambda: self._client.get_item(TableName=TABLE, Key=self._head(target)))
        item = answer.get("Item", {})
        if "owner" not in item:
            return None
        return Lock(
            item["owner"]["S"],
            float(item["expires"]["N"]),
            previous=item.get("previous", {}).get("S"),
            deploying=item.get("deploying", {}).get("S"),
            number=int(item["n"]["N"]) if "n" in item else None,
        )

    def note_deploying(self, target: Target, owner: str, previous: str, deploying: str) -> None:
        """Write into our lock what is in flight, so `git lift cancel` can undo it."""
        try:
            self._call(
                lambda: self._client.update_item(
                    TableName=TABLE,
                    Key=self._head(target),
                    UpdateExpression="SET previous = :p, deploying = :d",
                    ConditionExpression="#o = :owner",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":p": {"S": previous},
                        ":d": {"S": deploying},
                    },
                )
            )
        except ConditionFailed:
            raise LockLost(
                f"the deploy lock of {target} was removed before the deployment "
                "started; nothing was deployed",
                holder=None,
                hint=f"see who deploys: git lift status -e {target.env}",
            ) from None

    def release_lock(self, target: Target, owner: str | None) -> bool:
        """Drop the lock (only ours unless owner is None); True when one was dropped."""
        condition: dict[str, Any] = {
            "ConditionExpression": "attribute_exists(#o)",
            "ExpressionAttributeNames": {"#o": "owner"},
        }
        if owner is not None:
            condition = {
                "ConditionExpression": "#o = :owner",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":owner": {"S": owner}},
            }
        return self._written(
            lambda: self._client.update_item(
                TableName=TABLE,
                Key=self._head(target),
                UpdateExpression="REMOVE #o, expires, previous, deploying",
                **condition,
            )
        )

    # Environments ---------------------------------------------------------------------------

    def put_environment(self, record: EnvironmentRecord, *, create: bool) -> None:
        """`create` writes only when no record exists: one environment, created once."""
        extra: dict[str, Any] = {}
        if create:
            extra = {"ConditionExpression": "attribute_not_exists(pk)"}
        item = {
            "pk": {"S": ENVIRONMENTS},
            "sk": {"S": record.name},
            "doc": {"S": limits.compact_json(asdict(record))},
        }
        if not self._written(lambda: self._client.put_item(TableName=TABLE, Item=item, **extra)):
            raise Conflict(
                f"environment {record.name} was created by someone else meanwhile",
                hint=f"see it: git lift env show -e {record.name}",
            )

    def delete_environment(self, env: str) -> None:
        """Remove the environment's record (`env delete`, once its stack is gone)."""
        key = {"pk": {"S": ENVIRONMENTS}, "sk": {"S": env}}
        self._call(lambda: self._client.delete_item(TableName=TABLE, Key=key))

    def environment(self, env: str) -> EnvironmentRecord | None:
        answer = self._call(
            lambda: self._client.get_item(
                TableName=TABLE, Key={"pk": {"S": ENVIRONMENTS}, "sk": {"S": env}}
            )
        )
        item = answer.get("Item")
        return EnvironmentRecord(**json.loads(item["doc"]["S"])) if item else None

    def environments(self) -> list[EnvironmentRecord]:
        """Every environment record, by name."""
        return [EnvironmentRecord(**doc) for doc in self._partition(ENVIRONMENTS)]

    # Service config documents ---------------------------------------------------------------

    def service_documents(self, target: Target, limit: int = 100) -> list[ServiceDocument]:
        """Saved versions, newest first."""
        return [ServiceDocument(**doc) for doc in self._newest(target.service_key, "v", limit)]

    def service_document(
        self, target: Target, version: int | None = None
    ) -> ServiceDocument | None:
        """One version, or the newest when `version` is None; None when there is none."""
        if version is None:
            newest = self.service_documents(target, limit=1)
            return newest[0] if newest else None
        key = {"pk": {"S": target.service_key}, "sk": {"S": _version_sk(version)}}
        answer = self._call(lambda: self._client.get_item(TableName=TABLE, Key=key))
        item = answer.get("Item")
        return ServiceDocument(**json.loads(item["doc"]["S"])) if item else None

    def save_service_document(self, target: Target, document: ServiceDocument) -> None:
        """Write version N+1 only if nobody wrote it first: a concurrent edit is refused.
        Its `secret_refs` field goes beside it, into the item `saved_secret_refs` reads, in the
        same transaction (both items are PutItem to IAM: TransactWriteItems has no action of
        its own, DynamoDB developer guide, "Using IAM with DynamoDB transactions")."""
        item = {
            "pk": {"S": target.service_key},
            "sk": {"S": _version_sk(document.version)},
            "doc": {"S": limits.compact_json(asdict(document))},
        }
        refs = {
            "pk": {"S": target.service_key},
            "sk": {"S": SECRET_REFS},
            "version": {"N": str(document.version)},
            SECRET_REFS: {"S": limits.compact_json(document.doc.get(SECRET_REFS) or {})},
        }
        put = lambda: self._client.transact_write_items(  # noqa: E731
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": TABLE, "Item": refs}},
            ]
        )
        if self._written(put):
            return
        theirs = self.service_document(target, document.version)
        raise document_conflict(target, document.version, theirs.author if theirs else None)

    def saved_secret_refs(self, targets: Sequence[Target]) -> dict[str, Any]:
        """Service name -> the `secret_refs` field of its newest saved config (as saved; {}
        when it has none), for services of one environment: one BatchGetItem for up to 100
        of them, where reading each config would be a Query each. A service is left out when
        no config was saved, or none since git lift kept this item (see
        save_service_document)."""
        by_key = {t.service_key: t.name for t in targets}
        keys = [{"pk": {"S": key}, "sk": {"S": SECRET_REFS}} for key in by_key]
        items = self._batch_items(keys, ("pk", SECRET_REFS)) if keys else []
        return {by_key[i["pk"]["S"]]: json.loads(i[SECRET_REFS]["S"]) for i in items}

    # Config writers' lease ------------------------------------------------------------------
    # Parameter Store has no conditional put: writers of one environment's service config take
    # this short lease around their version re-check and writes, so two never interleave.

    def take_config_lease(
        self, target: Target, owner: str, ttl: float, *, replacing: str = ""
    ) -> bool:
        """Take (or renew, if ours) the lease; False when someone else holds it unexpired.
        `replacing` names a holder known to be gone, whose lease may be taken over."""
        now = self._clock()
        return self._written(
            lambda: self._client.put_item(
                TableName=TABLE,
                Item={
                    **_lease_key(target),
                    "owner": {"S": owner},
                    "expires": {"N": str(now + ttl)},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires < :now "
                "OR #o = :me OR #o = :gone",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    ":me": {"S": owner},
                    ":gone": {"S": replacing or owner},
                },
            )
        )

    def config_lease_holder(self, target: Target) -> str | None:
        answer = self._call(lambda: self._client.get_item(TableName=TABLE, Key=_lease_key(target)))
        item = answer.get("Item")
        return str(item["owner"]["S"]) if item else None

    def release_config_lease(self, target: Target, owner: str) -> None:
        """Drop the lease if it is still ours (an expired one may have passed to another)."""
        self._written(
            lambda: self._client.delete_item(
                TableName=TABLE,
                Key=_lease_key(target),
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}},
            )
        )


ENVIRONMENTS = "environment"  # the partition of environment records
# The sort key, in a service's partition, of the item holding its newest config's secret_refs
# (no version's sort key, "v" and ten digits, starts with it), and that item's attribute.
SECRET_REFS = "secret_refs"
WHILE_WAITING = "while this ship waited; it stops watching, ECS goes on"
WHILE_HELD = "while this ship held it"


# What a lock taken by `service delete` says after its holder's name (proc.holder_name), so
# that a ship it stops says the service is being deleted, not deployed.
DELETING = " [deleting the service]"


def lock_held(target: Target, held: Lock | None, now: float) -> LockHeld:
    who, doing = "someone", "deployed"
    if held is not None:
        who = f"{held.owner.removesuffix(DELETING)}, for {max(0, int(held.expires - now))}s more"
        doing = "deleted" if held.owner.endswith(DELETING) else "deployed"
    return LockHeld(
        f"{target} is being {doing} by {who}",
        holder=held.owner if held else None,
        hint=f"wait for it, or if it is stale: git lift unlock -e {target.env}",
    )


def lock_lost(target: Target, held: Lock | None, when: str) -> LockLost:
    """Our deploy lock is gone: say who holds it now (`cancel`, or a ship after `unlock`)."""
    return LockLost(
        f"the deploy lock of {target} was "
        + (f"taken by {held.owner}" if held else "removed")
        + f" {when}",
        holder=held.owner if held else None,
        hint=f"see what runs now: git lift status -e {target.env}",
    )


def _lease_key(target: Target) -> dict[str, Any]:
    return {"pk": {"S": target.lease_key}, "sk": {"S": "lease"}}


def _version_sk(version: int) -> str:
    return f"v{version:010d}"


def document_conflict(target: Target, version: int, author: str | None) -> Conflict:
    """Someone saved this version of the service config while you edited."""
    who = f" by {author}" if author else ""
    return Conflict(
        f"version {version} of {target.name}'s config in {target.env} "
        f"was saved{who} while you edited; nothing was saved",
        hint=f"reapply your edit on theirs: git lift service edit -e {target.env} "
        f"-s {target.name} --resume",
    )
