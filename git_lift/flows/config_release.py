"""A config change goes live without a code change: `git lift release-config -e ENV`, and
`config set/edit/import --release` after their write.

It is a release like a ship's, planned by ship_plan.plan_ship and run by the same executor:
the running release's commit and image (its digest, given: nothing is built or copied; still
that release after a stack update registered a revision of its own with its image), the
config as the store holds it now (pinned environments: a fresh snapshot; others: a new
revision, and so a fresh deployment that reads Parameter Store again), through the
environment's gate and confirmation. Its record names the keys whose version changed since
the running release (`Config-Changed:`), never a value, and the Secrets Manager secrets
env.sample refers to that rotated since (flows/rotation.py: `KEY(rotated)`; new tasks read
them again). When nothing changed, it says so and does nothing, as a ship does.
"""

from __future__ import annotations

from dataclasses import replace

from git_lift import names, ui
from git_lift.aws.store import Release
from git_lift.errors import LiftError
from git_lift.flows.config_check import require_at_commit, sample_keys_from_text, say_unread
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.flows.gate import gate
from git_lift.flows.image import ImageSource, given_image
from git_lift.flows.release_plan import ReleasePlan
from git_lift.flows.rotation import rotated_since
from git_lift.flows.ship_plan import (
    DEFAULT_TIMEOUT,
    execute,
    plan_ship,
    running_release,
    show,
    what_runs,
)
from git_lift.target import Target


def changed_keys(before: dict[str, int], now: dict[str, int]) -> list[str]:
    """Keys added, removed or moved to another version since the running release."""
    return sorted(key for key in set(before) | set(now) if before.get(key) != now.get(key))


def plan_config_release(
    ctx: Context,
    env: str,
    *,
    skip_gate: str | None = None,
    force: bool = False,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[ReleasePlan, Release]:
    """The plan, and the running release whose image it runs again."""
    ctx.settings.require_release_policy()
    target = ctx.target(env)
    running = what_runs(ctx, target)
    found = running_release(ctx, target, running)  # a stack update since: still the release
    if found is None or not found.release.image:
        raise LiftError(
            f"{target.ecs_service} does not run a release git lift recorded, so there is no "
            "image to release the config with; nothing was deployed",
            hint=f"ship the code with its config: git lift ship{ctx.service_flag(target.name)} "
            f"-e {target.env}",
        )
    current = found.release
    gate_skipped = gate(ctx, target, current.commit, skip_gate)
    versions = require_at_commit(ctx, target, current.commit, "nothing was deployed")
    rotated, unread = rotated_since(ctx, target, current, since=found.since)
    if unread:
        ui.warn(f"could not describe the secret of {names.listed(unread)}: rotation unknown")
    changed = changed_keys(current.config_versions, versions)
    changed += [f"{r.key}(rotated)" for r in rotated if r.key not in changed]
    image = given_image(current.image)  # by digest: no registry request
    plan = plan_ship(
        ctx,
        target,
        current.commit,
        ImageSource("given", image.repository_uri, image.tag, image.digest),
        versions,
        wait=wait,
        timeout=timeout,
        running=running,
        runs=found,  # its releases read once
        force=force or bool(rotated),  # new tasks read the rotated secret again
        dirty=current.dirty,
        gate_skipped=gate_skipped,
        config_changed=" ".join(changed) or "-",
    )
    seen = [("change", f"~ secret {r.line()}: new tasks read it again") for r in rotated]
    return replace(plan, changes=plan.changes + seen), current


def warn_unread(ctx: Context, target: Target, current: Release) -> None:
    """Keys the store holds that env.sample (at the running commit) does not name: a release
    does nothing for them; said because "nothing to release" right after `config set` reads
    like a fault."""
    if target.preview is not None:  # a preview's store is its base's too
        return
    keys = sample_keys_from_text(
        target.service, ctx.repo.read_file_at(current.commit, target.service.env_sample) or ""
    )
    say_unread(ctx, target, ctx.parameter_names(target), keys)


def release_config(
    ctx: Context,
    env: str,
    *,
    skip_gate: str | None = None,
    force: bool = False,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """Plan, show, confirm (as ship does), execute; nothing to release: said, exit 0."""
    ctx.forget_names()  # a write just before (`config set --release`) moved versions
    plan, current = plan_config_release(
        ctx, env, skip_gate=skip_gate, force=force, wait=wait, timeout=timeout
    )
    show(plan)
    warn_unread(ctx, plan.target, current)
    if plan.unchanged:
        return 0
    target = plan.target
    changed = plan.record.config_changed
    what = "no key changed" if changed in (None, "-") else f"changed: {changed}"
    ui.info(
        f"About to release the config of {target} ({what}) with the image of release "
        f"{current.number} ({current.commit[:12]})."
    )
    if target.environment.confirm:
        confirm(
            ctx,
            target.env,
            typed=True,
            what=f"releasing config to {target.env}",
            refused="nothing was deployed",
        )
    return execute(ctx, plan)
