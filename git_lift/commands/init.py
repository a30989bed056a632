"""`git lift init`: start using git lift in a service's repository, or add a service to it.

Writes only what is absent (.gitlift, env.sample, a service's entry), never overwrites, and
installs the hooks. env.sample gets the names of the service folder's `.env` if there is one,
with the values left out: the sample is committed, a .env is not.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from git_lift import names, ui
from git_lift.errors import UsageError, setup_command
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.flows.hook_shims import install_hooks
from git_lift.flows.init_files import (
    add_service_entry,
    gitlift_path,
    write_env_sample,
    write_gitlift,
)
from git_lift.settings import ServiceSettings, spinal_case


def init(ctx: Context, path: str | None = None) -> int:
    name = ctx.options.service
    if path is not None or (name is not None and name not in ctx.settings.services):
        return add_service(ctx, name, path)
    if name is None:
        refuse_inside_another_service(ctx)
    service = ctx.service()
    wrote = [write_gitlift(ctx), write_env_sample(ctx, service)]
    return finish(ctx, service, any(wrote))


def finish(ctx: Context, service: ServiceSettings, wrote: bool) -> int:
    install_hooks(ctx.repo)
    if not (ctx.repo.workdir / service.dockerfile).exists():
        ui.warn(f"there is no {service.dockerfile}: `git lift ship` builds from it")
    if wrote:
        ui.hint(f"review and commit them: git add {GITLIFT_FILE} {service.env_sample}")
    ui.hint(f"then set it up: {setup_command('staging', ctx.service_flag(service.name))}")
    return 0


def refuse_inside_another_service(ctx: Context) -> None:
    """`init` in a folder below a service's own is not that service's init: its files are
    elsewhere, and the folder may be a service of its own."""
    here = ctx.relative_cwd()
    if here == "" or here == ".":
        return
    service = ctx.service()
    if PurePosixPath(service.path) == PurePosixPath(here):
        return
    folder = PurePosixPath(here).name
    raise UsageError(
        f"{folder} is inside service {service.name} (path {service.path}), "
        "not a service of its own",
        hint=f"add it as a service: git lift init -s {spinal_case(folder)} --path {here}; "
        f"or, for {service.name}, run git lift init in "
        + ("the repository's top" if service.path == "." else service.path),
    )


def service_folder(ctx: Context, path: str | None, name: str | None) -> str:
    """The service's folder relative to the top: --path (from the current folder), else the
    current folder, never the top by default (that is `git lift init` itself)."""
    if path is None:
        here = ctx.relative_cwd()
        if here in ("", "."):
            raise UsageError(
                f"say which folder service {name} is in",
                hint=f"git lift init -s {name or 'NAME'} --path DIR",
            )
        return here
    folder = (ctx.cwd / path).resolve()
    try:
        relative = folder.relative_to(ctx.repo.workdir.resolve()).as_posix()
    except ValueError:
        raise UsageError(
            f"--path {path} is outside the repository", hint="--path DIR, inside the repository"
        ) from None
    if not folder.is_dir():
        raise UsageError(f"--path {path} is not a folder", hint=f"mkdir {path}")
    return relative or "."


def add_service(ctx: Context, name: str | None, path: str | None) -> int:
    """`init -s NAME --path DIR`: the service's entry in .gitlift (with the defaults when
    there is no .gitlift yet), DIR/env.sample from DIR/.env, the hooks."""
    folder = service_folder(ctx, path, name)
    name = names.service(name or spinal_case(PurePosixPath(folder).name or ctx.repo.workdir.name))
    known = ctx.settings.services.get(name) if gitlift_path(ctx).exists() else None
    if known is not None and PurePosixPath(known.path) != PurePosixPath(folder):
        raise UsageError(
            f"service {name} exists (path {known.path})",
            hint=f"another name: git lift init -s NAME --path {folder}",
        )
    if known is None:
        add_service_entry(ctx, name, folder)
    else:
        ui.info(f"{GITLIFT_FILE}: service {name} exists (path {folder}), left as it is")
    added = ctx.reloaded(service=name)
    service = added.service()
    wrote = write_env_sample(added, service)
    return finish(added, service, known is None or wrote)
