"""`--process P` of `git lift run` and `git lift logs`: the process of the service config
(processcfg.py) they act on; web (the service's own fields) when none is named."""

from __future__ import annotations

from git_lift.flows.context import Context
from git_lift.flows.service_state import saved_service_config
from git_lift.processcfg import unknown_process
from git_lift.target import WEB, Target


def process_target(ctx: Context, target: Target, process: str | None) -> Target:
    """The target of process `process` (web's when None or `web`), refused with the
    service config's processes when it names none of them."""
    if process is None or process == WEB:
        return target
    known = saved_service_config(ctx, target).processes
    if process not in known:
        raise unknown_process(str(target), process, known, target.env)
    return target.for_process(process)
