"""Lookups in moto's backends for the rollout simulator, and repairs of what moto gets wrong.

moto is imported on first use: its ECS models pull in EC2's, and CloudFormation's pull in
nearly every service, a second of the sandbox's start.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from typing import Any


def ecs_backend(account: str, region: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account][region]


def find_service(backend: Any, cluster: object, name_or_arn: str) -> Any:
    """The moto Service named (or ARN'd) in `cluster` (default: "default"), or None."""
    cluster_name = str(cluster or "default").split("/")[-1]
    return backend.services.get(f"{cluster_name}:{name_or_arn.split('/')[-1]}")


def rolling_update(service: Any) -> bool:
    """Only the ECS deployment controller rolls deployments; CODE_DEPLOY/EXTERNAL do not."""
    return bool((service.deployment_controller or {}).get("type", "ECS") == "ECS")


def repair_task_definitions(account: str, region: str) -> None:
    """Give stack-written task definitions the keys of the ECS API.

    moto registers a stack update's task definition with the template's PascalCase keys
    ("Image", "Secrets"), which DescribeTaskDefinition then drops; a stack create already gets
    camelCase keys, converted the same way as here.
    """
    from moto.core.utils import pascal_to_camelcase, remap_nested_keys

    backend = ecs_backend(account, region)
    for revisions in backend.task_definitions.values():
        for task_definition in revisions.values():
            definitions = task_definition.container_definitions
            if any(key[:1].isupper() for definition in definitions for key in definition):
                task_definition.container_definitions = remap_nested_keys(
                    definitions, pascal_to_camelcase
                )


def stack_resource(account: str, region: str, service: Any) -> tuple[Any, dict[str, Any]] | None:
    """The stack that created `service` and the resource's template Properties, if any."""
    # moto imports a backend on its first request: without it, no stack exists.
    models = sys.modules.get("moto.cloudformation.models")
    if models is None:
        return None
    try:
        stacks = list(models.cloudformation_backends[account][region].stacks.values())
    except KeyError:
        return None
    for stack in stacks:
        parsed = getattr(stack.resource_map, "_parsed_resources", {})
        for logical_id, resource in list(parsed.items()):
            if resource is service:
                resource_json = stack.template_dict.get("Resources", {}).get(logical_id, {})
                properties = resource_json.get("Properties", {})
                return stack, properties if isinstance(properties, dict) else {}
    return None


def stack_task_definition(account: str, region: str, service: Any) -> str | None:
    """The task definition ARN that the template of the service's stack names now."""
    found = stack_resource(account, region, service)
    if found is None:
        return None
    stack, properties = found
    value = properties.get("TaskDefinition")
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        parsed = getattr(stack.resource_map, "_parsed_resources", {})
        arn = getattr(parsed.get(value["Ref"]), "arn", None)
        return arn if isinstance(arn, str) else None
    return value if isinstance(value, str) else None


def camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase properties as the ECS API's camelCase, "true" as True."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel_keys(v) for k, v in value.items()}
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """`update` laid over `base`, nested mappings merged key by key."""
    merged = copy.deepcopy(dict(base))
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
