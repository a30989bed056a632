"""Two accounts on the sandbox: staging in account A (eu-west-1), production in account B
(us-east-1) through `roleArn`; moto keys each account's state by the assumed role's account."""

from __future__ import annotations

from typing import Any

import boto3

ACCOUNT_A, ACCOUNT_B = "123456789012", "222222222222"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/lift-deployer"
GITLIFT = f"""[env "staging"]
\tref = refs/heads/main
\tregion = eu-west-1
[env "production"]
\tref = refs/tags/v*
\tconfirm = true
\tregion = us-east-1
\taccount = {ACCOUNT_B}
\troleArn = {ROLE_B}
"""


def in_account_b(service: str, aws: Any) -> Any:
    """A client of account B, as the role git lift assumes."""
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=ROLE_B, RoleSessionName="test-observer")["Credentials"]
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
