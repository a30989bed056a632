"""`git lift ship` of a canary release end to end (issue 21): real git, buildah, a real
registry, moto's server over HTTP and the sandbox's rollout simulator, which shifts traffic
and fires an alarm on the LIFT_SANDBOX_ALARM switch. ship tells the shift as it happens, and
the alarm rolls the release back."""

from __future__ import annotations

from typing import Any

import boto3

from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]

ALARM = "lift-staging-payments-api-5xx-rate"
# What the service stack gives ECS for {"strategy": "canary", "canary": {"percent": 10,
# "bake_minutes": 2}, "bake_minutes": 1, "alarms": "generated"} (templates/strategy.py).
CANARY = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "strategy": "CANARY",
    "bakeTimeInMinutes": 1,
    "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2},
    "alarms": {
        "alarmNames": [ALARM, "lift-staging-payments-api-unhealthy-hosts"],
        "enable": True,
        "rollback": True,
    },
}


def canary_service() -> None:
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    ecs.update_service(
        cluster="lift-staging", service="payments-api", deploymentConfiguration=CANARY
    )


def shift_lines(stderr: str) -> list[str]:
    """What ship told of the traffic shift (read from ECS's service deployments)."""
    return [line.strip() for line in stderr.splitlines() if line.startswith("  canary ")]


def test_a_canary_ship_shows_the_shift_and_an_alarm_rolls_it_back(
    shipping: GitRepo, lift: Lift
) -> None:
    canary_service()
    first = lift("ship", "-e", "staging")
    assert first.returncode == 0, first.stderr
    assert shift_lines(first.stderr) == [
        "canary 0%: starting the new revision, 2 alarms green",
        "canary 10%: baking 2 min, 2 alarms green",
        "canary 100%: baking 1 min, 2 alarms green",
    ]
    good = running_task_definition("staging")["taskDefinitionArn"]

    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/staging/payments-api/LIFT_SANDBOX_ALARM", Value="1", Type="SecureString"
    )
    shipping.write("env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_ALARM=1\n")
    shipping.commit("A release the 5xx alarm catches")
    second = lift("ship", "-e", "staging")

    assert second.returncode == 1, second.stderr
    assert "canary 10%: baking 2 min, 2 alarms green" in shift_lines(second.stderr)
    assert f"ECS deployment alarms: {ALARM} in ALARM state." in second.stderr
    assert "ECS is rolling back" in second.stderr
    assert "released" not in second.stderr.split("canary 10%")[-1]
    # Its last word says what happened: an alarm rolled it back (its tasks did start).
    last = [line for line in second.stderr.splitlines() if line.startswith("error: ")][-1]
    assert last.endswith(
        "was rolled back: a deployment alarm fired while it took traffic; payments-api is "
        f"back on {good.rsplit('/', 1)[1]}"
    ), last
    assert "did not start" not in second.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == good
    history = lift("history", "-e", "staging").stdout.splitlines()
    assert history[0].split()[0] == "2" and history[0].endswith("(failed)")
    status = lift("status", "-e", "staging")
    assert status.returncode == 0, status.stderr
    assert "  release 1  " in status.stdout.splitlines()[0]  # the release before still runs
    assert "rollout COMPLETED" in status.stdout
    assert "config changed since the release: +LIFT_SANDBOX_ALARM" in status.stdout
