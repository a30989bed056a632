"""The DynamoDB table `git-lift`: release counters and records, deploy locks, documents.

One table, keys `pk` and `sk`. The table is created on first use (on-demand billing), so a new
account needs no setup step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from git_lift.aws.clients import translate_errors
from git_lift.errors import LiftError

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


@dataclass(frozen=True)
class Lock:
    owner: str
    expires: float


class LockHeld(LiftError):
    pass


def _release_pk(env: str, service: str) -> str:
    return f"release#{env}#{service}"


class Store:
    def __init__(self, client: Any, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._clock = clock
        self._sleep = sleep

    def _call(self, action: Callable[[], T]) -> T:
        """Run a request; create the table and retry once when it does not exist yet."""
        with translate_errors(f"using DynamoDB table {TABLE}"):
            try:
                return action()
            except self._client.exceptions.ResourceNotFoundException:
                self._create_table()
                return action()

    def _create_table(self) -> None:
        try:
            self._client.create_table(
                TableName=TABLE,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except self._client.exceptions.ResourceInUseException:
            pass  # someone else created it at the same moment
        self._client.get_waiter("table_exists").wait(
            TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )

    # Releases -------------------------------------------------------------------------------

    def next_release_number(self, env: str, service: str) -> int:
        """An atomic counter: two ships never get the same number."""
        answer = self._call(lambda: self._client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": _release_pk(env, service)}, "sk": {"S": "counter"}},
            UpdateExpression="ADD #n :one",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        ))
        return int(answer["Attributes"]["n"]["N"])

    def put_release(self, release: Release) -> None:
        self._call(lambda: self._client.put_item(TableName=TABLE, Item={
            "pk": {"S": _release_pk(release.env, release.service)},
            "sk": {"S": f"{release.number:010d}"},
            "doc": {"S": json.dumps(asdict(release), sort_keys=True)},
        }))

    def releases(self, env: str, service: str, limit: int = 50) -> list[Release]:
        """Newest first."""
        answer = self._call(lambda: self._client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :zero)",
            ExpressionAttributeValues={":pk": {"S": _release_pk(env, service)},
                                       ":zero": {"S": "0"}},
            ScanIndexForward=False,
            Limit=limit,
        ))
        return [Release(**json.loads(item["doc"]["S"])) for item in answer.get("Items", [])]

    def release(self, env: str, service: str, number: int) -> Release | None:
        answer = self._call(lambda: self._client.get_item(
            TableName=TABLE,
            Key={"pk": {"S": _release_pk(env, service)}, "sk": {"S": f"{number:010d}"}},
        ))
        item = answer.get("Item")
        return Release(**json.loads(item["doc"]["S"])) if item else None

    # Locks ----------------------------------------------------------------------------------

    def acquire_lock(self, env: str, service: str, owner: str, ttl: float) -> None:
        """A conditional write: succeeds when no lock exists or the existing one expired."""
        now = self._clock()
        key = {"pk": {"S": f"lock#{env}#{service}"}, "sk": {"S": "lock"}}

        def put() -> None:
            self._client.put_item(
                TableName=TABLE,
                Item={**key, "owner": {"S": owner}, "expires": {"N": str(now + ttl)}},
                ConditionExpression="attribute_not_exists(pk) OR expires < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )

        try:
            self._call(put)
        except LiftError as exc:
            if "ConditionalCheckFailed" not in exc.message:
                raise
            held = self.lock(env, service)
            who = f"{held.owner}, for {max(0, int(held.expires - now))}s more" if held else "someone"
            raise LockHeld(
                f"{service} in {env} is being deployed by {who}",
                hint=f"wait for it, or if it is stale: git lift unlock -e {env}",
            ) from exc

    def lock(self, env: str, service: str) -> Lock | None:
        answer = self._call(lambda: self._client.get_item(
            TableName=TABLE, Key={"pk": {"S": f"lock#{env}#{service}"}, "sk": {"S": "lock"}},
        ))
        item = answer.get("Item")
        return Lock(item["owner"]["S"], float(item["expires"]["N"])) if item else None

    def release_lock(self, env: str, service: str, owner: str | None) -> bool:
        """Remove the lock (only ours unless owner is None); True when one was removed."""
        extra: dict[str, Any] = {}
        if owner is not None:
            extra = {"ConditionExpression": "#o = :owner",
                     "ExpressionAttributeNames": {"#o": "owner"},
                     "ExpressionAttributeValues": {":owner": {"S": owner}}}
        try:
            answer = self._call(lambda: self._client.delete_item(
                TableName=TABLE, Key={"pk": {"S": f"lock#{env}#{service}"}, "sk": {"S": "lock"}},
                ReturnValues="ALL_OLD", **extra,
            ))
        except LiftError as exc:
            if "ConditionalCheckFailed" in exc.message:
                return False
            raise
        return bool(answer.get("Attributes"))
