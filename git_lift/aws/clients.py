"""The one place that builds AWS clients and turns botocore failures into LiftErrors.

Clients are botocore's own: boto3 adds resources and S3 transfers, which git lift does not
use, and importing it costs every command that reaches AWS a few hundredths of a second."""

from __future__ import annotations

import getpass
import ipaddress
import json
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import botocore.config
import botocore.exceptions
import botocore.session

from git_lift.errors import AwsError, LiftError, Unreachable

if TYPE_CHECKING:
    from git_lift.settings import EnvironmentAws

# botocore's standard mode retries throttling and transient errors with backoff.
RETRY_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 8},
    user_agent_extra="git-lift",
    connect_timeout=5,
    read_timeout=30,
)
# Hooks run while someone waits on `git commit`/`git push`: without a network, fail in seconds
# (standard mode's 8 attempts back off for most of a minute) and say so. Two attempts of at
# most 2 + 3 s each, and no attempt starts that could end after HOOK_BUDGET: AWS gets 10 s in all.
HOOK_CONNECT_TIMEOUT, HOOK_READ_TIMEOUT, HOOK_BUDGET = 2, 3, 10.0
HOOK_CONFIG = RETRY_CONFIG.merge(
    botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": 2},
        connect_timeout=HOOK_CONNECT_TIMEOUT,
        read_timeout=HOOK_READ_TIMEOUT,
    )
)
# A connection that fails or goes silent: retried by botocore, then Unreachable.
CONNECTION_ERRORS = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)

# A loopback AWS_ENDPOINT_URL is the sandbox's (or another local emulator's): a refused
# connection there is known at once, so it is said before botocore retries it for seconds.
LOCAL_CONNECT_TIMEOUT = 1.0
SANDBOX_START_HINT = 'git lift sandbox --detach, then: eval "$(git lift sandbox env)"'

CREDENTIALS_HINT = (
    "configure credentials: `aws configure`, `aws sso login --profile NAME` with "
    "`--profile NAME`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or `git lift sandbox`)"
)


_sessions: dict[tuple[object, ...], botocore.session.Session] = {}
_sessions_lock = threading.Lock()


def require_local_endpoint(url: str | None) -> None:
    """Refuse at once when AWS_ENDPOINT_URL is on this machine and nothing listens there: a
    stopped sandbox, which botocore would retry for seconds on every request."""
    if not url:
        return
    parts = urllib.parse.urlsplit(url)
    try:
        local = (
            parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname or "").is_loopback
        )
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a host name, or no valid port: not ours to judge
        return
    if not local:
        return
    try:
        with socket.create_connection((str(parts.hostname), port), LOCAL_CONNECT_TIMEOUT):
            return
    except OSError:
        pass
    raise Unreachable(
        f"cannot reach AWS at AWS_ENDPOINT_URL={url}: nothing answers there, so the sandbox "
        "is not running (or it was started again on another port)",
        hint=SANDBOX_START_HINT,
    )


def new_session(profile: str | None, region: str | None) -> botocore.session.Session:
    """A session of `profile` (None: AWS_PROFILE, else the default), its clients in `region`
    (None: the profile's or AWS_DEFAULT_REGION), as boto3.session.Session makes them."""
    session = botocore.session.Session(profile=profile)
    if region:
        session.set_config_variable("region", region)
    return session


def shared_session(where: EnvironmentAws) -> botocore.session.Session:
    """One botocore session per environment's profile, region and role, shared by every
    client made for it in this process: the service models and credentials load once."""
    with _sessions_lock:
        # Credentials and endpoints come from AWS_* variables too: a change makes a new one.
        ambient = sorted(i for i in os.environ.items() if i[0].startswith("AWS_"))
        key = (where.profile, where.region, where.role_arn, where.external_id, *ambient)
        if key not in _sessions:
            require_local_endpoint(os.environ.get("AWS_ENDPOINT_URL"))
            session = new_session(where.profile, where.region)
            if where.role_arn:
                session = _assumed(session, where.role_arn, where.external_id, where.region)
            _sessions[key] = session
        return _sessions[key]


def session_name() -> str:
    r"""`git-lift-<user>`, as CloudTrail shows who acted (RoleSessionName: [\w+=,.@-], 64).
    STS's \w is ASCII ("upper- and lower-case alphanumeric characters", AssumeRole's API
    reference): a login such as `jürgen` would have AssumeRole refuse the whole command."""
    from git_lift.target import role_session_name

    user = getpass.getuser() or "someone"
    return role_session_name(re.sub(r"[^\w+=,.@-]", "-", user, flags=re.ASCII))


