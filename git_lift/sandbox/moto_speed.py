"""Work moto's server does anew on every request whose answer never changes, done once.

Measured over the end-to-end tests' requests (issue 19): finding which of moto's services a
request's host names lists moto's ~150 module folders from disk, a stat each, twice a
request (a fifth of the sandbox's time), and each response class's method names are looked
up with `inspect.getmembers` on every call.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, its answer for each host kept: a pure function of the host and
    of moto's own module list."""

    def __init__(self, create_app: Any) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


def remember_method_names() -> None:
    """A response class's method names, listed once per class (moto lists them per call)."""
    import moto.core.responses as responses

    if getattr(responses, "_lift_names_kept", False):
        return
    # responses.py imported it by name; it is only asked whether an action is among them.
    listed = getattr(responses, "method_names_from_class")  # noqa: B009
    kept = functools.cache(lambda cls: frozenset(listed(cls)))
    setattr(responses, "method_names_from_class", kept)  # noqa: B010
    setattr(responses, "_lift_names_kept", True)  # noqa: B010
