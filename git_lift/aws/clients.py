"""The one place that builds boto3 clients and turns botocore failures into LiftErrors."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from git_lift.errors import AwsError, LiftError

if TYPE_CHECKING:
    from git_lift.settings import Settings

# botocore's standard mode retries throttling and transient errors with backoff.
RETRY_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 8},
    user_agent_extra="git-lift",
    connect_timeout=5,
    read_timeout=30,
)
# Hooks run while someone waits on `git commit`/`git push`: without a network, fail in seconds
# (standard mode's 8 attempts back off for most of a minute) and say so.
HOOK_CONFIG = RETRY_CONFIG.merge(
    botocore.config.Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10
    )
)

CREDENTIALS_HINT = (
    "configure credentials: `aws configure`, `aws sso login --profile NAME` with "
    "`--profile NAME`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or `git lift sandbox`)"
)


class Clients:
    """Builds each AWS client once, on first use, from the settings' profile and region."""

    def __init__(self, settings: Settings, config: botocore.config.Config = RETRY_CONFIG) -> None:
        self._settings = settings
        attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")
        if attempts.isdigit():  # the AWS SDKs' own knob wins over our default
            retry_mode = botocore.config.Config(
                retries={"mode": "standard", "max_attempts": int(attempts)}
            )
            config = config.merge(retry_mode)
        self._config = config
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _get(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                with translate_errors():
                    if self._session is None:
                        self._session = boto3.session.Session(
                            profile_name=self._settings.profile,
                            region_name=self._settings.region,
                        )
                    self._clients[service] = self._session.client(
                        service,
                        config=self._config,  # type: ignore[call-overload]
                    )
            return self._clients[service]

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        return self._get(service)


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def translate_errors(doing: str = "") -> Iterator[None]:
    """Turn botocore's exceptions into one-line errors with the fix named."""
    suffix = f" while {doing}" if doing else ""
    try:
        yield
    except botocore.exceptions.NoCredentialsError as exc:
        raise LiftError(f"no AWS credentials found{suffix}", hint=CREDENTIALS_HINT) from exc
    except botocore.exceptions.ProfileNotFound as exc:
        raise LiftError(str(exc), hint="list profiles with `aws configure list-profiles`") from exc
    except botocore.exceptions.NoRegionError as exc:
        raise LiftError(
            "no AWS region configured",
            hint="git config -f .gitlift lift.region eu-west-1 (or --region / AWS_REGION)",
        ) from exc
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
    ) as exc:
        raise AwsError(
            f"cannot reach AWS{suffix}: {exc}",
            hint="check the network, the region and AWS_ENDPOINT_URL",
        ) from exc
    except botocore.exceptions.ClientError as exc:
        code = _code(exc)
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if code in {
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "ExpiredTokenException",
            "ExpiredToken",
            "InvalidSignatureException",
        }:
            raise LiftError(
                f"AWS rejected the credentials{suffix}: {message}", hint=CREDENTIALS_HINT
            ) from exc
        if code in {"AccessDeniedException", "AccessDenied"}:
            raise AwsError(
                f"AWS denied the request{suffix}: {message}",
                hint="ask for the policy `git lift iam-policy` prints",
            ) from exc
        if code in {"ThrottlingException", "Throttling", "TooManyUpdates", "RequestLimitExceeded"}:
            raise AwsError(
                f"AWS kept throttling{suffix} after retries: {message}",
                hint="wait a minute and run the command again",
            ) from exc
        raise AwsError(f"AWS error {code}{suffix}: {message}") from exc
