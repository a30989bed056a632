"""Traffic-shifting deployments in the rollout simulator: ECS's BLUE_GREEN, CANARY and LINEAR
strategies (deploymentConfiguration.strategy), with their bake times and alarm rollback.

Rules (rollout.py calls `TrafficShifts.advance` each step once a deployment's tasks all run)
-----
- A ROLLING deployment completes as before. A traffic-shifting one then moves production
  traffic from the old target group to the new one in steps: BLUE_GREEN 100% at once, CANARY
  `canaryPercent` then 100%, LINEAR `stepPercent` more per step up to 100%.
- The simulator's clock: one DescribeServices step is one minute. After each step the
  deployment bakes: CANARY `canaryBakeTimeInMinutes` after the canary, LINEAR
  `stepBakeTimeInMinutes` between steps, and `bakeTimeInMinutes` once all traffic has moved;
  then the deployment completes (and the old revision's tasks stop) as a rolling one does.
- ListServiceDeployments and DescribeServiceDeployments tell where a deployment in progress
  is, as ECS does: lifecycleStage (SCALE_UP while its tasks start, PRODUCTION_TRAFFIC_SHIFT,
  BAKE_TIME once all traffic has moved), targetServiceRevision's
  requestedProductionTrafficWeight, the deployment configuration, and alarms (MONITORING, or
  DISABLED without alarms). Only deployments in progress are listed: one an alarm failed is
  no longer in progress, and DescribeServices tells why.
- StopServiceDeployment (stopType ROLLBACK) of a deployment in progress fails it and brings
  the last COMPLETED deployment back at once, as an alarm does.
- The alarm switch: when the service's deploymentConfiguration.alarms is enabled and a
  container of the new revision has an `environment` or `secrets` entry named
  LIFT_SANDBOX_ALARM, the first alarm goes into ALARM as soon as the new revision takes
  traffic: the deployment fails ("ECS deployment alarms: ... in ALARM state") and, with
  alarms.rollback, traffic goes back to the last COMPLETED deployment, as for the circuit
  breaker (rollout.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALARM_SWITCH = "LIFT_SANDBOX_ALARM"
# ECS's defaults (botocore's ecs model: CanaryConfiguration, LinearConfiguration).
CANARY_DEFAULTS = (5.0, 10)
LINEAR_DEFAULTS = (10.0, 6)


def steps(config: Mapping[str, Any]) -> list[tuple[float, int]]:
    """(percent of production traffic on the new revision, minutes it bakes there) per step;
    [] for a rolling update."""
    strategy = config.get("strategy") or "ROLLING"
    final_bake = int(config.get("bakeTimeInMinutes") or 0)
    if strategy == "BLUE_GREEN":
        return [(100.0, final_bake)]
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        percent = float(canary.get("canaryPercent", CANARY_DEFAULTS[0]))
        bake = int(canary.get("canaryBakeTimeInMinutes", CANARY_DEFAULTS[1]))
        return [(percent, bake), (100.0, final_bake)] if percent < 100 else [(100.0, final_bake)]
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        step = float(linear.get("stepPercent", LINEAR_DEFAULTS[0]))
        bake = int(linear.get("stepBakeTimeInMinutes", LINEAR_DEFAULTS[1]))
        count = math.ceil(round(100.0 / step, 6))
        shares = [round(min(100.0, step * (i + 1)), 1) for i in range(count)]
        return [(share, bake) for share in shares[:-1]] + [(100.0, final_bake)]
    return []


def alarm_names(config: Mapping[str, Any]) -> list[str]:
    alarms = config.get("alarms") or {}
    return list(alarms.get("alarmNames") or []) if alarms.get("enable") else []


@dataclass
class _Shift:
    plan: list[tuple[float, int]]
    index: int = -1  # the step reached; -1: no production traffic yet
    baking: int = 0  # minutes left at this step


class TrafficShifts:
    """Where each traffic-shifting deployment is (by deployment id); callers hold the lock."""

    def __init__(self) -> None:
        self._shifts: dict[str, _Shift] = {}

    def reset(self) -> None:
        self._shifts.clear()

    def forget(self, deployment_id: str) -> None:
        self._shifts.pop(deployment_id, None)

    def percent(self, deployment_id: str) -> float:
        """The share of production traffic the deployment's target group gets now."""
        shift = self._shifts.get(deployment_id)
        return 0.0 if shift is None or shift.index < 0 else shift.plan[shift.index][0]

    def describe(
        self, config: Mapping[str, Any], deployment: Mapping[str, Any], arns: Mapping[str, str]
    ) -> dict[str, Any]:
        """A ServiceDeployment (ecs DescribeServiceDeployments) of a deployment in progress;
        `arns` holds its own, its service's and its cluster's."""
        shift = self._shifts.get(str(deployment["id"]))
        stage = "SCALE_UP"
        if shift is not None and shift.index >= 0:
            last = shift.index == len(shift.plan) - 1
            stage = "BAKE_TIME" if last and shift.baking else "PRODUCTION_TRAFFIC_SHIFT"
        names = alarm_names(config)
        return {
            "serviceDeploymentArn": arns["deployment"],
            "serviceArn": arns["service"],
            "clusterArn": arns["cluster"],
            "status": "IN_PROGRESS",
            "lifecycleStage": stage,
            "targetServiceRevision": {
                "arn": deployment["taskDefinition"],
                "requestedTaskCount": deployment["desiredCount"],
                "runningTaskCount": deployment["runningCount"],
                "pendingTaskCount": deployment["pendingCount"],
                "requestedProductionTrafficWeight": self.percent(str(deployment["id"])),
            },
            "deploymentConfiguration": dict(config),
            "alarms": {"status": "MONITORING" if names else "DISABLED", "alarmNames": names},
        }

    def advance(
        self, config: Mapping[str, Any], deployment_id: str, alarmed: bool
    ) -> tuple[str, str | None]:
        """One minute of the deployment's shift: ("done", None) when all traffic has moved
        and baked (or for a rolling update), ("shifting", None) on the way, ("alarm",
        ECS's reason) when an alarm fired."""
        plan = steps(config)
        if not plan:
            return "done", None
        shift = self._shifts.setdefault(deployment_id, _Shift(plan))
        names = alarm_names(config)
        if alarmed and names and shift.index >= 0:
            del self._shifts[deployment_id]
            return "alarm", f"ECS deployment alarms: {names[0]} in ALARM state."
        if shift.baking > 0:
            shift.baking -= 1
        elif shift.index + 1 < len(plan):
            shift.index += 1
            shift.baking = plan[shift.index][1]
        else:
            del self._shifts[deployment_id]
            return "done", None
        return "shifting", None
