"""CloudWatch Logs: the service's log group `/lift/<env>/<service>`. Takes its client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from git_lift.aws.clients import translate_errors
from git_lift.errors import LiftError


def log_group(env: str, service: str) -> str:
    return f"/lift/{env}/{service}"


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # milliseconds since the epoch
    stream: str
    message: str
    event_id: str


class Logs:
    def __init__(self, client: Any, env: str, service: str) -> None:
        self._client = client
        self.group = log_group(env, service)
        self.env = env

    def events(self, start_ms: int) -> Iterator[LogEvent]:
        """Events from `start_ms` on, oldest first, across the group's streams."""
        kwargs: dict[str, Any] = {"logGroupName": self.group, "startTime": start_ms}
        with translate_errors(f"reading {self.group}"):
            while True:
                try:
                    page = self._client.filter_log_events(**kwargs)
                except self._client.exceptions.ResourceNotFoundException as exc:
                    raise LiftError(
                        f"there is no log group {self.group}",
                        hint=f"the service stack creates it: git lift service create -e {self.env}",
                    ) from exc
                for raw in page.get("events", []):
                    yield LogEvent(
                        int(raw["timestamp"]),
                        str(raw.get("logStreamName", "")),
                        str(raw.get("message", "")),
                        str(raw.get("eventId", "")),
                    )
                if not page.get("nextToken"):
                    return
                kwargs["nextToken"] = page["nextToken"]
