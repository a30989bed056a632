"""Security-check exceptions written into the templates themselves; pure.

checkov reads `Metadata.checkov.skip` on a resource: an intended exception travels with the
resource it excuses, with its reason, instead of hiding in a command line's skip list.
"""

from __future__ import annotations

from typing import TypeVar

from troposphere import AWSObject

R = TypeVar("R", bound=AWSObject)

# checkov's ids for the checks the templates excuse somewhere.
LOG_GROUP_KMS = "CKV_AWS_158"
LISTENER_HTTPS = "CKV_AWS_2"
LISTENER_TLS = "CKV_AWS_103"
LOAD_BALANCER_ACCESS_LOGS = "CKV_AWS_91"
INGRESS_PORT_80_OPEN = "CKV_AWS_260"
S3_ACCESS_LOGS = "CKV_AWS_18"


def skip(resource: R, check_id: str, reason: str) -> R:
    """Excuse `resource` from one check, with the reason a reviewer reads in the template."""
    metadata = dict(getattr(resource, "Metadata", None) or {})
    skips = [*metadata.get("checkov", {}).get("skip", []), {"id": check_id, "comment": reason}]
    metadata["checkov"] = {"skip": skips}
    resource.Metadata = metadata
    return resource
