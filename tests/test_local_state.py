"""Damaged files under .git/lift/ (an empty journal, a kept edit that is not UTF-8, a torn
unrecorded release record): the command goes on, moves the file aside and names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from tests.support.helpers import Lift


def state_dir(lift: Lift) -> Path:
    folder = lift.cwd / ".git" / "lift"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def stored() -> dict[str, str]:
    params = boto3.client("ssm", region_name="eu-west-1").get_parameters_by_path(
        Path="/staging/payments-api", WithDecryption=True
    )["Parameters"]
    return {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in params}


def moved_aside(damaged: Path, stderr: str) -> None:
    """The damaged file is gone from its place, kept beside it, and both are named."""
    aside = list(damaged.parent.glob(damaged.name + ".damaged*"))
    assert not damaged.exists() and len(aside) == 1, list(damaged.parent.iterdir())
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert f"{damaged.name} is damaged" in stderr and aside[0].name in stderr, stderr


def test_an_empty_journal_is_moved_aside_and_the_write_goes_on(aws: Any, lift: Lift) -> None:
    journal = state_dir(lift) / "config-apply-staging.payments-api.999999.json"
    journal.write_text("")
    result = lift("config", "set", "-e", "staging", "A=1")
    assert result.returncode == 0, result.stderr
    moved_aside(journal, result.stderr)
    assert stored() == {"A": "1"}


def test_a_kept_edit_that_is_not_utf8_is_moved_aside(aws: Any, lift: Lift) -> None:
    kept = state_dir(lift) / "config-edit-staging.payments-api.env"
    kept.write_bytes(b"# git-lift-resume: changes\nA=\xff\xfe\n")
    result = lift("config", "set", "-e", "staging", "A=1")
    assert result.returncode == 0, result.stderr
    moved_aside(kept, result.stderr)
    assert "unfinished edit" not in result.stderr
    assert stored() == {"A": "1"}


def test_discard_always_clears_a_damaged_kept_edit(aws: Any, lift: Lift) -> None:
    kept = state_dir(lift) / "config-edit-staging.payments-api.env"
    kept.write_bytes(b"\xff\xfe\x00")
    result = lift("config", "edit", "-e", "staging", "--discard")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert not kept.exists() and not list(kept.parent.glob(kept.name + "*"))
    assert "discarded the unfinished edit" in result.stderr


def test_a_torn_unrecorded_release_is_moved_aside(aws: Any, lift: Lift) -> None:
    record = state_dir(lift) / "unrecorded-staging.payments-api.json"
    record.write_text('{"number": 2, "commit": "ab')
    result = lift("ship", "-e", "staging", "--record-only")
    assert result.returncode == 1, result.stderr
    moved_aside(record, result.stderr)
    assert "no unrecorded release of payments-api in staging" in result.stderr
