"""Secrets Manager secrets a service's config refers to, found without reading a value: an
env.sample line whose example value is itself a secret's ARN (`DB_PASSWORD=arn:aws:
secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf`). Pure: the ARNs come from text.

When such a secret rotates after the running release, the tasks hold the value they read at
start: `status` and the pre-push hook say so (flows/rotation.py), and `release-config` starts
tasks that read it again.
"""

from __future__ import annotations

import re

from git_lift import envfile

# ARN format: Secrets Manager's "Resource types" in the Service Authorization Reference
# (arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}); a name holds
# ASCII letters, digits and /_+=.@- (CreateSecret's Name), and an ARN ends in -<6 random>.
ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"secret:[A-Za-z0-9/_+=.@-]+"
)


def region_of(arn: str) -> str:
    match = ARN.fullmatch(arn)
    return match["region"] if match else ""


def from_sample(text: str) -> dict[str, str]:
    """KEY -> ARN for each env.sample line whose value is a Secrets Manager ARN (a malformed
    file has none: `config check` reports it)."""
    parsed = envfile.parse(text)
    return {key: value for key, value in parsed.as_dict().items() if ARN.fullmatch(value.strip())}


def for_environment(refs: dict[str, str], region: str | None) -> dict[str, str]:
    """The references an environment can read: those in its region (a secret is regional;
    DescribeSecret takes another region's ARN only from a client of that region)."""
    return {key: arn for key, arn in refs.items() if region is None or region_of(arn) == region}
