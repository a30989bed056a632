"""`git lift ship`, `rollback`, `status`, `history`, `unlock`, `logs`, `shell`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from git_lift.cli.base import (
    AWS,
    CONTEXT_SETTINGS,
    cli,
    context,
    env_option,
    global_options,
    preview_option,
)
from git_lift.errors import UsageError

# A deployment takes seconds to an hour; 0 or a negative number would time out at once and
# roll back, and more than a day would hold the deploy lock past any sensible wait.
MAX_TIMEOUT = 24 * 3600


def checked_timeout(click_ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not 1 <= value <= MAX_TIMEOUT:
        raise UsageError(
            f"--timeout {value:g} is out of range: give 1 to {MAX_TIMEOUT} seconds (24 hours)",
            hint="leave it out for the default of 900 (15 minutes)",
        )
    return value


def checked_ref(click_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An empty --ref (an unset variable in a script) must not ship HEAD in its place."""
    if value is not None and not value.strip():
        raise UsageError(
            "--ref is empty", hint="give a commit, branch or tag, or leave --ref out to ship HEAD"
        )
    return value


SKIP_GATE_HELP = (
    "Release without the release the environment requires first, or inside its freeze "
    "window (the reason is recorded)."
)
timeout_option = click.option(
    "--timeout",
    type=float,
    default=15 * 60,
    show_default=True,
    callback=checked_timeout,
    help="Seconds to wait for the deployment before rolling back (1 to 86400).",
)


def checked_image(
    click_ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """`--image` is checked as it is parsed: a bad one stops before any git or AWS request."""
    if value is not None:
        from git_lift.flows.image import given_reference

        given_reference(value)
    return value


def refuse_process(process: str | None) -> None:
    """A release is the whole service: its processes run one image and config, together."""
    if process is not None:
        raise UsageError(
            f"ship --process {process}: a release is the whole service; ship deploys every "
            "process (web and each worker) together, and rolls them back together",
            hint="git lift ship -e ENV (git lift scale -e ENV --process "
            f"{process} N changes one process's count)",
        )


@cli.command("ship")
@click.option("-e", "--env", "env", help="Environment; by default the one the ref maps to.")
@click.option("--ref", callback=checked_ref, help="Commit, branch or tag to ship (default: HEAD).")
@click.option(
    "--image",
    callback=checked_image,
    help="Deploy an image built elsewhere (CI), REPO:TAG or REPO@sha256:..., instead of building.",
)
@click.option("--build-arg", "build_args", multiple=True, metavar="K=V", help="Build argument.")
@click.option("--no-wait", is_flag=True, help="Start the deployment and return.")
@click.option("--skip-gate", metavar="REASON", help=SKIP_GATE_HELP)
@click.option("--allow-dirty", is_flag=True, help="Build uncommitted changes (never for confirm).")
@click.option(
    "--force", is_flag=True, help="Release even when nothing changed since the running release."
)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every service of the repository that has something to release, in parallel.",
)
@click.option(
    "--record-only",
    is_flag=True,
    help="Only write the release record an earlier ship could not (it says when).",
)
# processes: refused, named, so that a user who tries it learns why (a hidden option).
@click.option("--process", hidden=True, callback=lambda c, p, v: refuse_process(v))
@timeout_option
@global_options("service", *AWS, "yes", "output")
@click.pass_context
def ship(
    click_ctx: click.Context,
    /,
    env: str | None,
    ref: str | None,
    image: str | None,
    build_args: tuple[str, ...],
    no_wait: bool,
    skip_gate: str | None,
    allow_dirty: bool,
    force: bool,
    every: bool,
    record_only: bool,
    process: None,
    timeout: float,
    **values: Any,
) -> int:
    """Build, push and deploy a commit; wait until it runs; roll back if it does not.

    \b
    Example:
      git lift ship -e staging
      git lift ship --ref v1.4.0 --yes        # CI, after a tag push
      git lift ship -e staging --record-only  # after "could not be recorded"
      git lift ship --all -e staging          # every service with something to release
    """
    from git_lift.commands import ship as command

    if record_only and every:
        raise UsageError(
            "--record-only writes one service's record, not every service's",
            hint="git lift ship -s NAME -e ENV --record-only",
        )
    if record_only:
        from git_lift.flows.rollout import record_only as record

        lift_ctx = context(click_ctx, values)
        environment = command.resolve_environment(lift_ctx, env, ref)
        return record(lift_ctx, lift_ctx.target(environment.name))

    request = command.ShipRequest(
        env=env,
        ref=ref,
        image=image,
        build_args=build_args,
        wait=not no_wait,
        timeout=timeout,
        allow_dirty=allow_dirty,
        skip_gate=skip_gate,
        force=force,
    )
    if every:
        return command.ship_all(context(click_ctx, values), request)
    return command.ship(context(click_ctx, values), request)


