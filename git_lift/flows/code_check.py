"""Environment reads in the code against env.sample (issue 24): the pre-commit hook's check
of the staged source files and `git lift config check --code` over the tree. Names only, no
AWS request: a process that reads a variable nobody set crashes at start, in a way ECS's
deployment circuit breaker does not count (aws/containers-roadmap#1206).

Importing this module imports no parser: code_reads loads tree-sitter on the first file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from git_lift import code_reads, envfile, names, ui
from git_lift.code_reads import EnvRead
from git_lift.errors import ValidationError
from git_lift.flows.config_check import sample_keys
from git_lift.flows.context import Context
from git_lift.flows.hook_samples import commit_environments
from git_lift.settings import ServiceSettings


class CodeReport:
    """One service's code against its env.sample. A plain class: the commit hook imports this
    module, and a dataclass costs more to make at import."""

    def __init__(self, service: ServiceSettings, keys: frozenset[str] = frozenset()) -> None:
        self.service = service
        self.files = 0
        self.reads: list[EnvRead] = []
        self.keys = keys
        self.image = frozenset[str]()  # the names its Dockerfile's ENV sets

    @property
    def lacking(self) -> dict[str, list[EnvRead]]:
        """Names read that env.sample lacks and the platform does not set, with their reads."""
        found: dict[str, list[EnvRead]] = {}
        for read in sorted(self.reads):
            if not (
                read.name in self.keys
                or read.name in self.image
                or code_reads.platform_sets(read.name)
            ):
                found.setdefault(read.name, []).append(read)
        return found


def owner(services: Iterable[ServiceSettings], path: str) -> ServiceSettings | None:
    """The service whose folder holds `path` (the deepest one: `worker/` before `.`)."""
    holding = [
        s
        for s in services
        if s.path in (".", "") or PurePosixPath(path).is_relative_to(PurePosixPath(s.path))
    ]
    return max(holding, key=lambda s: len(PurePosixPath(s.path).parts), default=None)


def _by_service(ctx: Context, paths: Iterable[str]) -> dict[str, tuple[ServiceSettings, list[str]]]:
    grouped: dict[str, tuple[ServiceSettings, list[str]]] = {}
    for path in paths:
        service = owner(ctx.settings.services.values(), path)
        if service is not None:
            grouped.setdefault(service.name, (service, []))[1].append(path)
    return grouped


def _staged_text(ctx: Context, path: str) -> str:
    try:
        return ctx.repo.read_staged_file(path) or ""
    except ValidationError:  # not text: no ENV to read
        return ""


def _work_tree_text(ctx: Context, path: str) -> str:
    try:
        return ctx.repo.contained(path).read_text(encoding="utf-8", errors="replace")
    except (OSError, ValidationError):  # no Dockerfile (yet), or a link out of the repository
        return ""


def _reads(path: str, text: str | None) -> list[EnvRead]:
    return code_reads.reads(path, text.encode("utf-8")) if text is not None else []


# the pre-commit hook


def pre_commit(ctx: Context, files: Sequence[str]) -> bool:
    """Warn about (or, under lift.hooks.strict, refuse) names that the staged source files
    start reading and their service's env.sample lacks. True when the commit is refused.
    A commit that stages no source file returns at once, having imported nothing."""
    paths = code_reads.sources(files or ctx.repo.staged_paths())
    if not paths:
        return False
    missing = code_reads.missing_parsers(paths)
    if missing is not None:
        ui.info(
            f"git lift: environment reads in the staged code not checked: {missing} is not "
            f"installed ({code_reads.INSTALL_HINT})"
        )
        return False
    refused = False
    for report in staged_reports(ctx, paths):
        refused |= _say(ctx, report)
    return refused


def staged_reports(ctx: Context, paths: Sequence[str]) -> list[CodeReport]:
    """Per service, the reads the staged files add (a name the file did not read at HEAD)
    against the staged env.sample."""
    head = ctx.repo.head_sha() if ctx.repo.has_commits() else None
    reports = []
    for service, owned in _by_service(ctx, paths).values():
        report = CodeReport(service)
        report.files = len(owned)
        for path in owned:
            try:
                now = _reads(path, ctx.repo.read_staged_file(path))
                then = ctx.repo.read_file_at(head, path) if head else None
                before = {read.name for read in _reads(path, then)}
            except ValidationError:  # not text, or too large to be a source file
                continue
            report.reads += [read for read in now if read.name not in before]
        # its keys even when malformed: the env.sample lint that follows says what is wrong
        report.keys = frozenset(envfile.parse(_staged_text(ctx, service.env_sample)).keys)
        report.image = code_reads.image_env(_staged_text(ctx, service.dockerfile))
        reports.append(report)
    return reports


def _say(ctx: Context, report: CodeReport) -> bool:
    lacking = report.lacking
    if not lacking:
        return False
    where = ", ".join(f"{name} ({reads[0].where})" for name, reads in lacking.items())
    message = f"the staged code reads names {report.service.env_sample} lacks: {where}"
    envs = commit_environments(ctx)  # where this commit is headed: its config needs them
    assignments = names.fix_assignments(list(lacking))
    hint = (
        f"add {assignments} to {report.service.env_sample} with example values, then set "
        f"them: git lift config set{ctx.service_flag(report.service.name)} "
        f"-e {envs[0].name if envs else 'ENV'} {assignments}"
    )
    if ctx.settings.hooks_strict:
        ui.error(message, hint=f"{hint} (lift.hooks.strict is true: the commit is refused)")
        return True
    ui.warn(message)
    ui.hint(hint)
    return False


# git lift config check --code


def tree_reports(ctx: Context, services: Sequence[ServiceSettings]) -> list[CodeReport]:
    """Per service, every read in the files git tracks in its folder (as the work tree has
    them) against the work tree's env.sample. Raises ParsersMissing without the extra."""
    tracked = code_reads.sources(ctx.repo.tracked_paths())
    missing = code_reads.missing_parsers(tracked)
    if missing is not None:
        raise code_reads.ParsersMissing(missing)
    grouped = _by_service(ctx, tracked)
    reports = []
    for service in services:
        report = CodeReport(service, keys=frozenset(sample_keys(ctx, service)))
        report.image = code_reads.image_env(_work_tree_text(ctx, service.dockerfile))
        for path in grouped.get(service.name, (service, []))[1]:
            try:
                data = ctx.repo.contained(path).read_bytes()
            except (OSError, ValidationError):  # deleted from the work tree, or a link out
                continue
            report.files += 1
            report.reads += code_reads.reads(path, data)
        reports.append(report)
    return reports
