"""`git lift trust`: accept the work tree's .gitlift settings that choose credentials or
destinations (profile, registry, KMS key). A committed file is someone else's input, so git
lift honours those only for the exact file the user reviewed: its SHA-256 is kept in
`.git/lift/trusted-gitlift`, and any change to the file needs a new `git lift trust`.
"""

from __future__ import annotations

from git_lift import gitlift, ui
from git_lift.errors import OK, UsageError
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context, work_tree_gitlift
from git_lift.flows.trust_record import record_trust


def trust(ctx: Context) -> int:
    entries, raw = work_tree_gitlift(ctx.repo)
    if not raw:
        raise UsageError("there is no .gitlift to trust", hint="git lift init writes one")
    sensitive = gitlift.sensitive_entries(entries)
    ui.info("These .gitlift settings choose credentials or where images and secrets go:")
    for name, value in sensitive:
        ui.info(f"  {name} = {value}")
    if not sensitive:
        ui.info("  (none)")
    for change in ctx.settings.policy_changes(entries):
        ui.warn(
            f".gitlift {change}: release policy is read from the default branch as the "
            "remote has it, so this takes effect once merged there, trusted or not"
        )
    confirm(
        ctx,
        "trust",
        typed=False,
        what="trusting .gitlift",
        refused="nothing was trusted",
        question="Trust this .gitlift?",
        unattended=False,
    )
    digest = record_trust(ctx.repo)
    ui.info(f"trusted .gitlift ({digest[:12]}); a change to it needs git lift trust again")
    return OK
