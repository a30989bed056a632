"""Contexts on the fakes, for in-process tests of flows and commands.

`world()`: a deploy on the fakes with a Repo that keeps its tags and notes in memory: plan,
lock, waiter, rollback and record run in milliseconds. `in_process()`: a real Context over a
real git repository in a temp folder (the settings read from it as `git lift` reads them), with
FakeAws as its factory: what a command does, without a subprocess or moto.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from git_lift.flows.context import Context, gitlift_digest, load_settings, trust_file
from git_lift.flows.image import ImageSource
from git_lift.flows.pushed_refs import PushedRef
from git_lift.flows.ship_plan import execute, plan_ship, show
from git_lift.gitlift import Entry
from git_lift.options import Options
from git_lift.repo import ZERO_SHA, Repo
from git_lift.settings import Settings, build
from git_lift.target import Target
from tests.support.fakes.aws import FakeAws
from tests.support.fakes.clock import Clock
from tests.support.fakes.ecs import ARN, NEW_IMAGE, FakeEcs
from tests.support.fakes.table import FakeStore
from tests.support.helpers import GitRepo


class FakeRepo(Repo):
    """A real (empty) repository whose tags and notes go to memory, not to `git`."""

    def __init__(self, path: Path) -> None:
        super().__init__(pygit2.init_repository(str(path)))
        self.tags: dict[str, str] = {}
        self.notes: list[str] = []

    def committer_name(self) -> str | None:
        return "Test Dev"

    def reopened(self) -> FakeRepo:
        return self  # its tags and notes are in this object's memory

    def create_tag(self, name: str, commit_sha: str, message: str) -> None:
        self.tags[name] = message

    def append_note(self, notes_ref: str, commit_sha: str, line: str) -> None:
        self.notes.append(line)


@dataclass
class World:
    """A context on the fakes, and the fakes themselves for the test to look at."""

    ctx: Context
    clock: Clock
    ecs: FakeEcs
    store: FakeStore
    repo: FakeRepo
    target: Target = field(init=False)

    def __post_init__(self) -> None:
        self.target = self.ctx.target("staging")


def world(
    tmp_path: Path,
    *,
    tasks: Callable[[str], str],
    breaker: bool = True,
    policy: tuple[tuple[str, str], ...] = (),  # more of the default branch's .gitlift
) -> World:
    entries = [Entry("env.staging.ref", "refs/heads/main"), *(Entry(k, v) for k, v in policy)]
    settings = build(
        gitlift=entries,
        policy=entries,
        repo_config=[],
        environ={},
        flags={},
        remote_url="git@github.com:acme/payments-api.git",
        top_folder="payments-api",
        default_branch="main",
        gitlift_trusted=True,
    )
    repo = FakeRepo(tmp_path)
    ctx = Context(repo=repo, settings=settings, options=Options(), cwd=tmp_path)
    aws = FakeAws(settings, tasks=tasks, breaker=breaker)
    ctx.aws = aws
    return World(ctx, aws.fake_clock, aws.ecs_of(ctx.target("staging")), aws.store, repo)


def replace_head(store: FakeStore, target: Target, **changes: Any) -> None:
    key = target.release_key
    store.heads[key] = dataclasses.replace(store.head(target), **changes)


SHA = "c0ffee" + "0" * 34
OLD, NEW = ARN.format(1), ARN.format(2)
TIMEOUT = 900.0


def behaves(new: str, old: str = "start") -> Callable[[str], str]:
    """Tasks of the shipped revision do `new`, those of the running one `old`."""
    return lambda arn: old if arn == OLD else new


def ship(
    w: World,
    *,
    timeout: float = TIMEOUT,
    image: str = NEW_IMAGE,
    versions: dict[str, int] | None = None,
    force: bool = False,
) -> int:
    uri, _, digest = image.partition("@")
    source = ImageSource("given", uri, "", digest)
    plan = plan_ship(w.ctx, w.target, SHA, source, versions or {}, timeout=timeout, force=force)
    show(plan)
    return execute(w.ctx, plan)


@dataclass
class InProcess:
    """A real Context over a real repository, on FakeAws: `aws.ssm`, `aws.store`... hold what
    a command wrote; `git` is the repository, for commits, branches and files."""

    ctx: Context
    aws: FakeAws
    git: GitRepo

    def target(self, env: str = "staging") -> Target:
        return self.ctx.target(env)

    def pushed(self, remote_ref: str = "refs/heads/main", remote_sha: str = ZERO_SHA) -> PushedRef:
        """HEAD pushed to `remote_ref` (over `remote_sha`), as the pre-push hook reads it."""
        return PushedRef(remote_ref, self.ctx.repo.resolve("HEAD"), remote_ref, remote_sha)

    def reload(self, options: Options | None = None) -> InProcess:
        """A new Context (after the test changed .gitlift, or for other flags), same AWS."""
        return in_process_on(self.git, self.aws, options or self.ctx.options)


def in_process(
    tmp_path: Path,
    *,
    gitlift: str | None = None,
    files: dict[str, str] | None = None,
    options: Options | None = None,
    tasks: Callable[[str], str] = lambda arn: "start",
) -> InProcess:
    """A service repository `payments-api` (env.sample and app.txt unless `files` says
    otherwise) with a bare origin; `gitlift` is committed, pushed and trusted."""
    files = dict(files) if files is not None else None
    git = GitRepo.create(
        tmp_path / "payments-api", origin=tmp_path / "remote" / "payments-api.git", files=files
    )
    if gitlift is not None:
        git.write(".gitlift", gitlift)
        git.commit("Configure git lift")
        git.git("push", "-q", "origin", "main")
        path = trust_file(Repo.discover(str(git.path)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(gitlift_digest(gitlift.encode()) + "\n")
    return in_process_on(git, lambda settings: FakeAws(settings, tasks=tasks), options or Options())


def in_process_on(
    git: GitRepo, aws: FakeAws | Callable[[Settings], FakeAws], options: Options
) -> InProcess:
    """A Context over `git` as `git lift` loads it, on `aws` (or the FakeAws made for its
    settings). The settings are read as a hook reads them, from one listing of the config and
    of the branches (repo_read.py): the same settings, for a third of the git programs that
    are most of the time an in-process test spends (issue 19)."""
    repo = Repo.discover(str(git.path))
    settings = load_settings(Repo.discover(str(git.path), snapshot=True), options)
    if isinstance(aws, FakeAws):
        aws.settings = settings
    else:
        aws = aws(settings)
    ctx = Context(repo=repo, settings=settings, options=options, cwd=git.path)
    ctx.aws = aws
    return InProcess(ctx, aws, git)
