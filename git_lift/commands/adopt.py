"""`git lift adopt -e ENV --cluster C --service S`: point git lift at an ECS service it did not
create (cloudlift, Copilot, Terraform, the console). It reads the running service's task
definition and writes the names it found into .gitlift (`[env] cluster`, `[target "ENV/NAME"]`
ecsService, taskFamily, container, logGroup, parameterPath), then trusts that file, since you
ran it. `ship`, `status`, `history`, `rollback`, `logs`, `shell` and `config` then work on it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from git_lift import ui
from git_lift.errors import OK, LiftError, UsageError, ValidationError
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.names import plural
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


def adopt(ctx: Context, env: str, cluster: str, ecs_service: str, container: str | None) -> int:
    t = ctx.target(env)
    ecs = ctx.aws.client("ecs", t.env)
    from git_lift.aws.clients import translate_errors

    with translate_errors(f"reading ECS service {ecs_service} in cluster {cluster}"):
        found = ecs.describe_services(cluster=cluster, services=[ecs_service])["services"]
        running = [s for s in found if s.get("status") == "ACTIVE"]
        if not running:
            raise LiftError(
                f"there is no active ECS service {ecs_service} in cluster {cluster}",
                hint="list them: aws ecs list-services --cluster " + cluster,
            )
        definition = ecs.describe_task_definition(taskDefinition=running[0]["taskDefinition"])
    adoption = inspect(running[0], definition["taskDefinition"], container)
    entries = adoption.entries(t)
    ui.info(f"{ecs_service} in {cluster} ({t.env}):")
    ui.info(f"  task family {adoption.task_family}, container {adoption.container}")
    ui.info(f"  log group   {adoption.log_group or '(not awslogs: git lift logs cannot read it)'}")
    keys = plural(len(adoption.keys), "key")
    ui.info(f"  config      {adoption.parameter_path or '(no secrets)'}: {keys}")
    if not entries:
        ui.info("it follows git lift's own names: nothing to write")
        return OK
    ui.info(f"{GITLIFT_FILE} gets:")
    for key, value in entries:
        ui.info(f"  {key} = {value}")
    confirm(
        ctx,
        t.env,
        typed=False,
        what=f"writing {GITLIFT_FILE}",
        refused="nothing was written",
        question=f"Write these to {GITLIFT_FILE}?",
        unattended=False,
    )
    _write_and_trust(ctx, entries)
    ui.info(f"{GITLIFT_FILE}: written and trusted; git lift now ships {t.name} to {ecs_service}")
    ui.hint(f"commit {GITLIFT_FILE}, then: git lift status -e {t.env}")
    return OK


def _write_and_trust(ctx: Context, entries: list[tuple[str, str]]) -> None:
    from git_lift.commands.trust import record_trust

    ctx.repo.set_config_entries(ctx.repo.workdir / GITLIFT_FILE, entries)
    record_trust(ctx.repo)
