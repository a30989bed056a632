"""`git lift sandbox`: the local AWS emulator."""

from __future__ import annotations

import click

from git_lift import ui
from git_lift.cli.base import cli


@cli.group("sandbox", invoke_without_command=True)
@click.option("--detach", is_flag=True, help="Run in the background and return.")
@click.option("--port", type=int, default=0, help="Port for the AWS emulator (default: free).")
@click.option("--no-registry", is_flag=True, help="Do not start the local image registry.")
@click.pass_context
def sandbox(click_ctx: click.Context, /, detach: bool, port: int, no_registry: bool) -> int:
    """A local AWS emulator (moto + ECS rollouts) and image registry: no AWS account needed.

    \b
    Example:
      git lift sandbox --detach
      eval "$(git lift sandbox env)"
      git lift ship -e staging
    """
    if click_ctx.invoked_subcommand is not None:
        return 0
    from git_lift.commands import sandbox as command

    run = command.detach if detach else command.serve
    return run(ui.out, port=port, registry=not no_registry)


@sandbox.command("stop")
def sandbox_stop() -> int:
    """Stop the sandbox and its registry.

    \b
    Example:
      git lift sandbox stop
    """
    from git_lift.commands import sandbox as command

    return command.stop(ui.out)


@sandbox.command("reset")
def sandbox_reset() -> int:
    """Forget every AWS resource, rollout and request count the sandbox holds.

    \b
    Example:
      git lift sandbox reset
    """
    from git_lift.commands import sandbox as command

    return command.reset(ui.out)


@sandbox.command("env")
def sandbox_env() -> int:
    """Print the variables that point git lift at the running sandbox.

    \b
    Example:
      eval "$(git lift sandbox env)"
    """
    from git_lift.commands import sandbox as command

    return command.env(ui.out)
