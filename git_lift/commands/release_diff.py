"""`git lift diff [A] [B]`: two releases side by side, names and versions only, never secret
values (the service config's plain `environment` is shown in clear: it is not secret).

A side is `ENV` (its newest release), `ENV@N` (release N) or a commit (the commit alone: no
image, task definition or config, so only its commits and env.sample are compared). By
default A is production and B staging: what a promotion brings. Parameter versions are
compared within one environment only: staging's v2 and production's v1 are different
parameters. In a monorepo only the commits touching the service's folder are listed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from git_lift import names, ui
from git_lift.aws.store import Release
from git_lift.errors import UsageError
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.release_history import (
    commits_between,
    fetch_release_commit,
    release_of,
    sample_names_at,
    service_config_ran,
    task_definition_of,
)
from git_lift.plan import plain_environment


@dataclass(frozen=True)
class Side:
    spec: str
    commit: str
    release: Release | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    service_config: int | None = None  # the service config version the release ran with


@dataclass(frozen=True)
class ReleaseDiff:
    a: str
    b: str
    commits: list[str]
    image: list[str | None]
    task_definition: dict[str, list[Any]]
    secrets_added: list[str]
    secrets_removed: list[str]
    # Same environment: each changed key's versions. Two environments: only the keys one
    # side lacks (None), since their versions count different parameters.
    config_versions: dict[str, list[int | None]]
    env_sample: list[str]
    service_config: list[int | None]  # the version each release ran with (none: no document)
    environments: list[str | None]  # each side's environment; None: a commit, no release
    # The plain variables (service config `environment`) that differ, name -> [a, b] values.
    environment: dict[str, list[str | None]] = field(default_factory=dict)
    # Each process other than web each release ran: name -> [a's, b's] task definitions.
    processes: dict[str, list[str | None]] = field(default_factory=dict)


def side(ctx: Context, spec: str) -> Side:
    env, at, number = spec.partition("@")
    if env in ctx.settings.environments:
        if at and not number.isdigit():
            raise UsageError(f"{spec!r} is not ENV@N", hint="git lift diff staging production@3")
        target = ctx.target(env)
        release = release_of(ctx, target, int(number) if at else None)
        fetch_release_commit(ctx, target, spec, release)
        definition = task_definition_of(ctx, target, release)
        ran = service_config_ran(ctx, target, release)
        return Side(spec, release.commit, release, definition, ran)
    try:
        sha = ctx.repo.resolve(spec)
    except UsageError:
        meant = names.closest(env, ctx.settings.environments)
        if meant is None:
            raise
        raise UsageError(
            f"{spec!r} is neither an environment nor a revision",
            hint=f"did you mean {meant}{at}{number}?",
        ) from None
    return Side(spec, sha)


def container(side: Side, name: str) -> dict[str, Any]:
    containers = side.definition.get("containerDefinitions", [])
    named = [c for c in containers if c.get("name") == name] or containers[:1]
    return dict(named[0]) if named else {}


def config_versions(a: Release, b: Release) -> dict[str, list[int | None]]:
    va, vb = a.config_versions, b.config_versions
    keys = set(va) | set(vb) if a.env == b.env else set(va) ^ set(vb)
    return {k: [va.get(k), vb.get(k)] for k in sorted(keys) if va.get(k) != vb.get(k)}


def secret_names(side: Side, name: str) -> set[str]:
    return {s["name"] for s in container(side, name).get("secrets", []) or []}


def compare(ctx: Context, a: Side, b: Side) -> ReleaseDiff:
    service = ctx.service()
    keys_a = sample_names_at(ctx, a.commit, service.env_sample)
    keys_b = sample_names_at(ctx, b.commit, service.env_sample)
    found = ReleaseDiff(
        a=a.spec,
        b=b.spec,
        commits=commits_between(ctx, a.commit, b.commit, service.path),
        image=[a.release.image if a.release else None, b.release.image if b.release else None],
        task_definition={},
        secrets_added=[],
        secrets_removed=[],
        config_versions={},
        env_sample=[f"+{k}" for k in sorted(keys_b - keys_a)]
        + [f"-{k}" for k in sorted(keys_a - keys_b)],
        service_config=[a.service_config, b.service_config],
        environments=[s.release.env if s.release else None for s in (a, b)],
    )
    if a.release is None or b.release is None:
        return found  # a commit has no task definition or config to compare
    secrets_a, secrets_b = secret_names(a, service.container), secret_names(b, service.container)
    sizing = {
        key: [a.definition.get(key), b.definition.get(key)]
        for key in ("cpu", "memory")
        if a.definition.get(key) != b.definition.get(key)
    }
    plain_a = plain_environment(container(a, service.container))
    plain_b = plain_environment(container(b, service.container))
    return replace(
        found,
        environment={
            k: [plain_a.get(k), plain_b.get(k)]
            for k in sorted({*plain_a, *plain_b})
            if plain_a.get(k) != plain_b.get(k)
        },
        task_definition=sizing,
        secrets_added=sorted(secrets_b - secrets_a),
        secrets_removed=sorted(secrets_a - secrets_b),
        config_versions=config_versions(a.release, b.release),
        processes=processes(a.release, b.release),
    )


def processes(a: Release, b: Release) -> dict[str, list[str | None]]:
    """The task definition each process other than web ran in each release (None: none)."""
    pa, pb = a.processes, b.processes
    return {p: [pa.get(p), pb.get(p)] for p in sorted({*pa, *pb})}


def diff(ctx: Context, a: str | None, b: str | None) -> int:
    found = compare(ctx, side(ctx, a or "production"), side(ctx, b or "staging"))
    if ctx.options.output == "json":
        ui.out(json.dumps(asdict(found), indent=2))
        return 0
    ui.out(render(found))
    return 0


def render(d: ReleaseDiff) -> str:
    lines = [f"{d.a} -> {d.b}"]
    lines.append(f"commits   {len(d.commits)} new in {d.b}")
    lines += [f"  {c}" for c in d.commits]
    commits = [spec for spec, env in zip((d.a, d.b), d.environments, strict=True) if env is None]
    lines += [
        f"release   {spec} is a commit, not a release: image, task definition, secrets and "
        "config are compared between releases only"
        for spec in commits
    ]
    if not commits:
        lines += released(d)
    if d.env_sample:
        lines.append(f"env.sample {' '.join(d.env_sample)}")
    return "\n".join(lines)


def released(d: ReleaseDiff) -> list[str]:
    """What two releases differ in beyond their commits."""
    if d.image[0] == d.image[1]:
        lines = [f"image     same: {d.image[0]}"]
    else:
        lines = [f"image     - {d.image[0]}", f"          + {d.image[1]}"]
    lines += [f"task      {k}: {old} -> {new}" for k, (old, new) in d.task_definition.items()]
    lines += [f"env       {plain_line(k, o, n)}" for k, (o, n) in d.environment.items()]
    lines += [
        f"process   {name}: {short(o) if o else 'none'} -> {short(n) if n else 'none'}"
        for name, (o, n) in d.processes.items()
    ]
    lines += [f"secrets   + {k}" for k in d.secrets_added]
    lines += [f"secrets   - {k}" for k in d.secrets_removed]
    lines += [f"config    {config_line(k, o, n)}" for k, (o, n) in d.config_versions.items()]
    env_a, env_b = d.environments
    if env_a != env_b:
        lines.append(
            f"config    versions not compared: {env_a} and {env_b} each have their own parameters"
        )
    if any(v is not None for v in d.service_config):
        shown = [f"version {v}" if v is not None else "none" for v in d.service_config]
        lines.append(f"service   config {shown[0]} -> {shown[1]} (git lift service history)")
    return lines


def config_line(key: str, old: int | None, new: int | None) -> str:
    if old is None:
        return f"+ {key} (v{new})"
    if new is None:
        return f"- {key} (was v{old})"
    return f"{key}: v{old} -> v{new}"


def plain_line(key: str, old: str | None, new: str | None) -> str:
    """A plain variable's change, values in clear (they are the service config's, not secrets)."""
    if old is None:
        return f"+ {key} = {new!r}"
    if new is None:
        return f"- {key} (was {old!r})"
    return f"~ {key} = {old!r} -> {new!r}"
