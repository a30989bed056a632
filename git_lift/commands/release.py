"""Release records: an annotated tag `lift/<env>/<service>/<n>` and the same record in DynamoDB.

The tag body is in git trailer form and never holds a value: image, task definition, the
parameter versions the release ran with (ECS cannot pin them, so drift is shown against
these), who deployed, and for a rollback the release it undid.
"""

from __future__ import annotations

import re

from git_lift import ui
from git_lift.aws.store import Release
from git_lift.commands.context import Context
from git_lift.errors import ValidationError


def tag_name(env: str, service: str, number: int) -> str:
    return f"lift/{env}/{service}/{number}"


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
    if release.rolled_back_from is not None:
        trailers.append(trailer("Rolled-Back-From", release.rolled_back_from))
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
    try:
        message = tag_message(release)
    except ValidationError as exc:
        ui.warn(f"could not create tag {name}: {exc.message}")
        return name
    result = ctx.repo.git(
        "tag", "-a", "-F", "-", name, release.commit, check=False, input_text=message
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
