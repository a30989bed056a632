"""What ships is the commit: files that matter to a release must be committed as they are."""

from __future__ import annotations

from git_lift.errors import ValidationError
from git_lift.flows.context import Context


def require_committed(ctx: Context, paths: list[str]) -> None:
    """What ships or releases is the commit, with its own .gitlift and env.sample: a version
    only in the work tree (or only staged) would be set up here and not be what runs."""
    head = ctx.repo.head_sha()
    local = [
        path
        for path in paths
        if (ctx.repo.workdir / path).is_file()
        and ctx.repo.read_file_at(head, path) != (ctx.repo.workdir / path).read_text("utf-8")
    ]
    if local:
        raise ValidationError(
            f"{', '.join(local)} {'is' if len(local) == 1 else 'are'} not committed: setup "
            f"prepares and ships {head[:12]}, with its own {', '.join(local)}",
            hint=f"git add {' '.join(local)} && git commit, then run setup again",
        )
