"""The files `git lift init` writes, each only when absent: .gitlift with the defaults written
out, a service's entry in it, and env.sample with the names (never the values) of `.env`."""

from __future__ import annotations

from pathlib import Path

from git_lift import envfile, names, ui
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.settings import ServiceSettings

SAMPLE_HEADER = (
    "# The config keys this service needs, one KEY=example a line. Committed: examples only,\n"
    "# never real values. `git lift config edit -e ENV` sets the real ones in Parameter Store.\n"
)


def gitlift_entries(ctx: Context, *, root_service: bool = True) -> list[tuple[str, str]]:
    """The defaults, written out so that the team sees and can change them. The service at
    the top is the one without -s (`init -s NAME --path DIR` names another)."""
    service = ctx.settings.service(None) if root_service else None
    entries = [(f"service.{service.name}.path", ".")] if service else []
    if ctx.settings.region:
        entries.insert(0, ("lift.region", ctx.settings.region))
    for env in ctx.settings.environments.values():
        entries += [(f"env.{env.name}.ref", ref) for ref in env.refs]
        if env.deploy_on_push:
            entries.append((f"env.{env.name}.deployOnPush", "true"))
        if env.confirm:
            entries.append((f"env.{env.name}.confirm", "true"))
    return entries


def gitlift_path(ctx: Context) -> Path:
    return ctx.repo.workdir / GITLIFT_FILE


def write_gitlift(ctx: Context) -> bool:
    path = gitlift_path(ctx)
    if path.exists():
        ui.info(f"{GITLIFT_FILE}: exists, left as it is")
        return False
    ctx.repo.add_config_entries(path, gitlift_entries(ctx))
    ui.info(
        f"{GITLIFT_FILE}: written (service {ctx.service().name}; "
        f"environments {', '.join(sorted(ctx.settings.environments))})"
    )
    return True


def add_service_entry(ctx: Context, name: str, folder: str) -> None:
    """The service's entry in .gitlift, with the defaults written out when there is no
    .gitlift yet (and a service at the top too when a Dockerfile is there)."""
    path = gitlift_path(ctx)
    root = (ctx.repo.workdir / "Dockerfile").exists() and folder != "."
    entries = [] if path.exists() else gitlift_entries(ctx, root_service=root)
    ctx.repo.add_config_entries(path, [*entries, (f"service.{name}.path", folder)])
    ui.info(f"{GITLIFT_FILE}: service {name} added (path {folder})")


def write_env_sample(ctx: Context, service: ServiceSettings) -> bool:
    path = ctx.env_sample_path(service)
    if path.exists():
        ui.info(f"{service.env_sample}: exists, left as it is")
        return False
    dotenv = path.parent / ".env"
    keys = envfile.parse(envfile.read(dotenv, ".env")).keys if dotenv.exists() else []
    relative = dotenv.relative_to(ctx.repo.workdir).as_posix()
    if dotenv.exists() and not ctx.repo.is_ignored(relative):
        ui.warn(f"{relative} holds values and git does not ignore it: one `git add .` commits them")
        ui.hint(f"echo {relative} >> .gitignore")
    path.write_text(SAMPLE_HEADER + "".join(f"{key}=\n" for key in keys), encoding="utf-8")
    found = names.plural(len(keys), "name")
    source = f" with the {found} in .env (not their values)" if keys else ""
    ui.info(f"{service.env_sample}: written{source}")
    return True
