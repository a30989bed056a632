"""A .gitlift (or the user's `lift.*` git config) read into sections, and its values checked;
pure. What each section may name, which settings only a trusted source may set, and the
checks of names, paths, numbers and regions, each an `error:` naming the setting.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from git_lift import names
from git_lift.errors import UsageError

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0", ""}
# What a committed .gitlift may name, by section (keys lower-case, as git config reports them).
LIFT_KEYS = {
    "region",
    "builder",
    "registry",
    "kmskey",
    "profile",
    "pushtags",
    "pollinterval",
    "hooks.strict",
    "hooks.cachettl",
}
SERVICE_KEYS = {"path", "dockerfile", "context", "envsample", "container"}
ENV_POLICY_KEYS = {"ref", "deployonpush", "confirm", "pinconfig", "requires", "failfast"}
# Per-environment AWS (README "Per-environment AWS"): where its calls go and as whom.
ENV_AWS_KEYS = {"region", "account", "profile", "rolearn", "externalid", "registry", "cluster"}
ENV_KEYS = ENV_POLICY_KEYS | ENV_AWS_KEYS
# Names of infrastructure git lift did not create (`git lift adopt`), per environment/service.
TARGET_KEYS = {"ecsservice", "taskfamily", "container", "loggroup", "parameterpath"}
# What a committed .gitlift may set only once trusted: credentials, and where deploys, images
# and secrets go. `region` and `account` are not among them: the credentials decide the
# account, and a wrong expected account only stops the command.
ENV_TRUSTED_ONLY = {"profile", "rolearn", "externalid", "registry", "cluster"}
FAIL_FAST_RANGE = (1, 1000)
# Settings that choose credentials or where images and secrets go.
TRUSTED_ONLY = {"registry": "lift.registry", "kmskey": "lift.kmsKey", "profile": "lift.profile"}
BUILDERS = {"auto", "docker", "buildah", "podman"}
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}")
ACCOUNT = re.compile(r"[0-9]{12}")
ROLE_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")
POLL_INTERVAL_RANGE = (0.01, 60.0)
CACHE_TTL_RANGE = (0.0, 86400.0)  # seconds the pre-commit hook trusts listed names; 0: never


@dataclass(frozen=True)
class Entry:
    """One config entry: `section.subsection.key` as git config names it."""

    name: str
    value: str


EnvKeys = dict[str, dict[str, list[str]]]


def split_name(name: str) -> tuple[str, str | None, str]:
    section, _, rest = name.partition(".")
    if "." in rest:
        subsection, _, key = rest.rpartition(".")
        return section, subsection, key.lower()
    return section, None, rest.lower()


def unknown_key(what: str, key: str, known: Iterable[str]) -> UsageError:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return UsageError(
        f".gitlift has an unknown {what} {key!r}",
        hint=f"{guess}known: {', '.join(sorted(known))}",
    )


def inside_repository(key: str, value: str) -> str:
    """A path from a committed file, normalised; refused when it could leave the repository
    (absolute, `..`, `~`). Symlinks are resolved where the path is used (repo.contained)."""
    if not value or "\0" in value or "\\" in value:
        raise UsageError(f"{key} = {value!r} is not a usable path", hint="give a relative path")
    normal = posixpath.normpath(value)
    if (
        PurePosixPath(normal).is_absolute()
        or normal == ".."
        or normal.startswith("../")
        or normal.startswith("~")
    ):
        raise UsageError(
            f"{key} = {value!r} is outside the repository",
            hint="give a path relative to the repository's top, inside it",
        )
    return normal


@dataclass
class Sections:
    """A .gitlift's sections, keys lower-case as git config reports them."""

    lift: dict[str, str] = field(default_factory=dict)
    services: dict[str, dict[str, str]] = field(default_factory=dict)
    environments: EnvKeys = field(default_factory=dict)
    targets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


def target_key(subsection: str) -> tuple[str, str]:
    env, slash, service = subsection.partition("/")
    if not slash:
        raise UsageError(
            f'.gitlift has [target "{subsection}"]',
            hint='name a target as [target "ENVIRONMENT/SERVICE"]',
        )
    return names.environment(env), names.service(service)


