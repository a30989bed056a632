"""`git lift status`, `history`, `unlock`: what runs where, and what changed since."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from git_lift import proc, ui
from git_lift.errors import LiftError, NotSetUp, UsageError, ValidationError
from git_lift.flows import job_schedules, previews, process_status, release_history
from git_lift.flows.context import Context, in_parallel
from git_lift.flows.deploy import short
from git_lift.flows.release_history import (
    config_drift,
    headline,
    undeployed,
    what_runs,
)
from git_lift.flows.rollout import pending_path
from git_lift.flows.rotation import rotated_since
from git_lift.flows.service_state import drop_lock, held_lock, running_container, saved_config
from git_lift.flows.service_url import url_of
from git_lift.flows.ship_many import pending
from git_lift.names import plural
from git_lift.plan import plain_environment
from git_lift.settings import ServiceSettings
from git_lift.target import Target


@dataclass(frozen=True)
class EnvStatus:
    env: str
    service: str
    release: int | None = None
    commit: str | None = None
    subject: str | None = None
    image: str | None = None
    deployed_by: str | None = None
    deployed_at: float | None = None
    running: int | None = None
    desired: int | None = None
    rollout: str | None = None
    undeployed_commits: int | None = None
    config_drift: list[str] = field(default_factory=list)
    error: str | None = None
    dirty: str | None = None  # the diff hash of an --allow-dirty build
    running_image: str | None = None  # what ECS's PRIMARY task definition runs
    mismatch: str | None = None  # set when that is not the release's image
    pinned: bool | None = None  # the running release's config is a snapshot (pinConfig)
    outcome: str | None = None  # the headlined release's: "released", or "unverified"
    set_up: bool = True  # False: the environment or the service was never created in AWS
    missing: str | None = None  # what was never created ("there is no ECS service ...")
    set_up_by: str | None = None  # the command that creates it
    # The running container's plain variables (service config `environment`), in clear.
    environment: dict[str, str] = field(default_factory=dict)
    head: str | None = None  # --all: whether HEAD has something to release, and what
    # Each scheduled job's schedule, the revision it runs and its last run
    # (flows/job_schedules.shown).
    jobs: list[dict[str, Any]] = field(default_factory=list)
    # Secrets env.sample refers to that rotated since the release (flows/rotation.py).
    rotated: list[str] = field(default_factory=list)
    rotated_fix: str | None = None  # the release-config that starts tasks reading them again
    url: str | None = None  # where the service answers (flows/service_url.py)
    # Each process other than web: its tasks and revision (flows/process_status.shown).
    processes: list[dict[str, object]] = field(default_factory=list)
    # A branch's preview (issue 23): its branch (`(gone)`: the remote has it no more) and
    # how long ago its stack was made (`3h`).
    branch: str | None = None
    age: str | None = None
    # A stack update (`service edit`) since the release runs a revision of its own with the
    # release's image (release_history.running_release): which, and when it started.
    edited: str | None = None
    edited_at: float | None = None


def env_status(ctx: Context, target: Target) -> EnvStatus:
    env = target.env
    try:
        releases = release_history.releases(ctx, target, limit=20)
        state, container = running_container(ctx, target)
        running = str(container["image"]) if container.get("image") else None
        latest, ours = headline(releases, state, running)
        primary = state.primary
        names = previews.config_names(ctx, target)  # a preview's: its base's too
        document = saved_config(ctx, target)  # read once for the row
        jobs = job_schedules.shown(ctx, target, document)
        # Tasks a stack update started after the release read the secrets then.
        since = ours.since if ours else None
        rotated, unread = (
            rotated_since(ctx, target, latest, document, since=since) if latest else ([], [])
        )
        processes = process_status.shown(ctx, target, latest, document)
    except NotSetUp as exc:  # a state, said as one (issue 18): not a failure to read
        by = exc.fix or ctx.setup_command(target)  # what is missing only
        if target.preview is not None:  # a preview is made by pushing its branch
            by = f"git push origin {ctx.options.preview or 'BRANCH'} (hooks installed)"
        return EnvStatus(env, target.name, set_up=False, missing=exc.message, set_up_by=by)
    except LiftError as exc:
        return EnvStatus(env, target.name, error=exc.message)
    mismatch = what_runs(releases, latest, running)
    if mismatch and pending_path(ctx, target).exists():
        mismatch += f" (its record was kept: git lift ship --record-only -e {env})"
    return EnvStatus(
        env=env,
        service=target.name,
        release=latest.number if latest else None,
        commit=latest.commit if latest else None,
        subject=ctx.repo.subject(latest.commit) if latest else None,
        image=latest.image if latest else None,
        deployed_by=latest.deployed_by if latest else None,
        deployed_at=latest.deployed_at if latest else None,
        running=state.running,
        desired=state.desired,
        rollout=primary.rollout_state if primary else None,
        undeployed_commits=undeployed(ctx, target, latest.commit) if latest else None,
        config_drift=config_drift(ctx, target, latest, names, ours) if latest else [],
        dirty=latest.dirty if latest else None,
        running_image=running,
        mismatch=mismatch,
        pinned=bool(latest.pinned) if latest else None,
        outcome=latest.outcome if latest else None,
        environment=plain_environment(container),
        jobs=jobs,
        rotated=[r.line() for r in rotated] + [f"{k}: secret not described" for k in unread],
        rotated_fix=f"git lift release-config{ctx.service_flag(target.name)} -e {env}",
        url=url_of(ctx, target, document),
        processes=processes,
        edited=short(state.task_definition) if ours and ours.edited else None,
        edited_at=primary.created_at if ours and ours.edited and primary else None,
    )


def status(ctx: Context, envs: tuple[str, ...], *, every: bool = False) -> int:
    services = ctx.services(every)  # --all, or the top of a multi-service repo: every one
    names = [ctx.environment(e).name for e in envs] or sorted(ctx.settings.environments)
    if ctx.options.preview is not None and not envs:  # --preview: the preview environments'
        names = [e.name for e in previews.environments(ctx, None)]
    found = status_targets(ctx, services, names)
    targets = [t for t, _ in found]
    rows = in_parallel(targets, lambda target: env_status(ctx, target))
    rows = [
        replace(row, branch=p[0].shown_branch, age=p[1]) if p else row
        for row, (_, p) in zip(rows, found, strict=True)
    ]
    if every or len(services) > 1:
        rows = with_head(ctx, targets, rows)
    if ctx.options.output == "json":
        ui.out(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        for row in rows:
            ui.out(render_status(row))
    unread = [row for row in rows if row.error]
    if unread:
        # A status that could not be read is no status: scripts must not take it for one.
        ui.error(
            f"could not read {len(unread)} of {len(rows)}: "
            + ", ".join(f"{row.service} in {row.env}" for row in unread),
            hint="see why above; check credentials and network, or create the service: "
            "git lift setup -e ENV",
        )
        return 1
    return 0


Shown = tuple[Target, "tuple[previews.Found, str | None] | None"]


def status_targets(ctx: Context, services: list[ServiceSettings], names: list[str]) -> list[Shown]:
    """Each service in each environment; in a preview environment, each of its live previews
    (the --preview branch's alone) with its branch and age, and a line when it has none."""
    live = {}
    for name in names:
        env = ctx.environment(name)
        if env.preview is not None:
            live[name] = previews.live(ctx, env, services, ctx.options.preview)
    found: list[Shown] = []
    for service in services:
        for name in names:
            if name not in live:
                found.append((ctx.target(name, service), None))
                continue
            own = [(f, a) for f, a in live[name] if f.target.service.name == service.name]
            if own:
                found += [(f.target, (f, a)) for f, a in own]
            elif ctx.options.preview is not None:  # said as not set up, with its push
                found.append((ctx.target(name, service), None))
            else:
                refs = ", ".join(ctx.environment(name).refs)
                ui.info(
                    f"{name}: no previews of {service.name} (pushing a branch of {refs} makes one)"
                )
    return found


def with_head(ctx: Context, targets: list[Target], rows: list[EnvStatus]) -> list[EnvStatus]:
    """Each readable row with whether HEAD has something to release there (the plan a ship
    would make, whose narration is held back); a preview's is its branch's push."""
    pairs = zip(targets, rows, strict=True)
    readable = [(t, row) for t, row in pairs if row.set_up and not row.error and t.preview is None]
    with ui.quiet():
        heads = in_parallel([t for t, _ in readable], lambda target: pending(ctx, target))
    found = {id(row): head for (_, row), head in zip(readable, heads, strict=True)}
    return [replace(row, head=found.get(id(row))) for row in rows]


def render_status(row: EnvStatus) -> str:
    head = f"{row.env}: {row.service}"
    if row.error:
        return f"{head}\n  unavailable: {row.error}"
    if not row.set_up:
        return f"{head}\n  not set up: {row.missing}\n  set it up: {row.set_up_by}"
    warning = [f"  WARNING   {row.mismatch}"] if row.mismatch else []
    if row.branch is not None:  # a branch's preview: whose it is, since when
        made = f", made {row.age} ago" if row.age and row.age != "now" else ""
        warning.insert(0, f"  preview   of {row.branch}{made}")
    pending = [f"  ship      {row.head}"] if row.head else []
    if row.release is None:
        return "\n".join(
            [
                f"{head}\n  no release yet ({row.running}/{row.desired} running)",
                *([f"  url       {row.url}"] if row.url else []),
                *warning,
                *plain_environment_line(row),
                *pending,
            ]
        )
    built = (row.commit or "")[:12] + (f"-dirty-{row.dirty}" if row.dirty else "")
    lines = [
        f"{head}  release {row.release}  {built} {row.subject or ''}".rstrip(),
        *warning,
        f"  image     {row.image}",
        f"  deployed  {ui.when(row.deployed_at or 0)} by {row.deployed_by}",
        *edited_line(row),
        f"  tasks     {row.running}/{row.desired} running, rollout {row.rollout}",
        *([f"  url       {row.url}"] if row.url else []),
    ]
    if row.outcome == "unverified":
        lines.insert(
            1,
            f"  outcome   unverified: shipped without waiting (--no-wait); "
            f"ECS reports {row.rollout}",
        )
    if row.undeployed_commits:
        lines.append(f"  behind    {plural(row.undeployed_commits, 'commit')} not deployed yet")
    lines.append(f"  config    {PINNING[bool(row.pinned)]}")
    if row.pinned and row.edited:  # the stack's revision names Parameter Store (service_stack)
        lines[-1] = (
            "  config    pinned, but the stack update's revision reads Parameter Store's newest "
            f"values: {row.rotated_fix} pins them again"
        )
    elif row.pinned and row.config_drift:
        lines[-1] += "; a ship carries the changes below"
    lines += plain_environment_line(row)
    lines += process_lines(row)
    lines += job_lines(row)
    if row.config_drift:
        lines.append(f"  drift     config changed since the release: {' '.join(row.config_drift)}")
    if row.rotated:
        lines.append(f"  drift     {'; '.join(row.rotated)} (new tasks read it: {row.rotated_fix})")
    return "\n".join(lines + pending)


def edited_line(row: EnvStatus) -> list[str]:
    """A stack update since the release: still the release (its image), in another revision."""
    if row.edited is None:
        return []
    return [
        f"  edited    {ui.when(row.edited_at or 0)} by a stack update (git lift service edit): "
        f"{row.edited}, with the release's image"
    ]


def plain_environment_line(row: EnvStatus) -> list[str]:
    """The running container's plain variables, in clear: the service config's `environment`
    holds no secrets (those are env.sample's keys, never shown)."""
    if not row.environment:
        return []
    plain = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(row.environment.items()))
    return [f"  env       {plain}"]


