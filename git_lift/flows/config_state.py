"""What a config change leaves under `.git/lift/` (0600) so that nothing is lost:

- the pending edit (`config-edit-ENV.SERVICE.env`): changes not applied yet, kept until
  `config edit --resume` applies them or `--discard` drops them; a later failing write adds
  its own unapplied changes to it, never replaces it, and a later successful write of a key
  drops that key from it. Input refused before any write (too large, empty, not confirmed)
  is not kept: it was never an edit in progress;
- the journal of an apply in flight (`config-apply-ENV-SERVICE.PID.json`), written before
  the first write and updated after each: when its process is gone (kill -9, power cut),
  the next command turns it into the pending edit and says so;
- the values of removed keys (`config-undo-ENV.SERVICE.env`) for `config restore --undo`.

Updates of these files by parallel processes are serialised with a lock on the folder.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from git_lift import envfile, proc, ui
from git_lift.flows.context import Context
from git_lift.flows.editor import write_private
from git_lift.flows.local_state import json_object, read_local

if TYPE_CHECKING:
    from git_lift.target import Target

RAW_MARKER = "# git-lift-resume: raw"
CHANGES_MARKER = "# git-lift-resume: changes"
REMOVED_PREFIX = "# removed:"
VERSIONS_PREFIX = "# versions:"


@dataclass
class Changes:
    """Keys to write and keys to remove, not applied yet, with the version each key had when
    the change was planned (0: absent): `--resume` tells a key someone changed since (a
    conflict, shown rather than overwritten) from one it may still write."""

    writes: dict[str, str] = field(default_factory=dict)
    removes: set[str] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.writes) + len(self.removes)

    def then(self, newer: Changes) -> Changes:
        """These changes followed by newer ones: the newer intention wins per key."""
        writes = {k: v for k, v in self.writes.items() if k not in newer.removes} | newer.writes
        removes = (self.removes - set(newer.writes)) | newer.removes
        return Changes(writes, removes, self.versions | newer.versions)

    def without(self, keys: Iterable[str]) -> Changes:
        """These changes less some keys (written since by a later change)."""
        gone = set(keys)
        writes = {k: v for k, v in self.writes.items() if k not in gone}
        return Changes(writes, self.removes - gone, self.versions)

    def render(self) -> str:
        header = [CHANGES_MARKER]
        if self.removes:
            header.append(f"{REMOVED_PREFIX} {' '.join(sorted(self.removes))}")
        versions = {k: v for k, v in self.versions.items() if k in self.writes or k in self.removes}
        if versions:
            pairs = " ".join(f"{k}={v}" for k, v in sorted(versions.items()))
            header.append(f"{VERSIONS_PREFIX} {pairs}")
        return "\n".join(header) + "\n" + envfile.render(self.writes)

    @classmethod
    def parse(cls, text: str) -> Changes:
        def listed(prefix: str) -> list[str]:
            return [
                item
                for line in text.splitlines()
                if line.startswith(prefix)
                for item in line.removeprefix(prefix).split()
            ]

        versions = {k: int(v) for k, _, v in (p.partition("=") for p in listed(VERSIONS_PREFIX))}
        return cls(envfile.parse_lines(text).as_dict(), set(listed(REMOVED_PREFIX)), versions)


def folder(ctx: Context) -> Path:
    path = ctx.repo.git_dir / "lift"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@contextmanager
def locked(ctx: Context) -> Iterator[Path]:
    """The state folder, locked against other git-lift processes of this repository."""
    path = folder(ctx)
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)  # releases the lock


def write_atomic(path: Path, text: str) -> None:
    """Replace a file in one step: a process killed meanwhile leaves the old or the new."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private(partial, text)
    os.replace(partial, path)


def resume_hint(target: Target) -> str:
    """The command that reopens the pending edit."""
    return f"git lift config edit -e {target.env} -s {target.name} --resume"


def private_path(ctx: Context, target: Target, kind: str, suffix: str) -> Path:
    """This target's file of `kind` under .git/lift/. A file an older git lift kept under its
    former name (`config-edit-ENV-SERVICE.env`, before env and service were joined by a dot)
    is renamed to it first, so an upgrade loses no kept edit, undo or unrecorded release;
    unless that name could be another target's of this repository (`eu`, `prod-api` and
    `eu-prod`, `api`), which only the user can tell apart: then it is left, with a warning."""
    path = folder(ctx) / target.private_file(kind, suffix)
    former = path.with_name(target.former_private_file(kind, suffix))
    if path.exists() or not former.exists():
        return path
    from git_lift.target import former_private_file  # only on this rare path

    sharing = [
        f"{env} / {service}"
        for env in ctx.settings.environments
        for service in ctx.settings.services
        if former_private_file(kind, env, service, suffix) == former.name
        and (env, service) != (target.env, target.name)
    ]
    if sharing:
        ui.warn(
            f"{former} was kept by an older git lift for {target} or {sharing[0]}; "
            f"rename it to {path.name} if it is {target}'s"
        )
    else:
        os.replace(former, path)
    return path


