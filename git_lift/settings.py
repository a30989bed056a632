"""Merge .gitlift, the repo's git config, GIT_LIFT_* variables and flags into one Settings.

Pure: callers pass in the entries read by repo.py and the process environment.
Precedence: flags > GIT_LIFT_* > the repo's git config (lift.*) > .gitlift > defaults.

Trust (README "Security model"): a committed .gitlift is input from whoever committed it.
- Release policy (which refs map to an environment, deployOnPush) comes from the .gitlift of
  the default branch as the remote has it (`policy`) and the user's own git config
  (`lift.env.NAME.ref`, ...), never from the work tree or the commit being pushed; a commit
  may only add `confirm`, never remove it.
- Credentials and destinations (TRUSTED_ONLY) come from the user's git config, GIT_LIFT_*
  variables and flags; from .gitlift only once the user trusted that exact file (`git lift
  trust`), else the command stops before doing anything.
- Every path resolves inside the repository; names and numbers are validated here.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from git_lift import names
from git_lift import setting_table as table
from git_lift.errors import UsageError
from git_lift.gitlift import (
    Entry,
    EnvKeys,
    read_sections,
    split_name,
    target_key,
    untrusted_entries,
    untrusted_error,
)
from git_lift.records import field, record, replace
from git_lift.setting_table import (
    ENV_KEYS,
    LIFT_KEYS,
    SERVICE_KEYS,
    TARGET_KEYS,
    VARIABLE_PREFIX,
    VARIABLES,
    check_region,
    inside_repository,
    unknown_key,
    unknown_variable,
)

if TYPE_CHECKING:
    from git_lift.freeze import Window

T = TypeVar("T")


@record(frozen=True)
class ServiceSettings:
    name: str
    path: str  # relative to the repository's top, "." for the root
    dockerfile: str
    context: str
    env_sample: str
    container: str


@record(frozen=True)
class EnvironmentAws:
    """Where an environment's AWS calls go and as whom (None: the defaults of the session)."""

    region: str | None = None
    account: str | None = None  # the account id the credentials must belong to
    profile: str | None = None
    role_arn: str | None = None  # assumed from the profile's (or default) credentials
    external_id: str | None = None
    registry: str | None = None  # an OCI registry instead of the account's ECR
    cluster: str | None = None  # an existing ECS cluster (adopted)


@record(frozen=True)
class TargetOverrides:
    """Names of one service's existing infrastructure in one environment (adopted)."""

    ecs_service: str | None = None
    task_family: str | None = None
    container: str | None = None
    log_group: str | None = None
    parameter_path: str | None = None


@record(frozen=True)
class PreviewPolicy:
    """A preview environment's (issue 23): each branch that maps to it runs as previews of
    `base`'s services. Release policy: from the trusted .gitlift only."""

    base: str
    ttl: float  # seconds without a deploy after which `preview prune` deletes a preview
    max_previews: int
    domain: str | None = None  # previews answer at `<slug>.<domain>`; None: at `/<slug>/`
    processes: tuple[str, ...] = ()  # the base's processes besides web a preview runs too


@record(frozen=True)
class EnvironmentSettings:
    name: str
    refs: tuple[str, ...]
    deploy_on_push: bool = False
    confirm: bool = False
    pin_config: bool | None = None  # None: pinned where `confirm` is on
    requires: str | None = None  # an environment that must have released the commit first
    fail_fast: int | None = None  # None: the settings table's default
    # Release policy of the default branch only (issue 24): freeze windows, who is told.
    freeze: tuple[Window, ...] = ()
    notify: tuple[str, ...] = ()  # "webhook" and/or SNS topic ARNs
    preview: PreviewPolicy | None = None  # a preview environment's policy
    config_lock: bool = False  # releases check the commit's config.ENV.lock (trusted only)
    aws: EnvironmentAws = field(default_factory=EnvironmentAws)

    @property
    def pins_config(self) -> bool:
        return self.confirm if self.pin_config is None else self.pin_config

    @property
    def fail_fast_after(self) -> int:
        """Stopped tasks in a row of a new deployment after which a ship stops waiting."""
        return table.FAIL_FAST.value({}) if self.fail_fast is None else self.fail_fast

    def matches(self, ref: str) -> bool:
        return any(fnmatch.fnmatchcase(ref, pattern) for pattern in self.refs)


