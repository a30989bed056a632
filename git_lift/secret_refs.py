"""Secrets Manager secrets a service's config refers to, found without reading a value: an
env.sample line whose example value is itself a secret's ARN (`DB_PASSWORD=arn:aws:
secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf`), or, per environment, the
service config's `secret_refs` (`{"DB_PASSWORD": "arn:..."}`), which wins for its keys.
Pure: the ARNs come from text and documents.

When such a secret rotates after the running release, the tasks hold the value they read at
start: `status` and the pre-push hook say so (flows/rotation.py), and `release-config` starts
tasks that read it again.
"""

from __future__ import annotations

import re

from git_lift import envfile
from git_lift.jsoncheck import Checker

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


def read(c: Checker, value: object, path: str = "$.secret_refs") -> dict[str, str]:
    """The service config's `secret_refs`: an object of KEY -> secret ARN (problems to `c`)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.add(path, 'must be an object of "KEY": "arn:aws:secretsmanager:..." pairs')
        return {}
    found: dict[str, str] = {}
    for key, arn in value.items():
        if not envfile.is_valid_key(str(key)):
            c.add(f"{path}.{key}", "not a config key name ([A-Za-z_][A-Za-z0-9_]*)")
        elif not isinstance(arn, str) or not ARN.fullmatch(arn):
            c.add(
                f"{path}.{key}",
                "must be a Secrets Manager secret's ARN "
                "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)",
            )
        else:
            found[str(key)] = arn
    return found
