"""What every command needs: the repository, merged settings, the Target it acts on, and
`aws`, the factory of AWS wrappers.

Built by the cli package; AWS clients are created on first use so that commands and hooks that
never reach AWS never import boto3.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from git_lift import settings as settings_module
from git_lift.errors import NotSetUp, UsageError, setup_command
from git_lift.gitlift import Entry
from git_lift.options import Options
from git_lift.records import field, record, replace
from git_lift.repo import Repo
from git_lift.settings import EnvironmentSettings, ServiceSettings, Settings

if TYPE_CHECKING:
    from git_lift.aws.factory import Aws
    from git_lift.aws.ssm import ParameterStore
    from git_lift.flows.names_cache import NamesCache
    from git_lift.target import Target

GITLIFT_FILE = ".gitlift"
T = TypeVar("T")
R = TypeVar("R")


@record
class Context:
    repo: Repo
    settings: Settings
    options: Options
    cwd: Path = field(default_factory=Path.cwd)
    hook: bool = False  # a git hook: someone waits, so AWS gets seconds, not minutes
    _names: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict, repr=False)

    @cached_property
    def aws(self) -> Aws:
        """Where AWS wrappers come from (tests build a Context around their own)."""
        from git_lift.aws.factory import Aws

        return Aws(self.settings, hook=self.hook)

    def in_hook(self) -> Context:
        """This context for a hook's AWS calls: someone waits on git, so AWS gets seconds
        (the hook's retry budget), not minutes. A hook's own context keeps its AWS factory."""
        copy = replace(self, hook=True)
        return self._sharing_aws(copy) if self.hook else copy

    def answered(self, *, service: str | None = None) -> Context:
        """This context for a step whose question was asked already (setup asks once for the
        whole run; a push is its own confirmation): it goes ahead as with --yes, on `service`
        when given."""
        chosen = self.options.service if service is None else service
        options = replace(self.options, yes=True, service=chosen)
        return self._sharing_aws(replace(self, options=options))

    def on_service(self, service: str, *, answered: bool = False) -> Context:
        """This context on `service` (as `-s service`), for one of several services released
        at once, each in a thread; `answered`: as with --yes (a push is its own confirmation).
        It opens the repository anew (one per thread) and shares this context's AWS factory,
        whose clients are thread-safe and built once."""
        yes = self.options.yes or answered
        options = replace(self.options, service=service, yes=yes)
        return self._sharing_aws(replace(self, options=options, repo=self.repo.reopened()))

    def _sharing_aws(self, copy: Context) -> Context:
        """`copy` on this context's AWS factory, once built: its clients (thread-safe) and
        the account it checked are not made again, and a test's fakes stay in place."""
        if "aws" in vars(self):
            copy.aws = self.aws
        return copy

    def reloaded(self, *, service: str) -> Context:
        """This context on `service`, with the settings read again (`init` just added it)."""
        options = replace(self.options, service=service)
        return replace(self, options=options, settings=load_settings(self.repo, options))

    def target(self, env: str, service: ServiceSettings | None = None) -> Target:
        """This service (or `service`) in the environment named `env`."""
        from git_lift.target import Target

        environment, chosen = self.environment(env), service or self.service()
        if self.options.preview is not None:
            return self.preview_target(environment, chosen, self.options.preview)
        overrides = self.settings.targets.get((environment.name, chosen.name))
        return Target(environment, chosen, overrides) if overrides else Target(environment, chosen)

    def preview_target(
        self, environment: EnvironmentSettings, service: ServiceSettings, branch: str
    ) -> Target:
        """`branch`'s preview of `service` in a preview environment (its overrides unread)."""
        from git_lift.target import preview_target

        if environment.preview is None:
            previews = [e.name for e in self.settings.environments.values() if e.preview]
            raise self.settings.untrusted_preview(environment.name) or UsageError(
                f"{environment.name} is not a preview environment: --preview names a branch's "
                "preview in one",
                hint=f"-e {previews[0]}" if previews else "leave out --preview",
            )
        full = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
        if not environment.matches(full):
            raise UsageError(
                f"{branch} does not map to {environment.name} ({', '.join(environment.refs)})",
                hint="name a branch that has a preview there: git lift preview list "
                f"-e {environment.name}",
            )
        base = self.environment(environment.preview.base)
        return preview_target(environment, base, service, full)

    def preview_named(
        self, environment: EnvironmentSettings, service: ServiceSettings, slug: str
    ) -> Target:
        """The preview `<service>--<slug>` in a preview environment, by its slug (a stack's
        name, or `*`: every preview, in a policy)."""
        from git_lift.target import Preview, Target

        if environment.preview is None:
            raise UsageError(f"{environment.name} is not a preview environment")
        base = self.environment(environment.preview.base)
        return Target(environment, service, preview=Preview(slug, base))

    def relative_cwd(self) -> str:
        try:
            return self.cwd.resolve().relative_to(self.repo.workdir).as_posix()
        except ValueError:
            return "."

    def service(self) -> ServiceSettings:
        return self.settings.service(self.options.service, self.relative_cwd())

    def services(self, every: bool) -> list[ServiceSettings]:
        """`--all`, or no -s at the top of a repository of several services (one of them at
        its root too, as `init` writes it): every service; otherwise the one `service()`
        names."""
        at_top = (
            self.options.service is None
            and len(self.settings.services) > 1
            and self.relative_cwd() == "."
        )
        if every or at_top:
            return sorted(self.settings.services.values(), key=lambda svc: svc.name)
        return [self.service()]

    def environment(self, name: str) -> EnvironmentSettings:
        return self.settings.environment(name)

    @cached_property
    def names_cache(self) -> NamesCache:
        from git_lift.flows import names_cache

        scope = names_cache.scope(self.settings.region, self.settings.profile, os.environ)
        return names_cache.NamesCache(self.repo.git_dir / "lift", scope)

    def parameters(self, target: Target) -> ParameterStore:
        """The target's Parameter Store, telling the names cache every name it sees."""

        def seen(present: dict[str, int], absent: list[str], complete: bool) -> None:
            self.names_cache.record(target, present, absent=absent, complete=complete)

        return self.aws.parameters(target, seen)

    def service_flag(self, service: str) -> str:
        """` -s NAME` for fix commands, needed only when the repository has several services."""
        return self.settings.service_flag(service)

    def setup_command(self, target: Target) -> str:
        """What sets the target's service up in its environment: every "not set up" says this
        one command."""
        return setup_command(target.env, self.service_flag(target.name))

    def not_set_up(self, message: str, target: Target) -> NotSetUp:
        """`message` with the one hint for a service not set up in its environment."""
        return NotSetUp(message, target.env, self.service_flag(target.service.name))

    def parameter_names(self, target: Target) -> dict[str, int]:
        """A service's parameter names and versions (never values), listed once per command:
        the pre-push hook checks an environment and then releases to it, and the release
        must not list the same names again. Nothing that lists names also writes them."""
        key = (target.env, target.name)
        if key not in self._names:
            self._names[key] = self.parameters(target).names()
        return self._names[key]

    def forget_names(self) -> None:
        """After this command wrote keys itself, the next check must list them again."""
        self._names.clear()

    def env_sample_path(self, service: ServiceSettings) -> Path:
        return self.repo.contained(service.env_sample)


def work_tree_gitlift(repo: Repo) -> tuple[list[Entry], bytes]:
    """The work tree's .gitlift (entries and raw bytes), which must be a file in the repo."""
    path = repo.workdir / GITLIFT_FILE
    if not path.exists() and not path.is_symlink():
        return [], b""
    repo.contained(GITLIFT_FILE)
    return [Entry(e.name, e.value) for e in repo.config_file(path)], path.read_bytes()


def trusted_policy(repo: Repo) -> list[Entry] | None:
    """The release policy's source: .gitlift on the default branch as the remote has it; None
    when this clone has commits but not that branch (a single-branch clone of another)."""
    tip = repo.default_branch_tip()
    if tip is None:
        return [] if not repo.has_commits() else None
    return [Entry(e.name, e.value) for e in repo.config_file_at(tip, GITLIFT_FILE)]


def trust_file(repo: Repo) -> Path:
    return repo.git_dir / "lift" / "trusted-gitlift"


def gitlift_digest(raw: bytes) -> str:
    import hashlib  # only once a .gitlift was trusted: a push with nothing to check needs none

    return hashlib.sha256(raw).hexdigest()


def is_trusted(repo: Repo, raw: bytes) -> bool:
    """Whether the user ran `git lift trust` on exactly this .gitlift."""
    path = trust_file(repo)
    return path.exists() and gitlift_digest(raw) in path.read_text().split()


def load_settings(repo: Repo, options: Options, *, check_trust: bool = True) -> Settings:
    gitlift, raw = work_tree_gitlift(repo)
    return settings_module.build(
        gitlift=gitlift,
        policy=trusted_policy(repo),
        repo_config=[Entry(e.name, e.value) for e in repo.config_entries("lift.")],
        environ=os.environ,
        flags={"region": options.region, "profile": options.profile},
        remote_url=repo.remote_url(),
        top_folder=repo.workdir.name,
        default_branch=repo.default_branch(),
        gitlift_trusted=is_trusted(repo, raw),
        check_trust=check_trust,
    )


def load(options: Options, *, check_trust: bool = True, hook: bool = False) -> Context:
    """`hook`: a git hook runs it, while git holds its lock: the repository is read as a
    snapshot (repo.py)."""
    repo = Repo.discover(snapshot=hook, with_config=GITLIFT_FILE if hook else None)
    settings = load_settings(repo, options, check_trust=check_trust)
    return Context(repo=repo, settings=settings, options=options)


MAX_PARALLEL = 16  # environments or stores asked at once


def in_parallel(items: Sequence[T], work: Callable[[T], R]) -> list[R]:
    """Environments are independent: ask AWS about all of them at the same time (boto3
    clients are thread-safe; Clients builds each one once, under a lock)."""
    from concurrent.futures import ThreadPoolExecutor  # not on a hook's path with nothing to ask

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(items)))) as pool:
        return list(pool.map(work, items))
