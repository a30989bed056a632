"""Lookups in moto's backends for the rollout simulator, and repairs of what moto gets wrong.

moto is imported on first use: its ECS models pull in EC2's, and CloudFormation's pull in
nearly every service, a second of the sandbox's start.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


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


# Parameter Store at scale ---------------------------------------------------------------------
#
# moto 5.2.5 answers DescribeParameters 10 at a time whatever MaxResults says (AWS: up to 50),
# and both DescribeParameters and GetParametersByPath test every parameter of the account on
# every page, so a check of N keys among many costs the sandbox O(N x all) and more requests
# than AWS. The patch below keeps moto's data and changes three things only:
#   - ParameterDict keeps an index of names by parent path (maintained where moto adds or
#     removes a name: __setitem__, __delitem__, pop);
#   - DescribeParameters honours MaxResults (1-50, ValidationException above, as AWS) and, for
#     the one filter git lift sends (Path, OneLevel, one value), reads that path's names only;
#   - GetParametersByPath, non-recursive and unfiltered, pages that path's names (MaxResults up
#     to 10, as AWS and moto already check).
# Both return a NextToken only when more names follow (moto also returned one after a full
# last page). Anything else (recursive paths, other filters, /aws/... public parameters) goes
# to moto's own code unchanged.

DESCRIBE_MAX_RESULTS = 50
_ssm_patched = False


def _parent(name: str) -> str:
    return name.rsplit("/", 1)[0] if "/" in name else ""


def _by_path(parameters: Any) -> dict[str, dict[str, None]]:
    """parent path -> names under it (insertion-ordered), built on first use."""
    index: dict[str, dict[str, None]] | None = parameters.__dict__.get("_lift_by_path")
    if index is None:
        index = {}
        for name in dict.keys(parameters):
            index.setdefault(_parent(name), {})[name] = None
        parameters.__dict__["_lift_by_path"] = index
    return index


def _one_level_path(filters: Any) -> str | None:
    """The path of `[{"Key": "Path", "Option": "OneLevel", "Values": [path]}]`, else None."""
    if not isinstance(filters, list) or len(filters) != 1:
        return None
    only = filters[0]
    values = only.get("Values") or []
    if only.get("Key") != "Path" or only.get("Option", "OneLevel") != "OneLevel":
        return None
    if len(values) != 1 or values[0].strip("/") == "" or values[0].startswith("/aws/"):
        return None
    return "/" + str(values[0]).strip("/")


def _page(items: list[T], token: object, size: int) -> tuple[list[T], str | None]:
    """One page of `items` from a NextToken (an offset, as moto's), and the next token."""
    start = int(str(token or "0").strip() or "0")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def patch_ssm() -> None:
    """Install the Parameter Store patch described above (once per process)."""
    global _ssm_patched
    if _ssm_patched:
        return
    from moto.ssm import models, responses

    _index_parameter_dict(models.ParameterDict)
    _patch_by_path(models.SimpleSystemManagerBackend)
    _patch_describe(responses.SimpleSystemManagerResponse, responses)
    _ssm_patched = True


def _index_parameter_dict(cls: Any) -> None:
    def setitem(self: Any, key: str, value: Any) -> None:
        if not dict.__contains__(self, key):
            _by_path(self).setdefault(_parent(key), {})[key] = None
        dict.__setitem__(self, key, value)

    def delitem(self: Any, key: str) -> None:
        dict.__delitem__(self, key)
        _by_path(self).get(_parent(key), {}).pop(key, None)

    def pop(self: Any, key: str, *default: Any) -> Any:
        if dict.__contains__(self, key):
            _by_path(self).get(_parent(key), {}).pop(key, None)
        return dict.pop(self, key, *default)

    cls.__setitem__, cls.__delitem__, cls.pop = setitem, delitem, pop


def _patch_by_path(backend_cls: Any) -> None:
    original = backend_cls.get_parameters_by_path

    def get_parameters_by_path(
        self: Any,
        path: str,
        recursive: bool,
        filters: Any = None,
        next_token: str | None = None,
        max_results: int = 10,
    ) -> tuple[list[Any], str | None]:
        one_level = _one_level_path([{"Key": "Path", "Values": [path]}])
        if recursive or filters or one_level is None or int(max_results) > 10:
            return original(self, path, recursive, filters, next_token, max_results)  # type: ignore[no-any-return]
        names = list(_by_path(self._parameters).get(one_level, ()))
        page, token = _page(names, next_token, int(max_results))
        return [self._parameters[name][-1] for name in page], token

    backend_cls.get_parameters_by_path = get_parameters_by_path


def _patch_describe(response_cls: Any, responses: Any) -> None:
    def describe_parameters(self: Any) -> Any:
        size = int(self._get_param("MaxResults", 10))
        if not 1 <= size <= DESCRIBE_MAX_RESULTS:
            raise responses.ValidationException(
                f"1 validation error detected: Value '{size}' at 'maxResults' failed to "
                f"satisfy constraint: Member must have value less than or equal to "
                f"{DESCRIBE_MAX_RESULTS}"
            )
        filters = self._get_param("Filters")
        parameter_filters = self._get_param("ParameterFilters")
        backend = self.ssm_backend
        path = None if filters else _one_level_path(parameter_filters)
        if path is not None:
            backend._validate_parameter_filters(parameter_filters, by_path=False)
            listed = list(_by_path(backend._parameters).get(path, ()))
            names, token = _page(listed, self._get_param("NextToken"), size)
            found = [backend._parameters[name][-1] for name in names]
        else:
            everything = backend.describe_parameters(filters, parameter_filters)
            found, token = _page(everything, self._get_param("NextToken"), size)
        answer: dict[str, Any] = {
            "Parameters": [item.describe_response_object(False) for item in found]
        }
        if token is not None:
            answer["NextToken"] = token
        return responses.ActionResult(answer)

    response_cls.describe_parameters = describe_parameters
