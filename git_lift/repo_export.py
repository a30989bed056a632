"""Repo.export_tree (repo.py): a commit's files written into a new folder, as `git archive`
would, refusing any path or link that would land outside it; and Repo.contained, the same
check for a path of the work tree."""

from __future__ import annotations

import os
from pathlib import Path

from git_lift import tree_paths
from git_lift.errors import ValidationError
from git_lift.repo_base import RepoBase, pygit2


class TreeExport(RepoBase):
    """Repo's writing of a commit's files, and its containment check."""

    def contained(self, relative: str, root: Path | None = None) -> Path:
        """`root/relative` with symlinks resolved, refused unless it stays inside `root` (the
        work tree by default): a committed symlink must not lead a build or a read outside."""
        top = (root or self.workdir).resolve()
        path = (top / relative).resolve()
        if path != top and top not in path.parents:
            raise ValidationError(
                f"{relative} leads outside the repository (to {path})",
                hint=f"make {relative} a path inside the repository, not a link out of it",
            )
        return path

    def export_tree(self, commit_sha: str, destination: Path) -> None:
        """Write a commit's files (not the work tree's) into the new folder `destination`, as
        `git archive` would. Every entry is checked before anything is written (tree_paths):
        a name that is not one plain component, or a symlink that, resolved, leads out of the
        folder, is refused. Writing goes through folder descriptors and never follows a link."""
        entries: list[tuple[tuple[str, ...], pygit2.Object, int]] = []
        self._walk(self._repo[commit_sha].peel(pygit2.Tree), (), entries)
        links = {
            parts: os.fsdecode(obj.peel(pygit2.Blob).data)
            for parts, obj, mode in entries
            if mode == pygit2.GIT_FILEMODE_LINK
        }
        for parts in links:
            if tree_paths.link_leaves(links, parts):
                shown = "/".join(parts)
                raise ValidationError(
                    f"{shown} is a symbolic link out of the repository ({links[parts]})",
                    hint=f"commit {shown} as a file or a link inside the repository",
                )
        destination.mkdir()
        top = os.open(destination, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        folders: dict[tuple[str, ...], int] = {(): top}
        try:
            for parts, obj, mode in entries:
                at, name = folders[parts[:-1]], parts[-1]
                if mode == pygit2.GIT_FILEMODE_TREE:
                    os.mkdir(name, 0o755, dir_fd=at)
                    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                    folders[parts] = os.open(name, flags, dir_fd=at)
                elif mode == pygit2.GIT_FILEMODE_LINK:
                    os.symlink(links[parts], name, dir_fd=at)
                else:
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                    file = os.open(name, flags, 0o600, dir_fd=at)
                    with os.fdopen(file, "wb") as out:
                        out.write(obj.peel(pygit2.Blob).data)
                        executable = mode == pygit2.GIT_FILEMODE_BLOB_EXECUTABLE
                        os.fchmod(out.fileno(), 0o755 if executable else 0o644)
        finally:
            for descriptor in folders.values():
                os.close(descriptor)

    def _walk(
        self,
        tree: pygit2.Tree,
        prefix: tuple[str, ...],
        found: list[tuple[tuple[str, ...], pygit2.Object, int]],
    ) -> None:
        """Every file, folder and link of a tree, parents first; an unsafe name refused.
        Submodules (commit entries) are not part of the commit's files, as in git archive."""
        for entry in tree:
            name = os.fsdecode(entry.raw_name or b"")
            why = tree_paths.unsafe_name(name)
            if why is not None:
                raise ValidationError(
                    f"the commit has a file named {'/'.join((*prefix, name))!r}, {why}: git "
                    "never checks such a path out, and git lift does not write it",
                    hint="ship a commit without it (git fsck names such entries)",
                )
            parts, mode = (*prefix, name), entry.filemode
            if mode == pygit2.GIT_FILEMODE_TREE:
                found.append((parts, entry, mode))
                self._walk(self._repo[entry.id].peel(pygit2.Tree), parts, found)
            elif mode in (
                pygit2.GIT_FILEMODE_LINK,
                pygit2.GIT_FILEMODE_BLOB,
                pygit2.GIT_FILEMODE_BLOB_EXECUTABLE,
            ):
                found.append((parts, self._repo[entry.id], mode))