@record(frozen=True)
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
    own_policy: EnvKeys = field(default_factory=dict)  # the user's own `lift.env.NAME.*`
    poll_interval: float = 1.0
    hooks_cache_ttl: float = 900.0
    targets: dict[tuple[str, str], TargetOverrides] = field(default_factory=dict)
    policy_unknown: tuple[str, str] | None = None  # why releases are refused: error, hint
    default_branch: str | None = None
    # Environments the work tree's .gitlift alone makes preview ones, with their base; those
    # it alone declares are not in `environments` (as plain ones they would be set up and
    # shipped to wrongly) but in `proposed_only`, against which policy changes are told.
    untrusted_previews: dict[str, str] = field(default_factory=dict)
    proposed_only: dict[str, EnvironmentSettings] = field(default_factory=dict)

    def service_flag(self, service: str) -> str:
        """` -s NAME` for fix commands, needed only when the repository has several services."""
        return f" -s {service}" if len(self.services) > 1 else ""

    def environment(self, name: str) -> EnvironmentSettings:
        """The environment named on the command line; a mistyped name is refused with the
        environment it most likely meant, a preview one the work tree alone declares with
        what makes it one."""
        refused = self.untrusted_preview(name)
        if refused is not None and name not in self.environments:
            raise refused
        meant = names.closest(name, self.environments)
        guess = f"did you mean {meant}?" if meant else None
        try:
            return self.environments[names.environment(name)]
        except UsageError as invalid:
            raise UsageError(invalid.message, hint=guess or invalid.hint) from None
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            add = f"git config -f .gitlift env.{name}.ref refs/heads/BRANCH"
            fix = f"{guess} To add {name} instead: {add}" if guess else f"add it to .gitlift: {add}"
            raise UsageError(f"unknown environment {name!r} (known: {known})", hint=fix) from None

    def untrusted_preview(self, name: str) -> UsageError | None:
        """Why `name` is no preview environment when the work tree's .gitlift makes it one:
        the release policy, previews included, is the default branch's (README "Trust").
        None when the work tree's does not either."""
        base = self.untrusted_previews.get(name)
        if base is None:
            return None
        branch = self.default_branch or "the default branch"
        return UsageError(
            f"the working tree's .gitlift makes {name} a preview environment (of {base}), but "
            f".gitlift on {branch} does not, and git lift reads the release policy from "
            f"{branch} as the remote has it",
            hint=f"commit .gitlift and push it to {branch}",
        )

    def require_release_policy(self) -> None:
        """Refuse to release while the release policy cannot be read (see unknown_policy)."""
        if self.policy_unknown is not None:
            message, hint = self.policy_unknown
            raise UsageError(f"{message}: nothing is released", hint=hint)

    def policy_changes(self, proposed: Iterable[Entry]) -> list[str]:
        """What a proposed .gitlift would change in this release policy (see the function)."""
        known = {**self.environments, **self.proposed_only}
        return policy_changes(known, proposed, self.own_policy)

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


def _service(name: str, keys: Mapping[str, str]) -> ServiceSettings:
    service_name = names.service(spinal_case(name) or name)
    for key in keys:
        if key not in SERVICE_KEYS:
            raise unknown_key(f'key in [service "{name}"]:', key, SERVICE_KEYS)
    path = inside_repository(f"service.{name}.path", keys.get("path", "."))

    def setting(key: str, default: str) -> str:
        if key not in keys:
            return default
        return inside_repository(f"service.{name}.{key}", keys[key])

    return ServiceSettings(
        name=service_name,
        path=path,
        dockerfile=setting("dockerfile", posixpath.normpath(posixpath.join(path, "Dockerfile"))),
        context=setting("context", path),
        env_sample=setting("envsample", posixpath.normpath(posixpath.join(path, "env.sample"))),
        container=keys.get("container", service_name),
    )


def _default_environments(default_branch: str | None) -> EnvKeys:
    """The policy without environments in .gitlift, as a .gitlift would declare it."""
    staging = [f"refs/heads/{default_branch}"] if default_branch else []
    return {
        "staging": {"ref": staging},
        "production": {"ref": ["refs/tags/v*"], "deployonpush": ["true"], "confirm": ["true"]},
    }


