"""`git lift init`, `git lift hooks install|uninstall` and the `git lift hook ...` entry points."""

from __future__ import annotations

from typing import Any

import click

from git_lift.cli.base import AWS, CONTEXT_SETTINGS, cli, context, global_options


@cli.group(context_settings=CONTEXT_SETTINGS)
def hooks() -> None:
    """git lift's git hooks in this repository: config checked before a commit or push leaves.

    \b
    Example:
      git lift hooks install
    """


@hooks.command("install")
@global_options()
@click.pass_context
def hooks_install(click_ctx: click.Context, /, **values: Any) -> int:
    """Install the pre-commit and pre-push hooks; an existing hook is chained, never lost.

    \b
    Example:
      git lift hooks install
    """
    from git_lift.commands import hooks as command

    return command.install(context(click_ctx, values).repo)


@hooks.command("uninstall")
@global_options()
@click.pass_context
def hooks_uninstall(click_ctx: click.Context, /, **values: Any) -> int:
    """Remove git lift's hooks and put back the hooks they displaced.

    \b
    Example:
      git lift hooks uninstall
    """
    from git_lift.commands import hooks as command

    return command.uninstall(context(click_ctx, values).repo)


@cli.group(context_settings=CONTEXT_SETTINGS)
def hook() -> None:
    """Entry points the installed hooks run (GIT_LIFT_SKIP_HOOKS=1 skips them).

    \b
    Example:
      git lift hook pre-commit
    """


@hook.command("pre-commit")
@click.argument("files", nargs=-1)
@global_options(*AWS)
@click.pass_context
def hook_pre_commit(click_ctx: click.Context, /, files: tuple[str, ...], **values: Any) -> int:
    """Lint staged env.sample files; check the keys they add exist in the store.

    \b
    Example:
      git lift hook pre-commit
    """
    from git_lift.commands import hook_checks as command

    return command.run_pre_commit(lambda: context(click_ctx, values, hook=True), files)


@hook.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@click.option("--from-pre-commit", is_flag=True, help="Read the ref the pre-commit framework sets.")
@global_options(*AWS)
@click.pass_context
def hook_pre_push(
    click_ctx: click.Context,
    /,
    remote: str | None,
    url: str | None,
    from_pre_commit: bool,
    **values: Any,
) -> int:
    """Check the config of each environment the pushed refs map to (refs on stdin, as git
    gives them); release those with deployOnPush.

    \b
    Example:
      echo "refs/heads/main $(git rev-parse HEAD) refs/heads/main $(git rev-parse @{u})" |
        git lift hook pre-push origin
    """
    import sys

    from git_lift.commands import hook_checks as command

    return command.run_pre_push(
        lambda: context(click_ctx, values, hook=True),
        sys.stdin,
        framework=from_pre_commit,
        remote=remote,
    )


@cli.command("setup")
@click.option("-e", "--env", "env", required=True, help="Environment, e.g. staging.")
@click.option(
    "--from-file",
    type=click.Path(dir_okay=False),
    help="Values of missing keys from a dotenv or JSON file (instead of asking).",
)
@global_options("service", *AWS, "yes", "output")
@click.pass_context
def setup(click_ctx: click.Context, /, env: str, from_file: str | None, **values: Any) -> int:
    """Create what ENV lacks for this service (environment, service, config), then ship.

    \b
    Idempotent: checks first what would stop it (uncommitted .gitlift or env.sample, a
    commit no remote branch has where ENV has confirm, values it cannot get), prints what
    it will create, asks once (ENV's name where it has confirm), then asks each missing
    value on the terminal (hidden). Where a push releases (deployOnPush) it does not ship:
    it names the push.

    \b
    Example:
      git lift setup -e staging
      git lift setup -e production --from-file prod.env --yes
    """
    from git_lift.commands import setup as command

    return command.setup(context(click_ctx, values), env, from_file=from_file)


@cli.command("trust")
@global_options("yes")
@click.pass_context
def trust(click_ctx: click.Context, /, **values: Any) -> int:
    """Honour this .gitlift's profile, registry and kmsKey (after you have reviewed them).

    \b
    A committed .gitlift is someone else's input: settings that choose credentials or where
    images and secrets go are taken from it only once you trust that exact file.

    \b
    Example:
      git lift trust
    """
    from git_lift.commands import trust as command

    return command.trust(context(click_ctx, values, check_trust=False))


@cli.command("init")
@click.option(
    "--path",
    "path",
    metavar="DIR",
    help="Add a service (-s NAME) whose folder is DIR (default: the folder you are in).",
)
@global_options("service", "region")
@click.pass_context
def init(click_ctx: click.Context, /, path: str | None, **values: Any) -> int:
    """Start using git lift here: write .gitlift and env.sample if absent, install the hooks.

    \b
    With -s NAME (and --path DIR): add service NAME to the repository, its env.sample
    written from DIR/.env (names only).

    \b
    Example:
      git lift init
      git lift init -s worker --path worker
    """
    from git_lift.commands import init as command

    return command.init(context(click_ctx, values), path)
