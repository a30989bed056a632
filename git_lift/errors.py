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
    in it, its config): a state `status` reports, not a failure to read. Every command says
    the same fix, the Quick start's `git lift setup` (idempotent: it creates only what is
    missing), so the hint is made here and nowhere else."""

    def __init__(
        self,
        message: str,
        env: str | None = None,
        service_flag: str = "",
        *,
        hint: str | None = None,
        fix: str | None = None,
    ) -> None:
        said = f"set it up: {setup_command(env, service_flag)}" if env is not None else None
        super().__init__(message, hint=hint or said)
        self.fix = fix  # the commands that end it, when `setup` alone does not (`status`)


def setup_command(env: str, service_flag: str = "") -> str:
    """The command that sets a service up in `env` (`service_flag`: ` -s NAME`, or "")."""
    return f"git lift setup -e {env}{service_flag}"


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
