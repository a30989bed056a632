"""`git lift config ...`: a service's config in Parameter Store."""

from __future__ import annotations

from typing import Any

import click

from git_lift.cli.base import AWS, CONTEXT_SETTINGS, cli, context, env_option, global_options
from git_lift.cli.base import preview_option as base_preview_option

show_values_option = click.option(
    "--show-values", is_flag=True, help="Show values (masked by default)."
)
tier_option = click.option(
    "--tier",
    type=click.Choice(["standard", "advanced"]),
    default="standard",
    help="Parameter tier: advanced allows values up to 8 KB.",
)
allow_removing_option = click.option(
    "--allow-removing-required",
    is_flag=True,
    help="With --yes: allow removing keys env.sample names, or more than 3 keys at once.",
)
release_option = click.option(
    "--release",
    is_flag=True,
    help="Then release the config with the image that runs (as git lift release-config).",
)
preview_option = base_preview_option("that branch's preview's own overrides")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["dotenv", "json"]), default="dotenv"
)


@cli.group(context_settings=CONTEXT_SETTINGS)
def config() -> None:
    """A service's environment config in Parameter Store (/ENV/SERVICE/KEY).

    \b
    Example:
      git lift config edit -e staging
      git lift config set -e staging LOG_LEVEL=debug
    """


@config.command("edit")
@env_option
@click.option("--resume", is_flag=True, help="Continue an edit whose apply failed or was refused.")
@click.option("--discard", is_flag=True, help="Drop the unfinished edit --resume would continue.")
@show_values_option
@tier_option
@allow_removing_option
@release_option
@global_options("service", *AWS, "yes")
@click.pass_context
def config_edit(
    click_ctx: click.Context,
    /,
    env: str,
    resume: bool,
    discard: bool,
    show_values: bool,
    tier: str,
    allow_removing_required: bool,
    release: bool,
    **values: Any,
) -> int:
    """Edit config in your git editor, review a masked diff, confirm, apply.

    Without a terminal (CI, a pipe) only an editor you named opens (GIT_EDITOR, core.editor,
    VISUAL or EDITOR); otherwise use `config set` or `config import`.

    \b
    Example:
      git lift config edit -e staging
      git lift config edit -e staging --resume    # after a failed or interrupted apply
    """
    from git_lift.commands import config as command

    if discard:
        return command.discard(context(click_ctx, values), env)
    return command.edit(
        context(click_ctx, values),
        env,
        resume=resume,
        show_values=show_values,
        advanced=tier == "advanced",
        allow_removing_required=allow_removing_required,
        release=release,
    )


@config.command("show")
@env_option
@preview_option
@show_values_option
@global_options("service", *AWS, "output")
@click.pass_context
def config_show(click_ctx: click.Context, /, env: str, show_values: bool, **values: Any) -> int:
    """List keys with versions; values masked unless --show-values.

    \b
    Example:
      git lift config show -e staging --output json
    """
    from git_lift.commands import config as command

    return command.show(context(click_ctx, values), env, show_values=show_values)


@config.command("get")
@env_option
@preview_option
@click.argument("key")
@global_options("service", *AWS)
@click.pass_context
def config_get(click_ctx: click.Context, /, env: str, key: str, **values: Any) -> int:
    """Print one value.

    \b
    Example:
      git lift config get -e staging DATABASE_URL
    """
    from git_lift.commands import config as command

    return command.get(context(click_ctx, values), env, key)


@config.command("set")
@env_option
@preview_option
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@tier_option
@show_values_option
@release_option
@global_options("service", *AWS, "yes")
@click.pass_context
def config_set(
    click_ctx: click.Context,
    /,
    env: str,
    assignments: tuple[str, ...],
    tier: str,
    show_values: bool,
    release: bool,
    **values: Any,
) -> int:
    """Set keys. A bare KEY prompts for its value without echo; when stdin is not a terminal
    it reads the next line of stdin, waiting at most 20 s (the value stays out of argv).

    \b
    Example:
      git lift config set -e staging LOG_LEVEL=debug WORKERS=4
      git lift config set -e staging API_TOKEN        # prompts
      git lift config set -e staging LOG_LEVEL=info --release
      git lift config set -e preview --preview feature/checkout PAYMENTS_MODE=test
    """
    from git_lift.commands import config as command

    return command.set_values(
        context(click_ctx, values),
        env,
        assignments,
        advanced=tier == "advanced",
        show_values=show_values,
        release=release,
    )