def _assumed(
    base: botocore.session.Session, role_arn: str, external_id: str | None, region: str | None
) -> botocore.session.Session:
    """A session whose credentials are `role_arn` assumed from `base`'s, refreshed before
    they expire (a ship that waits an hour outlives the role's default session)."""
    import botocore.credentials

    extra: dict[str, Any] = {"RoleSessionName": session_name()}
    if external_id:
        extra["ExternalId"] = external_id
    fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
        client_creator=base.create_client,
        source_credentials=base.get_credentials(),
        role_arn=role_arn,
        extra_args=extra,
    )
    assumed = new_session(None, region)
    # botocore has no public setter for refreshable credentials; this is its own recipe.
    assumed._credentials = botocore.credentials.DeferredRefreshableCredentials(  # type: ignore[attr-defined]
        method="assume-role", refresh_using=fetcher.fetch_credentials
    )
    return assumed


# Operations that only read: any other is a write, and an environment with an expected
# `account` has it checked (one GetCallerIdentity) before the first write.
READ_PREFIXES = ("Describe", "Get", "List", "Query", "Scan", "BatchGet", "Filter", "Lookup")


class Clients:
    """Builds each AWS client of one environment once, on first use."""

    def __init__(
        self,
        where: EnvironmentAws,
        config: botocore.config.Config = RETRY_CONFIG,
        *,
        environment: str | None = None,
    ) -> None:
        self._where = where
        self._environment = environment  # named in the account check's error
        self._account_checked = where.account is None
        # A hook's clients share one deadline, counted from the hook's first client.
        self._deadline = time.monotonic() + HOOK_BUDGET if config is HOOK_CONFIG else None
        attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")
        if attempts.isdigit():  # the AWS SDKs' own knob (attempts in all, the first included)
            retry_mode = botocore.config.Config(
                retries={"mode": "standard", "total_max_attempts": max(1, int(attempts))}
            )
            config = config.merge(retry_mode)
        self._config = config
        self._session: botocore.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _get(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                with translate_errors():
                    if self._session is None:
                        self._session = shared_session(self._where)
                    client = self._session.create_client(service, config=self._config)
                    self._watch(client)
                    self._clients[service] = client
            return self._clients[service]

    def _watch(self, client: Any) -> None:
        events = client.meta.events
        events.register_first("needs-retry.ssm.PutParameter", _put_landed_check(client))
        if not self._account_checked:
            events.register_first("before-call", self._check_account_before_writes)
        if self._deadline is not None:
            events.register_first("before-send", _deadline_check(self._deadline))

    def account(self) -> str:
        """The account the credentials belong to (one STS call)."""
        with translate_errors("asking AWS which account the credentials belong to"):
            return str(self.sts.get_caller_identity()["Account"])

    def _check_account_before_writes(self, model: Any, **_: Any) -> None:
        if self._account_checked or model.name.startswith(READ_PREFIXES):
            return
        actual = self.account()
        if actual != self._where.account:
            raise LiftError(
                f"{self._environment or 'this environment'} lives in account "
                f"{self._where.account}, but the credentials are for account {actual}; "
                "nothing was written",
                hint="use the environment's credentials: its profile or roleArn "
                f"(git config lift.env.{self._environment}.profile NAME)",
            )
        self._account_checked = True

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        return self._get(service)


class Landed(Exception):
    """A PutParameter whose answer was lost had been written: its version, not a retry."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def _put_landed_check(client: Any) -> Any:
    """Before botocore retries a PutParameter whose connection failed, ask (one GetParameters)
    whether the value is there already: a lost answer must not write a second version."""

    def check(caught_exception: Exception | None, request_dict: dict[str, Any], **_: Any) -> None:
        if not isinstance(caught_exception, CONNECTION_ERRORS):
            return
        sent = json.loads(request_dict.get("body") or b"{}")
        try:
            found = client.get_parameters(Names=[sent["Name"]], WithDecryption=True)
        except (KeyError, *CONNECTION_ERRORS, botocore.exceptions.ClientError):
            return  # unknown: botocore retries as it would have
        for item in found["Parameters"]:
            if item["Value"] == sent.get("Value"):
                raise Landed(int(item["Version"]))

    return check


def _deadline_check(deadline: float) -> Any:
    """Refuse to start an attempt that could end after `deadline`."""
    longest = HOOK_CONNECT_TIMEOUT + HOOK_READ_TIMEOUT

    def check(**_: Any) -> None:
        if time.monotonic() + longest > deadline:
            raise Unreachable(
                f"AWS did not answer within {HOOK_BUDGET:.0f}s",
                hint="check the network, the region and AWS_ENDPOINT_URL",
            )

    return check


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unreachable(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ReadTimeoutError):
        return "AWS did not answer in time"
    if isinstance(exc, botocore.exceptions.ConnectionClosedError):
        return "the connection to AWS was cut before it answered"
    return f"cannot reach AWS ({exc})"


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
    except CONNECTION_ERRORS as exc:
        raise Unreachable(
            f"{_unreachable(exc)}{suffix}",
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
