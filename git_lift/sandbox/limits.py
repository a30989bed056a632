"""AWS's request limits that moto does not enforce, enforced by the sandbox as AWS does: a
CloudFormation TemplateBody over 51,200 bytes and an ECS task definition over 64 KiB are
refused (git_lift/limits.py cites the numbers), so the sandbox never accepts what AWS refuses.
moto already refuses DynamoDB items over 400 KB.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from git_lift import limits
from git_lift.plan import registration
from git_lift.sandbox.wsgi import AwsCall

_TEMPLATE_ACTIONS = {"CreateChangeSet", "CreateStack", "UpdateStack", "ValidateTemplate"}


def refusal(call: AwsCall, body: bytes) -> tuple[str, str] | None:
    """(error code, message) AWS answers this request with, or None when it is within limits."""
    if call.service == "cloudformation" and call.action in _TEMPLATE_ACTIONS:
        template = parse_qs(body.decode("utf-8", "replace")).get("TemplateBody", [""])[0]
        size = len(template.encode())
        if size > limits.TEMPLATE_BODY:
            return (
                "ValidationError",
                f"1 validation error detected: Value at 'templateBody' failed to satisfy "
                f"constraint: Member must have length less than or equal to "
                f"{limits.TEMPLATE_BODY} (it has {size})",
            )
    if call.service == "ecs" and call.action == "RegisterTaskDefinition":
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return None
        size = limits.json_size(registration(params)) if isinstance(params, dict) else 0
        if size > limits.TASK_DEFINITION:
            return (
                "ClientException",
                f"Actual length: '{size}'. Max allowed length is '{limits.TASK_DEFINITION}' bytes.",
            )
    return None


def query_error(code: str, message: str) -> bytes:
    """The XML error body of a query-protocol service (CloudFormation)."""
    return (
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>sandbox</RequestId></ErrorResponse>"
    ).encode()
