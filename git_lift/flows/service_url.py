"""Where a service answers (issue 24): its first hostname (service config `http_interface`),
else its environment's load balancer's DNS name (the internal one for an internal service),
with its first path; https when the environment has a certificate. None for a worker (no
http_interface) or a service git lift does not know the config of. Shown by ship, promote,
rollback and status, sent with notices, opened by `git lift open`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from git_lift.errors import LiftError
from git_lift.flows.context import Context
from git_lift.target import Target
from git_lift.templates.environment_params import INTERNAL_LOAD_BALANCER_DNS, LOAD_BALANCER_DNS

WILDCARDS = "*?"


def url_of(ctx: Context, target: Target, document: Mapping[str, Any] | None = None) -> str | None:
    """The service's URL from the environment's record and the service config (two reads, one
    when the caller read the config: `document`); None when either cannot be read: a URL is
    said in passing, never worth an error."""
    try:
        table = ctx.aws.table(target.env)
        record = table.environment(target.env)
        if document is None:
            saved = table.service_document(target)
            document = saved.doc if saved is not None else None
    except LiftError:
        return None
    if record is None or document is None:
        return None
    https = bool(record.params.get("certificate_arn"))
    return address(document, record.outputs, https=https)


def why_none(ctx: Context, target: Target) -> LiftError:
    """Why `target` has no URL, said for `git lift open`: not set up (the environment's record
    or the service config missing: what `setup` makes), or a worker. Read again, as only a
    refusal needs it; a failure to read is itself the answer."""
    table = ctx.aws.table(target.env)
    saved = table.service_document(target)
    if table.environment(target.env) is None or saved is None:
        return ctx.not_set_up(
            f"{target.name} is not set up in {target.env}: it has no URL yet", target
        )
    if saved.doc.get("http_interface") is None:
        return LiftError(
            f"{target} has no URL: its service config has no http_interface (a worker)",
            hint=f"give it one: git lift service edit -e {target.env}",
        )
    return LiftError(
        f"no URL known for {target}: its environment names no load balancer for it",
        hint=f"see the environment's load balancer: git lift env show -e {target.env}",
    )


def address(doc: Mapping[str, Any], outputs: Mapping[str, str], *, https: bool) -> str | None:
    """The URL a service config and its environment's stack outputs give (see the module)."""
    http = doc.get("http_interface")
    if not isinstance(http, dict):
        return None
    hosts = [h for h in http.get("hostnames") or [] if not set(h) & set(WILDCARDS)]
    dns = outputs.get(INTERNAL_LOAD_BALANCER_DNS if http.get("internal") else LOAD_BALANCER_DNS)
    host = hosts[0] if hosts else dns
    if not host:
        return None
    patterns = http.get("path_patterns") or ["/"]
    path = str(patterns[0])
    cut = min((path.index(c) for c in WILDCARDS if c in path), default=len(path))
    path = path[:cut]
    return f"{'https' if https else 'http'}://{host.lower()}{path if path.startswith('/') else '/'}"
