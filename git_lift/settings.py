"""Merge .gitlift, the repo's git config, GIT_LIFT_* variables and flags into one Settings.

Pure: callers pass in the entries read by repo.py and the process environment.
Precedence: flags > GIT_LIFT_* > the repo's git config (lift.*) > .gitlift > defaults.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from git_lift.errors import UsageError

DEFAULT_KMS_KEY = "alias/aws/ssm"
TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0", ""}


@dataclass(frozen=True)
class Entry:
    """One config entry: `section.subsection.key` as git config names it."""

    name: str
    value: str


@dataclass(frozen=True)
class ServiceSettings:
    name: str
    path: str  # relative to the repository's top, "." for the root
    dockerfile: str
    context: str
    env_sample: str
    container: str


@dataclass(frozen=True)
class EnvironmentSettings:
    name: str
    refs: tuple[str, ...]
    deploy_on_push: bool = False
    confirm: bool = False

    def matches(self, ref: str) -> bool:
        return any(fnmatch.fnmatchcase(ref, pattern) for pattern in self.refs)


@dataclass(frozen=True)
class Settings:
    region: str | None
    profile: str | None
    builder: str
    registry: str | None
    kms_key: str
    push_tags: bool
    hooks_strict: bool
    services: dict[str, ServiceSettings]
    environments: dict[str, EnvironmentSettings]
    lift: dict[str, str] = field(default_factory=dict)

    def environment(self, name: str) -> EnvironmentSettings:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise UsageError(
                f"unknown environment {name!r} (known: {known})",
                hint=f"add it to .gitlift: git config -f .gitlift env.{name}.ref refs/heads/BRANCH",
            ) from None

    def environments_for_ref(self, ref: str) -> list[EnvironmentSettings]:
        return [env for env in self.environments.values() if env.matches(ref)]

    def service(self, name: str | None, cwd_relative: str = ".") -> ServiceSettings:
        """The named service, else the one whose path holds the current folder."""
        if name is not None:
            if name not in self.services:
                raise UsageError(
                    f"unknown service {name!r} (known: {', '.join(sorted(self.services))})",
                    hint='add it to .gitlift: [service "NAME"] path = FOLDER',
                )
            return self.services[name]
        if len(self.services) == 1:
            return next(iter(self.services.values()))
        here = PurePosixPath(cwd_relative)
        containing = [
            svc
            for svc in self.services.values()
            if svc.path == "."
            or here == PurePosixPath(svc.path)
            or PurePosixPath(svc.path) in here.parents
        ]
        # The deepest path wins, so a service at the root does not shadow nested ones.
        containing.sort(
            key=lambda svc: 0 if svc.path == "." else len(PurePosixPath(svc.path).parts)
        )
        if containing and (cwd_relative != "." or containing[-1].path == "."):
            return containing[-1]
        raise UsageError(
            f"this repository has several services: {', '.join(sorted(self.services))}",
            hint="name one with -s NAME, or run git lift inside its folder",
        )


def spinal_case(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def infer_service_name(remote_url: str | None, top_folder: str) -> str:
    """`git@host:acme/payments-api.git` -> `payments-api`; else the top folder's name."""
    if remote_url:
        last = re.split(r"[/:]", remote_url.rstrip("/"))[-1].removesuffix(".git")
        if spinal_case(last):
            return spinal_case(last)
    name = spinal_case(top_folder)
    if not name:
        raise UsageError(
            "cannot infer the service name from the remote or the folder",
            hint="name it in .gitlift: git config -f .gitlift service.NAME.path .",
        )
    return name


def parse_bool(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise UsageError(
        f"{key} = {value!r} is not a boolean", hint=f"set {key} to true or false in .gitlift"
    )


def _split(name: str) -> tuple[str, str | None, str]:
    section, _, rest = name.partition(".")
    if "." in rest:
        subsection, _, key = rest.rpartition(".")
        return section, subsection, key.lower()
    return section, None, rest.lower()


def _service(name: str, keys: Mapping[str, str]) -> ServiceSettings:
    path = str(PurePosixPath(keys.get("path", ".")))
    if path.startswith("..") or PurePosixPath(path).is_absolute():
        raise UsageError(
            f"service {name!r} has path {path!r} outside the repository",
            hint="give a path relative to the repository's top",
        )

    def inside(file: str) -> str:
        return str(PurePosixPath(path) / file)

    return ServiceSettings(
        name=spinal_case(name) or name,
        path=path,
        dockerfile=keys.get("dockerfile", inside("Dockerfile")),
        context=keys.get("context", path),
        env_sample=keys.get("envsample", inside("env.sample")),
        container=keys.get("container", spinal_case(name) or name),
    )


def _default_environments(default_branch: str) -> dict[str, EnvironmentSettings]:
    return {
        "staging": EnvironmentSettings("staging", (f"refs/heads/{default_branch}",)),
        "production": EnvironmentSettings(
            "production", ("refs/tags/v*",), deploy_on_push=True, confirm=True
        ),
    }


def build(
    *,
    gitlift: Iterable[Entry],
    repo_config: Iterable[Entry],
    environ: Mapping[str, str],
    flags: Mapping[str, str | None],
    remote_url: str | None,
    top_folder: str,
    default_branch: str,
) -> Settings:
    lift: dict[str, str] = {}
    services: dict[str, dict[str, str]] = {}
    environments: dict[str, dict[str, list[str]]] = {}
    for entry in gitlift:
        section, subsection, key = _split(entry.name)
        if section == "lift":
            lift[key if subsection is None else f"{subsection.lower()}.{key}"] = entry.value
        elif section == "service" and subsection:
            services.setdefault(subsection, {})[key] = entry.value
        elif section == "env" and subsection:
            environments.setdefault(subsection, {}).setdefault(key, []).append(entry.value)
        else:
            raise UsageError(
                f".gitlift has an unknown entry {entry.name!r}",
                hint='sections are [lift], [service "NAME"] and [env "NAME"]',
            )
    for entry in repo_config:
        section, subsection, key = _split(entry.name)
        if section == "lift":
            lift[key if subsection is None else f"{subsection.lower()}.{key}"] = entry.value
    for name, value in environ.items():
        if name.startswith("GIT_LIFT_"):
            lift[name.removeprefix("GIT_LIFT_").lower().replace("_", "")] = value
    for key, flag in flags.items():
        if flag is not None:
            lift[key.lower()] = flag

    service_settings = {
        svc.name: svc for svc in (_service(name, keys) for name, keys in services.items())
    }
    if not service_settings:
        name = infer_service_name(remote_url, top_folder)
        service_settings = {name: _service(name, {"path": "."})}
    env_settings = {
        name: EnvironmentSettings(
            name=name,
            refs=tuple(keys.get("ref", [])),
            deploy_on_push=parse_bool(
                f"env.{name}.deployOnPush", keys.get("deployonpush", ["false"])[-1]
            ),
            confirm=parse_bool(f"env.{name}.confirm", keys.get("confirm", ["false"])[-1]),
        )
        for name, keys in environments.items()
    } or _default_environments(default_branch)
    return Settings(
        region=lift.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        profile=lift.get("profile"),
        builder=lift.get("builder", "auto"),
        registry=lift.get("registry"),
        kms_key=lift.get("kmskey", DEFAULT_KMS_KEY),
        push_tags=parse_bool("lift.pushTags", lift.get("pushtags", "true")),
        hooks_strict=parse_bool(
            "lift.hooks.strict", lift.get("hooks.strict", lift.get("hooksstrict", "false"))
        ),
        services=service_settings,
        environments=env_settings,
        lift=lift,
    )