@cli.command("promote")
@click.option("--from", "source", required=True, help="The environment whose release ships.")
@click.option("--to", "target", required=True, help="The environment it ships to.")
@click.option("--release", "number", type=int, help="Release number (default: the newest).")
@click.option(
    "--force", is_flag=True, help="Release even when that image already runs there, unchanged."
)
@click.option("--skip-gate", metavar="REASON", help=SKIP_GATE_HELP)
@timeout_option
@global_options("service", *AWS, "yes", "output")
@click.pass_context
def promote(
    click_ctx: click.Context,
    /,
    source: str,
    target: str,
    number: int | None,
    force: bool,
    skip_gate: str | None,
    timeout: float,
    **values: Any,
) -> int:
    """Ship the image a release of one environment ran to another, by digest.

    \b
    Example:
      git lift promote --from staging --to production
      git lift promote --from staging --to production --release 12 --yes
    """
    from git_lift.commands import promote as command

    return command.promote(
        context(click_ctx, values), source, target, number, timeout, force=force, skip=skip_gate
    )


@cli.command("diff")
@click.argument("a", required=False)
@click.argument("b", required=False)
@global_options("service", *AWS, "output")
@click.pass_context
def diff(click_ctx: click.Context, /, a: str | None, b: str | None, **values: Any) -> int:
    """Two releases side by side: commits, image, task definition, config versions, env.sample.

    A and B are ENV (its newest release), ENV@N (release N) or a commit (whose commits and
    env.sample alone are compared); by default production and staging. Config versions are
    compared within one environment; across two, only the keys.

    \b
    Example:
      git lift diff
      git lift diff production@3 staging --output json
    """
    from git_lift.commands import release_diff as command

    return command.diff(context(click_ctx, values), a, b)


@cli.command("rollback")
@env_option
@click.option("--to", "to", type=int, help="Release number (default: the one before).")
@timeout_option
@global_options("service", *AWS, "output")
@click.pass_context
def rollback(
    click_ctx: click.Context, /, env: str, to: int | None, timeout: float, **values: Any
) -> int:
    """Redeploy an earlier release and record it as a new release.

    \b
    Example:
      git lift rollback -e production
      git lift rollback -e production --to 12
    """
    from git_lift.commands import rollback as command

    lift_ctx = context(click_ctx, values)
    return command.roll_back(lift_ctx, lift_ctx.target(env), to, timeout)


@cli.command("cancel")
@env_option
@timeout_option
@global_options("service", *AWS)
@click.pass_context
def cancel(click_ctx: click.Context, /, env: str, timeout: float, **values: Any) -> int:
    """Roll back the deployment a ship has in flight and release its lock.

    From another terminal, or after Ctrl-C left ECS rolling out: a ship on this machine is
    stopped (it records the release as interrupted), one elsewhere loses its lock, and what
    ran before is deployed again and waited for.

    \b
    Example:
      git lift cancel -e production
    """
    from git_lift.commands import cancel as command

    return command.cancel(context(click_ctx, values), env, timeout)