@config.command("unset")
@env_option
@preview_option
@click.argument("keys", nargs=-1, required=True)
@allow_removing_option
@global_options("service", *AWS, "yes")
@click.pass_context
def config_unset(
    click_ctx: click.Context,
    /,
    env: str,
    keys: tuple[str, ...],
    allow_removing_required: bool,
    **values: Any,
) -> int:
    """Remove keys (their values are kept for `config restore --undo`).

    \b
    Example:
      git lift config unset -e staging OLD_FLAG
    """
    from git_lift.commands import config as command

    return command.unset(
        context(click_ctx, values), env, keys, allow_removing_required=allow_removing_required
    )


@config.command("check")
@click.option(
    "-e", "--env", "envs", multiple=True, help="Environment (repeatable); all by default."
)
@click.option("--strict", is_flag=True, help="Keys in the store but not in env.sample are errors.")
@click.option(
    "--all", "every", is_flag=True, help="Every service of the repository (the default at its top)."
)
@click.option(
    "--code",
    is_flag=True,
    help="The code's environment reads against env.sample instead (no AWS request).",
)
@global_options("service", *AWS, "output")
@click.pass_context
def config_check(
    click_ctx: click.Context,
    /,
    envs: tuple[str, ...],
    strict: bool,
    every: bool,
    code: bool,
    **values: Any,
) -> int:
    """env.sample against the store: missing keys fail, extra keys warn. Never decrypts.

    \b
    Every service and environment at once with --all (or at the top of a repository of
    several services): one listing each, in parallel.

    \b
    With --code: the environment variables the tracked Python, JavaScript, Ruby, Go and Java
    files read (os.environ["X"], process.env.X, ENV.fetch("X"), os.Getenv("X"),
    System.getenv("X")...) against env.sample; a name it lacks fails, unless the platform
    (AWS_*, ECS_*, PATH, HOME, PORT...) or the Dockerfile's ENV sets it. Tests are left out.
    Needs: pip install 'git-lift[code]'.

    \b
    Example:
      git lift config check
      git lift config check -e production --output json
      git lift config check --all
      git lift config check --code
    """
    if code and (envs or strict):
        from git_lift.errors import UsageError

        raise UsageError(
            "--code checks the code against env.sample, not an environment's store",
            hint="git lift config check --code; then git lift config check -e ENV",
        )
    if code:
        from git_lift.commands import config_code

        return config_code.check_code(context(click_ctx, values), every=every)
    from git_lift.commands import config as command

    return command.check(context(click_ctx, values), envs, strict=strict, every=every)


@config.command("diff")
@click.option("-e", "--env", "envs", multiple=True, required=True, help="Two environments.")
@global_options("service", *AWS)
@click.pass_context
def config_diff(click_ctx: click.Context, /, envs: tuple[str, ...], **values: Any) -> int:
    """Keys present in one environment and not the other (names only).

    \b
    Example:
      git lift config diff -e staging -e production
    """
    from git_lift.commands import config as command

    return command.diff(context(click_ctx, values), envs)


@config.command("history")
@env_option
@click.argument("key")
@show_values_option
@global_options("service", *AWS, "output")
@click.pass_context
def config_history(
    click_ctx: click.Context, /, env: str, key: str, show_values: bool, **values: Any
) -> int:
    """Versions of one key, newest first.

    \b
    Example:
      git lift config history -e staging DATABASE_URL
    """
    from git_lift.commands import config as command

    return command.history(context(click_ctx, values), env, key, show_values=show_values)


@config.command("restore")
@env_option
@click.argument("spec", metavar="[KEY@VERSION]", required=False)
@click.option("--undo", is_flag=True, help="Bring back the keys the last removals deleted.")
@click.option(
    "--release", "release", type=int, help="Put back the config release N ran (pinConfig)."
)
@global_options("service", *AWS, "yes")
@click.pass_context
def config_restore(
    click_ctx: click.Context,
    /,
    env: str,
    spec: str | None,
    undo: bool,
    release: int | None,
    **values: Any,
) -> int:
    """Set a key back to the value it had at a version (a new version is written), or with
    --undo set removed keys back to the values they had when they were removed.

    \b
    Example:
      git lift config restore -e staging DATABASE_URL@3
      git lift config restore -e staging --undo
      git lift config restore -e production --release 12
    """
    from git_lift.commands import config as command
    from git_lift.errors import UsageError

    if [undo, spec is not None, release is not None].count(True) != 1:
        raise UsageError(
            "name KEY@VERSION, --undo or --release N", hint="git lift config restore -h"
        )
    if release is not None:
        return command.restore_release(context(click_ctx, values), env, release)
    if undo:
        return command.restore_removed(context(click_ctx, values), env)
    return command.restore(context(click_ctx, values), env, str(spec))


