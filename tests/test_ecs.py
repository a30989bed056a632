"""Reading ECS deployments as the ECS API returns them (pure parsing, no AWS)."""

from __future__ import annotations

import pytest

from git_lift.aws.ecs import parse_deployment

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def test_rollout_state_is_taken_as_ecs_reports_it() -> None:
    raw = {"id": "ecs-svc/1", "rolloutState": "FAILED", "runningCount": 2, "desiredCount": 2}
    assert parse_deployment(raw, alone=True).rollout_state == "FAILED"


def test_without_rollout_state_a_deployment_is_done_only_alone_at_its_desired_count() -> None:
    raw = {"id": "ecs-svc/1", "status": "PRIMARY", "runningCount": 2, "desiredCount": 2}
    assert parse_deployment(raw, alone=True).rollout_state == "COMPLETED"
    assert parse_deployment(raw, alone=False).rollout_state == "IN_PROGRESS"  # old tasks still run
    starting = {**raw, "runningCount": 1}
    assert parse_deployment(starting, alone=True).rollout_state == "IN_PROGRESS"
