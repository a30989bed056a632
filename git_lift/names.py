"""Names that end up in AWS resource names, ARNs and parameter paths, validated before any
request: an environment or service name such as `..`, `a/b` or `*` would otherwise write
outside `/<env>/<service>/` or widen an IAM policy.

The lengths come from the longest names derived from them: IAM role names
(`lift-<env>-<service>-execution`, at most 64 characters) and the environment's load balancer
and target groups (`lift-<env>-...`, at most 32).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from git_lift import limits
from git_lift.errors import UsageError

ENV_MAX = 20
SERVICE_MAX = 28
_NAME = r"[a-z0-9](?:[a-z0-9-]{{0,{inner}}}[a-z0-9])?"
ENV_PATTERN = re.compile(_NAME.format(inner=ENV_MAX - 2))
SERVICE_PATTERN = re.compile(_NAME.format(inner=SERVICE_MAX - 2))
KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A process's name ends its ECS service's and task family's names (Target.for_process): ECS
# takes letters, digits, hyphens and underscores there, up to 255 (CreateService); git lift
# keeps to its lowercase style, short enough to read in `status`. Here, not in processcfg:
# the settings check previewProcesses' names too.
PROCESS_MAX = 20
PROCESS_NAME = re.compile(rf"^[a-z](?:[a-z0-9-]{{0,{PROCESS_MAX - 2}}}[a-z0-9])?$")
# A parameter's full name, `/<env>/<service>/<KEY>`, with the ARN before it, is at most 1011
# characters: the longest key any environment and service allows (Target.check_keys gives
# the exact limit of one).
KEY_MAX = limits.PARAMETER_NAME - limits.PARAMETER_ARN_PREFIX - (ENV_MAX + SERVICE_MAX + 3)


def _shown(name: str) -> str:
    return repr(name if len(name) <= 60 else name[:57] + "...")


def _name(name: str, kind: str, pattern: re.Pattern[str], longest: int, example: str) -> str:
    if not pattern.fullmatch(name) or "--" in name:
        raise UsageError(
            f"{_shown(name)} is not a valid {kind} name",
            hint=f"use lower-case letters, digits and single hyphens, at most {longest} "
            f"characters ({example})",
        )
    return name


def environment(name: str) -> str:
    return _name(name, "environment", ENV_PATTERN, ENV_MAX, "staging, production, qa-1")


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name a mistyped one most likely meant (`Staging`, `prod`, `stagin`): the same
    but for case, else the one it begins or is the beginning of, else a close spelling."""
    lowered, options = name.lower(), sorted(known)
    if lowered in options:
        return lowered
    prefixed = [o for o in options if lowered and (o.startswith(lowered) or lowered.startswith(o))]
    if len(prefixed) == 1:
        return prefixed[0]
    return close_spelling(lowered, options)


def close_spelling(word: str, options: Iterable[str]) -> str | None:
    """The option spelt most like `word` (difflib's judgement), None when none is close.
    difflib is loaded only for a mistake: not on a hook's path."""
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1)
    return close[0] if close else None


def service(name: str) -> str:
    example = 'payments-api; name it in .gitlift: [service "NAME"] path = .'
    return _name(name, "service", SERVICE_PATTERN, SERVICE_MAX, example)


def is_key(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key)) and len(key) <= KEY_MAX


# Key arguments are never quoted back: `API_TOKEN=secret` typed where a key was expected
# would print the secret into a terminal log or a CI transcript.
NOT_SHOWN = "(not shown: it may hold a value)"
KEY_HINT = "keys look like DATABASE_URL: [A-Za-z_][A-Za-z0-9_]*"


def key(name: str, what: str = "the key") -> str:
    if not is_key(name):
        raise UsageError(f"{what} is not a valid key name {NOT_SHOWN}", hint=KEY_HINT)
    return name


def keys(names: Sequence[str]) -> list[str]:
    """Key arguments, each valid, a bad one named by its position only."""
    return [key(name, f"argument {number}") for number, name in enumerate(names, start=1)]


def key_at_version(spec: str) -> tuple[str, int]:
    """`KEY@VERSION` exactly: one @, a valid key, a positive decimal version."""
    name, at, version = spec.partition("@")
    if not at or not is_key(name) or not re.fullmatch(r"[1-9][0-9]{0,9}", version):
        raise UsageError(
            f"the argument is not KEY@VERSION {NOT_SHOWN}",
            hint="see versions with: git lift config history KEY -e ENV",
        )
    return name, int(version)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 key`, `2 keys`, `0 keys`: a count with its noun, as a message says it."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def listed(items: Sequence[str], limit: int = 12) -> str:
    """Names for a message: all of a short list; the first `limit` and a count of a long one,
    so a 100,000-key env.sample does not print a megabyte line."""
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"


def fix_assignments(keys: Sequence[str], limit: int = 12) -> str:
    """`A=... B=...` for a hint's command line, shortened as `listed` shortens."""
    shown = " ".join(f"{key}=..." for key in keys[:limit])
    return shown + (f" ... ({len(keys) - limit} more)" if len(keys) > limit else "")
