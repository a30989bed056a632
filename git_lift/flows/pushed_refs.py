"""The refs a push sends, as the pre-push hook gets them (from git, or from the pre-commit
framework), and the newest release per environment: parsing only, no AWS or git calls."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from git_lift import ui
from git_lift.errors import UsageError
from git_lift.records import record
from git_lift.repo import ZERO_SHA
from git_lift.settings import EnvironmentSettings


@record(frozen=True)
class PushedRef:
    """One line git gives a pre-push hook: `<local ref> <local sha> <remote ref> <remote sha>`."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deleted(self) -> bool:
        return self.local_sha == ZERO_SHA

    @property
    def short(self) -> str:
        return self.remote_ref.removeprefix("refs/heads/").removeprefix("refs/tags/")


# A pushed ref, an environment it maps to, and the pushed commit.
PushTarget = tuple[PushedRef, EnvironmentSettings, str]
RELEASE_REMOTE = "origin"  # where release tags are pushed, and so where a push may release


def parse_pushed(text: str) -> list[PushedRef]:
    pushed = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise UsageError(
                f"unexpected pre-push input: {line!r}",
                hint="git gives pre-push hooks `<local ref> <local sha> <remote ref> <remote sha>`",
            )
        pushed.append(PushedRef(*parts))
    return pushed


def framework_pushed(environ: Mapping[str, str]) -> list[PushedRef]:
    """The one ref the pre-commit framework passes its pre-push hooks (its first, if any)."""
    remote_ref = environ.get("PRE_COMMIT_REMOTE_BRANCH")
    local = environ.get("PRE_COMMIT_TO_REF") or environ.get("PRE_COMMIT_LOCAL_BRANCH")
    if not remote_ref or not local:
        return []
    local_ref = environ.get("PRE_COMMIT_LOCAL_BRANCH", local)
    return [PushedRef(local_ref, local, remote_ref, environ.get("PRE_COMMIT_FROM_REF", ZERO_SHA))]


def newest_per_environment(releases: Sequence[PushTarget]) -> list[PushTarget]:
    """One release per environment: the newest tag (version order for `v1.2.3` names, else
    the order git gave), so `git push --tags` never ends on an older release."""
    chosen: dict[str, PushTarget] = {}
    for target in sorted(releases, key=lambda t: _version_key(t[0].short)):
        previous = chosen.get(target[1].name)
        if previous is not None:
            ui.info(
                f"git lift: {previous[0].short} is not released to {target[1].name}: "
                f"{target[0].short} is newer and is released instead"
            )
        chosen[target[1].name] = target
    return list(chosen.values())


def _version_key(name: str) -> tuple[int, ...]:
    """`v1.10.0` -> (1, 1, 10, 0); a name that is no version sorts first, in the order given."""
    match = re.fullmatch(r"v?(\d+(?:\.\d+)*)", name)
    return (1, *map(int, match.group(1).split("."))) if match else (0,)
