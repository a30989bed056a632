"""Who we are (STS) and which KMS key an alias names. Each takes its client from the Aws
factory (aws/factory.py), with the environment's own credentials, region and retries."""

from __future__ import annotations

import re
from typing import Any

from git_lift.aws.clients import translate_errors

MANAGED_SSM_KEY = "alias/aws/ssm"
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


class Identity:
    """The caller as STS sees it. GetCallerIdentity needs no permission."""

    def __init__(self, sts: Any) -> None:
        self._sts = sts

    @property
    def region(self) -> str:
        """The region these credentials act in: the environment's own, else the shared one."""
        return str(self._sts.meta.region_name)

    def account(self) -> str:
        """The caller's account: one GetCallerIdentity call."""
        with translate_errors("asking STS for the account"):
            return str(self._sts.get_caller_identity()["Account"])

    def arn(self) -> str:
        """The caller's ARN: a user, or an assumed role's session."""
        with translate_errors("asking STS who the credentials belong to"):
            return str(self._sts.get_caller_identity()["Arn"])


class Keys:
    """KMS: the key ARN an alias or key id names."""

    def __init__(self, kms: Any) -> None:
        self._kms = kms

    def arn(self, key: str) -> str | None:
        """The key ARN that a task's role must be allowed to decrypt with; None for the AWS
        managed key of SSM, which needs no grant. Aliases and key ids are resolved with
        DescribeKey."""
        if key == MANAGED_SSM_KEY:
            return None
        if _KEY_ARN.match(key):
            return key
        with translate_errors(f"resolving the KMS key {key}"):
            return str(self._kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
