"""The environment's CloudWatch Logs resource policy that lets EventBridge write each stopped
job run's event into its service's job runs log group (templates/jobs.py, add_job_runs_log);
pure.

EventBridge writes a CloudWatch Logs target with the account's log resource policies, never a
role (EventBridge user guide, "Using resource-based policies for Amazon EventBridge", CloudWatch
Logs permissions, whose example names both principals and a `log-group:/aws/events/*:*`
pattern: the log group's ARN and `:*` for its streams, a wildcard for the names). Those
policies are the account's, not a log group's: at most 10 per account and region (CloudWatch
Logs quotas, "Resource policies"; botocore's logs model, PutResourcePolicy), so one policy per
environment covers every service's job runs group (`Environment.job_runs_log_groups`), however
many services have jobs. A service stack made before held one of its own, `lift-ENV-SERVICE`:
its next update removes it (README, "Scheduled jobs").
"""

from __future__ import annotations

import json

from troposphere import Sub, Template, logs

from git_lift.target import Environment, arn
from git_lift.templates.environment_role import ACCOUNT

LOG_WRITERS = ["delivery.logs.amazonaws.com", "events.amazonaws.com"]
# CloudWatch Logs resource policies hold at most 5,120 characters (botocore's logs model,
# PutResourcePolicy policyDocument); this one holds about 300.
POLICY_SIZE = 5_120


def policy_document(env: Environment, region: str) -> str:
    """Create streams in and put events into the environment's job runs log groups; the
    account as `${AWS::AccountId}` for Fn::Sub."""
    groups = arn("logs", region, ACCOUNT, f"log-group:{env.job_runs_log_groups}")
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": LOG_WRITERS},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{groups}:*",
            }
        ],
    }
    return json.dumps(document, separators=(",", ":"))


def add_job_runs_policy(t: Template, env: Environment, region: str) -> logs.ResourcePolicy:
    return t.add_resource(
        logs.ResourcePolicy(
            "JobRunsLogPolicy",
            PolicyName=env.job_runs_policy,
            PolicyDocument=Sub(policy_document(env, region)),
        )
    )
