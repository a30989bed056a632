"""The DynamoDB table `git-lift`: release counters and records, deploy locks, documents.

One table, keys `pk` and `sk`. The table is created on first use (on-demand billing), so a new
account needs no setup step.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from git_lift.aws.clients import translate_errors
from git_lift.errors import Conflict, LiftError

TABLE = "git-lift"
T = TypeVar("T")


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

    @property
    def released(self) -> bool:
        return self.outcome == "released"


@dataclass(frozen=True)
class Lock:
    owner: str
    expires: float
    previous: str | None = None  # what ran before the deployment in flight (`cancel`)
    deploying: str | None = None  # the task definition in flight
    number: int | None = None  # its release number


class LockHeld(LiftError):
    pass


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


def _release_pk(env: str, service: str) -> str:
    return f"release#{env}#{service}"


class Store:
    def __init__(
        self,
        client: Any,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._clock = clock

    def _call(self, action: Callable[[], T]) -> T:
        """Run a request; create the table and retry once when it does not exist yet."""
        with translate_errors(f"using DynamoDB table {TABLE}"):
            try:
                return action()
            except self._client.exceptions.ResourceNotFoundException:
                self._create_table()
                return action()

    def _newest(self, pk: str, sk_prefix: str, limit: int) -> list[dict[str, Any]]:
        """The JSON documents of one partition whose sort keys start with a prefix, newest
        (highest sort key) first."""
        answer = self._call(
            lambda: self._client.query(
                TableName=TABLE,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": sk_prefix}},
                ScanIndexForward=False,
                Limit=limit,
            )
        )
        return [json.loads(item["doc"]["S"]) for item in answer.get("Items", [])]

    def _create_table(self) -> None:
        # Someone else may create it at the same moment: that is as good.
        with contextlib.suppress(self._client.exceptions.ResourceInUseException):
            self._client.create_table(
                TableName=TABLE,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        self._client.get_waiter("table_exists").wait(
            TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )

    # Releases and the deploy lock --------------------------------------------------------
    # One "head" item per environment and service holds the release counter and the lock, so
    # a deploy costs two DynamoDB requests: begin (lock + number) and finish (record + unlock).

    def _head(self, env: str, service: str) -> dict[str, Any]:
        return {"pk": {"S": _release_pk(env, service)}, "sk": {"S": "counter"}}

    def begin_release(self, env: str, service: str, owner: str, ttl: float) -> int:
        """Take the deploy lock and the next release number in one conditional write."""
        now = self._clock()
        try:
            answer = self._call(
                lambda: self._client.update_item(
                    TableName=TABLE,
                    Key=self._head(env, service),
                    UpdateExpression="SET #o = :owner, expires = :expires ADD #n :one",
                    ConditionExpression="attribute_not_exists(#o) OR expires < :now",
                    ExpressionAttributeNames={"#o": "owner", "#n": "n"},
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":one": {"N": "1"},
                        ":expires": {"N": str(now + ttl)},
                        ":now": {"N": str(now)},
                    },
                    ReturnValues="UPDATED_NEW",
                )
            )
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            held = self.lock(env, service)
            who = (
                f"{held.owner}, for {max(0, int(held.expires - now))}s more" if held else "someone"
            )
            raise LockHeld(
                f"{service} in {env} is being deployed by {who}",
                hint=f"wait for it, or if it is stale: git lift unlock -e {env}",
            ) from exc
        return int(answer["Attributes"]["n"]["N"])

    def finish_release(self, release: Release, owner: str) -> None:
        """Store the release record (whatever its outcome) and drop our lock, atomically.

        When the lock is no longer ours the record is stored anyway (its number is ours) and
        LockLost names whoever holds the lock now."""
        try:
            self._call(
                lambda: self._client.transact_write_items(
                    TransactItems=[
                        {"Put": self._release_item(release)},
                        {
                            "Update": {
                                "TableName": TABLE,
                                "Key": self._head(release.env, release.service),
                                "UpdateExpression": "REMOVE #o, expires, previous, deploying",
                                "ConditionExpression": "#o = :owner",
                                "ExpressionAttributeNames": {"#o": "owner"},
                                "ExpressionAttributeValues": {":owner": {"S": owner}},
                            }
                        },
                    ]
                )
            )
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            self.put_release(release)
            held = self.lock(release.env, release.service)
            raise LockLost(
                f"the deploy lock of {release.service} in {release.env} was "
                + (f"taken by {held.owner}" if held else "removed")
                + " while this ship held it",
                holder=held.owner if held else None,
                hint=f"see what runs now: git lift status -e {release.env}",
            ) from exc

    def put_release(self, release: Release) -> None:
        """Store a release record under its (already reserved) number; the lock is untouched."""
        self._call(lambda: self._client.put_item(**self._release_item(release)))

    def _release_item(self, release: Release) -> dict[str, Any]:
        return {
            "TableName": TABLE,
            "Item": {
                "pk": {"S": _release_pk(release.env, release.service)},
                "sk": {"S": f"{release.number:010d}"},
                "doc": {"S": json.dumps(asdict(release), sort_keys=True)},
            },
        }

    def releases(self, env: str, service: str, limit: int = 50) -> list[Release]:
        """Newest first, failed attempts included (see Release.outcome)."""
        return [Release(**doc) for doc in self._newest(_release_pk(env, service), "0", limit)]

    def lock(self, env: str, service: str) -> Lock | None:
        answer = self._call(
            lambda: self._client.get_item(TableName=TABLE, Key=self._head(env, service))
        )
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

    def note_deploying(
        self, env: str, service: str, owner: str, previous: str, deploying: str
    ) -> None:
        """Write into our lock what is in flight, so `git lift cancel` can undo it."""
        try:
            self._call(
                lambda: self._client.update_item(
                    TableName=TABLE,
                    Key=self._head(env, service),
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
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            raise LockLost(
                f"the deploy lock of {service} in {env} was removed before the deployment "
                "started; nothing was deployed",
                holder=None,
                hint=f"see who deploys: git lift status -e {env}",
            ) from exc

    def release_lock(self, env: str, service: str, owner: str | None) -> bool:
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
        try:
            self._call(
                lambda: self._client.update_item(
                    TableName=TABLE,
                    Key=self._head(env, service),
                    UpdateExpression="REMOVE #o, expires, previous, deploying",
                    **condition,
                )
            )
        except LiftError as exc:
            if "ConditionalCheckFailed" in exc.message:
                return False
            raise
        return True

    # Environments ---------------------------------------------------------------------------

    def put_environment(self, record: EnvironmentRecord, *, create: bool) -> None:
        """`create` writes only when no record exists: one environment, created once."""
        extra: dict[str, Any] = {}
        if create:
            extra = {"ConditionExpression": "attribute_not_exists(pk)"}
        try:
            self._call(
                lambda: self._client.put_item(
                    TableName=TABLE,
                    Item={
                        "pk": {"S": "environment"},
                        "sk": {"S": record.name},
                        "doc": {"S": json.dumps(asdict(record), sort_keys=True)},
                    },
                    **extra,
                )
            )
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            raise Conflict(
                f"environment {record.name} was created by someone else meanwhile",
                hint=f"see it: git lift env show -e {record.name}",
            ) from exc

    def environment(self, env: str) -> EnvironmentRecord | None:
        answer = self._call(
            lambda: self._client.get_item(
                TableName=TABLE,
                Key={"pk": {"S": "environment"}, "sk": {"S": env}},
            )
        )
        item = answer.get("Item")
        return EnvironmentRecord(**json.loads(item["doc"]["S"])) if item else None

    def environments(self) -> list[EnvironmentRecord]:
        """Every environment record, by name."""
        records: list[EnvironmentRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "environment"}},
        }
        while True:
            page = self._call(lambda: self._client.query(**kwargs))
            records += [EnvironmentRecord(**json.loads(i["doc"]["S"])) for i in page["Items"]]
            if not page.get("LastEvaluatedKey"):
                return records
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # Service config documents ---------------------------------------------------------------

    def service_documents(self, env: str, service: str, limit: int = 100) -> list[ServiceDocument]:
        """Saved versions, newest first."""
        return [
            ServiceDocument(**doc) for doc in self._newest(_service_pk(env, service), "v", limit)
        ]

    def service_document(
        self, env: str, service: str, version: int | None = None
    ) -> ServiceDocument | None:
        """One version, or the newest when `version` is None; None when there is none."""
        if version is None:
            newest = self.service_documents(env, service, limit=1)
            return newest[0] if newest else None
        answer = self._call(
            lambda: self._client.get_item(
                TableName=TABLE,
                Key={"pk": {"S": _service_pk(env, service)}, "sk": {"S": _version_sk(version)}},
            )
        )
        item = answer.get("Item")
        return ServiceDocument(**json.loads(item["doc"]["S"])) if item else None

    def save_service_document(self, document: ServiceDocument) -> None:
        """Write version N+1 only if nobody wrote it first: a concurrent edit is refused."""
        item = {
            "pk": {"S": _service_pk(document.env, document.service)},
            "sk": {"S": _version_sk(document.version)},
            "doc": {"S": json.dumps(asdict(document), sort_keys=True)},
        }
        try:
            self._call(
                lambda: self._client.put_item(
                    TableName=TABLE,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                )
            )
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            theirs = self.service_document(document.env, document.service, document.version)
            who = f" by {theirs.author}" if theirs else ""
            raise Conflict(
                f"version {document.version} of {document.service}'s config in {document.env} "
                f"was saved{who} while you edited; nothing was saved",
                hint=f"reapply your edit on theirs: git lift service edit -e {document.env} "
                f"-s {document.service} --resume",
            ) from exc

    # Config writers' lease ------------------------------------------------------------------
    # Parameter Store has no conditional put: writers of one environment's service config take
    # this short lease around their version re-check and writes, so two never interleave.

    def take_config_lease(
        self, env: str, service: str, owner: str, ttl: float, *, replacing: str = ""
    ) -> bool:
        """Take (or renew, if ours) the lease; False when someone else holds it unexpired.
        `replacing` names a holder known to be gone, whose lease may be taken over."""
        now = self._clock()
        try:
            self._call(
                lambda: self._client.put_item(
                    TableName=TABLE,
                    Item={
                        **_lease_key(env, service),
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
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            return False
        return True

    def config_lease_holder(self, env: str, service: str) -> str | None:
        answer = self._call(
            lambda: self._client.get_item(TableName=TABLE, Key=_lease_key(env, service))
        )
        item = answer.get("Item")
        return str(item["owner"]["S"]) if item else None

    def release_config_lease(self, env: str, service: str, owner: str) -> None:
        """Drop the lease if it is still ours (an expired one may have passed to another)."""
        try:
            self._call(
                lambda: self._client.delete_item(
                    TableName=TABLE,
                    Key=_lease_key(env, service),
                    ConditionExpression="#o = :me",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":me": {"S": owner}},
                )
            )
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise


def _lease_key(env: str, service: str) -> dict[str, Any]:
    return {"pk": {"S": f"config#{env}#{service}"}, "sk": {"S": "lease"}}


def _service_pk(env: str, service: str) -> str:
    return f"service#{env}#{service}"


def _version_sk(version: int) -> str:
    return f"v{version:010d}"
