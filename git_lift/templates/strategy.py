"""The service stack's part of a deployment strategy (strategycfg): ECS's own deployment
configuration (strategy, bake time, canary/linear steps, alarms with rollback) and, for the
traffic-shifting strategies, the alternate target group, the production listener rule that
forwards to both, and the role ECS moves traffic with; pure.

Properties are ECS's (botocore's ecs model: DeploymentConfiguration, AdvancedConfiguration;
troposphere.ecs) and the ECS developer guide's "Required resources for Amazon ECS blue/green
deployments".
"""

from __future__ import annotations

from troposphere import (
    GetAtt,
    ImportValue,
    Join,
    Ref,
    Select,
    Split,
    Tags,
    Template,
    cloudwatch,
    ecs,
    iam,
)
from troposphere import elasticloadbalancingv2 as elb

from git_lift.servicecfg import Deployment
from git_lift.strategycfg import ECS_STRATEGIES, GENERATED, TRAFFIC_SHIFTING
from git_lift.target import Target, arn
from git_lift.templates.task_policies import boundary_arn

# What ECS needs to move traffic between target groups (AWS managed policy, ECS developer
# guide: "Amazon ECS infrastructure IAM role for load balancers").
LOAD_BALANCER_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"
# The generated alarms (Target.deployment_alarm).
ALARM_KINDS = ("5xx-rate", "unhealthy-hosts")
FIVE_XX_PERCENT = 5.0  # of the requests in a minute, two minutes running
ALARM_PERIOD = 60
ALARM_PERIODS = 2


def alarm_names(target: Target, d: Deployment) -> list[str]:
    if d.alarms == GENERATED:
        return [target.deployment_alarm(kind) for kind in ALARM_KINDS]
    return list(d.alarms)


def configuration(target: Target, d: Deployment) -> dict[str, object]:
    """DeploymentConfiguration properties beyond the rolling update's. A rolling update leaves
    Strategy out: ECS's default is ROLLING, and existing stacks see no change."""
    props: dict[str, object] = {}
    if d.strategy != "rolling":
        props["Strategy"] = ECS_STRATEGIES[d.strategy]
    if d.strategy in TRAFFIC_SHIFTING:
        # Both revisions keep running this long once production traffic has moved.
        props["BakeTimeInMinutes"] = d.bake_minutes
    if d.strategy == "canary":
        props["CanaryConfiguration"] = ecs.CanaryConfiguration(
            CanaryPercent=float(d.canary.percent), CanaryBakeTimeInMinutes=d.canary.bake_minutes
        )
    if d.strategy == "linear":
        props["LinearConfiguration"] = ecs.LinearConfiguration(
            StepPercent=float(d.linear.step_percent),
            StepBakeTimeInMinutes=d.linear.interval_minutes,
        )
    names = alarm_names(target, d)
    if names:
        props["Alarms"] = ecs.DeploymentAlarms(AlarmNames=names, Enable=True, Rollback=True)
    return props


def add_traffic_shift(
    t: Template,
    target: Target,
    d: Deployment,
    target_group: elb.TargetGroup,
    rule: elb.ListenerRule,
    load_balancer: ecs.LoadBalancer,
    region: str,
    account_id: str,
) -> elb.TargetGroup | None:
    """The second target group, the rule forwarding to both (ECS moves the weights), and the
    role ECS does it with; returns the alternate target group, None for a rolling update."""
    if d.strategy not in TRAFFIC_SHIFTING:
        return None
    alternate = t.add_resource(elb.TargetGroup("AlternateTargetGroup", **target_group.properties))
    rule.Actions = [
        elb.ListenerRuleAction(
            Type="forward",
            ForwardConfig=elb.ForwardConfig(
                TargetGroups=[
                    elb.TargetGroupTuple(TargetGroupArn=Ref(target_group), Weight=100),
                    elb.TargetGroupTuple(TargetGroupArn=Ref(alternate), Weight=0),
                ]
            ),
        )
    ]
    role = t.add_resource(
        iam.Role(
            "TrafficRole",
            RoleName=target.role_name("traffic"),
            AssumeRolePolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ecs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                    }
                ],
            },
            ManagedPolicyArns=[arn("iam", region, "aws", f"policy/{LOAD_BALANCER_POLICY}")],
            PermissionsBoundary=boundary_arn(target.environment_names, region, account_id),
            Tags=Tags(target.tags),
        )
    )
    load_balancer.AdvancedConfiguration = ecs.AdvancedConfiguration(
        AlternateTargetGroupArn=Ref(alternate),
        ProductionListenerRule=Ref(rule),
        RoleArn=GetAtt(role, "Arn"),
    )
    return alternate


