"""Reading the files git lift keeps under `.git/lift/`: journals of applies in flight, kept
edits, release records AWS would not take. They are written whole (a temporary file renamed
over), yet a full disk, a copy between machines or a hand edit can leave one empty, torn or
not UTF-8. Such a file must not stop every later command with a crash: it is moved aside
(kept, as it may hold the only copy of a value; a rename keeps its 0600) and named."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from git_lift import ui

T = TypeVar("T")


class Damaged(ValueError):
    """A local file that is not in the form its reader expects."""


def read_local(path: Path, parse: Callable[[str], T], *, lost: str) -> T | None:
    """The file parsed by `parse` (which raises ValueError, KeyError or TypeError on a file it
    cannot read), or None when there is none or it was damaged and moved aside. `lost` says
    what the user lacks now and what to do, for the warning."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        if not raw.strip():
            raise Damaged("empty")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Damaged("not UTF-8 text") from exc
        return parse(text)
    except (ValueError, KeyError, TypeError) as exc:
        # Never the parser's own message: it may quote the file, and the file holds values.
        reason = str(exc) if isinstance(exc, Damaged) else "torn or not in the expected form"
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        with contextlib.suppress(FileNotFoundError):  # another process moved it first
            os.replace(path, aside)
        ui.warn(f"{path} is damaged ({reason}); moved aside to {aside.name}: {lost}")
        return None


def json_object(text: str) -> dict[str, Any]:
    """A JSON object, or Damaged (a torn file may still parse: `1`, `[]`)."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise Damaged("not a JSON object")
    return document
