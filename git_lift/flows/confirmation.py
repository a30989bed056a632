"""Asking before a change: one policy for config writes, ships and stack changes.

`--yes` always confirms. An environment with `confirm = true` needs its name typed, or `--yes`
when there is no terminal to type it in. Other environments get a y/N `question` on a
terminal (none if it is None) and, without a terminal, go ahead only if `unattended`.
"""

from __future__ import annotations

from git_lift import ui
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context


def confirm(
    ctx: Context,
    env: str,
    *,
    typed: bool,
    what: str,
    refused: str,
    question: str | None = None,
    unattended: bool = True,
    service: str | None = None,
) -> None:
    """Return when the change may go ahead; raise when it may not.

    `typed` is the environment's `confirm`; `what` names the change (`shipping to production`);
    `refused` says what did not happen (`nothing was written`); `service`: the name typed is
    the service's, not the environment's (`service delete`)."""
    if ctx.options.yes:
        return
    if not ui.interactive():
        if typed or not unattended:
            raise UsageError(
                f"{what} needs confirmation and there is no terminal to ask; {refused}",
                hint="review what is above, then run the command again with --yes",
            )
        return
    if not typed and question is None:
        return
    answer = "type the name" if typed else "answer y"
    with ui.prompted(refused, hint=f"run the command again and {answer}, or add --yes"):
        if typed:
            confirmed = (
                ui.confirm_by_typing(service, "service") if service else ui.confirm_by_typing(env)
            )
        else:
            confirmed = ui.confirm(question or "")
    if not confirmed:
        raise LiftError(f"not confirmed; {refused}")