@cli.command("status")
@click.option(
    "-e", "--env", "envs", multiple=True, help="Environment (repeatable); all by default."
)
@click.option(
    "--all", "every", is_flag=True, help="Every service of the repository (the default at its top)."
)
@preview_option("that branch's preview alone (default: every preview)")
@global_options("service", *AWS, "output")
@click.pass_context
def status(click_ctx: click.Context, /, envs: tuple[str, ...], every: bool, **values: Any) -> int:
    """What runs where: release, commit, image, tasks, commits not deployed, config drift,
    and each scheduled job's last run. A preview environment: each branch's preview.

    \b
    Example:
      git lift status
      git lift status -e production --output json
      git lift status --all
      git lift status -e preview --preview feature/checkout
    """
    from git_lift.commands import status as command

    return command.status(context(click_ctx, values), envs, every=every)


@cli.command("history")
@env_option
@preview_option("that branch's preview's releases")
@global_options("service", *AWS, "output")
@click.pass_context
def history(click_ctx: click.Context, /, env: str, **values: Any) -> int:
    """Releases of the service in an environment, newest first.

    \b
    Example:
      git lift history -e production
      git lift history -e preview --preview feature/checkout
    """
    from git_lift.commands import status as command

    return command.history(context(click_ctx, values), env)


@cli.command("unlock")
@env_option
@click.option(
    "--force",
    is_flag=True,
    help="Also remove a lock whose ship may still be running (it would race the next one).",
)
@global_options("service", *AWS)
@click.pass_context
def unlock(click_ctx: click.Context, /, env: str, force: bool, **values: Any) -> int:
    """Remove a stale deploy lock (a ship that was killed without cleaning up).

    A lock that has not expired is removed only when its ship's process is gone (checked on
    the same host), or with --force.

    \b
    Example:
      git lift unlock -e staging
    """
    from git_lift.commands import status as command

    return command.unlock(context(click_ctx, values), env, force)


@cli.command("logs")
@env_option
@click.option(
    "-f",
    "--follow",
    is_flag=True,
    help="Keep printing new events until Ctrl-C (which ends it, exit 0).",
)
@click.option("--since", default="10m", show_default=True, help="How far back: 30s, 10m, 2h, 1d.")
@click.option("--process", metavar="P", help="Process P's logs alone (web, or a worker).")
@global_options("service", *AWS)
@click.pass_context
def logs(
    click_ctx: click.Context,
    /,
    env: str,
    follow: bool,
    since: str,
    process: str | None,
    **values: Any,
) -> int:
    """The service's container logs from CloudWatch (/lift/ENV/SERVICE).

    Every container of every process, unless --process P names one: its app container's.

    \b
    Example:
      git lift logs -e staging --since 1h
      git lift logs -e production -f
      git lift logs -e production --process worker
    """
    from git_lift.commands import logs as command

    return command.logs(context(click_ctx, values), env, since, follow, process)


@cli.command("shell", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@env_option
@click.argument("command_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- COMMAND...]")
@global_options("service", *AWS)
@click.pass_context
def shell(
    click_ctx: click.Context, /, env: str, command_args: tuple[str, ...], **values: Any
) -> int:
    """A shell (or COMMAND) in a running task, through ECS Exec.

    \b
    Example:
      git lift shell -e staging
      git lift shell -e staging -- python manage.py shell
    """
    from git_lift.commands import logs as command

    return command.shell(context(click_ctx, values), env, command_args)


@cli.command("run", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True})
@env_option
@click.option("--release", "number", type=int, help="Run release N's task definition.")
@click.option(
    "--ref", callback=checked_ref, help="Run this commit's image (built if need be), not deployed."
)
@click.option("--cpu", type=int, help="CPU units for this task (with --memory), e.g. 1024.")
@click.option("--memory", type=int, help="Memory in MiB for this task (with --cpu), e.g. 2048.")
@click.option("--detach", is_flag=True, help="Print the task id and return; the task runs on.")
@click.option("--job", help="Run the service config's scheduled job NAME now (no CMD).")
@click.option(
    "--process", metavar="P", help="Run process P's task definition (its command without CMD)."
)
@click.argument(
    "command_args", nargs=-1, required=False, type=click.UNPROCESSED, metavar="[-- CMD...]"
)
@global_options("service", *AWS)
@click.pass_context
def run(
    click_ctx: click.Context,
    /,
    env: str,
    number: int | None,
    ref: str | None,
    cpu: int | None,
    memory: int | None,
    detach: bool,
    job: str | None,
    process: str | None,
    command_args: tuple[str, ...],
    **values: Any,
) -> int:
    """Run CMD once in a new task of the service: its image, config, network and roles.

    The running release's by default; its output is printed as it comes and the exit code
    is the container's (1 when the task never started). Ctrl-C stops the task. --job NAME
    runs a scheduled job now: its command, size and timeout. --process P runs process P's
    task definition (a worker's), its own command unless CMD is given.

    \b
    Example:
      git lift run -e staging -- bin/rails db:migrate:status
      git lift run -e production --release 12 -- python manage.py shell -c 'print(1)'
      git lift run -e staging --detach --cpu 1024 --memory 4096 -- bin/backfill
      git lift run -e production --job nightly-report
      git lift run -e staging --process worker -- bin/worker --once
    """
    from git_lift.commands import run as command
    from git_lift.flows.one_off import RunRequest

    request = RunRequest(command_args, number, ref, cpu, memory, detach, job)
    return command.run_task(context(click_ctx, values), env, request, process)