def read_sections(entries: Iterable[Entry]) -> Sections:
    """A .gitlift's [lift], [service], [env] and [target] sections; unknown names are errors."""
    found = Sections()
    lift, services, environments = found.lift, found.services, found.environments
    for entry in entries:
        section, subsection, key = split_name(entry.name)
        if section == "lift":
            name = key if subsection is None else f"{subsection.lower()}.{key}"
            if name not in LIFT_KEYS:
                raise unknown_key("key in [lift]:", name, LIFT_KEYS)
            lift[name] = entry.value
        elif section == "service" and subsection:
            services.setdefault(subsection, {})[key] = entry.value
        elif section == "env" and subsection:
            if key not in ENV_KEYS:
                raise unknown_key(f'key in [env "{subsection}"]:', key, ENV_KEYS)
            environments.setdefault(names.environment(subsection), {}).setdefault(key, []).append(
                entry.value
            )
        elif section == "target" and subsection:
            if key not in TARGET_KEYS:
                raise unknown_key(f'key in [target "{subsection}"]:', key, TARGET_KEYS)
            found.targets.setdefault(target_key(subsection), {})[key] = entry.value
        else:
            raise UsageError(
                f".gitlift has an unknown entry {entry.name!r}",
                hint='sections are [lift], [service "NAME"], [env "NAME"] and [target "ENV/NAME"]',
            )
    return found


def parse_bool(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise UsageError(
        f"{key} = {value!r} is not a boolean", hint=f"set {key} to true or false in .gitlift"
    )


def parse_number(key: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        raise UsageError(
            f"{key} = {value!r} is not a number from {low:g} to {high:g}",
            hint=f"set {key} to a number in that range (or remove it)",
        )
    return number


def check_region(value: str | None) -> str | None:
    if value is not None and not REGION.fullmatch(value):
        raise UsageError(
            f"{value!r} is not an AWS region", hint="name one like eu-west-1 or us-east-1"
        )
    return value


def untrusted_entries(
    committed: Sections, own: Mapping[str, str], own_envs: EnvKeys
) -> list[tuple[str, str]]:
    """(git config name, value) of each setting the committed file sets that only a trusted
    source may, and that the user's own config does not set itself."""
    found = [
        (TRUSTED_ONLY[key], value)
        for key, value in committed.lift.items()
        if key in TRUSTED_ONLY and key not in own
    ]
    for env, keys in sorted(committed.environments.items()):
        found += [
            (f"lift.env.{env}.{key}", values[-1])
            for key, values in sorted(keys.items())
            if key in ENV_TRUSTED_ONLY and key not in own_envs.get(env, {})
        ]
    for (env, service), overrides in sorted(committed.targets.items()):
        found += [(f"target.{env}/{service}.{k}", v) for k, v in sorted(overrides.items())]
    return found


def sensitive_entries(gitlift: Iterable[Entry]) -> list[tuple[str, str]]:
    """Every setting of a .gitlift that needs trust, as `git lift trust` shows them."""
    return untrusted_entries(read_sections(gitlift), {}, {})


def untrusted_error(found: list[tuple[str, str]]) -> UsageError:
    shown = ", ".join(f"{name} = {value}" for name, value in found[:4])
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    return UsageError(
        f".gitlift sets {shown}{more}, which git lift takes from a committed file only "
        "once you trust it",
        hint=f"review .gitlift, then: git lift trust (or set it yourself: "
        f"git config {found[0][0].replace('target.', 'lift.target.')} VALUE)",
    )


def parameter_path(value: str) -> str:
    path = "/" + value.strip("/")
    if not re.fullmatch(r"(/[A-Za-z0-9_.-]+)+", path):
        raise UsageError(
            f"parameterPath = {value!r} is not a Parameter Store path",
            hint="a path such as /staging/payments-api",
        )
    return path


def check_builder(value: str) -> str:
    if value not in BUILDERS:
        raise UsageError(
            f"lift.builder = {value!r} is not a builder",
            hint=f"set it to one of: {', '.join(sorted(BUILDERS))}",
        )
    return value
