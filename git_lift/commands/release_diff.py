"""`git lift diff [A] [B]`: two releases side by side, names and versions only, never values.

A side is `ENV` (its newest release), `ENV@N` (release N) or a commit (the commit alone: no
image or task definition). By default A is production and B staging: what a promotion brings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from git_lift import names, ui
from git_lift.aws.store import Release
from git_lift.errors import UsageError
from git_lift.flows.context import Context


@dataclass(frozen=True)
class Side:
    spec: str
    commit: str
    release: Release | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    service_config: int | None = None  # the environment's newest service config version


@dataclass(frozen=True)
class ReleaseDiff:
    a: str
    b: str
    commits: list[str]
    image: list[str | None]
    task_definition: dict[str, list[Any]]
    secrets_added: list[str]
    secrets_removed: list[str]
    config_versions: dict[str, list[int | None]]
    env_sample: list[str]
    service_config: list[int | None]  # each environment's newest version (none: no document)


def side(ctx: Context, spec: str) -> Side:
    from git_lift.commands.promote import release_of

    env, at, number = spec.partition("@")
    if env in ctx.settings.environments:
        if at and not number.isdigit():
            raise UsageError(f"{spec!r} is not ENV@N", hint="git lift diff staging production@3")
        target = ctx.target(env)
        release = release_of(ctx, target, int(number) if at else None)
        definition = ctx.aws.ecs(target).task_definition(release.task_definition)
        document = ctx.aws.table(target.env).service_document(target)
        version = document.version if document else None
        return Side(spec, release.commit, release, definition, version)
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


def sample_lines(ctx: Context, sha: str, path: str) -> set[str]:
    """env.sample's key names at a commit (values are examples, but names are what differ)."""
    text = ctx.repo.read_file_at(sha, path) or ""
    return {
        line.split("=", 1)[0].strip()
        for line in text.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }


def compare(ctx: Context, a: Side, b: Side) -> ReleaseDiff:
    service = ctx.service()
    log = ctx.repo.oneline_log(a.commit, b.commit)
    ca, cb = container(a, service.container), container(b, service.container)
    secrets_a = {s["name"] for s in ca.get("secrets", []) or []}
    secrets_b = {s["name"] for s in cb.get("secrets", []) or []}
    sizing = {
        key: [a.definition.get(key), b.definition.get(key)]
        for key in ("cpu", "memory")
        if a.definition.get(key) != b.definition.get(key)
    }
    va = a.release.config_versions if a.release else {}
    vb = b.release.config_versions if b.release else {}
    versions = {
        k: [va.get(k), vb.get(k)] for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)
    }
    keys_a = sample_lines(ctx, a.commit, service.env_sample)
    keys_b = sample_lines(ctx, b.commit, service.env_sample)
    return ReleaseDiff(
        a=a.spec,
        b=b.spec,
        commits=log,
        image=[a.release.image if a.release else None, b.release.image if b.release else None],
        task_definition=sizing,
        secrets_added=sorted(secrets_b - secrets_a),
        secrets_removed=sorted(secrets_a - secrets_b),
        config_versions=versions,
        env_sample=[f"+{k}" for k in sorted(keys_b - keys_a)]
        + [f"-{k}" for k in sorted(keys_a - keys_b)],
        service_config=[a.service_config, b.service_config],
    )


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
    if d.image[0] == d.image[1]:
        lines.append(f"image     same: {d.image[0]}")
    else:
        lines += [f"image     - {d.image[0]}", f"          + {d.image[1]}"]
    lines += [f"task      {k}: {old} -> {new}" for k, (old, new) in d.task_definition.items()]
    lines += [f"secrets   + {k}" for k in d.secrets_added]
    lines += [f"secrets   - {k}" for k in d.secrets_removed]
    lines += [f"config    {k}: v{o} -> v{n}" for k, (o, n) in d.config_versions.items()]
    if d.env_sample:
        lines.append(f"env.sample {' '.join(d.env_sample)}")
    if any(v is not None for v in d.service_config):
        shown = [f"version {v}" if v is not None else "none" for v in d.service_config]
        lines.append(f"service   config {shown[0]} -> {shown[1]} (git lift service history)")
    return "\n".join(lines)
