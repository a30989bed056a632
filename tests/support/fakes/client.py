"""The client a fake hands to its real wrapper's constructor: the wrapper's own logic runs, and
any call that would reach AWS fails, naming the method the fake still lacks."""

from __future__ import annotations

from typing import Any


class NoClient:
    def __init__(self, service: str) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(
            f"an in-process test reached the real {self._service} client ({name}): "
            "the fake lacks the wrapper method that calls it (tests/support/fakes/)"
        )
