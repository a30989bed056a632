"""Roll a task definition out under the deploy lock, roll back on failure, record the release.

Shared by `ship` (a new image) and `rollback` (an earlier release's task definition).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from git_lift import ui
from git_lift.aws.ecs import Ecs, ServiceState
from git_lift.aws.store import Release, Store
from git_lift.commands.context import Context
from git_lift.commands.deploy import Watch, rollback, short
from git_lift.commands.image import Image
from git_lift.commands.release import deployer, record_tag, tag_name
from git_lift.errors import DeployFailed
from git_lift.plan import secrets_for, task_definition_changes, with_image_and_secrets
from git_lift.settings import ServiceSettings

LOCK_MARGIN = 5 * 60


def lock_owner() -> str:
    user = os.environ.get("USER") or "someone"
    return f"{user}@{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"


def poll_interval(ctx: Context) -> float:
    return float(ctx.settings.lift.get("pollinterval", "1"))


def deploy_and_wait(
    ctx: Context, ecs: Ecs, state: ServiceState, arn: str, timeout: float, *, fresh: bool
) -> None:
    watch = Watch(ecs, interval=poll_interval(ctx))
    watch.prime(state)
    ecs.deploy(arn)
    ui.info(f"deploying {short(arn)} to {ecs.service} in {ecs.cluster}")
    try:
        watch.until_done(arn, timeout)
    except DeployFailed as failure:
        ui.error(f"deploy failed: {failure.message}")
        try:
            rollback(watch, arn, state.task_definition, timeout, discard=fresh)
        except DeployFailed as stuck:
            raise DeployFailed(
                f"{short(arn)} did not start, and going back to {short(state.task_definition)} "
                f"did not finish either: {stuck.message}",
                hint=f"{ecs.service} may be down: git lift status -e {ecs.env}, "
                f"then git lift rollback -e {ecs.env} --to N",
            ) from failure
        raise DeployFailed(
            f"{short(arn)} did not start; {ecs.service} is back on {short(state.task_definition)}",
            hint=f"see why above, and the logs: git lift logs -e {ecs.env}",
        ) from failure
    except KeyboardInterrupt:
        ui.warn(
            f"interrupted: ECS goes on rolling out {short(arn)}; the lock is released. "
            f"Watch it with: git lift status -e {ecs.env}"
        )
        raise


def release(
    ctx: Context,
    ecs: Ecs,
    state: ServiceState,
    *,
    prepare: Callable[[], str],
    draft: Callable[[int, str], Release],
    wait: bool,
    timeout: float,
    fresh: bool,
) -> Release:
    """Under the lock: `prepare` the task definition, deploy it, record the outcome.

    The lock and the release number come in one DynamoDB write, the record and the unlock in
    another. A failed deploy is recorded as such (history shows it; no tag is made); an
    interruption or an AWS error records nothing and just drops the lock.
    """
    store = Store(ctx.clients.dynamodb)
    owner = lock_owner()
    number = store.begin_release(ecs.env, ecs.service, owner, timeout + LOCK_MARGIN)
    try:
        arn = prepare()
        if wait:
            deploy_and_wait(ctx, ecs, state, arn, timeout, fresh=fresh)
        else:
            ecs.deploy(arn)
    except DeployFailed:
        store.finish_release(replace(draft(number, arn), outcome="failed"), owner)
        raise
    except BaseException:
        store.release_lock(ecs.env, ecs.service, owner)
        raise
    done = replace(draft(number, arn), outcome="released" if wait else "unverified")
    store.finish_release(done, owner)
    if done.released:
        record_tag(ctx, done)
    return done


def roll_out(
    ctx: Context,
    service: ServiceSettings,
    env: str,
    sha: str,
    image: Image,
    versions: dict[str, int],
    wait: bool,
    timeout: float,
) -> int:
    ecs = Ecs(ctx.clients.ecs, env, service.name)
    state = ecs.describe()
    current = ecs.task_definition(state.task_definition)
    region, account = state.arn.split(":")[3:5]
    params = ctx.store(env, service.name)
    secrets = secrets_for(list(versions), {k: params.arn(k, region, account) for k in versions})
    try:
        new = with_image_and_secrets(current, service.container, image.pinned, secrets)
    except ValueError as exc:
        raise DeployFailed(
            str(exc), hint="set container in .gitlift to the container's name"
        ) from exc
    ui.info(f"{service.name} in {env}: {short(state.task_definition)} ->")
    ui.diff_lines(
        task_definition_changes(current, new)
        or [("change", "(same image and secrets: a fresh deployment)")]
    )

    def draft(number: int, arn: str) -> Release:
        return Release(
            number=number,
            env=env,
            service=service.name,
            commit=sha,
            image=image.pinned,
            task_definition=arn,
            deployed_by=deployer(ctx),
            deployed_at=time.time(),
            config_versions=versions,
        )

    done = release(
        ctx,
        ecs,
        state,
        prepare=lambda: ecs.register(new),
        draft=draft,
        wait=wait,
        timeout=timeout,
        fresh=True,
    )
    if not wait:
        ui.info(
            f"deploying {short(done.task_definition)}; not waiting, so release {done.number} "
            f"is recorded as unverified. Watch it with: git lift status -e {env}"
        )
        return 0
    ui.info(
        f"released {service.name} {sha[:12]} to {env}: release {done.number} "
        f"({tag_name(env, service.name, done.number)})"
    )
    return 0


def roll_back(
    ctx: Context, service: ServiceSettings, env: str, to: int | None, timeout: float
) -> int:
    store = Store(ctx.clients.dynamodb)
    releases = [r for r in store.releases(env, service.name, limit=100) if r.released]
    if not releases:
        raise DeployFailed(
            f"{service.name} has no releases in {env} to roll back",
            hint=f"ship one: git lift ship -e {env}",
        )
    current = releases[0]
    if to is None:
        earlier = [r for r in releases[1:] if r.task_definition != current.task_definition]
        if not earlier:
            raise DeployFailed(
                f"release {current.number} is the only one of {service.name} in {env}",
                hint="there is nothing earlier to go back to",
            )
        target = earlier[0]
    else:
        found = [r for r in releases if r.number == to]
        if not found:
            raise DeployFailed(
                f"there is no successful release {to} of {service.name} in {env}",
                hint=f"list them: git lift history -e {env}",
            )
        target = found[0]
    ecs = Ecs(ctx.clients.ecs, env, service.name)
    state = ecs.describe()
    if target.task_definition == state.task_definition:
        ui.info(f"release {target.number} ({short(target.task_definition)}) is what runs already")
        return 0
    ui.info(
        f"rolling {service.name} in {env} back from release {current.number} to release "
        f"{target.number} ({target.commit[:12]}, {short(target.task_definition)})"
    )

    def draft(number: int, arn: str) -> Release:
        return replace(
            target,
            number=number,
            task_definition=arn,
            deployed_by=deployer(ctx),
            deployed_at=time.time(),
            rolled_back_from=current.number,
        )

    done = release(
        ctx,
        ecs,
        state,
        prepare=lambda: target.task_definition,
        draft=draft,
        wait=True,
        timeout=timeout,
        fresh=False,
    )
    ui.info(
        f"rolled back: release {done.number} runs {target.commit[:12]} "
        f"({tag_name(env, service.name, done.number)})"
    )
    return 0
