"""What the pre-push hook does for preview environments (issue 23): a pushed branch's
previews are created or updated, a deleted branch's are deleted. Only on pushes to origin,
as releases; boto3 is loaded only once there is a preview to touch."""

from __future__ import annotations

from collections.abc import Sequence

from git_lift import ui
from git_lift.errors import FAILED, OK, LiftError
from git_lift.flows.context import Context
from git_lift.flows.preview_refs import changed_services
from git_lift.flows.pushed_refs import PushedRef, PushTarget
from git_lift.settings import EnvironmentSettings


def deploy_previews(ctx: Context, previews: Sequence[PushTarget]) -> int:
    """Each pushed branch's preview of each service the push changes; a failure stops the
    push, as a failed release does."""
    if not previews:
        return OK
    ctx.settings.require_release_policy()
    from git_lift.flows import previews as flow  # deploys: imports boto3

    for ref, env, commit in previews:
        services = changed_services(ctx, ref, commit)
        if not services:
            ui.info(f"git lift: {ref.short} changes no service: its previews stay as they are")
            continue
        for service in services:
            try:
                t, address = flow.deploy(ctx, env, service, ref.remote_ref, commit)
            except LiftError as exc:
                ui.error(
                    f"{exc.message}; the push is stopped: {ref.short} does not reach the remote",
                    hint=exc.hint
                    or "fix it and push again (git push --no-verify pushes without a preview)",
                )
                return exc.exit_code or FAILED
            where = address or "no HTTP interface in its service config"
            ui.info(f"git lift: preview {t.name} of {ref.short} ({commit[:12]}): {where}")
    return OK


def delete_previews(ctx: Context, deleted: Sequence[tuple[PushedRef, EnvironmentSettings]]) -> int:
    """A deleted branch's previews go (stack and overrides; release records stay)."""
    if not deleted:
        return OK
    ctx.settings.require_release_policy()
    from git_lift.flows import previews as flow  # deletes: imports boto3

    for ref, env in deleted:
        try:
            gone = flow.delete_branch(ctx, env, ref.remote_ref)
        except LiftError as exc:
            ui.error(
                f"{exc.message}; the branch deletion is stopped: {ref.short} stays on the remote",
                hint=exc.hint,
            )
            return exc.exit_code or FAILED
        if gone:
            ui.info(f"git lift: {ref.short} is deleted: so are its previews {', '.join(gone)}")
    return OK
