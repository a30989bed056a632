"""The top-level `git lift` group and what every command shares: global options, the
environment option, and building the context a command runs with."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from git_lift import ui
from git_lift.options import Options

if TYPE_CHECKING:
    from git_lift.flows.context import Context

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


GLOBAL_OPTIONS = {
    "service": click.option("-s", "--service", help="Service name (multi-service repos)."),
    "profile": click.option("--profile", help="AWS profile."),
    "region": click.option("--region", help="AWS region."),
    "yes": click.option(
        "--yes", is_flag=True, default=None, help="Do not prompt; confirms production."
    ),
    "output": click.option("--output", type=click.Choice(["text", "json"]), help="Output format."),
}
AWS = ("profile", "region")  # every command that talks to AWS
VERBOSITY = [
    click.option("-q", "--quiet", "verbosity", flag_value=-1, default=None, help="Less output."),
    click.option("-v", "--verbose", "verbosity", flag_value=1, help="More output."),
]


def global_options(*uses: str) -> Callable[[F], F]:
    """The global options a command acts on (names of GLOBAL_OPTIONS; -q and -v always), so
    its help lists none that would do nothing. `git lift` itself takes them all, before the
    command name (`git lift -s api config show`)."""
    options = [GLOBAL_OPTIONS[name] for name in GLOBAL_OPTIONS if name in uses] + VERBOSITY

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def merge_options(click_ctx: click.Context, /, values: dict[str, Any]) -> Options:
    options: Options = click_ctx.ensure_object(Options)
    for name in ("service", "region", "profile", "yes", "output", "preview"):
        value = values.pop(name, None)
        if value is not None:
            setattr(options, name, value)
    verbosity = values.pop("verbosity", None)
    if verbosity is not None:
        ui.set_verbosity(verbosity)
    return options


def context(
    click_ctx: click.Context,
    /,
    values: dict[str, Any],
    *,
    check_trust: bool = True,
    hook: bool = False,
) -> Context:
    from git_lift.flows.context import load  # not needed for --help

    return load(merge_options(click_ctx, values), check_trust=check_trust, hook=hook)


env_option = click.option("-e", "--env", "env", required=True, help="Environment, e.g. staging.")


def preview_option(what: str) -> Callable[[F], F]:
    """`--preview BRANCH`: in a preview environment, that branch's preview (issue 23)."""
    return click.option("--preview", metavar="BRANCH", help=f"In a preview environment: {what}.")


@click.group(context_settings=CONTEXT_SETTINGS)
@global_options(*GLOBAL_OPTIONS)
@click.version_option(package_name="git-lift", message="git lift %(version)s")
@click.pass_context
def cli(click_ctx: click.Context, /, **values: Any) -> None:
    """Ship dockerized services to AWS ECS with git.

    \b
    Example:
      git lift config edit -e staging
      git lift config check
    """
    merge_options(click_ctx, values)
