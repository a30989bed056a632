"""The environment's CloudWatch Logs resource policy that lets EventBridge write each stopped
job run's event into its service's job runs log group (templates/jobs.py, add_job_runs_log);
pure.

EventBridge writes a CloudWatch Logs target with the account's log resource policies, never a
role (EventBridge user guide, "Using resource-based policies for Amazon EventBridge", CloudWatch
Logs permissions: its example names both principals and lets them CreateLogStream and
PutLogEvents in "all log groups that have names that start with /aws/events/", a pattern to
"adjust" to one's own names). An account holds at most 10 such policies per region, of at most
5,120 characters each (CloudWatch Logs API reference and botocore's logs model,
PutResourcePolicy: "a maximum of 10 policies without resourceARN"), so one policy per
environment covers every service's job runs group (`Environment.job_runs_log_groups`), however
many services have jobs. (A policy on one log group, `resourceArn`, would not count, but
CloudFormation's AWS::Logs::ResourcePolicy has no such property: cfn-lint's schema.)

NOT CHECKED ON AWS: the documented pattern is a name prefix; this one has its wildcard inside
the name (`/lift/ENV/*/job-runs`), which IAM's matching allows anywhere in a resource ARN. If
CloudWatch Logs matched only prefixes, `/lift/ENV/*` is the fallback (wider: the services' own
log groups too, for these two AWS service principals only).

A service stack made before held a policy of its own, `lift-ENV-SERVICE`: its next update
removes it (README, "Scheduled jobs").
"""

from __future__ import annotations

import json

from troposphere import Sub, Template, logs

from git_lift.target import Environment, arn
from git_lift.templates.environment_role import ACCOUNT

LOG_WRITERS = ["delivery.logs.amazonaws.com", "events.amazonaws.com"]


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
