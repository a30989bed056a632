"""`git lift ship --record-only` in-process (flows/rollout.py): the record a ship kept on this
machine when AWS would not take it is written to the table, then tagged when the release ran
from a committed tree; nothing kept, or a kept file that cannot be read, says where to look."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from git_lift.aws.store import Release
from git_lift.errors import ValidationError
from git_lift.flows import rollout
from git_lift.options import Options
from tests.support.fakes import ARN, NEW_IMAGE, InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def kept(box: InProcess, number: int = 3, **more: object) -> Release:
    """What a ship whose record AWS refused left under .git/lift/."""
    record = Release(
        number=number,
        env="staging",
        service="payments-api",
        commit=box.ctx.repo.head_sha(),
        image=NEW_IMAGE,
        task_definition=ARN.format(2),
        deployed_by="Dana Dev",
        deployed_at=1_700_000_000.0,
        **more,  # type: ignore[arg-type]
    )
    path = rollout.pending_path(box.ctx, box.target())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(record)))
    return record


def tags(box: InProcess) -> list[str]:
    return box.git.git("tag", "-l", "lift/*").stdout.split()


def test_nothing_kept_says_where_to_see_what_runs(box: InProcess) -> None:
    with pytest.raises(ValidationError) as raised:
        rollout.record_only(box.ctx, box.target())
    assert raised.value.message == (
        "no unrecorded release of payments-api in staging on this machine"
    )
    assert raised.value.hint == "see what runs: git lift status -e staging"


def test_a_kept_release_is_recorded_tagged_and_forgotten(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record = kept(box)
    assert rollout.record_only(box.ctx, box.target()) == 0
    assert box.aws.store.releases(box.target()) == [record]
    assert tags(box) == ["lift/staging/payments-api/3"]
    assert not rollout.pending_path(box.ctx, box.target()).exists()
    assert "recorded release 3 of payments-api in staging (released)" in capsys.readouterr().err
    with pytest.raises(ValidationError):  # once
        rollout.record_only(box.ctx, box.target())


@pytest.mark.parametrize(
    "more", [{"outcome": "failed"}, {"dirty": "d1ff"}], ids=["failed", "dirty build"]
)
def test_a_release_that_failed_or_was_built_dirty_is_recorded_untagged(
    box: InProcess, more: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    kept(box, 4, **more)
    rollout.record_only(box.ctx, box.target())
    [found] = box.aws.store.releases(box.target())
    assert found.number == 4 and tags(box) == []
    assert f"recorded release 4 of payments-api in staging ({found.outcome})" in (
        capsys.readouterr().err
    )


def test_a_torn_kept_file_is_moved_aside_with_where_the_history_is(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    path = rollout.pending_path(box.ctx, box.target())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text('{"number": 3, "env": ')
    with pytest.raises(ValidationError):  # nothing left to record
        rollout.record_only(box.ctx, box.target())
    err = capsys.readouterr().err
    assert "is damaged (torn or not in the expected form); moved aside to " in err
    assert "check the release history: git lift history -e staging" in err
    assert not path.exists()
    assert [p.name.split(".damaged-")[0] for p in path.parent.glob("*.damaged-*")] == [path.name]
    assert box.aws.store.releases(box.target()) == []


def test_json_output_is_the_release_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, options=Options(output="json"))
    record = kept(box)
    rollout.report(box.ctx, record)
    assert json.loads(capsys.readouterr().out) == asdict(record)
    text = in_process(tmp_path / "text")
    rollout.report(text.ctx, record)
    assert capsys.readouterr().out == ""
