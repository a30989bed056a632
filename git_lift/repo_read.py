"""What Repo (repo.py) reads through the git program rather than pygit2: HEAD, config,
the branches, files at a commit or staged, merge bases. A hook reads only these, so it never
loads pygit2 (repo_base.py says why). Objects are read through one `git cat-file --batch`
for the whole command; config and branches are listed once per command in a hook (git holds
its lock meanwhile: nothing moves), on every call elsewhere.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from git_lift import envfile, proc
from git_lift.errors import UsageError, ValidationError
from git_lift.records import record
from git_lift.repo_base import Found, RepoBase, pygit2, redact_url
from git_lift.repo_objects import Objects, tree_entry

ZERO_SHA = "0" * 40
SYMLINK = "120000"
TREE = "40000"  # a folder's mode in a tree object
FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
T = TypeVar("T")
STAGED = ("diff-index", "--cached", "--name-only", "--no-renames", "--diff-filter=d", "-z")
# What every command reads of the repository: its config, its branches and origin's.
LISTINGS = {
    "config": ("config", "--list", "-z"),
    "refs": (
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(*objectname)%00%(symref)",
        "refs/heads/",
        "refs/remotes/origin/",
    ),
}


@record(frozen=True)
class ConfigEntry:
    name: str
    value: str


def parse_config_list(output: str) -> list[ConfigEntry]:
    """`git config --list -z` output: `name\\nvalue` records separated by NUL."""
    entries = []
    for item in output.split("\0"):
        if item:
            name, _, value = item.partition("\n")
            entries.append(ConfigEntry(name, value))
    return entries


def read_config_file(path: Path) -> list[ConfigEntry]:
    """Entries of a git-config-syntax file such as .gitlift; malformed -> error with its line
    (as libgit2 words it: git's own words name no column)."""
    listed = proc.run(
        ["git", "config", "--file", str(path), "--list", "-z"],
        env=proc.clean_env(drop_git=True),
        check=False,
    )
    if listed.returncode == 0:
        return parse_config_list(listed.stdout)
    try:
        config = pygit2.Config(str(path))
        return [ConfigEntry(entry.name, entry.value or "") for entry in config]
    except (pygit2.GitError, ValueError) as exc:
        text = str(exc)
        line = re.search(r":(\d+)(, column \d+)?\)\s*$", text)
        what = re.sub(r"^failed to parse config file: ", "", text.split(" (in ")[0]).strip()
        where = f" at line {line.group(1)}" if line else ""
        raise UsageError(
            f"{path.name} is malformed{where}: {what}",
            hint=f"fix it, then check it with: git config -f {path.name} --list",
        ) from exc


def folded_listing(path: Path) -> tuple[str, ...]:
    """`git config --list` with a config file's entries as well, by one git: the file is
    included from the command line, which git reads after every config file, and each entry
    says where it comes from (split_folded tells them apart)."""
    return ("-c", f"include.path={path}", "config", "--list", "-z", "--show-origin")


def split_folded(output: str, path: Path) -> tuple[list[ConfigEntry], list[ConfigEntry]] | None:
    """(the repository's config, the file's entries) from folded_listing's output, as `git
    config --list` and `git config --file PATH --list` give them: what the file includes in
    turn is left out, as --file leaves it. None when the output is not what was asked for."""
    fields = output.split("\0")
    pairs = [(fields[n], fields[n + 1]) for n in range(0, len(fields) - 1, 2)]
    included = ("command line:", f"include.path\n{path}")
    at = max((n for n, pair in enumerate(pairs) if pair == included), default=None)
    if at is None:
        return None
    source = f"file:{path}"
    theirs = [item for where, item in pairs[at + 1 :] if where == source]
    return parse_config_list("\0".join(item for _, item in pairs[:at])), parse_config_list(
        "\0".join(theirs)
    )


@record(frozen=True)
class Ref:
    commit: str  # what the ref points at, peeled through tags
    symbolic: str | None  # the ref it names, for a symbolic ref (origin/HEAD)


class GitReads(RepoBase):
    """Repo's reads through the git program."""

    def __init__(
        self,
        repository: pygit2.Repository | None = None,
        *,
        found: Found | None = None,
        snapshot: bool = False,
        with_config: str | None = None,
    ) -> None:
        """`snapshot`: a hook (see the module); `with_config`: a work-tree file in git-config
        syntax (.gitlift) that the hook lists with the config, by the same git."""
        super().__init__(repository, found=found)
        self._snapshot = snapshot  # a hook: config and branches are read once
        self._kept: dict[str, object] = {}
        workdir = self._found.workdir
        self._fold = workdir / with_config if snapshot and workdir and with_config else None
        if self._fold is not None and not self._fold.is_file():
            self._fold = None
        self._folded: list[ConfigEntry] | None = None  # the fold's entries, once listed
        listings = {**LISTINGS, **({"config": folded_listing(self._fold)} if self._fold else {})}
        # A hook reads them all: started at once, they run side by side.
        self._started = {
            name: proc.start_capture(
                ["git", *args], cwd=str(self._cwd), env=proc.clean_env(drop_git=True)
            )
            for name, args in listings.items()
            if snapshot
        }
        if snapshot and os.environ.get("GIT_INDEX_FILE"):  # a commit's hook: what it stages
            self._started["staged"] = proc.start_capture(
                ["git", *STAGED, "HEAD", "--"], cwd=str(self._cwd), env=self._index_env()
            )
        self._parsed: dict[bytes, list[ConfigEntry]] = {}  # config files read, by content
        self._objects = Objects(self._cwd, self._index_env())
        if snapshot:
            self._objects.start()

    @property
    def _cwd(self) -> Path:
        return self._found.workdir or self._found.git_dir

    def _read(self, *args: str, check: bool = True) -> proc.Result:
        return proc.run(
            ["git", *args], cwd=str(self._cwd), env=proc.clean_env(drop_git=True), check=check
        )

    def _listing(self, name: str) -> str:
        """The output of one of LISTINGS: started early in a hook, run now elsewhere."""
        started = self._started.pop(name, None)
        if started is not None:
            return proc.finish(started).stdout
        return self._read(*LISTINGS[name]).stdout

    def _once(self, name: str, compute: Callable[[], T]) -> T:
        if not self._snapshot:
            return compute()
        if name not in self._kept:
            self._kept[name] = compute()
        return self._kept[name]  # type: ignore[return-value]

    # config

    def _config(self) -> list[ConfigEntry]:
        def read() -> list[ConfigEntry]:
            if self._fold is not None and "config" in self._started:
                listed = proc.finish(self._started.pop("config"), check=False)
                split = split_folded(listed.stdout, self._fold) if not listed.returncode else None
                if split is not None:  # else (a malformed file) each is read on its own
                    own, self._folded = split
                    return own
            return parse_config_list(self._listing("config"))

        return self._once("config", read)

    def config_value(self, name: str) -> str | None:
        """The value git uses for `section[.subsection].key` (the last one set), None when
        unset. git lists sections and keys in lower case, subsections as spelt."""
        section, _, rest = name.partition(".")
        subsection, dot, key = rest.rpartition(".")
        wanted = f"{section.lower()}.{subsection}{dot}{key.lower()}"
        found = [e.value for e in self._config() if e.name == wanted]
        return found[-1] if found else None

    def config_entries(self, prefix: str) -> list[ConfigEntry]:
        """Entries of the repository's git config (all levels) under a prefix such as `lift.`."""
        return [entry for entry in self._config() if entry.name.startswith(prefix)]

    def remote_url(self, name: str = "origin") -> str | None:
        """The remote's URL (after url.<base>.insteadOf, as git and libgit2 read it) without
        the credentials it may hold (see redact_url): git lift prints it, labels images with
        it and names services after it, and needs the credentials for none."""
        url = self.config_value(f"remote.{name}.url")
        if url is None:
            return None
        bases = [
            (entry.value, entry.name[len("url.") : -len(".insteadof")])
            for entry in self._config()
            if entry.name.startswith("url.") and entry.name.lower().endswith(".insteadof")
        ]
        matching = [(prefix, base) for prefix, base in bases if url.startswith(prefix)]
        if matching:
            prefix, base = max(matching, key=lambda pair: len(pair[0]))
            url = base + url[len(prefix) :]
        return redact_url(url)

    # HEAD and branches

    def _refs(self) -> dict[str, Ref]:
        """The local branches and origin's, by full name."""

        def listed() -> dict[str, Ref]:
            refs = {}
            for line in self._listing("refs").splitlines():
                name, direct, peeled, symbolic = line.split("\0")
                refs[name] = Ref(peeled or direct, symbolic or None)
            return refs

        return self._once("refs", listed)

    def _head(self) -> tuple[str | None, str | None]:
        """(the branch HEAD is on, None when detached; its commit, None before the first)."""

        def read() -> tuple[str | None, str | None]:
            branch: str | None = self._head_file()
            if branch == "":
                named = self._read("symbolic-ref", "-q", "HEAD", check=False)
                branch = named.stdout.strip() if named.returncode == 0 else None
            if branch is not None and FULL_SHA.fullmatch(branch):  # detached
                return None, branch
            if branch is not None and branch.startswith("refs/heads/"):
                ref = self._refs().get(branch)
                return branch, ref.commit if ref else None
            at = self._read("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
            return branch, at.stdout.strip() or None

        return self._once("head", read)

    def _head_file(self) -> str:
        """What HEAD names as its file says it (a branch, or a commit when detached); "" when
        the file does not say (a reftable repository's placeholder): git must be asked."""
        try:
            text = (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return ""
        if text.startswith("ref: ") and text != "ref: refs/heads/.invalid":
            return text.removeprefix("ref: ").strip()
        return text if FULL_SHA.fullmatch(text) else ""

    def head_sha(self) -> str:
        commit = self._head()[1]
        if commit is None:
            raise ValidationError(
                "this repository has no commits yet",
                hint="commit your service first: git add -A && git commit -m 'Initial commit'",
            )
        return commit

    def head_ref(self) -> str | None:
        branch, commit = self._head()
        return branch if commit is not None else None

    def branch(self) -> str | None:
        """The current branch's short name, or None on a detached HEAD."""
        ref = self.head_ref()
        return ref.removeprefix("refs/heads/") if ref else None

    def head_target(self) -> str | None:
        """The branch HEAD names, even before its first commit; None when detached."""
        return self._head()[0]

    def has_commits(self) -> bool:
        return self._head()[1] is not None

    def resolve(self, revision: str) -> str:
        """A commit's full sha from any revision (branch, tag, sha prefix)."""
        commit = None
        if FULL_SHA.fullmatch(revision):
            found = self._objects.read(f"{revision}^{{commit}}")
            commit = found[0] if found and found[1] == "commit" else None
        elif not revision.startswith("-"):  # no revision does: it would be read as an option
            named = self._read("rev-parse", "-q", "--verify", f"{revision}^{{commit}}", check=False)
            commit = named.stdout.strip() if named.returncode == 0 else None
        if not commit:
            raise UsageError(
                f"unknown revision {revision!r}", hint="name a branch, tag or commit that exists"
            )
        return commit

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits; None when either is unknown here or they
        share no history."""
        if one.startswith("-") or other.startswith("-"):
            return None

        def read() -> str | None:
            found = self._read("merge-base", one, other, check=False)
            return (found.stdout.strip() or None) if found.returncode == 0 else None

        # A hook asks once for every environment the pushed branch maps to: one git process.
        return self._once(f"merge-base {one} {other}", read)

    # files

    def _entry(self, commit_sha: str, path: str) -> tuple[str, str] | None:
        """(mode, id) of a path as committed; None when it is not there."""
        folder, _, name = path.strip("/").rpartition("/")
        tree = self._objects.read(f"{commit_sha}:{folder}" if folder else f"{commit_sha}^{{tree}}")
        if tree is None or tree[1] != "tree" or not name:
            return None
        return tree_entry(tree[2], name, len(tree[0]) // 2)

    def _blob_at(self, commit_sha: str, path: str) -> bytes | None:
        """A file's bytes as committed, or None when it is not there. A committed symlink is
        refused: its target is a path on the reader's machine, not the commit's content."""
        entry = self._entry(commit_sha, path)
        if entry is None:
            return None
        if entry[0] == SYMLINK:
            raise ValidationError(
                f"{path} is a symbolic link at {commit_sha[:12]}",
                hint=f"commit {path} as a regular file",
            )
        blob = self._objects.read(entry[1])
        return blob[2] if blob and blob[1] == "blob" else None

    def read_file_at(self, commit_sha: str, path: str) -> str | None:
        """A file's text as committed (see _blob_at), or None when it is not there."""
        data = self._blob_at(commit_sha, path)
        return None if data is None else envfile.decode(data, path)

    def blob_id_at(self, commit_sha: str, path: str) -> str | None:
        """The id of a file's blob as committed (None when absent): equal ids, equal files."""
        entry = self._entry(commit_sha, path)
        return entry[1] if entry else None

    def tree_id_at(self, commit_sha: str, path: str) -> str | None:
        """The id of a folder's tree as committed (`.`: the whole commit's); None when there
        is no such folder. Equal ids, equal files: an image built from one is built from both."""
        path = posixpath.normpath(path.strip("/") or ".")
        if path == ".":
            tree = self._objects.read(f"{commit_sha}^{{tree}}")
            return tree[0] if tree and tree[1] == "tree" else None
        entry = self._entry(commit_sha, path)
        return entry[1] if entry and entry[0] == TREE else None

    def config_file_at(self, commit_sha: str, path: str) -> list[ConfigEntry]:
        """Entries of a git-config-syntax file as committed (empty when it is not there)."""
        data = self._blob_at(commit_sha, path)
        if data is None:
            return []
        envfile.decode(data, path)  # text within the size limit, or an error naming it
        if data in self._parsed:  # the same bytes as the work tree's: read already
            return self._parsed[data]
        result = self._read("config", "--blob", f"{commit_sha}:{path}", "--list", "-z", check=False)
        if result.returncode != 0:
            raise UsageError(
                f"{path} at {commit_sha[:12]} is malformed: {result.stderr.strip()}",
                hint=f"fix {path} on that branch and push the fix",
            )
        return parse_config_list(result.stdout)

    def config_file(self, path: Path) -> list[ConfigEntry]:
        """Entries of a git-config-syntax file of the work tree, such as .gitlift (see
        read_config_file); kept by content, so that the same file as committed is not read
        again (a .gitlift at the default branch's tip usually is the work tree's)."""
        data = path.read_bytes()
        if data not in self._parsed:
            if path == self._fold:
                self._config()  # lists it
            folded = self._folded if path == self._fold else None
            self._parsed[data] = read_config_file(path) if folded is None else folded
        return self._parsed[data]

    # the index being committed

    def _index_env(self) -> dict[str, str]:
        """Inside a pre-commit hook git names the index in GIT_INDEX_FILE: `git commit -a` and
        `git commit PATH` stage into a temporary index, not .git/index."""
        env = proc.clean_env(drop_git=True)
        named = os.environ.get("GIT_INDEX_FILE")
        if named:
            env["GIT_INDEX_FILE"] = os.path.abspath(named)  # relative to the hook's cwd, the top
        return env

    def read_staged_file(self, path: str) -> str | None:
        """A file's text as staged in the index, or None when it is not staged."""
        if self._snapshot:  # a hook: the index stays as git handed it over
            found = self._objects.read(f":{path}")
        else:
            index = Objects(self._cwd, self._index_env())  # the index as it is now
            try:
                found = index.read(f":{path}")
            finally:
                index.close()
        return envfile.decode(found[2], path) if found and found[1] == "blob" else None

    def staged_paths(self) -> list[str]:
        """Paths whose staged content differs from HEAD (added, modified or renamed); read
        once in a hook, where the env.sample and the code checks both ask."""
        return self._once("staged", self._staged_paths)

    def tracked_paths(self) -> list[str]:
        """Every path in the index (`git ls-files`): what a check of the whole tree reads."""
        listed = proc.run(
            ["git", "ls-files", "--cached", "-z"], cwd=str(self._cwd), env=self._index_env()
        )
        return sorted(set(filter(None, listed.stdout.split("\0"))))

    def _staged_paths(self) -> list[str]:
        started = self._started.pop("staged", None)
        if self.has_commits():
            if started is not None:  # the hook started it: HEAD has not moved since
                found = proc.finish(started)
            else:
                listed = [*STAGED, self.head_sha(), "--"]
                found = proc.run(["git", *listed], cwd=str(self._cwd), env=self._index_env())
        else:
            if started is not None:
                proc.finish(started, check=False)  # no HEAD to compare with: it failed
            listed = ["ls-files", "--cached", "-z"]
            found = proc.run(["git", *listed], cwd=str(self._cwd), env=self._index_env())
        return sorted(set(filter(None, found.stdout.split("\0"))))
