"""`git lift rollback` in-process: which release it goes back to, what it records (a new release
that names the one it undid), and when it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.commands import rollback
from git_lift.errors import DeployFailed
from tests.support.fakes import ARN, NEW_IMAGE, OLD_IMAGE, InProcess, in_process
from tests.support.records import record, runs

TIMEOUT = 60.0


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def two_releases(box: InProcess) -> None:
    """Release 1 ran revision 1 (OLD_IMAGE); release 2, revision 2 (NEW_IMAGE), runs now."""
    record(box, 1)
    record(box, 2, image=NEW_IMAGE, revision=2)
    runs(box, 2, NEW_IMAGE)
    box.aws.ecs_of(box.target()).definitions[ARN.format(1)] = {
        "taskDefinitionArn": ARN.format(1),
        "containerDefinitions": [{"name": "payments-api", "image": OLD_IMAGE}],
    }


def test_rollback_deploys_the_previous_release_and_records_it_as_a_new_one(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    two_releases(box)
    assert rollback.roll_back(box.ctx, box.target(), None, TIMEOUT) == 0
    assert box.aws.ecs_of(box.target()).deployed == [ARN.format(1)]
    newest = box.aws.store.releases(box.target())[0]
    assert newest.number == 3
    assert newest.rolled_back_from == 2
    assert newest.task_definition == ARN.format(1) and newest.image == OLD_IMAGE
    assert newest.outcome == "released"
    assert box.aws.store.lock(box.target()) is None
    err = capsys.readouterr().err
    assert "back from release 2 to release 1" in err
    assert "rolled back code (config is not pinned): release 3 runs" in err
    assert "lift/staging/payments-api/3" in err


def test_rollback_skips_releases_of_the_same_task_definition(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    two_releases(box)
    record(box, 3, image=NEW_IMAGE, revision=2)  # a re-ship of what runs
    rollback.roll_back(box.ctx, box.target(), None, TIMEOUT)
    assert box.aws.ecs_of(box.target()).deployed == [ARN.format(1)]
    assert box.aws.store.releases(box.target())[0].rolled_back_from == 3


def test_rollback_to_a_chosen_release(box: InProcess, capsys: pytest.CaptureFixture[str]) -> None:
    two_releases(box)
    record(box, 3, image=NEW_IMAGE, revision=2)
    rollback.roll_back(box.ctx, box.target(), 1, TIMEOUT)
    assert box.aws.store.releases(box.target())[0].number == 4


def test_rollback_never_goes_back_to_a_failed_release(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1, revision=3, outcome="failed")
    record(box, 2, image=NEW_IMAGE, revision=2)
    runs(box, 2, NEW_IMAGE)
    with pytest.raises(DeployFailed) as raised:
        rollback.roll_back(box.ctx, box.target(), None, TIMEOUT)
    assert raised.value.message == "release 2 is the only one of payments-api in staging"
    assert box.aws.ecs_of(box.target()).deployed == []
    with pytest.raises(DeployFailed) as asked:
        rollback.roll_back(box.ctx, box.target(), 1, TIMEOUT)
    assert asked.value.message == "there is no successful release 1 of payments-api in staging"
    assert asked.value.hint == "list them: git lift history -e staging"


def test_rollback_without_any_release_says_to_ship_one(box: InProcess) -> None:
    with pytest.raises(DeployFailed) as raised:
        rollback.roll_back(box.ctx, box.target("production"), None, TIMEOUT)
    assert raised.value.message == "payments-api has no releases in production to roll back"
    assert raised.value.hint == "ship one: git lift ship -e production"
    assert box.aws.store.releases(box.target("production")) == []


def test_rollback_to_what_runs_already_changes_nothing(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1)
    record(box, 2, image=NEW_IMAGE, revision=2)  # recorded, but ECS still runs revision 1
    assert rollback.roll_back(box.ctx, box.target(), None, TIMEOUT) == 0
    assert "release 1 (staging-payments-api:1) is what runs already" in capsys.readouterr().err
    assert box.aws.ecs_of(box.target()).deployed == []
    assert len(box.aws.store.releases(box.target())) == 2  # nothing recorded
