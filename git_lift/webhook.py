"""POST a JSON body to a webhook (Slack's incoming webhooks and those modelled on them), with
the standard library alone: urllib, which honours HTTPS_PROXY and NO_PROXY, and a short
timeout. A webhook's URL holds its token: no message here ever says it, only its host.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

from git_lift import __version__
from git_lift.errors import LiftError, UsageError

TIMEOUT = 5.0  # seconds for the connection and again for the answer
LOOPBACK_NAMES = ("localhost",)


class WebhookFailed(LiftError):
    """The webhook could not be told (said as a warning: a release never fails for it)."""


def host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or "?"


def check_url(url: str) -> str:
    """The URL, refused unless https (plain http only to this machine: the token would
    otherwise cross the network in clear). The error names the host, never the URL."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname:
        return url.strip()
    if parts.scheme == "http" and parts.hostname and loopback(parts.hostname):
        return url.strip()
    where = f"http to {parts.hostname}" if parts.scheme == "http" else "not an https URL"
    raise UsageError(
        f"the webhook URL is {where}: its token would travel in clear",
        hint="give the https URL your chat service made for the webhook",
    )


def loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post(url: str, body: bytes) -> None:
    """One POST; WebhookFailed saying why (the host, an HTTP status, a timeout)."""
    import urllib.error  # http.client, ssl: only once there is something to send
    import urllib.request

    host, timeout = host_of(url), TIMEOUT
    request = urllib.request.Request(
        check_url(url),
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "git-lift/" + __version__},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as refused:
        raise WebhookFailed(f"the webhook at {host} answered HTTP {refused.code}") from None
    except urllib.error.URLError as failed:
        raise WebhookFailed(f"cannot reach the webhook at {host}: {why(failed.reason)}") from None
    except (TimeoutError, OSError) as failed:
        raise WebhookFailed(f"cannot reach the webhook at {host}: {why(failed)}") from None


def why(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer in {TIMEOUT:g}s"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return type(reason).__name__ if isinstance(reason, BaseException) else str(reason)
