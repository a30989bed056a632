"""Pure diffs of config (and later task definitions) and their rendering."""

from __future__ import annotations

from typing import Any

from git_lift.records import field, record

MASK = "********"

# The fields of a task definition RegisterTaskDefinition accepts (DescribeTaskDefinition
# returns more).
REGISTER_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


def registration(definition: dict[str, Any]) -> dict[str, Any]:
    """The RegisterTaskDefinition request for a task definition DescribeTaskDefinition gave."""
    return {key: definition[key] for key in REGISTER_FIELDS if definition.get(key)}


@record(frozen=True)
class ConfigPlan:
    added: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    @property
    def touched(self) -> list[str]:
        return sorted({*self.added, *self.changed, *self.removed})

    @property
    def writes(self) -> dict[str, str]:
        """Keys to put, with their new values."""
        return {**self.added, **{key: new for key, (_, new) in self.changed.items()}}

    def summary(self) -> str:
        parts = [
            f"{len(items)} {word}"
            for items, word in (
                (self.added, "added"),
                (self.changed, "changed"),
                (self.removed, "removed"),
            )
            if items
        ]
        return ", ".join(parts) or "no changes"


def config_plan(current: dict[str, str], desired: dict[str, str]) -> ConfigPlan:
    return ConfigPlan(
        added={key: value for key, value in desired.items() if key not in current},
        changed={
            key: (current[key], value)
            for key, value in desired.items()
            if key in current and current[key] != value
        },
        removed={key: value for key, value in current.items() if key not in desired},
    )


def render_config_plan(plan: ConfigPlan, *, show_values: bool) -> list[tuple[str, str]]:
    """Lines of the diff, each with its kind (`add`, `change`, `remove`) for colouring."""

    def shown(value: str) -> str:
        return repr(value) if show_values else MASK

    lines: list[tuple[str, str]] = []
    for key in plan.touched:
        if key in plan.added:
            lines.append(("add", f"+ {key} = {shown(plan.added[key])}"))
        elif key in plan.changed:
            old, new = plan.changed[key]
            lines.append(("change", f"~ {key} = {shown(old)} -> {shown(new)}"))
        else:
            lines.append(("remove", f"- {key}"))
    return lines


@record(frozen=True)
class KeyCheck:
    """env.sample against one environment's store: names only."""

    env: str
    missing: list[str]
    extra: list[str]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.missing and self.error is None


def check_keys(env: str, required: list[str], present: set[str] | dict[str, int]) -> KeyCheck:
    return KeyCheck(
        env=env,
        missing=sorted(set(required) - set(present)),
        extra=sorted(set(present) - set(required)),
    )


def secrets_for(keys: list[str], arn_of: dict[str, str]) -> list[dict[str, str]]:
    """A container's `secrets` list: one entry per env.sample key, valueFrom its parameter ARN."""
    return [{"name": key, "valueFrom": arn_of[key]} for key in sorted(keys)]


def with_image_and_secrets(
    definition: dict[str, Any], container: str, image: str, secrets: list[dict[str, str]]
) -> dict[str, Any]:
    """A copy of a task definition whose service container runs `image` with `secrets`."""
    containers = [dict(c) for c in definition.get("containerDefinitions", [])]
    names = [c.get("name") for c in containers]
    index = container_index(definition, container)
    if index < 0:
        raise ValueError(f"no container named {container!r} (have: {', '.join(map(str, names))})")
    containers[index] = {**containers[index], "image": image, "secrets": secrets}
    # A sidecar's secrets are env.sample keys too: each names this release's reference (a
    # pinned snapshot's ARN changes with every release).
    value_of = {s["name"]: s["valueFrom"] for s in secrets}
    for i, c in enumerate(containers):
        if i != index and c.get("secrets"):
            kept = [
                {**s, "valueFrom": value_of.get(s["name"], s["valueFrom"])} for s in c["secrets"]
            ]
            containers[i] = {**c, "secrets": kept}
    return {**definition, "containerDefinitions": containers}


def with_sidecar_images(
    definition: dict[str, Any], container: str, images: dict[str, str]
) -> dict[str, Any]:
    """A copy of a task definition whose other containers (sidecars) named in `images` run
    those images (pinned by digest at ship); a container `images` does not name is kept."""
    index = container_index(definition, container)
    containers = [
        {**c, "image": images[c["name"]]} if i != index and c.get("name") in images else dict(c)
        for i, c in enumerate(definition.get("containerDefinitions", []))
    ]
    return {**definition, "containerDefinitions": containers}


def plain_environment(container: dict[str, Any]) -> dict[str, str]:
    """A container definition's plain (non-secret) variables, name -> value."""
    return {str(e["name"]): str(e.get("value", "")) for e in container.get("environment") or []}


def architecture_of(definition: dict[str, Any]) -> str:
    """The CPU architecture a task definition runs on (ECS's default: X86_64)."""
    return str((definition.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64")


def service_container(definition: dict[str, Any], container: str) -> dict[str, Any]:
    """The service's container in a task definition (the only one if one), {} if none."""
    containers = definition.get("containerDefinitions", [])
    named = [c for c in containers if c.get("name") == container]
    chosen = named or (containers if len(containers) == 1 else [])
    return dict(chosen[0]) if chosen else {}


def container_index(definition: dict[str, Any], container: str) -> int:
    """Where the service's container is in a task definition: the one named `container`, else
    the only one; -1 when neither."""
    names = [c.get("name") for c in definition.get("containerDefinitions", [])]
    return names.index(container) if container in names else (0 if len(names) == 1 else -1)


def task_definition_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """What a new revision changes, for display: image, plain environment (in clear: the
    service config's, not secrets) and secret names, never their values."""
    lines: list[tuple[str, str]] = []
    old_by_name = {c.get("name"): c for c in old.get("containerDefinitions", [])}
    for container in new.get("containerDefinitions", []):
        before = old_by_name.get(container.get("name"), {})
        if before.get("image") != container.get("image"):
            lines.append(("change", f"~ {container.get('name')} image {before.get('image')}"))
            lines.append(("change", f"    -> {container.get('image')}"))
        old_secrets = {s["name"] for s in before.get("secrets", []) or []}
        new_secrets = {s["name"] for s in container.get("secrets", []) or []}
        lines += [("add", f"+ secret {name}") for name in sorted(new_secrets - old_secrets)]
        lines += [("remove", f"- secret {name}") for name in sorted(old_secrets - new_secrets)]
        lines += environment_changes(plain_environment(before), plain_environment(container))
    return lines


def environment_changes(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, str]]:
    """`+ environment NAME = 'value'` lines: plain variables are shown with their values."""
    plain = config_plan(old, new)
    lines = render_config_plan(plain, show_values=True)
    return [(kind, f"{line[:2]}environment {line[2:]}") for kind, line in lines]
