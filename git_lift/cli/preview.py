"""`git lift preview list|delete|prune`: branches' previews in a preview environment."""

from __future__ import annotations

from typing import Any

import click

from git_lift.cli.base import AWS, CONTEXT_SETTINGS, cli, context, global_options

# Preview environments (issue 23): flows/previews.py.


@cli.group("preview", context_settings=CONTEXT_SETTINGS)
def preview() -> None:
    """Branches' previews in a preview environment (pushing a branch makes them).

    \b
    Example:
      git lift preview list
      git lift preview delete feature/checkout
      git lift preview prune
    """


preview_env_option = click.option(
    "-e", "--env", "env", help="A preview environment (default: every one)."
)


@preview.command("list")
@preview_env_option
@global_options(*AWS, "output")
@click.pass_context
def preview_list(click_ctx: click.Context, /, env: str | None, **values: Any) -> int:
    """Previews with their branch, commit, URL, age and last deploy.

    \b
    Example:
      git lift preview list -e preview --output json
    """
    from git_lift.commands import preview as command

    return command.list_previews(context(click_ctx, values), env)


@preview.command("delete")
@preview_env_option
@click.argument("branch")
@global_options(*AWS)
@click.pass_context
def preview_delete(click_ctx: click.Context, /, env: str | None, branch: str, **values: Any) -> int:
    """Delete a branch's previews (by branch name, or a preview's slug once the branch is
    gone): their stacks and overrides; release records stay.

    \b
    Example:
      git lift preview delete feature/checkout
    """
    from git_lift.commands import preview as command

    return command.delete(context(click_ctx, values), env, branch)


@preview.command("prune")
@preview_env_option
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, delete nothing.")
@global_options(*AWS)
@click.pass_context
def preview_prune(
    click_ctx: click.Context, /, env: str | None, dry_run: bool, **values: Any
) -> int:
    """Delete previews whose branch is gone from the remote, or not deployed for the
    environment's ttl (for a scheduled CI job).

    \b
    Example:
      git lift preview prune --dry-run
    """
    from git_lift.commands import preview as command

    return command.prune(context(click_ctx, values), env, dry_run)