def process_lines(row: EnvStatus) -> list[str]:
    """Each process other than web (the `tasks` line is web's): its tasks and revision, and
    a warning when it does not run the release's."""
    lines = []
    for p in row.processes:
        if "missing" in p:
            lines.append(f"  process   {p['name']}  not set up: {p['missing']}")
            continue
        lines.append(
            f"  process   {p['name']}  {p['running']}/{p['desired']} running, rollout "
            f"{p['rollout']}, runs {p['task_definition']}"
        )
        wanted = p["release_task_definition"]
        if wanted and wanted != p["task_definition"]:
            lines[-1] += f" (release {row.release} ran {wanted})"
    return lines


def job_lines(row: EnvStatus) -> list[str]:
    """Each scheduled job: its schedule, timezone and the revision it runs, then its last
    run."""
    lines = []
    for j in row.jobs:
        state = "" if j["state"] == "ENABLED" else f" ({j['state']})"
        runs = f"runs {short(j['task_definition'])}{state}"
        if j["state"] == job_schedules.UNSCHEDULED:
            runs = "not scheduled: EventBridge Scheduler has no schedule for it"
        lines.append(f"  job       {j['name']}  {j['schedule']} {j['timezone']}  {runs}")
        lines.append(f"            last run  {last_run(j.get('last_run'), row.env)}")
    return lines


