"""`git lift init`: start using git lift in a service's repository.

Writes only what is absent (.gitlift, env.sample), never overwrites, and installs the hooks.
env.sample gets the names of a local `.env` if there is one, with the values left out: the
sample is committed, a .env is not.
"""

from __future__ import annotations

from git_lift import envfile, ui
from git_lift.commands import hooks
from git_lift.flows.context import GITLIFT_FILE, Context

SAMPLE_HEADER = (
    "# The config keys this service needs, one KEY=example a line. Committed: examples only,\n"
    "# never real values. `git lift config edit -e ENV` sets the real ones in Parameter Store.\n"
)


def gitlift_entries(ctx: Context) -> list[tuple[str, str]]:
    """The defaults, written out so that the team sees and can change them."""
    service = ctx.service()
    entries = [(f"service.{service.name}.path", ".")]
    if ctx.settings.region:
        entries.insert(0, ("lift.region", ctx.settings.region))
    for env in ctx.settings.environments.values():
        entries += [(f"env.{env.name}.ref", ref) for ref in env.refs]
        if env.deploy_on_push:
            entries.append((f"env.{env.name}.deployOnPush", "true"))
        if env.confirm:
            entries.append((f"env.{env.name}.confirm", "true"))
    return entries


def write_gitlift(ctx: Context) -> bool:
    path = ctx.repo.workdir / GITLIFT_FILE
    if path.exists():
        ui.info(f"{GITLIFT_FILE}: exists, left as it is")
        return False
    ctx.repo.add_config_entries(path, gitlift_entries(ctx))
    ui.info(
        f"{GITLIFT_FILE}: written (service {ctx.service().name}; "
        f"environments {', '.join(sorted(ctx.settings.environments))})"
    )
    return True


def write_env_sample(ctx: Context) -> bool:
    service = ctx.service()
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
    source = f" with the {len(keys)} names in .env (not their values)" if keys else ""
    ui.info(f"{service.env_sample}: written{source}")
    return True


def init(ctx: Context) -> int:
    wrote = [write_gitlift(ctx), write_env_sample(ctx)]
    hooks.install(ctx.repo)
    service = ctx.service()
    if not (ctx.repo.workdir / service.dockerfile).exists():
        ui.warn(f"there is no {service.dockerfile}: `git lift ship` builds from it")
    if any(wrote):
        ui.hint(f"review and commit them: git add {GITLIFT_FILE} {service.env_sample}")
    ui.hint("then set the config: git lift config edit -e staging")
    return 0