@config.command("export")
@env_option
@format_option
@global_options("service", *AWS)
@click.pass_context
def config_export(click_ctx: click.Context, /, env: str, fmt: str, **values: Any) -> int:
    """Print all values as dotenv or JSON (this prints secrets).

    \b
    Example:
      git lift config export -e staging --format json > staging.json
    """
    from git_lift.commands import config as command

    return command.export(context(click_ctx, values), env, fmt)


@config.command("import")
@env_option
@click.argument("path", metavar="FILE|-")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dotenv", "json"]),
    help="The file's format (default: json for a .json file, else dotenv).",
)
@click.option("--replace", is_flag=True, help="Remove keys the file does not name.")
@tier_option
@allow_removing_option
@release_option
@global_options("service", *AWS, "yes")
@click.pass_context
def config_import(
    click_ctx: click.Context,
    /,
    env: str,
    path: str,
    fmt: str | None,
    replace: bool,
    tier: str,
    allow_removing_required: bool,
    release: bool,
    **values: Any,
) -> int:
    """Set keys from a dotenv or JSON file, through the same diff and confirmation.

    \b
    Example:
      git lift config import -e staging .env.staging
    """
    from git_lift.commands import config as command

    return command.import_values(
        context(click_ctx, values),
        env,
        path,
        fmt,
        replace=replace,
        advanced=tier == "advanced",
        allow_removing_required=allow_removing_required,
        release=release,
    )


@config.command("exec", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@env_option
@click.argument("command_args", nargs=-1, type=click.UNPROCESSED, metavar="-- COMMAND...")
@global_options("service", *AWS)
@click.pass_context
def config_exec(
    click_ctx: click.Context, /, env: str, command_args: tuple[str, ...], **values: Any
) -> int:
    """Run a command locally with the environment's config in its environment.

    \b
    Example:
      git lift config exec -e staging -- python manage.py migrate
    """
    from git_lift.commands import config as command

    return command.run_with_config(context(click_ctx, values), env, command_args)


@config.command("compare")
@click.argument("first", metavar="ENV_A")
@click.argument("second", metavar="ENV_B")
@global_options("service", *AWS, "output")
@click.pass_context
def config_compare(click_ctx: click.Context, /, first: str, second: str, **values: Any) -> int:
    """Per key: same, different, only in ENV_A or only in ENV_B. Values are compared by a
    keyed hash (HMAC, a random key for this run only) computed here; none is shown or kept.
    Exit 1 when anything differs.

    \b
    Example:
      git lift config compare staging production
      git lift config compare staging production -s worker --output json
    """
    from git_lift.commands import config_compare as command

    return command.config_compare(context(click_ctx, values), first, second)


# configlock (issue 24): the committed config lock.
@config.command("lock")
@env_option
@global_options("service", *AWS)
@click.pass_context
def config_lock(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Write the store's keys, versions and salted hashes (no value) into config.ENV.lock in
    the service's folder, to commit. With configLock on, config writes keep it up to date and
    a release is refused when the store differs from the lock of the commit it releases.

    \b
    Example:
      git lift config lock -e production && git add config.production.lock
    """
    from git_lift.commands import config_lock as command

    return command.lock(context(click_ctx, values), env)


@config.command("sync")
@env_option
@allow_removing_option
@global_options("service", *AWS, "yes")
@click.pass_context
def config_sync(
    click_ctx: click.Context, /, env: str, allow_removing_required: bool, **values: Any
) -> int:
    """Put back what the work tree's config.ENV.lock says (after a `git revert` of a lock
    change): each key's locked version's value, keys it does not name removed, through the
    masked diff and confirmation.

    \b
    Example:
      git revert HEAD && git lift config sync -e production
    """
    from git_lift.commands import config_lock as command

    return command.sync(
        context(click_ctx, values), env, allow_removing_required=allow_removing_required
    )
