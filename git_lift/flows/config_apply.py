"""One path for every config change (edit, set, unset, import, restore):
plan -> show masked diff -> confirm -> re-check versions -> write -> report."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from git_lift import envfile, names, proc, ui
from git_lift.aws.ssm import ADVANCED_LIMIT, STANDARD_LIMIT, Parameter, ParameterStore
from git_lift.errors import Conflict, LiftError, Unreachable, UsageError, ValidationError
from git_lift.flows import config_lock
from git_lift.flows import config_state as state
from git_lift.flows.config_state import resume_hint
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.plan import ConfigPlan, config_plan, render_config_plan
from git_lift.target import Target

MAX_QUIET_REMOVALS = 3  # removing more keys at once asks for the typed confirmation
LEASE_TTL = 60.0  # seconds a writer holds the lease unless it renews it
LEASE_WAIT = 90.0  # how long a writer waits for another one to finish


def save_raw(ctx: Context, target: Target, text: str) -> None:
    """Keep an edited text that could not be read, as `--resume` reopens it."""
    with state.locked(ctx):
        state.write_atomic(state.pending_path(ctx, target), f"{state.RAW_MARKER}\n{text}")


def keep_changes(ctx: Context, target: Target, changes: state.Changes, *, replace: bool) -> None:
    """Keep what was not applied, so `--resume` replays it on top of the store as it is then."""
    if not changes:
        return
    with state.locked(ctx):
        kept = state.keep(ctx, target, changes, replace=replace)
    if not kept:
        ui.warn(
            "these changes were not kept: an earlier unfinished edit is pending; "
            f"finish it first: {resume_hint(target)}"
        )


def pending_notice(ctx: Context, target: Target) -> bool:
    """Recover an apply that was killed, and warn when an unfinished edit is pending."""
    state.recover_interrupted(ctx, target)
    text = state.read_pending(ctx, target)
    if text is None:
        return False
    raw = text.startswith(state.RAW_MARKER)
    size = "" if raw else f" ({names.plural(len(state.Changes.parse(text)), 'key')})"
    ui.warn(
        f"an unfinished edit of {target} is pending{size}: "
        f"{resume_hint(target)} (or --discard to drop it)"
    )
    return True


def load_resume(ctx: Context, target: Target, base: dict[str, Parameter]) -> str:
    """The text to reopen in the editor: raw as saved, or saved changes replayed on the store
    as it is (`base`). A key changed since the edit was kept is a conflict: the store's
    newer value stays unless the user picks the kept one, shown in a comment."""
    state.recover_interrupted(ctx, target)
    text = state.read_pending(ctx, target)
    if text is None:
        raise UsageError(
            f"there is no unfinished edit of {target}",
            hint=f"start one with: git lift config edit -e {target.env}",
        )
    if text.startswith(state.RAW_MARKER):
        return text.split("\n", 1)[1] if "\n" in text else ""
    changes = state.Changes.parse(text)
    clashes = conflicts(changes, base)
    current = {key: p.value for key, p in base.items()}
    merged = {k: v for k, v in current.items() if k not in changes.removes or k in clashes}
    merged |= {k: v for k, v in changes.writes.items() if k not in clashes}
    if not clashes:
        return envfile.render(merged)
    notes = [
        f"# Conflicts: changed in {target.env} since this edit was kept. The store's value is",
        "# below; to apply the kept change instead, make the line say what this comment says.",
    ]
    for key in clashes:
        ui.warn(
            f"conflict: {key} changed in {target.env} since the edit was kept; the store's "
            "value stays unless you choose the kept one (shown in the editor)"
        )
        kept = changes.writes.get(key)
        notes.append(
            f"#   {envfile.render({key: kept}).rstrip()}"
            if kept is not None
            else f"#   (the kept edit removes {key}: delete its line)"
        )
    return "\n".join(notes) + "\n\n" + envfile.render(merged)


def conflicts(changes: state.Changes, base: dict[str, Parameter]) -> list[str]:
    """Kept changes of keys whose version moved since they were kept, unless the store holds
    what they wanted already (a write whose answer was lost had landed)."""
    found = []
    for key in sorted([*changes.writes, *changes.removes]):
        now = base.get(key)
        if key not in changes.versions or changes.versions[key] == (now.version if now else 0):
            continue
        wanted = changes.writes.get(key)
        already = now is None if wanted is None else now is not None and now.value == wanted
        if not already:
            found.append(key)
    return found


def discard_resume(ctx: Context, target: Target) -> bool:
    """Drop the pending edit, whatever it holds (damaged included); False if there was none."""
    with state.locked(ctx):
        path = state.pending_path(ctx, target)
        existed = path.exists()
        path.unlink(missing_ok=True)
    return existed


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
            f"value too large for Parameter Store's {limit}-byte limit: {listed}; "
            "nothing was written",
            hint=hint,
        )
    if empty:
        raise ValidationError(
            f"Parameter Store cannot hold an empty value: {', '.join(sorted(empty))}; "
            "nothing was written",
            hint="give the key a value, or unset it",
        )


@dataclass(frozen=True)
class Removal:
    """What a change may remove: env.sample's keys, and whether scripts may remove them."""

    required: frozenset[str] = frozenset()
    allowed: bool = False  # --allow-removing-required


