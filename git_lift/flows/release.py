"""Release records: an annotated tag `lift/<env>/<service>/<n>` and the same record in DynamoDB.

The tag body is in git trailer form and never holds a value: image, task definition, the
parameter versions the release ran with (ECS cannot pin them, so drift is shown against
these), who deployed, and for a rollback the release it undid.
"""

from __future__ import annotations

import re
import time

from git_lift import ui
from git_lift.aws.store import Release
from git_lift.errors import ValidationError
from git_lift.flows.context import Context
from git_lift.proc import ProcessFailed
from git_lift.target import Target

# A trailer value is one line of printable text: a line break would forge another trailer.
UNSAFE_IN_TRAILER = re.compile(r"[\x00-\x1f\x7f]")


def trailer(name: str, value: object) -> str:
    """`Name: value`, refused (ValidationError) unless the value is one line of text."""
    text = str(value)
    if not text or UNSAFE_IN_TRAILER.search(text):
        raise ValidationError(
            f"the release's {name} is not one line of text",
            hint="report this: a release record holds a field git lift did not validate",
        )
    return f"{name}: {text}"


def tag_message(release: Release) -> str:
    versions = " ".join(f"{k}={v}" for k, v in sorted(release.config_versions.items()))
    trailers = [
        trailer("Image", release.image),
        trailer("Task-Definition", release.task_definition),
        trailer("Config-Versions", versions or "-"),
        trailer("Deployed-By", release.deployed_by),
    ]
    if release.pinned:
        snapshot = " ".join(f"{arn}@{version}" for arn, version in sorted(release.pinned.items()))
        trailers.append(trailer("Config-Snapshot", snapshot))
    if release.rolled_back_from is not None:
        trailers.append(trailer("Rolled-Back-From", release.rolled_back_from))
    if release.promoted_from is not None:
        trailers.append(trailer("Promoted-From", release.promoted_from))
    if release.gate_skipped is not None:
        trailers.append(trailer("Gate-Skipped", release.gate_skipped))
    if release.release_command is not None:
        trailers.append(trailer("Release-Command", release.release_command))
    if release.config_changed is not None:
        trailers.append(trailer("Config-Changed", release.config_changed))
    return (
        f"Release {release.number} of {release.service} to {release.env}\n\n"
        + "\n".join(trailers)
        + "\n"
    )


def deployer(ctx: Context) -> str:
    """Who ships, as git names the committer (honours GIT_COMMITTER_* like a commit does)."""
    return ctx.repo.committer_name() or "unknown"


def record_tag(ctx: Context, target: Target, release: Release) -> bool:
    """Tag the released commit and push the tag; False when the tag could not be made (said
    as a warning)."""
    name = target.release_tag(release.number)
    try:
        ctx.repo.create_tag(name, release.commit, tag_message(release))
    except (ValidationError, ProcessFailed) as exc:
        ui.warn(f"could not create tag {name}: {exc.message}")
        return False
    remote = ctx.repo.remote_url() is not None
    noted = add_note(ctx, release, merge=remote)
    if ctx.settings.push_tags and remote:
        push_release(ctx, name, noted)
    return True


NOTES_REF = "refs/notes/lift"
# Another clone may push its notes between our merge and our push (two environments released
# at once): merge again and push again, a few times.
NOTES_PUSHES = 4


def push_release(ctx: Context, tag: str, noted: bool) -> None:
    """Push the tag and the notes; a refused notes push is merged with the remote's and
    retried. Each warning names what failed: the tag, the notes, or both."""
    refused = ctx.repo.push_refs([f"refs/tags/{tag}"] + ([NOTES_REF] if noted else []))
    for _ in range(NOTES_PUSHES - 1):
        if NOTES_REF not in refused or not merged(ctx):
            break
        refused.pop(NOTES_REF)
        refused.update(ctx.repo.push_refs([NOTES_REF]))
    if f"refs/tags/{tag}" in refused:
        ui.warn(f"could not push tag {tag}: {refused[f'refs/tags/{tag}']}")
        ui.hint(f"push it later: git push origin {tag}")
    if NOTES_REF in refused:
        ui.warn(f"could not push the release notes ({NOTES_REF}): {refused[NOTES_REF]}")
        ui.hint(f"the next release merges and pushes them, or now: git push origin {NOTES_REF}")


def add_note(ctx: Context, release: Release, *, merge: bool) -> bool:
    """A line on the commit in refs/notes/lift, so `git log --notes=lift` shows where it runs.
    The remote's notes are merged in first (never fetched over ours) so pushing ours adds to
    them."""
    if merge:
        merged(ctx)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(release.deployed_at))
    line = f"{release.env} release {release.number} of {release.service}, {when}"
    try:
        ctx.repo.append_note(NOTES_REF, release.commit, line)
    except ProcessFailed as exc:
        ui.warn(f"could not add a note to {release.commit[:12]}: {exc.stderr.strip()}")
        return False
    return True


def merged(ctx: Context) -> bool:
    """Merge the remote's notes into ours; False (said) when that failed."""
    try:
        return ctx.repo.merge_remote_notes(NOTES_REF)
    except ProcessFailed as exc:
        ui.warn(f"could not merge the remote's {NOTES_REF}: {exc.stderr.strip()}")
        return False