def last_run(run: dict[str, Any] | None, env: str) -> str:
    """A job's last run as ECS's task history or the job-runs log group has it: when, its
    exit code and how long."""
    if run is None:  # neither ECS (an hour) nor the job-runs log group has one (aws/job_runs.py)
        return f"none recorded (see its output: git lift logs -e {env} --since 1d)"
    started = run["started_at"] or run["created_at"]
    if run["last_status"] != "STOPPED":
        return f"{ui.when(started)}, {run['last_status'].lower()} (task {run['task_id']})"
    if run["exit_code"] is None:
        return f"{ui.when(started)}, did not start: {run['reason'] or 'no reason given'}"
    return f"{ui.when(started)}, exit {run['exit_code']} in {run['seconds'] or 0:.0f}s"


PINNING = {
    True: "pinned: tasks run the release's snapshot",
    False: "not pinned: a task that starts reads Parameter Store's newest values",
}


def history(ctx: Context, env: str) -> int:
    chosen = ctx.environment(env)
    if chosen.preview is not None and ctx.options.preview is None:
        raise UsageError(
            f"{env} is a preview environment: its releases are each branch's preview's",
            hint=f"name the branch: git lift history -e {env} --preview BRANCH (which have "
            f"previews: git lift preview list -e {env})",
        )
    target = ctx.target(env)
    releases = release_history.releases(ctx, target)
    if ctx.options.output == "json":
        ui.out(json.dumps([asdict(r) for r in releases], indent=2))
        return 0
    if not releases:
        ui.info(f"no releases of {target} yet")
    for r in releases:
        notes = ([] if r.released else [r.outcome]) + ([f"dirty {r.dirty}"] if r.dirty else [])
        if r.rolled_back_from is not None:
            notes.append(f"rollback of {r.rolled_back_from}")
        if r.config_changed is not None:  # release-config: same image, the config moved
            notes.append(f"config: {r.config_changed}")
        if r.processes:
            notes.append(f"web and {', '.join(sorted(r.processes))}")
        note = f"  ({', '.join(notes)})" if notes else ""
        ui.out(f"{r.number:>4}  {r.commit[:12]}  {ui.when(r.deployed_at)}  {r.deployed_by}{note}")
    return 0


def unlock(ctx: Context, env: str, force: bool = False) -> int:
    """Remove a deploy lock whose ship is gone: expired, or its process dead on this host.
    A lock whose ship may be running needs --force."""
    target = ctx.target(env)
    found = held_lock(ctx, target)
    if found is None:
        ui.info(f"{target} is not locked")
        return 0
    held, left = found
    alive = proc.holder_alive(held.owner)
    if left > 0 and alive is not False:
        risk = (
            "a ship still running would go on and race the next one; neither rolls back the "
            "other, but the release records may then not say what runs"
        )
        if not force:
            how = "its process is running" if alive else "it may still be running elsewhere"
            raise ValidationError(
                f"{target} is locked by {held.owner} for {left}s more, and {how}",
                hint=f"wait for it; if that ship is gone: git lift unlock -e {target.env} --force "
                f"({risk})",
            )
        ui.warn(f"removing a live lock: {risk}")
    if not drop_lock(ctx, target, held.owner):  # taken over meanwhile: not ours to drop
        ui.info(f"the deploy lock of {target} changed meanwhile; nothing removed")
        return 1
    ui.info(f"removed the deploy lock of {target} (held by {held.owner})")
    return 0
