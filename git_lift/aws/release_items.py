"""How a release record is stored in the table: one item, well below DynamoDB's 400 KB item
limit (git_lift/limits.py). A record whose config versions would take it past ITEM_BUDGET
(thousands of long key names) keeps them beside it, in parts of at most ITEM_BUDGET each,
written in the same transaction, as a large config snapshot is split into secrets.

The parts' sort keys (`Target.release_config_prefix`) do not start with a digit, so listing
the records (sort keys: the number, ten digits) never meets them; the record's item says how many
parts it has in its own attribute, outside the JSON document, so a reader that knows nothing
of parts still reads the record (without its config versions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from git_lift import limits
from git_lift.target import TABLE, Target

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PARTS = "config_parts"


def record_sk(number: int) -> str:
    return f"{number:010d}"


def _document(value: object) -> dict[str, Any]:
    return {"S": limits.compact_json(value)}


def split(versions: dict[str, int], budget: int = limits.ITEM_BUDGET) -> list[dict[str, int]]:
    """Keys in order, into as few documents of at most `budget` bytes as it takes."""
    parts: list[dict[str, int]] = [{}]
    size = 2  # the braces
    for key in sorted(versions):
        entry = limits.json_size({key: versions[key]})  # the entry, its braces for a comma
        if parts[-1] and size + entry > budget:
            parts.append({})
            size = 2
        parts[-1][key] = versions[key]
        size += entry
    return parts


def items(target: Target, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of one record (`doc`: the Release as a dict), the record's own first."""
    number = int(doc["number"])
    key = {"pk": {"S": target.release_key}}
    if limits.json_size(doc) <= limits.ITEM_BUDGET:
        return [{**key, "sk": {"S": record_sk(number)}, "doc": _document(doc)}]
    parts = split(doc["config_versions"])
    record = {
        **key,
        "sk": {"S": record_sk(number)},
        "doc": _document({**doc, "config_versions": {}}),
        PARTS: {"N": str(len(parts))},
    }
    return [record] + [
        {
            **key,
            "sk": {"S": f"{target.release_config_prefix(number)}{n:04d}"},
            "doc": _document(part),
        }
        for n, part in enumerate(parts, start=1)
    ]


def puts(target: Target, doc: dict[str, Any]) -> list[TransactWriteItemTypeDef]:
    """The record's items as TransactWriteItems' Put actions."""
    return [{"Put": {"TableName": TABLE, "Item": item}} for item in items(target, doc)]


def parts_of(item: dict[str, Any]) -> int:
    """How many parts hold a stored record's config versions (0: it holds them itself)."""
    return int(item.get(PARTS, {}).get("N", "0"))
