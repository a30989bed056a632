"""`service delete`: the service's stack goes (under its deploy lock); its config values,
release records, service config history, images and pinned snapshots stay unless asked.
What stays is what brings the service back: `setup` or `service create` recreates the stack
from the newest service config, and release numbering goes on."""

from __future__ import annotations

from dataclasses import dataclass

from git_lift import names, ui
from git_lift.aws.cfn import StackResource
from git_lift.aws.store import EnvironmentRecord
from git_lift.errors import LiftError
from git_lift.flows.context import Context
from git_lift.flows.environment_record import find_record, require_record
from git_lift.flows.service_stack import stack_role
from git_lift.flows.teardown import Listing, confirm_deletion, delete_stack, deploy_lock, list_stack
from git_lift.target import Target


@dataclass(frozen=True)
class Purge:
    config: bool = False  # Parameter Store values and the pinned snapshot secrets
    images: bool = False  # the ECR repository's images


@dataclass(frozen=True)
class Leftovers:
    """What the service keeps outside its stack, as found before anything is deleted."""

    keys: list[str]
    snapshots: list[str]
    images: list[str]  # digests
    last_release: int | None
    config_versions: int


def command(t: Target, purge: Purge) -> str:
    flags = (" --purge-config" if purge.config else "") + (
        " --purge-images" if purge.images else ""
    )
    return f"git lift service delete -e {t.env} -s {t.name}{flags}"


def leftovers(ctx: Context, t: Target) -> Leftovers:
    releases = ctx.aws.table(t.env).releases(t, limit=1)
    documents = ctx.aws.table(t.env).service_documents(t)
    return Leftovers(
        keys=sorted(ctx.aws.parameters(t).names()),
        snapshots=ctx.aws.snapshots(t).existing(),
        # A preview only runs its service's images, which stay: not even listed.
        images=ctx.aws.ecr(t.env).image_digests(t) if t.preview is None else [],
        last_release=releases[0].number if releases else None,
        config_versions=documents[0].version if documents else 0,
    )


def listing(t: Target, resources: list[StackResource], found: Leftovers, purge: Purge) -> Listing:
    result = Listing()
    list_stack(result, resources)
    keys = (
        f"{names.plural(len(found.keys), 'config value')} in Parameter Store under "
        f"{t.parameter_path}/"
    )
    (result.goes if purge.config else result.stays).append(
        keys if purge.config else f"{keys} (--purge-config deletes them)"
    )
    for secret in found.snapshots:
        line = f"pinned config snapshots: secret {secret}"
        (result.goes if purge.config else result.stays).append(
            line if purge.config else f"{line} (--purge-config deletes it)"
        )
    images = f"{names.plural(len(found.images), 'image')} in ECR repository {t.ecr_repository}"
    if t.preview is not None:  # the service's own images, which a preview only runs
        result.stays.append(f"the images of ECR repository {t.ecr_repository} ({t.service.name}'s)")
    else:
        (result.goes if purge.images else result.stays).append(
            images if purge.images else f"{images} (--purge-images deletes them)"
        )
    if found.config_versions and t.preview is not None:
        result.stays.append(
            f"the preview's service config, versions 1-{found.config_versions}: the branch's "
            "next push makes the preview again from its base's"
        )
    elif found.config_versions:
        result.stays.append(
            f"the service config, versions 1-{found.config_versions}: `git lift setup` or "
            f"`git lift service create` brings the service back with version "
            f"{found.config_versions}"
        )
    if found.last_release is not None:
        result.stays.append(
            f"release records 1-{found.last_release} (`git lift history`), release tags and "
            f"notes; the next release is {found.last_release + 1}"
        )
    result.stays.append(
        f"task definitions ship registered (family {t.task_family}), no longer used"
    )
    return result


def shared_repository(ctx: Context, t: Target, record: EnvironmentRecord) -> list[str]:
    """Other environments whose service of this name pulls from the same repository (same
    account and region: the repository is named after the service alone)."""
    sharing = []
    for name in sorted(ctx.settings.environments):
        if name == t.env:
            continue
        other = find_record(ctx, name)
        if other is None or (other.account, other.region) != (record.account, record.region):
            continue
        if ctx.aws.stacks(name).stack(ctx.target(name, t.service).stack) is not None:
            sharing.append(name)
    return sharing


def delete_service(ctx: Context, env: str, purge: Purge, timeout: float) -> int:
    return delete_target(ctx, ctx.target(env), purge, timeout, again=None)


def delete_target(
    ctx: Context, t: Target, purge: Purge, timeout: float, *, again: str | None
) -> int:
    """`again`: the command that runs this deletion again (a preview's is its own)."""
    record = require_record(ctx, t.env)
    again = again or command(t, purge)
    if purge.images:
        sharing = shared_repository(ctx, t, record)
        if sharing:
            raise LiftError(
                f"ECR repository {t.ecr_repository} also holds the images {t.name} runs in "
                f"{names.listed(sharing)} (same account and region); nothing was deleted",
                hint=f"leave out --purge-images: {command(t, Purge(config=purge.config))}",
            )
    cfn = ctx.aws.stacks(t.env)
    stack = cfn.stack(t.stack)
    resources = cfn.resources(stack.id) if stack is not None else []
    found = leftovers(ctx, t)
    listing(t, resources, found, purge).show(
        f"{t.name} in {t.env}" + (f" (stack {t.stack})" if stack else "")
    )
    if stack is None and not (purge.config or purge.images):
        with deploy_lock(ctx, t, timeout):  # a lock that a killed deletion left goes too
            ui.info(f"{t.name} has no stack in {t.env}: nothing to delete")
        return 0
    confirm_deletion(
        ctx, t.env, typed=t.environment.confirm, what=f"{t.name} in {t.env}", service=t.name
    )
    with deploy_lock(ctx, t, timeout):
        if stack is not None:
            role = stack_role(ctx, t) if stack.status != "DELETE_IN_PROGRESS" else None
            delete_stack(ctx, cfn, stack, resources, role_arn=role, timeout=timeout, again=again)
        purged = purge_leftovers(ctx, t, found, purge, again)
    ui.info(f"{t.name} is deleted from {t.env}" + (f"; {purged}" if purged else ""))
    if found.config_versions and t.preview is None:
        ui.hint(
            f"bring it back with: git lift setup -e {t.env} "
            f"(or: git lift service create -e {t.env} -s {t.name})"
        )
    return 0


def purge_leftovers(ctx: Context, t: Target, found: Leftovers, purge: Purge, again: str) -> str:
    """What --purge-config and --purge-images delete, once the stack is gone (no task reads
    them any more); says what was deleted."""
    done: list[str] = []
    try:
        if purge.config and found.keys:
            ctx.aws.parameters(t).delete(found.keys)
            done.append(names.plural(len(found.keys), "config value"))
        if purge.config and found.snapshots:
            ctx.aws.snapshots(t).delete(found.snapshots)
            done.append(names.plural(len(found.snapshots), "snapshot secret"))
        if purge.images and found.images:
            count = ctx.aws.ecr(t.env).delete_images(t, found.images)
            done.append(names.plural(count, "image"))
    except LiftError as exc:
        gone = f"deleted {', '.join(done)}; " if done else ""
        exc.message = f"{exc.message} (the stack is gone; {gone}the rest of the purge was not done)"
        exc.hint = f"run it again to finish: {again}"
        raise
    return f"deleted {', '.join(done)}" if done else ""