def _last(values: Mapping[str, list[str]]) -> dict[str, str]:
    """A section's keys with the last value each (git config's rule for one-value keys)."""
    return {key: found[-1] for key, found in values.items() if found}


def _environment(name: str, values: Mapping[str, list[str]]) -> EnvironmentSettings:
    last = _last(values)
    return EnvironmentSettings(
        name=name,
        refs=tuple(values.get("ref", [])),
        deploy_on_push=table.DEPLOY_ON_PUSH.value(last, name),
        confirm=table.CONFIRM.value(last, name),
        pin_config=table.PIN_CONFIG.given(last, name),
        requires=table.REQUIRES.given(last, name),
        fail_fast=table.FAIL_FAST.given(last, name),
        freeze=_every(table.FREEZE, values, name),
        notify=tuple(dict.fromkeys(_every(table.NOTIFY, values, name))),
        preview=_preview(name, last, values),
        config_lock=table.CONFIG_LOCK.value(last, name),
    )


def _preview(
    name: str, last: Mapping[str, str], values: Mapping[str, list[str]]
) -> PreviewPolicy | None:
    """`preview = true` with its `base`; the other preview keys only with it."""
    if not table.PREVIEW.value(last, name):
        stray = (
            table.PREVIEW_BASE,
            table.PREVIEW_TTL,
            table.MAX_PREVIEWS,
            table.PREVIEW_DOMAIN,
            table.PREVIEW_PROCESSES,
        )
        given = [s.spelled(name) for s in stray if s.key in last]
        if given:
            raise UsageError(
                f"{', '.join(given)} only applies to a preview environment",
                hint=f"set env.{name}.preview = true in .gitlift (or remove {given[0]})",
            )
        return None
    base = table.PREVIEW_BASE.given(last, name)
    if base is None:
        raise UsageError(
            f"preview environment {name} names no base (whose service config and config its "
            "previews run)",
            hint=f"git config -f .gitlift env.{name}.base staging",
        )
    return PreviewPolicy(
        base=base,
        ttl=table.PREVIEW_TTL.value(last, name),
        max_previews=table.MAX_PREVIEWS.value(last, name),
        domain=table.PREVIEW_DOMAIN.given(last, name),
        processes=tuple(
            dict.fromkeys(p for v in _every(table.PREVIEW_PROCESSES, values, name) for p in v)
        ),
    )


def _every(setting: table.Setting[T], values: Mapping[str, list[str]], name: str) -> tuple[T, ...]:
    """Each value of a key that may repeat (as `ref`), checked."""
    return tuple(setting.check(setting.spelled(name), v) for v in values.get(setting.key, []))


def _environments(keys: EnvKeys) -> dict[str, EnvironmentSettings]:
    return {name: _environment(name, values) for name, values in keys.items()}


def proposed_previews(proposed: Iterable[Entry]) -> dict[str, str]:
    """Each environment a proposed .gitlift (the work tree's) makes a preview environment,
    with its base: running one as such waits for the default branch's (_with_proposed)."""
    envs = _environments(read_sections(proposed).environments)
    return {name: env.preview.base for name, env in envs.items() if env.preview is not None}


def _check_base(env: EnvironmentSettings, known: Mapping[str, EnvironmentSettings]) -> None:
    """A preview's base is a declared environment that is no preview itself."""
    if env.preview is None:
        return
    base = known.get(env.preview.base)
    if base is None or base.preview is not None or base.name == env.name:
        why = "is not declared" if base is None else "is a preview environment itself"
        raise UsageError(
            f"env.{env.name}.base = {env.preview.base} {why}",
            hint=f"name a declared environment that is no preview: "
            f"git config -f .gitlift env.{env.name}.base staging",
        )
    if env.pins_config:
        raise UsageError(
            f"preview environment {env.name} cannot pin config (pinConfig, or confirm): its "
            f"previews read {base.name}'s parameters as they start",
            hint=f"remove env.{env.name}.pinConfig and confirm",
        )


