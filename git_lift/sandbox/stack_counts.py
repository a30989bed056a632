"""Who sets an ECS service's desired count in a stack, as AWS does it, on top of moto 5.2.5.

CloudFormation (AWS::ECS::Service DesiredCount, aws-resource-ecs-service.html and cfn-lint's
copy of the resource schema: "For new services, if a desired count is not specified, a
default value of 1 is used. [...] For existing services, if a desired count is not specified,
it is omitted from the operation"):

- a service the stack creates without DesiredCount starts at 1 (moto: 0);
- a stack update that changes the service resource sends its DesiredCount when the template
  has one, setting back whatever count the service had (aws/aws-cdk#13130,
  aws/containers-roadmap#493); without it the running count stays. moto updates a service
  only when its template text changed, so a new task definition behind the same `Ref` kept
  any count.

Application Auto Scaling (RegisterScalableTarget, which CloudFormation calls when it creates
or changes an AWS::ApplicationAutoScaling::ScalableTarget): "it changes the resource's current
capacity to a value that is inside of this range" (API_RegisterScalableTarget.html; the user
guide's "Application Auto Scaling concepts": "anytime [...] the RegisterScalableTarget API is
called", a capacity outside min-max "is updated to comply"). moto's CloudFormation
makes no scalable target, so its bounds are read from the template.

`StackCounts.settle` runs after every CloudFormation request and acts only on what changed
since it last looked; callers hold the simulator's lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from git_lift.sandbox.moto_state import stack_task_definition

CREATE_DEFAULT = 1  # CloudFormation's DesiredCount for a new service without one
SERVICE = "AWS::ECS::Service"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"

Key = tuple[str, str]  # stack id, logical id


class StackCounts:
    def __init__(self) -> None:
        # What each resource looked like when last seen: (the moto object's id, its form).
        self._seen: dict[Key, tuple[int, str]] = {}

    def reset(self) -> None:
        self._seen.clear()

    def settle(self, account: str, region: str) -> None:
        for stack in _stacks(account, region):
            resources = stack.template_dict.get("Resources") or {}
            parsed = getattr(stack.resource_map, "_parsed_resources", {})
            # Services first: CloudFormation updates a scalable target after its service.
            for logical_id, resource in resources.items():
                if resource.get("Type") == SERVICE:
                    self._service(account, region, stack, logical_id, parsed.get(logical_id))
            for logical_id, resource in resources.items():
                if resource.get("Type") == SCALABLE_TARGET:
                    self._scalable_target(stack, logical_id, resource, parsed)

    def _changed(self, key: Key, obj: Any, form: str) -> tuple[bool, bool]:
        """(changed since last seen, new): a new moto object counts as new."""
        before = self._seen.get(key)
        self._seen[key] = (id(obj), form)
        if before is None or before[0] != id(obj):
            return True, True
        return before[1] != form, False

    def _service(self, account: str, region: str, stack: Any, logical_id: str, svc: Any) -> None:
        if svc is None or not hasattr(svc, "desired_count"):
            return
        properties = _properties(stack, logical_id)
        # The task definition behind a Ref is part of what CloudFormation sends.
        form = json.dumps(
            [properties, stack_task_definition(account, region, svc)], sort_keys=True, default=str
        )
        changed, new = self._changed((stack.stack_id, logical_id), svc, form)
        count = properties.get("DesiredCount")
        if new and count is None:
            svc.desired_count = CREATE_DEFAULT
        elif changed and count is not None:
            svc.desired_count = int(count)

    def _scalable_target(
        self, stack: Any, logical_id: str, resource: dict[str, Any], parsed: dict[str, Any]
    ) -> None:
        properties = resource.get("Properties") or {}
        svc = parsed.get(_service_of(properties.get("ResourceId")) or "")
        if svc is None or not hasattr(svc, "desired_count"):
            return
        low, high = int(properties["MinCapacity"]), int(properties["MaxCapacity"])
        changed, _ = self._changed((stack.stack_id, logical_id), svc, f"{low}-{high}")
        if changed:
            svc.desired_count = min(max(int(svc.desired_count), low), high)


def _stacks(account: str, region: str) -> Iterator[Any]:
    import sys

    # moto imports a backend on its first request: without it, no stack exists.
    models = sys.modules.get("moto.cloudformation.models")
    if models is None:
        return
    try:
        stacks = list(models.cloudformation_backends[account][region].stacks.values())
    except KeyError:
        return
    for stack in stacks:
        if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            yield stack


def _properties(stack: Any, logical_id: str) -> dict[str, Any]:
    found = (stack.template_dict.get("Resources") or {}).get(logical_id, {}).get("Properties")
    return found if isinstance(found, dict) else {}


def _service_of(resource_id: object) -> str | None:
    """The logical ID of the service in a scalable target's ResourceId,
    `{"Fn::Join": ["/", ["service", CLUSTER, {"Fn::GetAtt": [ID, "Name"]}]]}`."""
    if not isinstance(resource_id, dict):
        return None
    parts = (resource_id.get("Fn::Join") or [None, []])[1]
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, dict) and isinstance(part.get("Fn::GetAtt"), list):
            return str(part["Fn::GetAtt"][0])
    return None
