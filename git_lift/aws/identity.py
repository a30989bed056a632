"""Who we are (STS) and which KMS key an alias names. Takes its clients."""

from __future__ import annotations

import re
from typing import Any

from git_lift.aws.clients import translate_errors

MANAGED_SSM_KEY = "alias/aws/ssm"
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def account_id(sts: Any) -> str:
    """The caller's account: one GetCallerIdentity call (it needs no permission)."""
    with translate_errors("asking STS for the account"):
        return str(sts.get_caller_identity()["Account"])


def key_arn(kms: Any, key: str) -> str | None:
    """The key ARN that a task's role must be allowed to decrypt with; None for the AWS managed
    key of SSM, which needs no grant. Aliases and key ids are resolved with DescribeKey."""
    if key == MANAGED_SSM_KEY:
        return None
    if _KEY_ARN.match(key):
        return key
    with translate_errors(f"resolving the KMS key {key}"):
        return str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