def release_policy(
    policy: Iterable[Entry] | None, own: EnvKeys, default_branch: str | None
) -> dict[str, EnvironmentSettings]:
    """Environments as the trusted .gitlift (the default branch's, as the remote has it)
    declares them, else the defaults, with the user's own git config (`lift.env.NAME.*`) on
    top: a setting of the user's own never drops the defaults (production's confirm)."""
    trusted = read_sections(policy or []).environments or _default_environments(default_branch)
    merged: EnvKeys = {name: dict(values) for name, values in trusted.items()}
    for name, values in own.items():
        merged[name] = _own_on_top(merged.get(name, {}), values)
    found = _environments(merged)
    for env in found.values():
        _check_base(env, found)
    return found


# Keys of the user's own that add to the default branch's rather than replace them (issue
# 24): one person's git config neither lifts the team's freeze nor silences its channels.
ADDED_KEYS = {table.FREEZE.key, table.NOTIFY.key}


def _own_on_top(
    base: Mapping[str, list[str]], own: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    mine = {k: [*base.get(k, []), *v] if k in ADDED_KEYS else v for k, v in own.items()}
    return {**base, **mine}


def unknown_policy(default_branch: str | None, policy: object | None) -> tuple[str, str] | None:
    """Why the release policy cannot be read (error and hint), None when it can: releasing
    then waits until it can, rather than trusting the branch at hand."""
    if default_branch is None:
        return (
            "cannot tell the default branch, whose .gitlift holds the release policy (no "
            "origin/HEAD, main or master here, and the remote did not say)",
            "name it in your own git config: git config lift.defaultBranch main",
        )
    if policy is None:
        return (
            f"the release policy is .gitlift on {default_branch}, which this clone does not have",
            f"git fetch --depth 1 origin {default_branch}:refs/remotes/origin/{default_branch}",
        )
    return None


def _with_proposed(
    trusted: dict[str, EnvironmentSettings], proposed: dict[str, EnvironmentSettings]
) -> dict[str, EnvironmentSettings]:
    """The work tree's .gitlift may declare environments, ask for confirmation, pinned config
    or a gate, and tune failFast; which refs release where and configLock stay the trusted
    policy's, and confirm, pinConfig and requires can only be made stricter."""
    merged = dict(trusted)
    for name, env in proposed.items():
        if name not in merged:  # maps no ref, releases nothing, previews nothing
            merged[name] = replace(
                env,
                refs=(),
                deploy_on_push=False,
                freeze=(),
                notify=(),
                preview=None,
                config_lock=False,
            )
            continue
        now = merged[name]
        merged[name] = replace(
            now,
            confirm=now.confirm or env.confirm,
            pin_config=True if env.pin_config and not now.pins_config else now.pin_config,
            requires=now.requires or env.requires,
            fail_fast=now.fail_fast if env.fail_fast is None else env.fail_fast,
        )
    return merged


def policy_changes(
    trusted: Mapping[str, EnvironmentSettings], proposed: Iterable[Entry], own: EnvKeys
) -> list[str]:
    """What a proposed .gitlift (a pushed commit's, the work tree's) would change in the
    release policy: said as a warning, never acted on. The user's own `lift.env.NAME.*`
    (`own`) holds on both sides, so it is never a change the file makes."""
    keys = read_sections(proposed).environments
    merged: EnvKeys = {
        name: _own_on_top(values, own.get(name, {})) for name, values in keys.items()
    }
    found = _environments(merged)
    for env in found.values():  # as it would be read once it is the default branch's
        _check_base(env, found)
    changes = []
    for name, env in sorted(found.items()):
        now = trusted.get(name)
        if now is None:
            if env.refs or env.deploy_on_push:
                changes.append(f"declares {name} with ref {', '.join(env.refs) or '-'}")
            continue
        if set(env.refs) != set(now.refs):
            changes.append(
                f"maps {name} to {', '.join(env.refs) or 'nothing'} "
                f"(trusted: {', '.join(now.refs) or 'nothing'})"
            )
        if env.deploy_on_push != now.deploy_on_push:
            changes.append(f"sets {name}'s deployOnPush to {str(env.deploy_on_push).lower()}")
        if now.confirm and not env.confirm:
            changes.append(f"removes {name}'s confirm")
        if now.requires and env.requires != now.requires:
            changes.append(f"removes {name}'s requires = {now.requires}")
        if now.pins_config and env.pin_config is False:
            changes.append(f"turns {name}'s pinConfig off")
        if [w.text for w in env.freeze] != [w.text for w in now.freeze]:
            changes.append(f"changes {name}'s freeze windows")
        if env.notify != now.notify:
            changes.append(f"changes who hears of {name}'s releases (notify)")
        if env.preview and now.preview and env.preview.base == now.preview.base:
            if env.preview != now.preview:
                changes.append(f"changes {name}'s preview settings")
        elif env.preview != now.preview:
            said = f"a preview of {env.preview.base}" if env.preview else "no preview environment"
            changes.append(f"makes {name} {said}")
        if env.config_lock != now.config_lock:
            changes.append(f"sets {name}'s configLock to {str(env.config_lock).lower()}")
    return changes


def _environment_aws(
    name: str,
    committed: Mapping[str, list[str]],
    own: Mapping[str, list[str]],
    flags: Mapping[str, str | None],
    lift: Mapping[str, str],
) -> EnvironmentAws:
    """One environment's AWS: flags, then the user's `lift.env.NAME.*`, then .gitlift's
    `[env "NAME"]`, then the settings every environment shares."""

    # The user's own keys over the committed ones; an empty value unsets.
    merged = {k: v for k, v in {**_last(committed), **_last(own)}.items() if v}

    def value(key: str) -> str | None:
        return merged.get(key)

    account = table.ACCOUNT_ID.given(merged, name)
    role_arn = table.ROLE.given(merged, name)
    return EnvironmentAws(
        region=check_region(flags.get("region") or value("region") or lift.get("region")),
        account=account,
        profile=flags.get("profile") or value("profile") or lift.get("profile"),
        role_arn=role_arn,
        external_id=value("externalid"),
        registry=value("registry") or lift.get("registry"),
        cluster=value("cluster"),
    )


def _targets(
    committed: Mapping[tuple[str, str], Mapping[str, str]],
    own: Mapping[tuple[str, str], Mapping[str, str]],
) -> dict[tuple[str, str], TargetOverrides]:
    merged = {key: {**committed.get(key, {}), **own.get(key, {})} for key in {*committed, *own}}
    return {
        key: TargetOverrides(
            ecs_service=keys.get("ecsservice"),
            task_family=keys.get("taskfamily"),
            container=keys.get("container"),
            log_group=keys.get("loggroup"),
            parameter_path=table.PARAMETER_PATH.given(keys, f"{key[0]}/{key[1]}"),
        )
        for key, keys in merged.items()
    }


def build(
    *,
    gitlift: Iterable[Entry],
    policy: Iterable[Entry] | None,
    repo_config: Iterable[Entry],
    environ: Mapping[str, str],
    flags: Mapping[str, str | None],
    remote_url: str | None,
    top_folder: str,
    default_branch: str | None,
    gitlift_trusted: bool = False,
    check_trust: bool = True,
) -> Settings:
    """`gitlift` is the work tree's .gitlift; `policy` the trusted one (see the module doc),
    None when the default branch's commit is not here."""
    sections = read_sections(gitlift)
    # The user's own: git config, then variables, then flags.
    own, own_envs, own_targets = _own_config(repo_config)
    own.update(_own_overrides(environ, flags))
    found = untrusted_entries(sections, own, own_envs)
    if check_trust and not gitlift_trusted and found:
        raise untrusted_error(found)
    lift = {**sections.lift, **own}
    service_settings = _service_settings(sections.services, remote_url, top_folder)
    trusted_envs = release_policy(policy, own_envs, default_branch)
    region = table.REGION_SETTING.read(lift) or check_region(
        environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    )
    shared = {**lift, "region": region} if region else lift
    every = _environment_settings(trusted_envs, sections.environments, own_envs, flags, shared)
    untrusted = _untrusted_previews(trusted_envs, sections.environments)
    return Settings(
        region=region,
        profile=table.PROFILE.read(lift),
        builder=table.BUILDER.value(lift),
        registry=table.REGISTRY.read(lift),
        kms_key=table.KMS_KEY.value(lift),
        push_tags=table.PUSH_TAGS.value(lift),
        hooks_strict=table.HOOKS_STRICT.value(lift),
        services=service_settings,
        environments={n: e for n, e in every.items() if n in trusted_envs or n not in untrusted},
        proposed_only={n: e for n, e in every.items() if n not in trusted_envs and n in untrusted},
        targets=_targets(sections.targets, own_targets),
        lift=lift,
        own_policy=own_envs,
        poll_interval=table.POLL_INTERVAL.value(lift),
        hooks_cache_ttl=table.HOOKS_CACHE_TTL.value(lift),
        policy_unknown=unknown_policy(default_branch, policy),
        default_branch=default_branch,
        untrusted_previews=untrusted,
    )


def _untrusted_previews(
    trusted: Mapping[str, EnvironmentSettings], proposed: EnvKeys
) -> dict[str, str]:
    """Each environment the work tree's .gitlift makes a preview environment and the trusted
    policy does not, with its base: it runs as one once the default branch's says so."""
    return {
        name: env.preview.base
        for name, env in _environments(proposed).items()
        if env.preview is not None and (name not in trusted or trusted[name].preview is None)
    }


def _environment_settings(
    trusted: dict[str, EnvironmentSettings],
    proposed: EnvKeys,
    own: EnvKeys,
    flags: Mapping[str, str | None],
    shared: Mapping[str, str],
) -> dict[str, EnvironmentSettings]:
    """The trusted environments (and those the work tree's .gitlift proposes), each with its
    AWS settings (_environment_aws)."""
    return {
        name: replace(
            env,
            aws=_environment_aws(name, proposed.get(name, {}), own.get(name, {}), flags, shared),
        )
        for name, env in _with_proposed(trusted, _environments(proposed)).items()
    }


def _own_config(
    repo_config: Iterable[Entry],
) -> tuple[dict[str, str], EnvKeys, dict[tuple[str, str], dict[str, str]]]:
    """The user's `lift.*` git config: settings, `lift.env.<name>.*` and
    `lift.target.<env>.<service>.*`; an unknown key is an error naming what is known."""
    own: dict[str, str] = {}
    own_envs: EnvKeys = {}
    own_targets: dict[tuple[str, str], dict[str, str]] = {}
    where = "your git config"
    for entry in repo_config:
        section, subsection, key = split_name(entry.name)
        if section != "lift":
            continue
        if subsection and subsection.lower().startswith("env."):
            if key not in ENV_KEYS:
                raise unknown_key(f"key in lift.{subsection}:", key, ENV_KEYS, where)
            env_name = names.environment(subsection[len("env.") :])
            own_envs.setdefault(env_name, {}).setdefault(key, []).append(entry.value)
        elif subsection and subsection.lower().startswith("target."):
            if key not in TARGET_KEYS:
                raise unknown_key(f"key in lift.{subsection}:", key, TARGET_KEYS, where)
            own_targets.setdefault(target_key(subsection[len("target.") :]), {})[key] = entry.value
        else:
            name = key if subsection is None else f"{subsection.lower()}.{key}"
            if name not in LIFT_KEYS:
                known = {f"lift.{k}" for k in LIFT_KEYS}
                raise unknown_key("setting", f"lift.{name}", known, where)
            own[name] = entry.value
    return own, own_envs, own_targets


def _own_overrides(environ: Mapping[str, str], flags: Mapping[str, str | None]) -> dict[str, str]:
    """The `lift` settings the user's variables give, then the flags (which win)."""
    own: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith(VARIABLE_PREFIX):
            setting = VARIABLES.get(name)
            if setting is None:
                raise unknown_variable(name)
            if setting.section == "lift":
                own[setting.key] = value
    for key, flag in flags.items():
        if flag is not None:
            own[key.lower()] = flag
    return own


def _service_settings(
    services: Mapping[str, dict[str, str]], remote_url: str | None, top_folder: str
) -> dict[str, ServiceSettings]:
    """The .gitlift's services; with none, the one service at the top folder, named for the
    repository."""
    found = {svc.name: svc for svc in (_service(name, keys) for name, keys in services.items())}
    if found:
        return found
    name = infer_service_name(remote_url, top_folder)
    return {name: _service(name, {"path": "."})}