def pending_path(ctx: Context, target: Target) -> Path:
    return private_path(ctx, target, "config-edit", ".env")


def undo_path(ctx: Context, target: Target) -> Path:
    return private_path(ctx, target, "config-undo", ".env")


def read_pending(ctx: Context, target: Target) -> str | None:
    """The pending edit's text; None when there is none (or it was damaged: moved aside)."""
    return read_local(
        pending_path(ctx, target),
        lambda text: text,
        lost=f"its changes are not applied; see the config: git lift config show -e {target.env}",
    )


def keep(ctx: Context, target: Target, changes: Changes, *, replace: bool) -> bool:
    """Add unapplied changes to the pending edit (or replace it, for `--resume`); False when
    the pending edit is raw text that cannot take them (it is left as it is)."""
    path = pending_path(ctx, target)
    existing = None if replace else read_pending(ctx, target)
    if replace or existing is None:
        write_atomic(path, changes.render())
        return True
    if existing.startswith(RAW_MARKER):
        return False
    write_atomic(path, Changes.parse(existing).then(changes).render())
    return True


def forget(ctx: Context, target: Target, keys: Iterable[str]) -> None:
    """Drop keys a later change wrote from the pending edit: replaying its older value would
    undo that write. A pending edit left with nothing is removed."""
    with locked(ctx):
        existing = read_pending(ctx, target)
        if existing is None or existing.startswith(RAW_MARKER):
            return
        before = Changes.parse(existing)
        left = before.without(keys)
        if len(left) == len(before):
            return
        if left:
            write_atomic(pending_path(ctx, target), left.render())
        else:
            pending_path(ctx, target).unlink(missing_ok=True)


def save_undo(ctx: Context, target: Target, values: dict[str, str]) -> Path:
    """Keep removed keys' values (merged with earlier removals) before they are deleted."""
    with locked(ctx):
        path = undo_path(ctx, target)
        earlier = envfile.parse_lines(path.read_text(encoding="utf-8")) if path.exists() else None
        write_atomic(path, envfile.render((earlier.as_dict() if earlier else {}) | values))
    return path


@dataclass
class Journal:
    """The plan of one apply, on disk before its first write, shrinking as keys are written."""

    path: Path
    total: int
    left: Changes

    @classmethod
    def start(cls, ctx: Context, target: Target, changes: Changes) -> Journal:
        path = folder(ctx) / target.private_file("config-apply", f".{os.getpid()}.json")
        left = Changes(dict(changes.writes), set(changes.removes), dict(changes.versions))
        journal = cls(path, len(changes), left)
        journal._save()
        return journal

    def _save(self) -> None:
        document = {
            "pid": os.getpid(),
            "total": self.total,
            "writes": self.left.writes,
            "removes": sorted(self.left.removes),
            "versions": self.left.versions,
        }
        write_atomic(self.path, json.dumps(document))

    @staticmethod
    def parse(text: str) -> tuple[int, int, Changes]:
        """The process id, the number of changes and what is left, of a journal's text."""
        document = json_object(text)
        left = Changes(
            dict(document["writes"]),
            set(document["removes"]),
            {k: int(v) for k, v in dict(document.get("versions", {})).items()},
        )
        return int(document["pid"]), int(document["total"]), left

    def done(self, *keys: str) -> None:
        for key in keys:
            self.left.writes.pop(key, None)
            self.left.removes.discard(key)
        self._save()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def holder_gone(holder: str) -> bool:
    """Whether a lease holder is a process on this machine that no longer runs."""
    return proc.holder_alive(holder) is False


def recover_interrupted(ctx: Context, target: Target) -> None:
    """Turn journals of dead processes into the pending edit, and say what happened."""
    lost = (
        "an interrupted apply's list of unwritten keys is lost; "
        f"see the config: git lift config show -e {target.env}"
    )
    with locked(ctx) as path:
        for journal in sorted(path.glob(target.private_file("config-apply", ".*.json"))):
            found = read_local(journal, Journal.parse, lost=lost)
            if found is None or proc.alive(found[0]):
                continue
            _, total, left = found
            keep(ctx, target, left, replace=False)
            journal.unlink()
            ui.warn(
                f"an apply to {target} was interrupted: {total - len(left)} of "
                f"{total} written; the rest is kept: {resume_hint(target)}"
            )
