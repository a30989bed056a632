"""click's own usage errors said as the project says errors: `error: no such option: -x`
then `hint: ...` (lower case, no full stop, a guess moved to the hint), and a count's own
type, whose refusal names the count and what it must be."""

from __future__ import annotations

import re
from typing import Any

import click

from git_lift.errors import UsageError

NEGATIVE = re.compile(r"-\d+(\.\d+)?")


class Count(click.ParamType[int]):
    """A whole number of `low` or more (tasks, a scaling bound): click's IntRange says
    "-1 is not in the range x>=0."; this says "N must be 0 or more, not -1"."""

    name = "count"

    def __init__(self, low: int = 0) -> None:
        self.low = low

    def convert(
        self, value: Any, param: click.Parameter | None, click_ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            number: int | None = value
        else:
            text = str(value).strip()
            number = int(text) if re.fullmatch(r"[+-]?\d+", text) else None
        if number is None:
            what = f"must be a whole number, {self.low} or more, not {value!r}"
            self.fail(what, param, click_ctx)
        if number < self.low:
            self.fail(f"must be {self.low} or more, not {number}", param, click_ctx)
        return number


def plain(exc: click.exceptions.UsageError, where: str) -> UsageError:
    """`exc` as the project's UsageError; `where` is the command (`git lift scale`)."""
    hint = f"see: {where} -h"
    if isinstance(exc, click.exceptions.NoSuchOption):
        counts = _counts(exc.ctx)
        if NEGATIVE.fullmatch(exc.option_name) and counts:
            # `scale -e staging -1`: click reads -1 as an option before any type sees it
            name, low = counts[0]
            return UsageError(f"{name} must be {low} or more, not {exc.option_name}", hint=hint)
        if exc.possibilities:
            hint = f"{hint} (did you mean {' or '.join(exc.possibilities)}?)"
        return UsageError(f"no such option: {exc.option_name}", hint=hint)
    if (
        isinstance(exc, click.exceptions.BadParameter)
        and not isinstance(exc, click.exceptions.MissingParameter)  # words of its own
        and exc.param is not None
    ):
        name = _name(exc.param)
        if exc.message.startswith("must "):  # Count's own words
            return UsageError(f"{name} {exc.message}", hint=hint)
        return UsageError(f"invalid value for {name}: {_sentence(exc.message)}", hint=hint)
    message = exc.format_message()
    guess = re.search(r"\s*Did you mean (.*)\?$", message)
    if guess:
        message = message[: guess.start()]
        hint = f"{hint} (did you mean {guess.group(1).replace(chr(39), '')}?)"
    return UsageError(_sentence(message), hint=hint)


def _sentence(text: str) -> str:
    """click's "No such command 'x'." as the project writes it: "no such command 'x'"."""
    text = text.strip().removesuffix(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _name(param: click.Parameter) -> str:
    """How the command's help names `param`: `--min`, or `N` for an argument `[N]`."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return (param.metavar or param.name or "").strip("[].").upper()


def _counts(click_ctx: click.Context | None) -> list[tuple[str, int]]:
    """The command's arguments that are counts (name, lowest): where a negative number
    was meant as one."""
    if click_ctx is None:
        return []
    return [
        (_name(p), p.type.low)
        for p in click_ctx.command.params
        if isinstance(p, click.Argument) and isinstance(p.type, Count)
    ]
