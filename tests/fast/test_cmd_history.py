"""`git lift history` in-process: the list a user reads before a rollback, newest first, with
what became of each release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift.commands import status
from git_lift.options import Options
from tests.support.fakes import NEW_IMAGE, InProcess, in_process
from tests.support.records import record


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def test_history_lists_newest_first_with_what_each_release_was(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    head = box.ctx.repo.resolve("HEAD")
    record(box, 1)
    record(box, 2, outcome="failed", revision=2)
    record(box, 3, rolled_back_from=2)
    record(box, 4, dirty="d1f7", outcome="unverified")
    assert status.history(box.ctx, "staging") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["4", "3", "2", "1"]
    assert all(f"  {head[:12]}  " in line for line in lines)
    assert lines[0].endswith("Dana Dev  (unverified, dirty d1f7)")
    assert lines[1].endswith("Dana Dev  (rollback of 2)")
    assert lines[2].endswith("Dana Dev  (failed)")
    assert lines[3].endswith("Dana Dev")  # a plain release has no notes


def test_history_of_a_service_never_released_says_so_on_stderr(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status.history(box.ctx, "production") == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "no releases of payments-api in production yet" in err


def test_history_as_json_keeps_every_field_of_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, options=Options(output="json"))
    record(box, 1, config_versions={"API_TOKEN": 3})
    record(box, 2, rolled_back_from=1, image=NEW_IMAGE)
    assert status.history(box.ctx, "staging") == 0
    found = json.loads(capsys.readouterr().out)
    assert [r["number"] for r in found] == [2, 1]
    assert found[0]["rolled_back_from"] == 1 and found[0]["image"] == NEW_IMAGE
    assert found[1]["config_versions"] == {"API_TOKEN": 3}
