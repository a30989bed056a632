"""ship tells a blue/green, canary or linear deployment's traffic shift as ECS reports it
(DescribeServiceDeployments: lifecycle stage, production traffic weight, alarms), on the
in-memory fakes; a rolling update never asks; `cancel` mid-shift has ECS roll it back
(StopServiceDeployment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.aws.ecs import TrafficShift, parse_shift
from git_lift.commands import cancel
from git_lift.flows.deploy import shift_text
from tests.support.fakes import (
    ARN,
    FakeDeployment,
    InProcess,
    behaves,
    in_process,
    ship,
    world,
)
from tests.support.records import runs

pytestmark = pytest.mark.fast

ALARMS = ("lift-staging-payments-api-5xx-rate", "lift-staging-payments-api-unhealthy-hosts")


def raw(stage: str, weight: float, **alarms: object) -> dict[str, object]:
    """A ServiceDeployment as botocore's ecs model shapes it."""
    return {
        "serviceDeploymentArn": "arn:aws:ecs:eu-west-1:123456789012:service-deployment/c/s/1",
        "status": "IN_PROGRESS",
        "lifecycleStage": stage,
        "targetServiceRevision": {"requestedProductionTrafficWeight": weight},
        "deploymentConfiguration": {
            "strategy": "CANARY",
            "bakeTimeInMinutes": 3,
            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
        },
        "alarms": {"status": "MONITORING", "alarmNames": list(ALARMS), **alarms},
    }


@pytest.mark.parametrize(
    ("answer", "told"),
    [
        (raw("SCALE_UP", 0.0), "canary 0%: starting the new revision, 2 alarms green"),
        (raw("PRODUCTION_TRAFFIC_SHIFT", 10.0), "canary 10%: baking 5 min, 2 alarms green"),
        (raw("BAKE_TIME", 100.0), "canary 100%: baking 3 min, 2 alarms green"),
        (
            raw(
                "PRODUCTION_TRAFFIC_SHIFT",
                10.0,
                status="TRIGGERED",
                triggeredAlarmNames=[ALARMS[0]],
            ),
            f"canary 10%: baking 5 min, alarm {ALARMS[0]} fired",
        ),
        (raw("CLEAN_UP", 100.0, status="DISABLED"), "canary 100%: clean up, no alarms"),
    ],
)
def test_what_ship_says_of_each_stage(answer: dict[str, object], told: str) -> None:
    assert shift_text(parse_shift(answer)) == told


def test_linear_and_blue_green_are_named_as_the_config_names_them() -> None:
    shift = TrafficShift("LINEAR", "PRODUCTION_TRAFFIC_SHIFT", 40.0, 0, (), ())
    assert shift_text(shift) == "linear 40%: production traffic shift, no alarms"
    shift = TrafficShift("BLUE_GREEN", "BAKE_TIME", 100.0, 15, ("api-p99",), ())
    assert shift_text(shift) == "blue/green 100%: baking 15 min, 1 alarm green"


def test_ship_tells_each_new_stage_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    w.ecs.strategy = "CANARY"
    stages = iter(
        [raw("SCALE_UP", 0.0), raw("PRODUCTION_TRAFFIC_SHIFT", 10.0), raw("BAKE_TIME", 100.0)]
    )
    shifts: list[TrafficShift] = []

    def on_poll(polls: int) -> None:
        shifts.append(parse_shift(next(stages, raw("BAKE_TIME", 100.0))))
        w.ecs.shift = shifts[-1]

    w.ecs.on_poll = on_poll
    assert ship(w) == 0
    said = [line.strip() for line in capsys.readouterr().err.splitlines()]
    told = [line for line in said if line.startswith("canary ")]
    assert told == sorted(set(told), key=told.index)  # each once
    assert "canary 10%: baking 5 min, 2 alarms green" in told


def test_a_rolling_update_never_asks_for_service_deployments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    w.ecs.shift = TrafficShift("CANARY", "BAKE_TIME", 100.0, 1, (), ())
    assert ship(w) == 0
    assert "canary" not in capsys.readouterr().err


def mid_canary(tmp_path: Path) -> InProcess:
    """A ship elsewhere has revision 2 at its canary step; revision 1 ran before."""
    box = in_process(tmp_path)
    ecs = box.aws.ecs_of(box.target())
    old, new = ARN.format(1), ARN.format(2)
    runs(box, 1, ecs.definitions[old]["containerDefinitions"][0]["image"])
    ecs.definitions[new] = {**ecs.definitions[old], "taskDefinitionArn": new}
    ecs.deployments[0].status = "ACTIVE"
    ecs.deployments.append(FakeDeployment("ecs-svc/2", new))  # a canary at 10%
    ecs.strategy = "CANARY"
    head = box.aws.store.head(box.target())
    head.n, head.owner, head.expires = 2, "ci@runner-7 pid 4242 (git lift ship)", 10**10
    head.previous, head.deploying = old, new
    return box


def test_cancel_mid_shift_has_ecs_move_traffic_back_instead_of_a_new_deployment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = mid_canary(tmp_path)
    ecs = box.aws.ecs_of(box.target())
    old = ARN.format(1)

    assert cancel.cancel(box.ctx, "staging") == 0

    assert ecs.stopped_shifts == 1 and ecs.deployed == []  # no canary of the old revision
    assert ecs.running_definition == old
    err = capsys.readouterr().err
    assert "stopped the traffic shift: ECS moves traffic back to staging-payments-api:1" in err
    assert box.aws.store.lock(box.target()) is None


def test_cancel_mid_shift_deploys_what_ran_before_when_ecs_refuses_to_stop_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = mid_canary(tmp_path)
    ecs = box.aws.ecs_of(box.target())
    ecs.stop_refused = True

    assert cancel.cancel(box.ctx, "staging") == 0

    assert ecs.deployed == [ARN.format(1)] and ecs.running_definition == ARN.format(1)
    err = capsys.readouterr().err
    assert "could not stop the traffic shift (AccessDeniedException" in err
    assert box.aws.store.lock(box.target()) is None
