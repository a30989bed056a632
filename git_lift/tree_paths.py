"""Whether a commit's tree can be written under a folder without leaving it; pure.

A commit read straight from the object store (`ship --ref`, a pushed tag's release) may hold
entries git itself refuses to check out: fetch does not fsck by default, so a pushed tree can
name an entry `../../x`, `/etc/x` or `.git`, or hold a symlink out. Every entry is checked
here, all before anything is written (repo.export_tree), and the export then writes through
folder descriptors that cannot leave the folder either.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_LINK_HOPS = 40  # as Linux's ELOOP limit: more links than this in one path is a loop


def unsafe_name(name: str) -> str | None:
    """Why a tree entry's name may not be written as one folder entry; None when it may."""
    if not name:
        return "an empty name"
    if "\0" in name:
        return "a NUL byte in its name"
    if name.startswith("/"):
        return "an absolute path"
    if "/" in name:
        return "a path of several components"
    if name in (".", ".."):
        return f"a {name!r} component"
    if name.lower() == ".git":
        return "a .git component"
    return None


def link_leaves(links: Mapping[tuple[str, ...], str], link: tuple[str, ...]) -> bool:
    """Whether the symlink at `link` (folder parts and name), resolved through the other
    links of the same tree as the kernel would, leads outside the folder (or loops)."""
    target = links[link]
    if target.startswith("/"):
        return True
    where = list(link[:-1])
    pending = target.split("/")
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not where:
                return True
            where.pop()
            continue
        where.append(part)
        through = links.get(tuple(where))
        if through is not None:
            hops += 1
            if hops > MAX_LINK_HOPS or through.startswith("/"):
                return True
            where.pop()
            pending = through.split("/") + pending
    return False