def confirm_change(ctx: Context, target: Target, plan: ConfigPlan, removal: Removal) -> None:
    """The usual confirmation; removing env.sample's keys or more than a few keys at once
    needs the environment's name typed, or --yes with --allow-removing-required."""
    named = sorted(set(plan.removed) & removal.required)
    risky = bool(named) or len(plan.removed) > MAX_QUIET_REMOVALS
    if risky:
        ui.warn(
            f"this removes {names.plural(len(plan.removed), 'key')} from {target}"
            + (f", {len(named)} of them named in env.sample ({', '.join(named)})" if named else "")
        )
        if ctx.options.yes and not removal.allowed:
            raise UsageError(
                f"removing {names.plural(len(plan.removed), 'key')} from {target.env} needs "
                "--allow-removing-required with --yes; nothing was written",
                hint="review the keys above, then add --allow-removing-required",
            )
    confirm(
        ctx,
        target.env,
        typed=target.environment.confirm or risky,
        what=f"writing to {target.env}",
        refused="nothing was written",
        question=f"Apply to {target.env}?",
    )


def apply(
    ctx: Context,
    target: Target,
    base: dict[str, Parameter],
    desired: dict[str, str],
    *,
    show_values: bool = False,
    advanced: bool = False,
    removal: Removal = Removal(),
    resuming: bool = False,
    keep_refused: bool = False,
    record_lock: bool = True,
) -> int:
    """Write `desired` over `base` (what was read before the user decided) after a confirm.
    `resuming`: the change is the pending edit itself, which it replaces or completes.
    `record_lock`: the written keys go into the config lock (configLock; not `config sync`)."""
    plan = config_plan({key: p.value for key, p in base.items()}, desired)
    if plan.empty:
        ui.info(f"no changes to {target}")
        if resuming:
            discard_resume(ctx, target)
        return 0
    target.check_keys(plan.writes)  # bad input: refused, and not kept for --resume
    if record_lock:
        config_lock.require_readable(ctx, target)  # a damaged lock: refused before writing
    versions = {key: base[key].version if key in base else 0 for key in plan.touched}
    left = state.Changes(dict(plan.writes), set(plan.removed), versions)
    # Input refused before any write is not an edit in progress: nothing is kept, except an
    # editor's text (`keep_refused`), which --resume reopens to fix.
    try:
        check_sizes(plan, advanced)
    except ValidationError:
        if keep_refused:
            keep_changes(ctx, target, left, replace=resuming)
            ui.info(f"your edit is kept: {resume_hint(target)} (or --discard to drop it)")
        raise
    ui.info(f"Changes to {target} ({plan.summary()}):")
    ui.diff_lines(render_config_plan(plan, show_values=show_values))
    confirm_change(ctx, target, plan, removal)
    try:
        store = ctx.parameters(target)
        with writers_lease(ctx, target) as renew:
            unchanged(store, plan, base)  # under the lease: nobody writes now
            write(ctx, store, plan, base, advanced, left, renew)
    except Conflict as conflict:
        # The user is told and resumes knowingly: from now on, the versions seen now count.
        left.versions |= conflict.versions or {}
        keep_changes(ctx, target, left, replace=resuming)
        raise
    except BaseException:  # Ctrl-C and SIGTERM included: what is left is kept
        keep_changes(ctx, target, left, replace=resuming)
        raise
    if resuming:
        discard_resume(ctx, target)
    else:
        state.forget(ctx, target, plan.touched)
    ui.info(f"{target.env}: {plan.summary()}")
    if record_lock:
        config_lock.record(ctx, target, plan.touched)
    return 0


