"""The service's scheduled jobs (`jobs`, jobcfg.py) in its stack: a schedule group, one
EventBridge Scheduler schedule per job running the service's task definition with the job's
command, and the role Scheduler runs them with; and the record of their runs past ECS's hour
of task history (add_job_runs_log); pure.

Each schedule runs one Fargate task of the stack's task definition (a release moves it to the
release's revision: flows/job_schedules.py), in the service's subnets and security group,
with the job's command and size as RunTask overrides in the target's `Input` (ECS's
TaskOverride: botocore's ecs model, cpu and memory as strings).

NOT CHECKED ON AWS: that Scheduler's ECS templated target reads `Input` as the task's
overrides. EventBridge rules' ECS targets do (EventBridge user guide, "Amazon ECS tasks"
target specifics); botocore's scheduler model has no overrides in EcsParameters and documents
Input only as "the text, or well-formed JSON, passed to the target"; aws/aws-cdk#34129 sets
Scheduler's ECS target's input to `{"containerOverrides": ...}` as a workaround, while
hashicorp/terraform-provider-aws#34057 takes the universal target instead. The documented way
is the universal target `arn:aws:scheduler:::aws-sdk:ecs:runTask`, whose Input is the whole
RunTask request (Scheduler user guide, "Using universal targets"); moving to it changes what
a release updates in each schedule (flows/job_schedules.py), so it waits for a run on AWS.
"""

from __future__ import annotations

import json

from troposphere import (
    AWSObject,
    GetAtt,
    ImportValue,
    Ref,
    Split,
    Tags,
    Template,
    events,
    iam,
    logs,
    scheduler,
)

from git_lift.jobcfg import Job
from git_lift.servicecfg import ServiceConfig
from git_lift.target import Target, arn
from git_lift.templates import environment_params as envt
from git_lift.templates.task_policies import JOB_ROLE_KIND, boundary_arn

SCHEDULER = "scheduler.amazonaws.com"
# Scheduler retries a RunTask that fails (no capacity, throttled) for up to a day by default;
# a nightly job that starts hours late is worse than one that tells it failed.
MAX_EVENT_AGE = 3600
RETRIES = 3


def add_jobs(
    t: Template,
    target: Target,
    cfg: ServiceConfig,
    *,
    task_def: AWSObject,
    roles: tuple[AWSObject, AWSObject],
    security_group: AWSObject,
    log_group: logs.LogGroup,
    region: str,
    account_id: str,
) -> None:
    """`roles`: the task definition's execution and task roles, which the schedules pass;
    `log_group`: the service's, whose retention and key the job runs' group takes."""
    if not cfg.jobs:
        return
    add_job_runs_log(t, target, log_group, region, account_id)
    group = t.add_resource(
        scheduler.ScheduleGroup(
            "ScheduleGroup",
            Name=target.schedule_group,
            Tags=Tags(target.tags),
        )
    )
    role = t.add_resource(_role(target, roles, region, account_id))
    env = target.environment_names
    network = scheduler.NetworkConfiguration(
        AwsvpcConfiguration=scheduler.AwsVpcConfiguration(
            Subnets=Split(",", ImportValue(env.export(envt.TASK_SUBNETS))),
            SecurityGroups=[Ref(security_group)],
            AssignPublicIp=ImportValue(env.export(envt.ASSIGN_PUBLIC_IP)),
        )
    )
    cluster = arn("ecs", region, account_id, f"cluster/{target.cluster}")
    for name in sorted(cfg.jobs):
        job = cfg.jobs[name]
        t.add_resource(
            scheduler.Schedule(
                f"Job{_title(name)}",
                Name=name,
                GroupName=Ref(group),
                Description=f"git lift job {name} of {target}",
                ScheduleExpression=job.schedule,
                ScheduleExpressionTimezone=job.timezone,
                FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
                State="ENABLED",
                Target=scheduler.Target(
                    Arn=cluster,
                    RoleArn=GetAtt(role, "Arn"),
                    Input=overrides(target.container, job),
                    RetryPolicy=scheduler.RetryPolicy(
                        MaximumEventAgeInSeconds=MAX_EVENT_AGE, MaximumRetryAttempts=RETRIES
                    ),
                    EcsParameters=scheduler.EcsParameters(
                        TaskDefinitionArn=Ref(task_def),
                        TaskCount=1,
                        LaunchType="FARGATE",
                        NetworkConfiguration=network,
                        Group=target.job_task_group(name),
                        EnableECSManagedTags=True,
                        PropagateTags="TASK_DEFINITION",
                    ),
                ),
            )
        )


