"""The setting that turns on the load balancers' access logs (checkov's CKV_AWS_91), set
through git lift against moto's server: `env create|update --access-logs-bucket`."""

from __future__ import annotations

import json
from typing import Any

from git_lift.commands.infra_env import EnvFlags, apply_flags
from git_lift.templates.environment_params import EnvironmentParams
from tests.support.helpers import Lift
from tests.support.infra import template_text

BUCKET = "acme-alb-logs"


def access_log_attributes() -> dict[str, str]:
    """What the environment stack asks of the load balancer (moto does not apply it)."""
    template = json.loads(template_text("lift-staging"))
    attributes = template["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]
    return {a["Key"]: a["Value"] for a in attributes if a["Key"].startswith("access_logs.s3.")}


def test_access_logs_bucket_is_an_environment_setting(aws: Any, lift: Lift) -> None:
    created = lift("env", "create", "-e", "staging", "--yes", "--access-logs-bucket", BUCKET)
    assert created.returncode == 0, created.stderr
    assert access_log_attributes() == {
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": BUCKET,
        "access_logs.s3.prefix": "lift-staging/internet-facing",
    }
    assert f"access logs   {BUCKET}" in lift("env", "show", "-e", "staging").stdout


def test_an_empty_bucket_turns_access_logs_off() -> None:
    # Through env update in the sandbox this would stop at moto, which cannot update a load
    # balancer in place; the template without a bucket is tested in test_templates.py.
    on = EnvironmentParams(access_logs_bucket=BUCKET)
    assert apply_flags(on, EnvFlags(access_logs_bucket="")).access_logs_bucket is None
    assert apply_flags(on, EnvFlags()).access_logs_bucket == BUCKET


def test_a_bad_bucket_name_is_refused_before_any_stack(aws: Any, lift: Lift) -> None:
    result = lift("env", "create", "-e", "staging", "--yes", "--access-logs-bucket", "s3://Logs")
    assert result.returncode == 1
    assert "access_logs_bucket: 's3://Logs' is not an S3 bucket name" in result.stderr
    assert "cloudformation.CreateChangeSet" not in aws.request_counts()
