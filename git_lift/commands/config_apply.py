"""One path for every config change (edit, set, unset, import, restore):
plan -> show masked diff -> confirm -> re-check versions -> write -> report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from git_lift import envfile, ui
from git_lift.aws.ssm import ADVANCED_LIMIT, STANDARD_LIMIT, Parameter, ParameterStore
from git_lift.commands.confirmation import confirm
from git_lift.commands.context import Context
from git_lift.commands.editor import write_private
from git_lift.errors import Conflict, LiftError, UsageError, ValidationError
from git_lift.plan import ConfigPlan, config_plan, render_config_plan

RAW_MARKER = "# git-lift-resume: raw"
CHANGES_MARKER = "# git-lift-resume: changes"
REMOVED_PREFIX = "# removed:"


@dataclass(frozen=True)
class Target:
    env: str
    service: str
    confirm: bool
    store: ParameterStore

    @property
    def resume_hint(self) -> str:
        return f"git lift config edit -e {self.env} -s {self.service} --resume"


def resume_path(ctx: Context, target: Target) -> Path:
    return ctx.repo.git_dir / "lift" / f"config-edit-{target.env}-{target.service}.env"


def save_resume(ctx: Context, target: Target, text: str) -> Path:
    path = resume_path(ctx, target)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    write_private(path, text)
    return path


def save_changes(ctx: Context, target: Target, writes: dict[str, str], removes: list[str]) -> Path:
    """Keep what was not applied, so `--resume` replays it on top of the store as it is then."""
    header = [CHANGES_MARKER]
    if removes:
        header.append(f"{REMOVED_PREFIX} {' '.join(sorted(removes))}")
    return save_resume(ctx, target, "\n".join(header) + "\n" + envfile.render(writes))


def load_resume(ctx: Context, target: Target, current: dict[str, str]) -> str:
    """The text to reopen in the editor: raw as saved, or saved changes replayed on `current`."""
    path = resume_path(ctx, target)
    if not path.exists():
        raise UsageError(
            f"there is no unfinished edit of {target.service} in {target.env}",
            hint=f"start one with: git lift config edit -e {target.env}",
        )
    text = path.read_text(encoding="utf-8")
    if text.startswith(RAW_MARKER):
        return text.split("\n", 1)[1] if "\n" in text else ""
    removed = {
        key
        for line in text.splitlines()
        if line.startswith(REMOVED_PREFIX)
        for key in line.removeprefix(REMOVED_PREFIX).split()
    }
    merged = {key: value for key, value in current.items() if key not in removed}
    merged.update(envfile.parse_lines(text).as_dict())
    return envfile.render(merged)


def discard_resume(ctx: Context, target: Target) -> None:
    resume_path(ctx, target).unlink(missing_ok=True)


def check_sizes(plan: ConfigPlan, advanced: bool) -> None:
    limit = ADVANCED_LIMIT if advanced else STANDARD_LIMIT
    too_large = {
        key: len(value.encode())
        for key, value in plan.writes.items()
        if len(value.encode()) > limit
    }
    empty = [key for key, value in plan.writes.items() if value == ""]
    if too_large:
        listed = ", ".join(f"{key} ({size} bytes)" for key, size in sorted(too_large.items()))
        hint = (
            "use --tier advanced (up to 8 KB, billed by AWS)"
            if not advanced and all(size <= ADVANCED_LIMIT for size in too_large.values())
            else "store a reference (an S3 object or a Secrets Manager ARN) instead of the value"
        )
        raise ValidationError(
            f"value too large for Parameter Store's {limit}-byte limit: {listed}", hint=hint
        )
    if empty:
        raise ValidationError(
            f"Parameter Store cannot hold an empty value: {', '.join(sorted(empty))}",
            hint="give the key a value, or unset it",
        )


def check_conflicts(target: Target, plan: ConfigPlan, base: dict[str, Parameter]) -> list[str]:
    now = target.store.versions(plan.touched)
    return [
        key for key in plan.touched if now.get(key) != (base[key].version if key in base else None)
    ]


def apply(
    ctx: Context,
    target: Target,
    base: dict[str, Parameter],
    desired: dict[str, str],
    *,
    show_values: bool = False,
    advanced: bool = False,
) -> int:
    """Write `desired` over `base` (what was read before the user decided) after a confirm."""
    plan = config_plan({key: p.value for key, p in base.items()}, desired)
    if plan.empty:
        ui.info(f"no changes to {target.service} in {target.env}")
        discard_resume(ctx, target)
        return 0
    try:
        check_sizes(plan, advanced)
        ui.info(f"Changes to {target.service} in {target.env} ({plan.summary()}):")
        ui.diff_lines(render_config_plan(plan, show_values=show_values))
        confirm(
            ctx,
            target.env,
            typed=target.confirm,
            what=f"writing to {target.env}",
            refused="nothing was written",
            question=f"Apply to {target.env}?",
        )
        conflicts = check_conflicts(target, plan, base)
        if conflicts:
            raise Conflict(
                f"changed in {target.env} since you started: {', '.join(conflicts)}; "
                "nothing was written",
                hint=f"review and reapply your edit on the new values: {target.resume_hint}",
            )
    except LiftError:
        save_changes(ctx, target, plan.writes, list(plan.removed))
        raise
    write(ctx, target, plan, advanced)
    discard_resume(ctx, target)
    ui.info(f"{target.env}: {plan.summary()}")
    return 0


def write(ctx: Context, target: Target, plan: ConfigPlan, advanced: bool) -> None:
    written: list[str] = []
    pending = dict(plan.writes)
    try:
        for key, value in sorted(plan.writes.items()):
            target.store.put(key, value, advanced=advanced)
            written.append(key)
            del pending[key]
        if plan.removed:
            target.store.delete(sorted(plan.removed))
    except LiftError as exc:
        save_changes(ctx, target, pending, list(plan.removed))
        done = ", ".join(written) or "none"
        raise LiftError(
            f"{exc.message}; written: {done}; not written: "
            f"{', '.join(sorted([*pending, *plan.removed]))}",
            hint=f"retry the rest with: {target.resume_hint}",
        ) from exc
