"""Run a release plan (release_plan.py): its prepare steps, then under the deploy lock its
deploy steps, undoing them when one fails, then its record steps.

The lock and the release number come in one DynamoDB write, the record and the unlock in
another, whatever happened: a failed deploy is recorded as failed, an interrupted or
unwatchable one as interrupted or unverified (history shows them; only a release is tagged).
Ctrl-C, SIGTERM and SIGHUP (interrupts.py) stop a release only during its deploy steps:
taking the lock, and recording (record, unlock, tag, note), finish first, so that an
interrupt never leaves the lock held or a release without its tag, and every attempt is in
`history`.

Each run ends with a notice (flows/notices.py) to the environment's `notify` channels, whatever
happened once the release had its number, and, when it runs, the service's URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from git_lift import ui
from git_lift.aws.store import Release
from git_lift.errors import DeployFailed
from git_lift.flows.context import Context
from git_lift.flows.deploy import short
from git_lift.flows.interrupts import shielded
from git_lift.flows.notices import announce
from git_lift.flows.release_plan import ReleasePlan, Run, Step, StepFailed, start
from git_lift.flows.rollout import Lease, finished_first, give_up, outcome_of, told_interrupted


def execute(ctx: Context, plan: ReleasePlan) -> Release:
    """Run `plan` and return its record (raises what stopped it, once recorded)."""
    ctx.settings.require_release_policy()
    began = ctx.aws.clock()
    run = start(ctx, plan)
    for step in plan.phase("prepare"):  # nothing is changed yet: nothing to undo
        step.run(run)
    run.lease = lease = Lease(ctx, plan.target, plan.timeout)
    with shielded() as shield:
        shield.stop_if_interrupted()
        run.fill(number=lease.take())
        try:
            with shield.interruptible():
                run_steps(plan.phase("deploy"), run)
        except BaseException as stopped:
            give_up(ctx, lease, drafted(run), stopped)
            announce(
                ctx,
                plan.target,
                run.record,
                ctx.aws.clock() - began,
                ended(run, stopped),
                document=plan.service_config,
            )
            if isinstance(stopped, KeyboardInterrupt):
                told_interrupted(lease, stopped, run.arn if run.deploying else "")
            raise
        run.record = replace(drafted(run), outcome="released" if plan.wait else "unverified")
        run.hurry = lambda: shield.interrupted
        for step in plan.phase("record"):
            step.run(run)
        url = announce(
            ctx, plan.target, run.record, ctx.aws.clock() - began, document=plan.service_config
        )
        if url is not None:
            ui.info(f"{plan.target} answers at {url}")
        if shield.interrupted:
            raise finished_first(plan.target, run.record, tagged=run.tagged)
    return run.record


def ended(run: Run, stopped: BaseException) -> str:
    """How an attempt that did not finish ended, as its notice says it."""
    if not run.arn and not isinstance(stopped, KeyboardInterrupt):
        return "failed"  # nothing registered, nothing recorded (give_up)
    return outcome_of(stopped)


def drafted(run: Run) -> Release:
    """The record as it stands, stamped now."""
    return replace(run.record, deployed_at=run.ctx.aws.wall_clock())


def run_steps(steps: Sequence[Step], run: Run) -> None:
    """Each step in order; when step k fails (StepFailed), steps k-1..1 are undone, in that
    order, each once, and the failure is said with what it left running."""
    for k, step in enumerate(steps):
        try:
            step.run(run)
        except StepFailed as failure:
            ui.error(f"deploy failed: {failure.message}")
            for done in reversed(steps[:k]):
                done.undo(run)  # an undo that fails stops the undoing, and says why
            raise rolled_back(run, failure.message) from failure


def rolled_back(run: Run, why: str = "") -> DeployFailed:
    """What a release that failed and was undone left: the revision that runs again. ECS
    fails a deployment whose alarm went into ALARM, its reason naming the alarm (ECS
    developer guide, "How CloudWatch alarms detect Amazon ECS deployment failures"): its
    tasks did start, and took traffic."""
    target = run.plan.target
    what = (
        "was rolled back: a deployment alarm fired while it took traffic"
        if "alarm" in why.lower()
        else "did not start"
    )
    return DeployFailed(
        f"{short(run.arn)} {what}; {target.ecs_service} is back on "
        f"{short(run.state.task_definition)}",
        hint=f"see why above, and the logs: git lift logs -e {target.env}",
    )
