"""git_lift/records.py: the hooks' value classes behave as the dataclasses they replace, and
loading them does not load the dataclasses module (issue 22: a hook at the process floor)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from git_lift.records import FrozenError, field, record, replace

pytestmark = pytest.mark.fast


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    note: str = field(default="", repr=False)


@record
class Counter:
    name: str
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.seen.append("made")


@record(frozen=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


def test_init_takes_fields_in_order_with_defaults_and_factories() -> None:
    one, two = Point(1), Point(1)
    assert (one.x, one.y, one.tags, one.note) == (1, 0, {}, "")
    assert one.tags is not two.tags  # a fresh dict for each, as default_factory gives
    assert Point(1, 2).y == 2 and Point(x=3, y=4).x == 3
    assert Counter("a").seen == ["made"]
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)


@pytest.mark.parametrize(
    "call",
    [lambda: Point(), lambda: Point(1, 2, {}, "", 5), lambda: Point(1, x=2), lambda: Point(1, z=3)],
)
def test_wrong_arguments_are_a_type_error(call: object) -> None:
    with pytest.raises(TypeError):
        call()  # type: ignore[operator]


def test_repr_eq_and_hash_as_a_dataclass_gives_them() -> None:
    assert repr(Point(1, 2, note="hidden")) == "Point(x=1, y=2, tags={})"
    assert Point(1) == Point(1) and Point(1) != Point(2)
    assert Point(1) != (1, 0, {}, "")  # only the same class compares equal
    assert len({Checked(1), Checked(1), Checked(2)}) == 2
    with pytest.raises(TypeError):
        hash(Counter("a"))  # not frozen: not hashable, as a dataclass


def test_a_frozen_record_cannot_be_changed_but_copied() -> None:
    point = Point(1)
    with pytest.raises(FrozenError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del point.y  # type: ignore[misc]
    assert replace(point, y=5) == Point(1, 5)
    counter = Counter("a")
    counter.name = "b"  # not frozen
    assert counter.name == "b"


def test_the_dataclasses_module_works_on_records() -> None:
    point = Point(1, 2)
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "tags", "note"]
    assert dataclasses.replace(point, x=7) == Point(7, 2)
    assert dataclasses.asdict(point) == {"x": 1, "y": 2, "tags": {}, "note": ""}


def test_a_mutable_default_and_a_required_field_after_a_default_are_refused() -> None:
    with pytest.raises(ValueError, match="default_factory"):

        @record
        class Bad:
            items: list[str] = []  # noqa: RUF012

    with pytest.raises(TypeError, match=r"records\.field"):

        @record
        class Mixed:
            items: list[str] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="follows"):

        @record
        class Late:
            first: int = 0
            second: int  # type: ignore[misc]


def test_loading_records_and_the_hooks_classes_leaves_dataclasses_unloaded() -> None:
    code = (
        "import sys\nimport git_lift.records, git_lift.settings, git_lift.target\n"
        "import git_lift.flows.context, git_lift.commands.hook_checks\n"
        "print('dataclasses' in sys.modules, 'inspect' in sys.modules)\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False False", loaded.stderr
