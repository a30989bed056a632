"""Pure diffs of config (and later task definitions) and their rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

MASK = "********"


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
