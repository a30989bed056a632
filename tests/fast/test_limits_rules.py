"""AWS's limits that git lift checks before any request (limits.py): the boundary of each
check (exactly at the limit passes, one over is refused), and the refusal names the limit,
the size and what to do, without quoting a name of any length whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import limits
from git_lift.errors import UsageError, ValidationError


def test_a_task_definition_at_64_kib_passes_and_one_byte_more_is_refused() -> None:
    limits.check_task_definition(64 * 1024, "api in staging", secrets=10)
    with pytest.raises(ValidationError) as err:
        limits.check_task_definition(64 * 1024 + 1, "api in staging", secrets=812)
    assert err.value.message == (
        "the task definition of api in staging would be 65,537 bytes, over ECS's 65,536-byte "
        "(64 KiB) limit; it has 812 secrets, one per env.sample key; nothing was built or changed"
    )
    assert err.value.hint and "one secret instead of many" in err.value.hint


def test_a_name_at_its_limit_passes_and_one_longer_is_refused_naming_the_fix() -> None:
    limits.check_name_lengths([("the stack", "s" * 128, 128)], fix="shorter")
    with pytest.raises(UsageError) as err:
        limits.check_name_lengths(
            [("the stack", "s" * 10, 128), ("the role", "r" * 65, 64)], fix="use a shorter name"
        )
    assert err.value.message == f"the role {'r' * 60!r}... would be 65 characters; AWS allows 64"
    assert err.value.hint == "use a shorter name"


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=5000))
def test_a_refused_name_is_shown_at_most_sixty_characters_long(name: str) -> None:
    try:
        limits.check_name_lengths([("the log group", name, 0)], fix="x")
    except UsageError as err:
        shown = repr(name[:60]) + ("..." if len(name) > 60 else "")
        assert err.message == f"the log group {shown} would be {len(name)} characters; AWS allows 0"


def test_the_size_counted_is_the_compact_json_sent() -> None:
    document = {"b": [1, 2], "a": {"c": "é"}}
    assert limits.json_size(document) == len(b'{"a":{"c":"\\u00e9"},"b":[1,2]}')
    assert limits.json_size({"a": 1, "b": 2}) == limits.json_size({"b": 2, "a": 1})