ECS_EVENTS = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"


def add_job_runs_log(
    t: Template, target: Target, service_group: logs.LogGroup, region: str, account_id: str
) -> None:
    """Each stopped run of the service's jobs, kept as its "ECS Task State Change" event in
    a log group of its own (`Target.job_runs_log_group`), for `status` to read once ECS has
    forgotten the task (aws/job_runs.py). The rule matches the events of the environment's
    cluster whose task is of this service's family and in a job's group (`job:<name>`,
    Target.job_task_group), once STOPPED; the event's fields are those of "Amazon ECS task
    state change events" (ECS developer guide: clusterArn, taskDefinitionArn, group,
    lastStatus, containers[].exitCode, startedAt, stoppedAt, stoppedReason).

    EventBridge writes there under the environment stack's log resource policy, one for every
    service's job runs group (templates/job_runs_policy.py): CloudWatch Logs allows 10 such
    policies per account and region, so the service stacks make none."""
    name = target.job_runs_log_group
    kept = {k: v for k, v in service_group.properties.items() if k != "LogGroupName"}
    group = logs.LogGroup(
        "JobRunsLogGroup",
        LogGroupName=name,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        **kept,
    )
    metadata = service_group.resource.get("Metadata")
    if metadata:  # the same checkov skip as the service's, when it has no key
        group.Metadata = metadata
    t.add_resource(group)
    group_arn = arn("logs", region, account_id, f"log-group:{name}")
    family = arn("ecs", region, account_id, f"task-definition/{target.task_family}:")
    t.add_resource(
        events.Rule(
            "JobRunsRule",
            Name=target.job_runs_rule,
            Description=f"git lift: the stopped job runs of {target}",
            State="ENABLED",
            EventPattern={
                "source": [ECS_EVENTS],
                "detail-type": [TASK_STATE_CHANGE],
                "detail": {
                    "clusterArn": [arn("ecs", region, account_id, f"cluster/{target.cluster}")],
                    "taskDefinitionArn": [{"prefix": family}],
                    "group": [{"prefix": target.job_task_group("")}],
                    "lastStatus": ["STOPPED"],
                },
            },
            Targets=[events.Target(Id="job-runs", Arn=group_arn)],
            DependsOn=group.title,
        )
    )


def overrides(container: str, job: Job) -> str:
    """The job's RunTask overrides (ECS TaskOverride: cpu and memory are strings)."""
    task: dict[str, object] = {
        "containerOverrides": [{"name": container, "command": list(job.command)}]
    }
    if job.cpu is not None:
        task["cpu"] = str(job.cpu)
    if job.memory is not None:
        task["memory"] = str(job.memory)
    return json.dumps(task, separators=(",", ":"))


def _title(name: str) -> str:
    """A logical ID from a job name (letters and digits only: `nightly-report` -> NightlyReport)."""
    return "".join(part.capitalize() for part in name.split("-"))


def _role(
    target: Target, roles: tuple[AWSObject, AWSObject], region: str, account_id: str
) -> iam.Role:
    """What Scheduler does for the jobs: run the service's task definitions in its cluster,
    passing its two roles to the tasks; under the services' boundary, which allows the same
    to every jobs role of the environment (task_policies.job_boundary_statements)."""
    family = arn("ecs", region, account_id, f"task-definition/{target.task_family}:*")
    cluster = arn("ecs", region, account_id, f"cluster/{target.cluster}")
    statements = [
        {
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": family,
            "Condition": {"ArnEquals": {"ecs:cluster": cluster}},
        },
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [GetAtt(role, "Arn") for role in roles],
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        # RunTask with managed or propagated tags tags the new task (ECS developer guide,
        # "Grant permission to tag resources on creation").
        {
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": arn("ecs", region, account_id, f"task/{target.cluster}/*"),
            "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
        },
    ]
    return iam.Role(
        "JobsRole",
        RoleName=target.role_name(JOB_ROLE_KIND),
        AssumeRolePolicyDocument={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": SCHEDULER},
                    "Action": "sts:AssumeRole",
                    # Only this account's schedules may assume it (confused-deputy guard).
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        },
        PermissionsBoundary=boundary_arn(target.environment_names, region, account_id),
        Policies=[
            iam.Policy(
                PolicyName="jobs",
                PolicyDocument={"Version": "2012-10-17", "Statement": statements},
            )
        ],
        Tags=Tags(target.tags),
    )