def unchanged(store: ParameterStore, plan: ConfigPlan, base: dict[str, Parameter]) -> None:
    """The touched keys still have the versions the plan was made on, or a Conflict."""
    store.require_versions(
        {key: base[key].version if key in base else None for key in plan.touched},
        hint=f"review and reapply your edit on the new values: {resume_hint(store.target)}",
    )


@contextmanager
def writers_lease(ctx: Context, target: Target) -> Iterator[Callable[[], None]]:
    """Hold the environment's config-writers lease (waiting, with bounded backoff, for another
    writer to finish); yields a function that renews it during long writes."""
    store, clock = ctx.aws.table(target.env), ctx.aws.clock
    owner = proc.holder_name()
    deadline = clock() + LEASE_WAIT
    delay = 0.05
    gone = ""
    while not store.take_config_lease(target, owner, LEASE_TTL, replacing=gone):
        holder = store.config_lease_holder(target) or ""
        if state.holder_gone(holder):  # a writer on this machine that died holding it
            gone = holder
            continue
        if clock() > deadline:
            raise LiftError(
                f"another config write to {target} did not finish "
                f"within {LEASE_WAIT:.0f}s; nothing was written",
                hint=f"run the command again (an abandoned lease expires in {LEASE_TTL:.0f}s)",
            )
        ctx.aws.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 1.0)
    taken = clock()

    def renew() -> None:
        nonlocal taken
        if clock() - taken > LEASE_TTL / 3:
            store.take_config_lease(target, owner, LEASE_TTL)
            taken = clock()

    try:
        yield renew
    finally:
        # Best effort: when AWS is unreachable the lease expires, or is taken over as ours is
        # a dead process's; the write's own error is what the user must see.
        with contextlib.suppress(LiftError):
            store.release_config_lease(target, owner)


def write(
    ctx: Context,
    store: ParameterStore,
    plan: ConfigPlan,
    base: dict[str, Parameter],
    advanced: bool,
    left: state.Changes,
    renew: Callable[[], None],
) -> None:
    """Write key by key, the journal on disk first; `left` shrinks as keys are written."""
    target = store.target
    journal = state.Journal.start(ctx, target, left)
    written: list[str] = []
    sent: list[str] = []  # keys of the request in flight
    try:
        for key, value in sorted(plan.writes.items()):
            sent = [key]
            store.put(key, value, advanced=advanced)
            written.append(key)
            del left.writes[key]
            journal.done(key)
            renew()
        if plan.removed:
            removed = sent = sorted(plan.removed)
            path = state.save_undo(ctx, target, {k: base[k].value for k in removed})
            store.delete(removed)
            left.removes.clear()
            journal.done(*removed)
            ui.info(
                f"the removed values are kept in {path}; bring them back with: "
                f"git lift config restore --undo -e {target.env} -s {target.name}"
            )
    except LiftError as exc:
        # A request that reached AWS and lost its answer may have been applied: say so rather
        # than "not written" (a refusal from AWS is an answer: that key was not written).
        unknown = sent if isinstance(exc, Unreachable) else []
        rest = sorted((set(left.writes) | left.removes) - set(unknown))
        outcome = f"written: {', '.join(written) or 'none'}; "
        if unknown:
            outcome += f"unknown: {', '.join(unknown)} (AWS may have applied it); "
        raise LiftError(
            f"{exc.message}; {outcome}not written: {', '.join(rest) or 'none'}",
            hint=f"retry the rest with: {resume_hint(target)}",
        ) from exc
    except BaseException:
        ui.warn(
            f"interrupted: written: {', '.join(written) or 'none'}; the rest is kept: "
            f"{resume_hint(target)}"
        )
        raise
    finally:
        journal.close()  # the caller keeps `left` as the pending edit
