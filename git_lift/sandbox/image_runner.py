"""Running a task's image on this machine, for the sandbox's one-off tasks (sandbox/one_off.py).

This placeholder runs nothing: every task is simulated. The module that really runs an image
(with buildah) replaces it, keeping this interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence


def run_image(
    image: str,
    command: Sequence[str] | None,
    environment: Mapping[str, str],
    *,
    on_line: Callable[[str], None],
    timeout: float,
) -> int | None:
    """Run `image`'s entrypoint with `command` (None: the image's CMD) and `environment`;
    each output line goes to on_line as it comes; returns the exit code, or None when the
    image cannot be run on this machine (then nothing was sent to on_line)."""
    return None