def add_generated_alarms(
    t: Template,
    target: Target,
    d: Deployment,
    listener: ImportValue,
    target_groups: list[elb.TargetGroup],
) -> list[str]:
    """The 5xx-rate and unhealthy-host alarms over every target group of the service (a
    canary's tasks are in the alternate one); returns their resource titles."""
    if d.alarms != GENERATED:
        return []
    # The load balancer's dimension is its full name, `app/NAME/ID`: the listener ARN's
    # 2nd to 4th parts (arn:...:listener/app/NAME/ID/LISTENER-ID).
    parts = Split("/", listener)
    lb = Join("/", [Select(1, parts), Select(2, parts), Select(3, parts)])

    def metric(qid: str, name: str, stat: str, tg: elb.TargetGroup) -> cloudwatch.MetricDataQuery:
        dims = [
            cloudwatch.MetricDimension(Name="LoadBalancer", Value=lb),
            cloudwatch.MetricDimension(Name="TargetGroup", Value=GetAtt(tg, "TargetGroupFullName")),
        ]
        return cloudwatch.MetricDataQuery(
            Id=qid,
            ReturnData=False,
            MetricStat=cloudwatch.MetricStat(
                Metric=cloudwatch.Metric(
                    Namespace="AWS/ApplicationELB", MetricName=name, Dimensions=dims
                ),
                Period=ALARM_PERIOD,
                Stat=stat,
            ),
        )

    n = range(len(target_groups))
    errors = [
        metric(f"e{i}", "HTTPCode_Target_5XX_Count", "Sum", tg)
        for i, tg in enumerate(target_groups)
    ]
    requests = [metric(f"r{i}", "RequestCount", "Sum", tg) for i, tg in enumerate(target_groups)]
    unhealthy = [
        metric(f"u{i}", "UnHealthyHostCount", "Maximum", tg) for i, tg in enumerate(target_groups)
    ]
    total_errors = " + ".join(f"FILL(e{i}, 0)" for i in n)
    total_requests = " + ".join(f"FILL(r{i}, 0)" for i in n)
    rate = cloudwatch.MetricDataQuery(
        Id="rate",
        Label="5xx % of requests",
        Expression=f"IF(({total_requests}) > 0, 100 * ({total_errors}) / ({total_requests}), 0)",
        ReturnData=True,
    )
    hosts = cloudwatch.MetricDataQuery(
        Id="hosts",
        Label="unhealthy targets",
        Expression=" + ".join(f"FILL(u{i}, 0)" for i in n),
        ReturnData=True,
    )
    alarms = [
        ("FiveXxRateAlarm", "5xx-rate", [*errors, *requests, rate], FIVE_XX_PERCENT, "5xx"),
        ("UnhealthyHostsAlarm", "unhealthy-hosts", [*unhealthy, hosts], 0.0, "unhealthy targets"),
    ]
    for title, kind, metrics, threshold, what in alarms:
        t.add_resource(
            cloudwatch.Alarm(
                title,
                AlarmName=target.deployment_alarm(kind),
                AlarmDescription=(
                    f"git lift: {what} on {target.name} in {target.env}; rolls a deployment back"
                ),
                Metrics=metrics,
                ComparisonOperator="GreaterThanThreshold",
                Threshold=threshold,
                EvaluationPeriods=ALARM_PERIODS,
                DatapointsToAlarm=ALARM_PERIODS,
                TreatMissingData="notBreaching",
            )
        )
    return [title for title, *_ in alarms]
