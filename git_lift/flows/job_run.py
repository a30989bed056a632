"""`git lift run --job NAME`: a scheduled job of the service config (jobcfg.py) run now, as
its schedule runs it, through the one-off tasks' flow (one_off.py)."""

from __future__ import annotations

from dataclasses import replace

from git_lift.errors import UsageError
from git_lift.flows.context import Context
from git_lift.flows.one_off import RunRequest
from git_lift.flows.service_state import saved_service_config
from git_lift.target import WEB, Target


def job_run(ctx: Context, target: Target, request: RunRequest) -> RunRequest:
    """`git lift run --job NAME`: the job's command and size (its own, else the service's),
    stopped past its timeout, as the schedule runs it (one-off tasks' flow, one_off.run)."""
    name = request.job
    if name is not None and target.process != WEB:
        raise UsageError(
            f"--job {name} runs web's task definition; --process {target.process} was given too",
            hint=f"git lift run -e {target.env} --job {name} (no --process)",
        )
    if name is None:
        if not request.command and target.process == WEB:
            raise UsageError(
                "give the command to run, or a scheduled job",
                hint=f"git lift run -e {target.env} -- CMD, or git lift run -e {target.env} "
                "--job NAME",
            )
        return request
    if request.command:
        raise UsageError(
            f"--job {name} runs the job's own command; a command was given too",
            hint=f"git lift run -e {target.env} --job {name} (no -- CMD)",
        )
    cfg = saved_service_config(ctx, target)
    job = cfg.jobs.get(name)
    if job is None:
        known = ", ".join(sorted(cfg.jobs)) or "none"
        raise UsageError(
            f"{target} has no job {name!r} (its jobs: {known})",
            hint=f"add it to jobs: git lift service edit -e {target.env}",
        )
    sized = job.cpu is not None or job.memory is not None
    return replace(
        request,
        command=job.command,
        cpu=request.cpu or (job.cpu or cfg.cpu if sized else None),
        memory=request.memory or (job.memory or cfg.memory if sized else None),
        timeout=float(job.timeout),
    )
