"""A release notes which version of each referenced Secrets Manager secret (secret_refs.py)
AWSCURRENT labelled when it was made, so that rotation (flows/rotation.py) is told by that
version moving, not only by dates (LastChangedDate also moves with a tag or a description).

A `prepare` step, only where the commit's env.sample or the saved service config refers to
a secret: one DescribeSecret each, metadata only; a secret it cannot describe is left out
(rotation then falls back to its dates) with a warning, never a failed release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from git_lift import names, servicecfg, ui
from git_lift.errors import LiftError
from git_lift.flows.context import Context
from git_lift.flows.release_plan import Run, Step
from git_lift.flows.rotation import references
from git_lift.target import Target


def steps_for(
    ctx: Context, target: Target, commit: str, document: dict[str, object] | None
) -> tuple[Step, ...]:
    """The step, when the release refers to secrets (none: nothing asked, no step)."""
    refs = references(ctx, target, commit, stored=False)
    if document:
        refs |= servicecfg.secret_refs_of_document(document)
    return (NoteSecretVersions(refs),) if refs else ()


@dataclass(frozen=True)
class NoteSecretVersions(Step):
    refs: dict[str, str] = field(default_factory=dict)  # KEY -> secret ARN
    phase = "prepare"
    name = "note secret versions"

    def run(self, run: Run) -> None:
        metadata = run.ctx.aws.secret_metadata(run.plan.target.env)
        versions: dict[str, str] = {}
        unread: list[str] = []
        for key, arn in sorted(self.refs.items()):
            try:
                current = metadata.dates(arn).current_version
            except LiftError:
                unread.append(key)
                continue
            if current:
                versions[key] = current
        if unread:
            ui.warn(f"could not describe the secret of {names.listed(unread)}: not noted")
        run.fill(secret_versions=versions)
