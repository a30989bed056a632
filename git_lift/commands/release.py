"""Release records: an annotated tag `lift/<env>/<service>/<n>` and the same record in DynamoDB.

The tag body is in git trailer form and never holds a value: image, task definition, the
parameter versions the release ran with (ECS cannot pin them, so drift is shown against
these), who deployed, and for a rollback the release it undid.
"""

from __future__ import annotations

from git_lift import ui
from git_lift.aws.store import Release
from git_lift.commands.context import Context


def tag_name(env: str, service: str, number: int) -> str:
    return f"lift/{env}/{service}/{number}"


def tag_message(release: Release) -> str:
    versions = " ".join(f"{k}={v}" for k, v in sorted(release.config_versions.items()))
    trailers = [
        f"Image: {release.image}",
        f"Task-Definition: {release.task_definition}",
        f"Config-Versions: {versions or '-'}",
        f"Deployed-By: {release.deployed_by}",
    ]
    if release.rolled_back_from is not None:
        trailers.append(f"Rolled-Back-From: {release.rolled_back_from}")
    return (
        f"Release {release.number} of {release.service} to {release.env}\n\n"
        + "\n".join(trailers)
        + "\n"
    )


def deployer(ctx: Context) -> str:
    """Who ships, as git names the committer (honours GIT_COMMITTER_* like a commit does)."""
    ident = ctx.repo.git("var", "GIT_COMMITTER_IDENT", check=False).stdout.strip()
    return ident.rsplit(" ", 2)[0] if ident else "unknown"


def record_tag(ctx: Context, release: Release) -> str:
    """Tag the released commit and push the tag; return the tag's name."""
    name = tag_name(release.env, release.service, release.number)
    result = ctx.repo.git(
        "tag", "-a", "-F", "-", name, release.commit, check=False, input_text=tag_message(release)
    )
    if result.returncode != 0:
        ui.warn(f"could not create tag {name}: {result.stderr.strip()}")
        return name
    if ctx.settings.push_tags and ctx.repo.remote_url() is not None:
        pushed = ctx.repo.git(
            "push", "--no-verify", "-q", "origin", f"refs/tags/{name}", check=False
        )
        if pushed.returncode != 0:
            ui.warn(f"could not push tag {name}: {pushed.stderr.strip().splitlines()[-1:]}")
            ui.hint(f"push it later: git push origin {name}")
    return name
