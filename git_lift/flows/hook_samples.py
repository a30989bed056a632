"""env.sample and .gitlift as git has them for the hooks: staged, at a commit, and what a
commit or a push changes. Names only, never a value."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from git_lift import envfile, ui
from git_lift.errors import ValidationError
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.flows.pushed_refs import PushedRef, PushTarget
from git_lift.gitlift import Entry
from git_lift.repo import ZERO_SHA
from git_lift.settings import EnvironmentSettings, ServiceSettings

SAMPLE_NAME = "env.sample"


def staged_samples(
    ctx: Context, files: Sequence[str]
) -> list[tuple[str, ServiceSettings | None, str]]:
    """(path, its service or None, staged text) of each env.sample being committed."""
    by_path = {
        PurePosixPath(svc.env_sample).as_posix(): svc for svc in ctx.settings.services.values()
    }
    candidates = (
        [  # the framework's lift-code hook passes source files: not env samples
            path
            for path in (PurePosixPath(name).as_posix() for name in files)
            if path in by_path or PurePosixPath(path).name == SAMPLE_NAME
        ]
        if files
        else [
            path
            for path in ctx.repo.staged_paths()
            if path in by_path or PurePosixPath(path).name == SAMPLE_NAME
        ]
    )
    found = []
    for path in candidates:
        text = ctx.repo.read_staged_file(path)
        if text is not None:
            found.append((path, by_path.get(path), text))
    return found


def added_keys(ctx: Context, path: str, keys: Sequence[str]) -> list[str]:
    """Keys the staged file names that HEAD's version of it does not."""
    try:
        before = ctx.repo.read_file_at(ctx.repo.head_sha(), path)
    except ValidationError:  # the first commit
        before = None
    old = set(envfile.parse(before).keys) if before else set()
    return [key for key in dict.fromkeys(keys) if key not in old]


def commit_environments(ctx: Context) -> list[EnvironmentSettings]:
    """Where a commit here is headed: the environments the current branch maps to; for a branch
    that maps to none (a feature branch, a rebase's detached HEAD), the default branch's."""
    ref = ctx.repo.head_ref()
    envs = ctx.settings.environments_for_ref(ref) if ref else []
    default = ctx.repo.default_branch()
    return envs or (ctx.settings.environments_for_ref(f"refs/heads/{default}") if default else [])


def push_base(ctx: Context, ref: PushedRef, env: EnvironmentSettings, commit: str) -> str | None:
    """What a branch push is compared with: the remote's commit (their common ancestor, for a
    forced push), else, for a new branch, its merge base with the default branch. None for a
    ref that releases, which is always checked in full."""
    if env.deploy_on_push or not ref.remote_ref.startswith("refs/heads/"):
        return None
    if ref.remote_sha != ZERO_SHA:
        found = ctx.repo.merge_base(ref.remote_sha, commit)
        if found is not None:
            return found
    if ref.remote_ref == f"refs/heads/{ctx.repo.default_branch()}":
        return None  # the default branch's first push: nothing to compare with
    tip = ctx.repo.default_branch_tip()
    return ctx.repo.merge_base(tip, commit) if tip else None


def sample_at(
    ctx: Context, path: str, commit: str, *, report: bool
) -> tuple[tuple[str, ...], bool]:
    """The keys an env.sample names at a commit (none when absent), and whether it is
    malformed (its problems said when `report`)."""
    text = ctx.repo.read_file_at(commit, path)
    if text is None:
        return (), False
    parsed = envfile.parse(text)
    for problem in parsed.problems if report else []:
        ui.error(f"{problem.render(path)} (at {commit[:12]})")
    return tuple(dict.fromkeys(parsed.keys)), bool(parsed.problems)


def warn_policy_changes(ctx: Context, pushed: Sequence[PushedRef]) -> None:
    """A pushed .gitlift that would change which refs release where is said, never obeyed:
    release policy comes from the default branch as the remote has it."""
    for commit in dict.fromkeys(ctx.repo.resolve(ref.local_sha) for ref in pushed):
        entries = [Entry(e.name, e.value) for e in ctx.repo.config_file_at(commit, GITLIFT_FILE)]
        for change in ctx.settings.policy_changes(entries):
            ui.warn(
                f"{GITLIFT_FILE} at {commit[:12]} {change}; ignored: release policy is read "
                f"from {ctx.repo.default_branch() or 'the default branch'} as the remote has it"
            )
            ui.hint("the change takes effect once it is merged into the default branch")


def push_targets(ctx: Context, pushed: Sequence[PushedRef]) -> list[PushTarget]:
    """Each pushed ref's commit, once for every environment the ref maps to."""
    return [
        (ref, env, ctx.repo.resolve(ref.local_sha))
        for ref in pushed
        for env in ctx.settings.environments_for_ref(ref.remote_ref)
    ]


def sample_unchanged(ctx: Context, base: str, commit: str, path: str) -> bool:
    """Whether the file is the same at both commits (absent at both counts as the same)."""
    return ctx.repo.blob_id_at(base, path) == ctx.repo.blob_id_at(commit, path)


def exists_at(ctx: Context, commit: str, path: str) -> bool:
    return ctx.repo.blob_id_at(commit, path) is not None
