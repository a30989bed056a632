"""Read typed fields out of parsed JSON, collecting every problem with its JSON path; pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Checker:
    """Reads typed fields out of JSON objects, recording problems instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def failed(self, *paths: str) -> bool:
        """Whether a problem was already recorded at or under one of the paths."""
        return any(
            p.startswith(f"{path}:") or p.startswith(f"{path}.")
            for p in self.problems
            for path in paths
        )

    def fields(
        self, value: object, path: str, known: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, object] | None:
        if not isinstance(value, dict):
            self.add(path, f"expected an object, got {kind(value)}")
            return None
        for key in value:
            if key not in known:
                self.add(f"{path}.{key}", f"unknown field (known: {', '.join(known)})")
        for key in required:
            if key not in value:
                self.add(f"{path}.{key}", "required field is missing")
        return {str(k): v for k, v in value.items()}

    def integer(
        self, obj: dict[str, object], key: str, path: str, default: int, low: int, high: int
    ) -> int:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{path}.{key}", f"expected an integer, got {kind(value)}")
            return default
        if not low <= value <= high:
            self.add(f"{path}.{key}", f"{value} is out of range {low}-{high}")
        return value

    def boolean(self, obj: dict[str, object], key: str, path: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"expected true or false, got {kind(value)}")
            return default
        return value

    def string(self, obj: dict[str, object], key: str, path: str, default: str) -> str:
        value = obj.get(key, default)
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"expected a string, got {kind(value)}")
            return default
        return value

    def string_or_null(self, obj: dict[str, object], key: str, path: str) -> str | None:
        return None if obj.get(key) is None else self.string(obj, key, path, "")

    def strings(
        self, obj: dict[str, object], key: str, path: str, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        value = obj.get(key, list(default))
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"expected an array of strings, got {kind(value)}")
            return default
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        for i in bad:
            self.add(f"{path}.{key}[{i}]", f"expected a string, got {kind(value[i])}")
        return default if bad else tuple(value)

    def command(self, obj: dict[str, object], path: str, example: str) -> tuple[str, ...]:
        """A required `command` (a job's, a process's): a non-empty array of strings; empty
        when it is missing (`fields` said so) or wrong (said here)."""
        value = obj.get("command")
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        if "command" in obj:
            self.add(
                f"{path}.command",
                f"expected a non-empty array of strings like {example}, got {kind(value)}",
            )
        return ()

    def pattern(self, path: str, value: str | None, regex: re.Pattern[str], example: str) -> None:
        if value is not None and not self.failed(path) and not regex.match(value):
            self.add(path, f"{value!r} does not look like {example}")

    def optional(
        self, obj: dict[str, object], key: str, read: Callable[[Checker, object, str], T | None]
    ) -> T | None:
        """Absent or null means "not configured" (no load balancer, no autoscaling)."""
        value = obj.get(key)
        return None if value is None else read(self, value, f"$.{key}")


def kind(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    return names.get(type(value), "object" if isinstance(value, dict) else type(value).__name__)
