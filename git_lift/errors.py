"""One exception family, and the one place that turns it into exit codes."""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2
INTERNAL = 3
INTERRUPTED = 130


class LiftError(Exception):
    """A failure the user can act on: printed as `error:` plus an optional `hint:`."""

    exit_code = FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(LiftError):
    """The command was called wrongly or where it cannot work (bad flag, not a repo)."""

    exit_code = USAGE


class Interrupted(LiftError):
    """Stopped by Ctrl-C, SIGTERM or SIGHUP once what could not stop halfway was done."""

    exit_code = INTERRUPTED


class ValidationError(LiftError):
    """Input or state does not pass a check (missing config, malformed file)."""


class AwsError(LiftError):
    """AWS refused or failed a request after retries."""


class Unreachable(AwsError):
    """AWS could not be reached or did not answer (connection refused, cut or timed out)."""


class NotSetUp(LiftError):
    """What was asked about was never created in AWS (the environment's cluster, the service
    in it): a state `status` reports, not a failure to read."""


class Conflict(LiftError):
    """Someone else changed what we were about to write; nothing was written."""

    def __init__(
        self, message: str, hint: str | None = None, versions: dict[str, int] | None = None
    ) -> None:
        super().__init__(message, hint)
        self.versions = versions  # what the changed keys are now (0: absent), when known


class DeployFailed(LiftError):
    """A deploy did not reach a healthy state."""


class ReleaseCommandFailed(DeployFailed):
    """The release command (the service config's `release_command`) did not exit 0: the
    release stops before the service is updated."""
