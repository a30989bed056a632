"""click commands: parse, build the context, call commands.*, return an exit code.

One module per group of commands. Command modules of git_lift.commands are imported inside
each command, so that `--help` and hooks with nothing to do never import boto3.
"""

from git_lift.cli import config, hooks, infra, notices, preview, release, sandbox  # noqa: F401
from git_lift.cli.base import cli

__all__ = ["cli"]
