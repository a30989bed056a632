"""`git lift adopt -e ENV --cluster C --service S`: point git lift at an ECS service it did not
create (cloudlift, Copilot, Terraform, the console). It reads the running service's task
definition and writes the names it found into .gitlift (`[env] cluster`, `[target "ENV/NAME"]`
ecsService, taskFamily, container, logGroup, parameterPath), then trusts that file, since you
ran it. `ship`, `status`, `history`, `rollback`, `logs`, `shell` and `config` then work on it.
"""

from __future__ import annotations

from git_lift import ui
from git_lift.errors import OK
from git_lift.flows.adoption import read_service
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.flows.trust_record import write_and_trust
from git_lift.names import plural


def adopt(ctx: Context, env: str, cluster: str, ecs_service: str, container: str | None) -> int:
    t = ctx.target(env)
    adoption = read_service(ctx, t.env, cluster, ecs_service, container)
    entries = adoption.entries(t)
    ui.info(f"{ecs_service} in {cluster} ({t.env}):")
    ui.info(f"  task family {adoption.task_family}, container {adoption.container}")
    ui.info(f"  log group   {adoption.log_group or '(not awslogs: git lift logs cannot read it)'}")
    keys = plural(len(adoption.keys), "key")
    ui.info(f"  config      {adoption.parameter_path or '(no secrets)'}: {keys}")
    if not entries:
        ui.info("it follows git lift's own names: nothing to write")
        return OK
    ui.info(f"{GITLIFT_FILE} gets:")
    for key, value in entries:
        ui.info(f"  {key} = {value}")
    confirm(
        ctx,
        t.env,
        typed=False,
        what=f"writing {GITLIFT_FILE}",
        refused="nothing was written",
        question=f"Write these to {GITLIFT_FILE}?",
        unattended=False,
    )
    write_and_trust(ctx.repo, entries)
    ui.info(f"{GITLIFT_FILE}: written and trusted; git lift now ships {t.name} to {ecs_service}")
    ui.hint(f"commit {GITLIFT_FILE}, then: git lift status -e {t.env}")
    return OK
