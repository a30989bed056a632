"""The mechanics of the DynamoDB table `git-lift`: requests, creation on first use, paging,
and conditional writes whose failed condition is a typed answer, never a matched message.

One table, keys `pk` and `sk`. It is created on first use (on-demand billing), so a new
account needs no setup step. `Store` (aws/store.py) says what the items mean.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from git_lift.aws.clients import translate_errors
from git_lift.errors import LiftError
from git_lift.target import TABLE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")

# BatchGetItem reads at most 100 keys a request ("Too many items requested" beyond: KeyList
# max 100 in botocore's dynamodb model) and may leave some unread (UnprocessedKeys: over 16 MB,
# throttled), to be asked again with exponential backoff (its documentation, same model).
BATCH_GET_KEYS = 100
BATCH_GET_TRIES = 5
BATCH_GET_PAUSE = 0.05  # seconds before the first retry, doubled each time


class ConditionFailed(Exception):
    """A conditional write's condition did not hold (a plain or a transactional write).
    Callers turn it into what it means: Conflict, LockHeld, LockLost, or just False."""


class Table:
    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client

    def _call(self, action: Callable[[], T]) -> T:
        """Run a request; create the table and retry once when it does not exist yet."""
        with translate_errors(f"using DynamoDB table {TABLE}"):
            try:
                return self._once(action)
            except self._client.exceptions.ResourceNotFoundException:
                self._create_table()
                return self._once(action)

    def _read(self, action: Callable[[], T]) -> T | None:
        """Run a read; None when the table does not exist (a hook's read creates nothing)."""
        with translate_errors(f"using DynamoDB table {TABLE}"):
            try:
                return action()
            except self._client.exceptions.ResourceNotFoundException:
                return None

    def _once(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            raise ConditionFailed() from exc
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            if any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
                raise ConditionFailed() from exc
            raise

    def _written(self, action: Callable[[], object]) -> bool:
        """A conditional write: True when written, False when its condition did not hold."""
        try:
            self._call(action)
        except ConditionFailed:
            return False
        return True

    def _newest_items(self, pk: str, sk_prefix: str, limit: int) -> list[dict[str, Any]]:
        """The items of one partition whose sort keys start with a prefix, newest (highest
        sort key) first."""
        answer = self._call(
            lambda: self._client.query(
                TableName=TABLE,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": sk_prefix}},
                ScanIndexForward=False,
                Limit=limit,
            )
        )
        return list(answer.get("Items", []))

    def _newest(self, pk: str, sk_prefix: str, limit: int) -> list[dict[str, Any]]:
        """The JSON documents of `_newest_items`."""
        return [json.loads(item["doc"]["S"]) for item in self._newest_items(pk, sk_prefix, limit)]

    def _partition(self, pk: str, sk_prefix: str = "") -> list[dict[str, Any]]:
        """Every document of one partition (whose sort keys start with a prefix), in sort-key
        order, page by page."""
        condition = "pk = :pk AND begins_with(sk, :prefix)" if sk_prefix else "pk = :pk"
        values = {":pk": {"S": pk}} | ({":prefix": {"S": sk_prefix}} if sk_prefix else {})

        def pages() -> Iterator[dict[str, Any]]:
            paginator = self._client.get_paginator("query")
            for page in paginator.paginate(
                TableName=TABLE,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
            ):
                yield from page.get("Items", [])

        return self._call(lambda: [json.loads(item["doc"]["S"]) for item in pages()])

    def _batch_items(
        self, keys: Sequence[dict[str, Any]], projection: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The items of `keys` that exist (their `projection` attributes alone), in no order:
        one BatchGetItem per 100 keys, unread keys asked again after a pause."""
        names = {f"#a{n}": name for n, name in enumerate(projection)}
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_KEYS):
            asking: list[dict[str, Any]] = list(keys[start : start + BATCH_GET_KEYS])
            for attempt in range(BATCH_GET_TRIES):
                if attempt:
                    time.sleep(BATCH_GET_PAUSE * 2 ** (attempt - 1))
                answer = self._batch_get(asking, names)
                if answer is None:
                    return []  # no table yet: nothing was ever saved, and a read creates none
                responses: dict[str, list[dict[str, Any]]] = dict(answer.get("Responses", {}))
                found += responses.get(TABLE, [])
                unread: dict[str, Any] = dict(answer.get("UnprocessedKeys", {}))
                asking = list(unread.get(TABLE, {}).get("Keys", []))
                if not asking:
                    break
            if asking:
                raise LiftError(
                    f"DynamoDB left {len(asking)} of table {TABLE}'s items unread "
                    f"after {BATCH_GET_TRIES} tries (throttled)",
                    hint="try again in a minute",
                )
        return found

    def _batch_get(
        self, keys: list[dict[str, Any]], names: dict[str, str]
    ) -> dict[str, Any] | None:
        """One BatchGetItem of `keys`, projected on `names`; None when there is no table."""
        request: dict[str, Any] = {
            TABLE: {
                "Keys": keys,
                "ProjectionExpression": ", ".join(names),
                "ExpressionAttributeNames": names,
            }
        }
        answer = self._read(lambda: self._client.batch_get_item(RequestItems=request))
        return dict(answer) if answer is not None else None

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
