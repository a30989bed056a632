"""What a running ECS service that git lift did not create says about itself (`adopt`): its
cluster, service, task family, container, log group and Parameter Store path, in git lift's
words."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from git_lift.errors import UsageError, ValidationError
from git_lift.flows.context import Context
from git_lift.target import Target

PARAMETER_ARN = ":parameter/"


@dataclass(frozen=True)
class Adoption:
    """What a running ECS service says about itself, in git lift's words."""

    cluster: str
    ecs_service: str
    task_family: str
    container: str
    log_group: str | None
    parameter_path: str | None
    keys: tuple[str, ...]

    def entries(self, t: Target) -> list[tuple[str, str]]:
        """The .gitlift lines that differ from git lift's own conventions."""
        section = f"target.{t.env}/{t.name}"
        wanted = [
            (f"env.{t.env}.cluster", self.cluster, t.environment_names.cluster),
            (f"{section}.ecsService", self.ecs_service, t.ecs_service),
            (f"{section}.taskFamily", self.task_family, t.task_family),
            (f"{section}.container", self.container, t.container),
            (f"{section}.logGroup", self.log_group, t.log_group),
            (f"{section}.parameterPath", self.parameter_path, t.parameter_path),
        ]
        return [(key, value) for key, value, ours in wanted if value and value != ours]


def inspect(
    service: dict[str, Any], task_definition: dict[str, Any], container: str | None
) -> Adoption:
    """Read names off a DescribeServices service and its DescribeTaskDefinition."""
    definitions = task_definition.get("containerDefinitions") or []
    chosen = _container(definitions, container)
    logs = chosen.get("logConfiguration") or {}
    log_group = (
        (logs.get("options") or {}).get("awslogs-group")
        if logs.get("logDriver") == "awslogs"
        else None
    )
    path, keys = _parameters(chosen.get("secrets") or [], chosen["name"])
    cluster_arn = str(service.get("clusterArn", ""))
    return Adoption(
        cluster=cluster_arn.rsplit("/", 1)[-1],
        ecs_service=str(service["serviceName"]),
        task_family=str(task_definition["family"]),
        container=str(chosen["name"]),
        log_group=log_group,
        parameter_path=path,
        keys=keys,
    )


def _container(definitions: list[dict[str, Any]], wanted: str | None) -> dict[str, Any]:
    if wanted is not None:
        for definition in definitions:
            if definition.get("name") == wanted:
                return definition
        raise UsageError(
            f"the task definition has no container {wanted!r}",
            hint=f"its containers: {', '.join(str(d.get('name')) for d in definitions)}",
        )
    essential = [d for d in definitions if d.get("essential", True)]
    if len(essential) != 1:
        names = ", ".join(str(d.get("name")) for d in essential) or "none"
        raise ValidationError(
            f"git lift ships one container, and this service has {len(essential)} essential "
            f"ones ({names})",
            hint="name the one git lift deploys: --container NAME",
        )
    return essential[0]


def _parameters(
    secrets: list[dict[str, Any]], container: str
) -> tuple[str | None, tuple[str, ...]]:
    """The one Parameter Store path every secret comes from, and the keys."""
    if not secrets:
        return None, ()
    names = []
    for secret in secrets:
        source = str(secret.get("valueFrom", ""))
        name = "/" + source.split(PARAMETER_ARN, 1)[1] if PARAMETER_ARN in source else source
        if not name.startswith("/"):  # a Secrets Manager ARN, or a name outside any path
            raise ValidationError(
                f"container {container}'s secret {secret.get('name')} does not come from a "
                "Parameter Store path",
                hint="git lift reads config from one path (/ENV/SERVICE); move it there first",
            )
        names.append("/" + name.lstrip("/"))  # `parameter//x` is how ARNs spell `/x`
    folders = {posixpath.dirname(name) for name in names}
    if len(folders) != 1:
        raise ValidationError(
            f"container {container}'s secrets come from {len(folders)} paths "
            f"({', '.join(sorted(folders))})",
            hint="git lift reads one path per service; move them under one path first",
        )
    return folders.pop(), tuple(sorted(posixpath.basename(name) for name in names))


def read_service(
    ctx: Context, env: str, cluster: str, ecs_service: str, container: str | None
) -> Adoption:
    """Read the ACTIVE service and its task definition, with the environment's credentials."""
    service, definition = ctx.aws.ecs_lookup(env).active_service(cluster, ecs_service)
    return inspect(service, definition, container)
