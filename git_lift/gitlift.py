"""A .gitlift (or the user's `lift.*` git config) read into sections; pure. What each section
may name and which settings only a trusted source may set come from the settings table
(setting_table.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from git_lift import names
from git_lift.errors import UsageError
from git_lift.records import field, record
from git_lift.setting_table import (
    ENV_KEYS,
    ENV_TRUSTED_ONLY,
    LIFT_KEYS,
    OWN_ONLY,
    TARGET_KEYS,
    TRUSTED_ONLY,
    unknown_key,
)


@record(frozen=True)
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


@record
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
            if name in OWN_ONLY:  # a commit must not choose where its own policy is read
                raise UsageError(
                    f".gitlift cannot set lift.{key}: only your own git config can",
                    hint=f"git config --unset -f .gitlift lift.{key}; "
                    f"git config lift.{key} {entry.value}",
                )
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