@cli.command("release-config")
@env_option
@click.option("--no-wait", is_flag=True, help="Start the deployment and return.")
@click.option(
    "--skip-gate",
    metavar="REASON",
    help="Release without the release the environment requires first (recorded).",
)
@click.option(
    "--force", is_flag=True, help="Release even when no key changed since the running release."
)
@timeout_option
@global_options("service", *AWS, "yes")
@click.pass_context
def release_config(
    click_ctx: click.Context,
    /,
    env: str,
    no_wait: bool,
    skip_gate: str | None,
    force: bool,
    timeout: float,
    **values: Any,
) -> int:
    """Release the config as Parameter Store holds it now, with the image that runs.

    A new release of the running release's commit and image digest: a fresh config snapshot
    where the environment pins its config, a fresh deployment elsewhere; the same plan, gate
    and confirmation as ship. Its tag's Config-Changed trailer names the keys that changed.

    \b
    Example:
      git lift release-config -e staging
      git lift config set -e staging LOG_LEVEL=debug --release   # the same, after the write
    """
    from git_lift.commands import release_config as command

    return command.release_config(
        context(click_ctx, values),
        env,
        skip_gate=skip_gate,
        force=force,
        wait=not no_wait,
        timeout=timeout,
    )


# --- dashboard (issue 24) ---


def checked_port(click_ctx: click.Context, param: click.Parameter, value: int) -> int:
    if not 0 <= value <= 65535:
        raise UsageError(
            f"--port {value} is not a TCP port", hint="give 1024 to 65535, or 0 for a free one"
        )
    return value


def checked_html(
    click_ctx: click.Context, param: click.Parameter, value: Path | None
) -> Path | None:
    # An empty value (`--html "$PAGE"` with PAGE unset) is Path("."): no file to write.
    if value is not None and not value.name:
        raise UsageError(
            "--html names no file",
            hint="give the page's file: git lift dashboard --html public/index.html",
        )
    return value


@cli.command("dashboard")
@click.option(
    "-e", "--env", "envs", multiple=True, help="Environment (repeatable); all by default."
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=checked_html,
    help="Write the page to this file (for CI to publish) instead of serving it.",
)
@click.option(
    "--port",
    type=int,
    default=0,
    callback=checked_port,
    help="Serve on this port of 127.0.0.1 (default: a free one, printed).",
)
@global_options("service", *AWS)
@click.pass_context
def dashboard(
    click_ctx: click.Context,
    /,
    envs: tuple[str, ...],
    html: Path | None,
    port: int,
    **values: Any,
) -> int:
    """One page: what runs where, the releases across environments, the commits between them.

    Served read-only on 127.0.0.1 until Ctrl-C, and read from AWS afresh on each load; with
    --html, written to a file instead. Every service of the repository unless -s; config
    keys by name only, never a value.

    \b
    Example:
      git lift dashboard
      git lift dashboard --html public/index.html   # in CI
    """
    from git_lift.commands import dashboard as command

    return command.dashboard(context(click_ctx, values), envs, html, port)
