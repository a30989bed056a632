"""`git lift run`: a one-off task of a release (flows/one_off.py); its exit code is the
container's."""

from __future__ import annotations

from git_lift.errors import UsageError
from git_lift.flows.context import Context
from git_lift.flows.job_run import job_run
from git_lift.flows.one_off import RunRequest, run
from git_lift.flows.process_run import process_target
from git_lift.servicecfg import FARGATE_MEMORY, fargate_memory_text


def run_task(ctx: Context, env: str, request: RunRequest, process: str | None = None) -> int:
    """`--job NAME` runs a scheduled job's command at its size (flows/job_run.py);
    `--process P` that process's task definition, its own command unless one is given."""
    target = process_target(ctx, ctx.target(env), process)
    request = job_run(ctx, target, request)
    checked_size(request.cpu, request.memory)
    return run(ctx, target, request)


def checked_size(cpu: int | None, memory: int | None) -> None:
    """--cpu and --memory come together, as a pair Fargate offers (AWS's table, in
    servicecfg.FARGATE_MEMORY): checked before anything starts."""
    if cpu is None and memory is None:
        return
    if cpu is None or memory is None:
        raise UsageError(
            "--cpu and --memory go together", hint="give both, e.g. --cpu 1024 --memory 2048"
        )
    if cpu not in FARGATE_MEMORY:
        choices = ", ".join(str(c) for c in FARGATE_MEMORY)
        raise UsageError(f"--cpu {cpu} is not a Fargate size", hint=f"use one of {choices}")
    if memory not in FARGATE_MEMORY[cpu]:
        raise UsageError(
            f"--memory {memory} does not go with --cpu {cpu}",
            hint=f"with --cpu {cpu} use --memory {fargate_memory_text(cpu)}",
        )
