"""`git lift status`, `history`, `unlock`: what runs where, and what changed since."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from git_lift import ui
from git_lift.aws.ecs import Ecs
from git_lift.aws.store import Release, Store
from git_lift.commands.context import Context, in_parallel
from git_lift.errors import LiftError


@dataclass(frozen=True)
class EnvStatus:
    env: str
    service: str
    release: int | None
    commit: str | None
    subject: str | None
    image: str | None
    deployed_by: str | None
    deployed_at: float | None
    running: int | None
    desired: int | None
    rollout: str | None
    undeployed_commits: int | None
    config_drift: list[str]
    error: str | None = None


def drift(recorded: dict[str, int], now: dict[str, int]) -> list[str]:
    """Keys added, removed or changed in Parameter Store since the release ran."""
    changed = [f"~{k}" for k in sorted(recorded) if k in now and now[k] != recorded[k]]
    added = [f"+{k}" for k in sorted(set(now) - set(recorded))]
    removed = [f"-{k}" for k in sorted(set(recorded) - set(now))]
    return changed + added + removed


def undeployed(ctx: Context, env: str, commit: str) -> int | None:
    """Commits on the environment's branch that its running release does not have."""
    for pattern in ctx.environment(env).refs:
        if "*" in pattern or not pattern.startswith("refs/heads/"):
            continue
        result = ctx.repo.git("rev-list", "--count", f"{commit}..{pattern}", check=False)
        if result.returncode == 0:
            return int(result.stdout.strip())
    return None


def env_status(ctx: Context, env: str, service: str) -> EnvStatus:
    try:
        releases = Store(ctx.clients.dynamodb).releases(env, service, limit=20)
        latest: Release | None = next((r for r in releases if r.released), None)
        state = Ecs(ctx.clients.ecs, env, service).describe()
        primary = state.primary
        names = ctx.parameter_names(env, service)
    except LiftError as exc:
        return EnvStatus(
            env,
            service,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [],
            error=exc.message,
        )
    subject = None
    if latest:
        shown = ctx.repo.git("log", "-1", "--format=%s", latest.commit, check=False)
        subject = shown.stdout.strip() or None
    return EnvStatus(
        env=env,
        service=service,
        release=latest.number if latest else None,
        commit=latest.commit if latest else None,
        subject=subject,
        image=latest.image if latest else None,
        deployed_by=latest.deployed_by if latest else None,
        deployed_at=latest.deployed_at if latest else None,
        running=state.running,
        desired=state.desired,
        rollout=primary.rollout_state if primary else None,
        undeployed_commits=undeployed(ctx, env, latest.commit) if latest else None,
        config_drift=drift(latest.config_versions, names) if latest else [],
    )


def status(ctx: Context, envs: tuple[str, ...]) -> int:
    service = ctx.service().name
    names = [ctx.environment(e).name for e in envs] or sorted(ctx.settings.environments)
    rows = in_parallel(names, lambda env: env_status(ctx, env, service))
    if ctx.options.output == "json":
        ui.out(json.dumps([asdict(row) for row in rows], indent=2))
        return 0
    for row in rows:
        ui.out(render_status(row))
    return 0


def render_status(row: EnvStatus) -> str:
    head = f"{row.env}: {row.service}"
    if row.error:
        return f"{head}\n  unavailable: {row.error}"
    if row.release is None:
        return f"{head}\n  no release yet ({row.running}/{row.desired} running)"
    lines = [
        f"{head}  release {row.release}  {(row.commit or '')[:12]} {row.subject or ''}".rstrip(),
        f"  image     {row.image}",
        f"  deployed  {ui.when(row.deployed_at or 0)} by {row.deployed_by}",
        f"  tasks     {row.running}/{row.desired} running, rollout {row.rollout}",
    ]
    if row.undeployed_commits:
        lines.append(f"  behind    {row.undeployed_commits} commit(s) not deployed yet")
    if row.config_drift:
        lines.append(f"  drift     config changed since the release: {' '.join(row.config_drift)}")
    return "\n".join(lines)


def history(ctx: Context, env: str) -> int:
    service = ctx.service().name
    releases = Store(ctx.clients.dynamodb).releases(ctx.environment(env).name, service)
    if ctx.options.output == "json":
        ui.out(json.dumps([asdict(r) for r in releases], indent=2))
        return 0
    if not releases:
        ui.info(f"no releases of {service} in {env} yet")
    for r in releases:
        notes = [] if r.released else [r.outcome]
        if r.rolled_back_from is not None:
            notes.append(f"rollback of {r.rolled_back_from}")
        note = f"  ({', '.join(notes)})" if notes else ""
        ui.out(f"{r.number:>4}  {r.commit[:12]}  {ui.when(r.deployed_at)}  {r.deployed_by}{note}")
    return 0


def unlock(ctx: Context, env: str) -> int:
    service = ctx.service().name
    store = Store(ctx.clients.dynamodb)
    held = store.lock(ctx.environment(env).name, service)
    if held is None:
        ui.info(f"{service} in {env} is not locked")
        return 0
    store.release_lock(env, service, None)
    ui.info(f"removed the deploy lock of {service} in {env} (held by {held.owner})")
    return 0


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
