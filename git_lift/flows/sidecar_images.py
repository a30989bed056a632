"""The sidecars' images pinned by digest, as ship pins the app's: a tag is resolved through
the registry (registry.py) when the stack is rendered and when a release is planned, so a task
runs what was checked, and a moved tag shows as an image change in ship's diff."""

from __future__ import annotations

from git_lift.flows.image import given_image
from git_lift.sidecarcfg import LOG_ROUTER, Sidecars


def pinned_images(s: Sidecars) -> dict[str, str]:
    """Each sidecar's (and the log router's) image, by digest (LiftError when a registry
    lacks one: nothing is deployed with a tag that names nothing)."""
    wanted = {x.name: x.image for x in s.sidecars}
    if s.log_router is not None:
        wanted[LOG_ROUTER] = s.log_router.image
    return {name: given_image(image).pinned for name, image in sorted(wanted.items())}
