"""The service stack's scaling: the scalable target, one target-tracking policy per target of
`autoscaling`, and the capacity provider strategy of `capacity`; pure.

Per ECS service, so that each process of a service can carry its own later.
"""

from __future__ import annotations

from troposphere import (
    AWSObject,
    GetAtt,
    ImportValue,
    Join,
    Ref,
    Select,
    Split,
    Tags,
    Template,
    ecs,
)
from troposphere import applicationautoscaling as aas

from git_lift.scalingcfg import Autoscaling, CapacityItem
from git_lift.target import Target
from git_lift.templates import environment_params as envt


def capacity_strategy(items: tuple[CapacityItem, ...]) -> list[ecs.CapacityProviderStrategyItem]:
    """The environment's cluster has FARGATE and FARGATE_SPOT (templates/environment.py)."""
    strategy = []
    for item in items:
        entry = ecs.CapacityProviderStrategyItem(CapacityProvider=item.provider, Weight=item.weight)
        if item.base:
            entry.Base = item.base
        strategy.append(entry)
    return strategy


def add_autoscaling(
    t: Template,
    target: Target,
    a: Autoscaling,
    svc: ecs.Service,
    target_group: AWSObject | None,
    listener_key: str | None,
    prefix: str = "",
) -> None:
    """`target_group` and `listener_key` (the environment's export the service's rule is on)
    are given for a service behind a load balancer; requests_per_target needs them. `prefix`
    starts the logical IDs of a process other than web (processcfg.logical_prefix)."""
    env = target.environment_names
    cluster = ImportValue(env.export(envt.CLUSTER_NAME))
    scalable = t.add_resource(
        aas.ScalableTarget(
            f"{prefix}ScalableTarget",
            MinCapacity=a.min,
            MaxCapacity=a.max,
            ServiceNamespace="ecs",
            ScalableDimension="ecs:service:DesiredCount",
            ResourceId=Join("/", ["service", cluster, GetAtt(svc, "Name")]),
            # The developer policy changes only scalable targets tagged with its environment.
            Tags=Tags(target.tags),
        )
    )
    policies: list[tuple[str, str, aas.TargetTrackingScalingPolicyConfiguration]] = []
    if a.cpu_target is not None:
        metric = _predefined("ECSServiceAverageCPUUtilization")
        policies.append(("Cpu", "cpu", _tracking(a, a.cpu_target, predefined=metric)))
    if a.memory_target is not None:
        metric = _predefined("ECSServiceAverageMemoryUtilization")
        policies.append(("Memory", "memory", _tracking(a, a.memory_target, predefined=metric)))
    if a.requests_per_target is not None:
        assert target_group is not None and listener_key is not None  # scalingcfg checks it
        metric = _predefined("ALBRequestCountPerTarget")
        metric.ResourceLabel = _request_label(ImportValue(env.export(listener_key)), target_group)
        policies.append(
            ("Requests", "requests", _tracking(a, a.requests_per_target, predefined=metric))
        )
    if a.queue is not None:
        backlog = _backlog_per_task(a.queue.queue_name, cluster, svc)
        policies.append(
            ("Queue", "queue", _tracking(a, a.queue.messages_per_task, customized=backlog))
        )
    for logical, kind, tracking in policies:
        t.add_resource(
            aas.ScalingPolicy(
                f"{prefix}{logical}ScalingPolicy",
                PolicyName=target.scaling_policy_for(kind),
                PolicyType="TargetTrackingScaling",
                ScalingTargetId=Ref(scalable),
                TargetTrackingScalingPolicyConfiguration=tracking,
            )
        )


def _predefined(kind: str) -> aas.PredefinedMetricSpecification:
    return aas.PredefinedMetricSpecification(PredefinedMetricType=kind)


def _tracking(
    a: Autoscaling,
    value: int,
    *,
    predefined: aas.PredefinedMetricSpecification | None = None,
    customized: aas.CustomizedMetricSpecification | None = None,
) -> aas.TargetTrackingScalingPolicyConfiguration:
    tracking = aas.TargetTrackingScalingPolicyConfiguration(
        TargetValue=float(value),
        ScaleOutCooldown=a.scale_out_cooldown,
        ScaleInCooldown=a.scale_in_cooldown,
    )
    if predefined is not None:
        tracking.PredefinedMetricSpecification = predefined
    if customized is not None:
        tracking.CustomizedMetricSpecification = customized
    return tracking


def _request_label(listener_arn: object, target_group: AWSObject) -> Join:
    """ALBRequestCountPerTarget's ResourceLabel, app/<lb>/<id>/targetgroup/<tg>/<id>
    (application-autoscaling PredefinedMetricSpecification): the load balancer's part is in
    the listener's ARN, ...:listener/app/<lb>/<id>/<listener id>."""
    parts = Split("/", listener_arn)
    return Join(
        "/",
        [
            Select(1, parts),
            Select(2, parts),
            Select(3, parts),
            GetAtt(target_group, "TargetGroupFullName"),
        ],
    )


def _backlog_per_task(
    queue_name: str, cluster: ImportValue, svc: ecs.Service
) -> aas.CustomizedMetricSpecification:
    """The queue's visible messages over the service's running tasks: the metric math of AWS's
    "Example: Amazon SQS queue backlog per task" (Application Auto Scaling user guide).
    RunningTaskCount is Container Insights', which the environment's cluster enables."""

    def stat(
        query_id: str, namespace: str, name: str, dims: list[tuple[str, object]], how: str
    ) -> aas.TargetTrackingMetricDataQuery:
        metric = aas.TargetTrackingMetric(
            Namespace=namespace,
            MetricName=name,
            Dimensions=[aas.TargetTrackingMetricDimension(Name=k, Value=v) for k, v in dims],
        )
        return aas.TargetTrackingMetricDataQuery(
            Id=query_id,
            MetricStat=aas.TargetTrackingMetricStat(Metric=metric, Stat=how),
            ReturnData=False,
        )

    service_dims = [("ClusterName", cluster), ("ServiceName", GetAtt(svc, "Name"))]
    return aas.CustomizedMetricSpecification(
        Metrics=[
            stat(
                "messages",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                [("QueueName", queue_name)],
                "Sum",
            ),
            stat("tasks", "ECS/ContainerInsights", "RunningTaskCount", service_dims, "Average"),
            aas.TargetTrackingMetricDataQuery(
                Id="backlog",
                Expression="messages / tasks",
                Label="messages per running task",
                ReturnData=True,
            ),
        ]
    )
