"""`git lift cancel` in-process: with nothing in flight it refuses and points at rollback; with a
deployment in flight it stops the ship (or takes its lock), deploys what ran before, waits for
it, and leaves the service unlocked."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import pytest

from git_lift.commands import cancel
from git_lift.errors import ValidationError
from tests.support.fakes import ARN, NEW_IMAGE, FakeDeployment, InProcess, in_process
from tests.support.records import runs

ELSEWHERE = "ci@runner-7 pid 4242 (git lift ship)"
OLD, NEW = ARN.format(1), ARN.format(2)


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def in_flight(box: InProcess, owner: str = ELSEWHERE) -> None:
    """A ship of `owner` rolls out revision 2 as release 3; revision 1 ran before."""
    ecs = box.aws.ecs_of(box.target())
    runs(box, 1, ecs.definitions[OLD]["containerDefinitions"][0]["image"])
    ecs.definitions[NEW] = {**ecs.definitions[OLD], "taskDefinitionArn": NEW}
    ecs.deployments[0].status = "ACTIVE"
    ecs.deployments.append(FakeDeployment("ecs-svc/2", NEW))
    head = box.aws.store.head(box.target())
    head.n, head.owner, head.expires = 3, owner, box.aws.fake_clock() + 600
    head.previous, head.deploying = OLD, NEW


def test_nothing_in_flight_refuses_and_points_at_rollback(box: InProcess) -> None:
    with pytest.raises(ValidationError) as raised:
        cancel.cancel(box.ctx, "staging")
    assert raised.value.message == "no deployment of payments-api in staging is in flight"
    assert raised.value.hint == "to go back to an earlier release: git lift rollback -e staging"
    assert box.aws.ecs_of(box.target()).deployed == []


def test_a_lock_that_deploys_nothing_is_left_alone(box: InProcess) -> None:
    head = box.aws.store.head(box.target())
    head.owner, head.expires = ELSEWHERE, box.aws.fake_clock() + 600  # e.g. config apply
    with pytest.raises(ValidationError) as raised:
        cancel.cancel(box.ctx, "staging")
    assert "which has not started a deployment" in raised.value.message
    assert raised.value.hint == "wait for it; if it is stale: git lift unlock -e staging"
    assert box.aws.store.lock(box.target()) is not None
    assert box.aws.ecs_of(box.target()).deployed == []


def test_cancel_deploys_what_ran_before_and_releases_the_lock(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    in_flight(box)
    assert cancel.cancel(box.ctx, "staging") == 0
    ecs = box.aws.ecs_of(box.target())
    assert ecs.deployed == [OLD]
    assert ecs.running_definition == OLD
    assert box.aws.store.lock(box.target()) is None
    err = capsys.readouterr().err
    assert (
        f"cancelling staging-payments-api:2 (release 3, {ELSEWHERE}); "
        "going back to staging-payments-api:1"
    ) in err
    assert f"removed the deploy lock of {ELSEWHERE}" in err  # a ship elsewhere cannot be told
    done = "cancelled: payments-api in staging runs staging-payments-api:1 again; lock released"
    assert done in err


def test_cancel_while_ecs_already_goes_back_follows_that_deployment(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    in_flight(box)
    ecs = box.aws.ecs_of(box.target())
    ecs.deployments[-1].status = "ACTIVE"  # the circuit breaker brought revision 1 back
    ecs.deployments.append(FakeDeployment("ecs-svc/3", OLD))
    assert cancel.cancel(box.ctx, "staging") == 0
    assert ecs.deployed == []  # no second deployment of the same revision
    assert ecs.running_definition == OLD
    assert "ECS is already going back to staging-payments-api:1" in capsys.readouterr().err
    assert box.aws.store.lock(box.target()) is None


def test_a_ship_running_on_this_host_is_told_to_stop(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    ship = subprocess.Popen(["sleep", "30"])
    try:
        in_flight(box, f"dev@{socket.gethostname()} pid {ship.pid} (git lift ship)")
        assert cancel.cancel(box.ctx, "staging") == 0
        assert ship.wait(timeout=10) == -signal.SIGTERM
    finally:
        ship.kill()
        ship.wait()
    assert box.aws.store.lock(box.target()) is None
    assert box.aws.ecs_of(box.target()).running_definition == OLD


def test_cancel_in_one_environment_leaves_the_other_alone(box: InProcess) -> None:
    in_flight(box)
    runs(box, 2, NEW_IMAGE, env="production")
    with pytest.raises(ValidationError):
        cancel.cancel(box.ctx, "production")
    assert box.aws.store.lock(box.target()) is not None  # staging's ship goes on
