"""The config lock in use (issue 24; the file itself is git_lift/lockfile.py). Where the trusted
release policy sets `env.NAME.configLock = true`:

- a config write (set, edit, import, unset, restore) records the keys it touched in the work
  tree's lock, written atomically; the user commits it, and the change is reviewed like code;
- a release (ship, promote, a pushed tag, release-config: ship_plan's CheckConfigLock step,
  before anything is built or deployed) is refused when the store differs from the lock of
  the commit it releases, naming the keys, never a value;
- `config sync` (flows/config_sync.py) puts the lock's values back.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from git_lift import names, ui
from git_lift.errors import LiftError, ValidationError
from git_lift.flows.context import Context
from git_lift.lockfile import Lock, differences, lock_path
from git_lift.target import Target


def where(target: Target) -> str:
    return lock_path(target.service.path, target.env)


def read_work_tree(ctx: Context, target: Target) -> Lock | None:
    """The work tree's lock (None: there is none); a damaged one is a ValidationError."""
    path = ctx.repo.contained(where(target))
    if not path.exists():
        return None
    return Lock.parse(path.read_text(encoding="utf-8"), where(target))


def write(ctx: Context, target: Target, lock: Lock) -> str:
    """Replace the work tree's lock in one rename: a reader never sees half a file."""
    path = ctx.repo.contained(where(target))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(lock.render(str(target)))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # a committed file, not a private one: it holds no value
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return where(target)


def require_readable(ctx: Context, target: Target) -> None:
    """Before a write: where the lock is on, its file must be readable (not a merge conflict),
    or the write would land without being recorded."""
    if not target.environment.config_lock:
        return
    try:
        read_work_tree(ctx, target)
    except ValidationError as bad:
        raise ValidationError(f"{bad.message}; nothing was written", hint=bad.hint) from None


def record(ctx: Context, target: Target, keys: Iterable[str]) -> None:
    """After a write to the store: the touched keys' new versions and hashes into the lock
    (a key gone from the store leaves it). Without a lock yet, the whole store is recorded."""
    if not target.environment.config_lock:
        return
    touched = sorted(set(keys))
    lock = read_work_tree(ctx, target)
    if lock is None:
        lock_store(ctx, target)
        return
    found = ctx.parameters(target).read_keys(touched)
    for key in touched:
        if key in found:
            lock.put(key, found[key].version, found[key].value)
        else:
            lock.keys.pop(key, None)
    path = write(ctx, target, lock)
    ui.info(f"{path} records {names.listed(touched)}: commit it with the change")


def lock_store(ctx: Context, target: Target) -> int:
    """`config lock -e ENV`: the store as it is into the lock (its salt kept), for review."""
    try:
        found = read_work_tree(ctx, target)
    except ValidationError:
        found = None  # a damaged lock (a merge conflict) is rewritten whole
    lock = Lock() if found is None else found
    before = {key: item.version for key, item in lock.keys.items()}
    lock.keys = {}
    for key, parameter in ctx.parameters(target).read().items():
        lock.put(key, parameter.version, parameter.value)
    changed = differences(lock, before)  # what the file changes, seen from the old file
    path = write(ctx, target, lock)
    counted = f"{names.plural(len(lock.keys), 'key')} of {target}"
    if found is None:  # a new file (or a damaged one rewritten): all it says is new
        what = "a new file"
    else:
        what = f"changed: {names.listed(list(changed))}" if changed else "nothing changed"
    ui.info(
        f"{path}: {counted}; {what}. Commit it: releases compare the store with the lock of "
        "the commit they release"
    )
    if not target.environment.config_lock:
        ui.warn(
            f"configLock is off for {target.env}: nothing checks this lock until the default "
            f'branch\'s .gitlift sets configLock = true in [env "{target.env}"]'
        )
    return 0


def outside_review(ctx: Context, target: Target, lock: Lock) -> dict[str, str]:
    """KEY -> how the store differs from `lock`: names from DescribeParameters (`added`,
    `removed`), then the values of the keys both have (GetParameters, ten a call) against the
    lock's hashes (`changed`). A value is judged, not its version: one written back by `config
    sync` is a new version with the locked hash and passes; a parameter deleted and recreated
    up to its locked version number with another value does not."""
    store = ctx.parameters(target)
    found = {key: how for key, how in differences(lock, store.names()).items() if how != "changed"}
    both = [key for key in lock.keys if key not in found]
    values = store.read_keys(both)
    for key in both:
        if key not in values:  # removed between the listing and the read
            found[key] = "removed"
        elif not lock.holds(key, values[key].value):
            found[key] = "changed"
    return dict(sorted(found.items()))


def check(ctx: Context, target: Target, commit: str) -> None:
    """Refuse a release of `commit` when the store is not what its lock says."""
    path, env = where(target), target.env
    text = ctx.repo.read_file_at(commit, path)
    if text is None:
        raise LiftError(
            f"configLock is on for {env} and commit {commit[:12]} has no {path}; "
            "nothing was released",
            hint=f"write it: git lift config lock -e {env}{ctx.service_flag(target.name)}, "
            f"commit {path}, then release that commit",
        )
    found = outside_review(ctx, target, Lock.parse(text, path))
    if not found:
        return
    listed = names.listed([f"{key} ({how})" for key, how in found.items()])
    raise LiftError(
        f"config of {target} differs from {path} of {commit[:12]} (changed outside review?): "
        f"{listed}; nothing was released",
        hint=fix_hint(ctx, target, found),
    )


def fix_hint(ctx: Context, target: Target, found: dict[str, str]) -> str:
    env, path = f"{target.env}{ctx.service_flag(target.name)}", where(target)
    try:
        ahead = read_work_tree(ctx, target)
    except ValidationError:
        ahead = None
    if ahead is not None and not (set(found) & set(outside_review(ctx, target, ahead))):
        return f"your work tree's {path} has these changes: commit it, then release that commit"
    return (
        f"put back what the lock says: git lift config sync -e {env}; or keep the store: "
        f"git lift config lock -e {env}, then commit {path} for review"
    )
