"""Global flags, kept apart from the context so that parsing them imports nothing heavy."""

from __future__ import annotations

from git_lift.records import record


@record
class Options:
    service: str | None = None
    region: str | None = None
    profile: str | None = None
    yes: bool = False
    output: str = "text"
    preview: str | None = None  # a branch: its preview in a preview environment (config --preview)
