"""The service stack (`Target.stack`): task definition, roles, ECS service; pure.

The image and the secrets are inputs: the caller reads the image from the running task
definition, so that an infrastructure change never rolls the code back. Every name comes from
the `Target`.
"""

from __future__ import annotations

import hashlib

from troposphere import (
    AWSObject,
    GetAtt,
    ImportValue,
    Output,
    Ref,
    Split,
    Tags,
    Template,
    ec2,
    ecs,
    logs,
)
from troposphere import elasticloadbalancingv2 as elb

from git_lift import containercfg, limits, processcfg, servicecfg, sidecarcfg
from git_lift.errors import ValidationError
from git_lift.servicecfg import (
    OPEN_TO_ALL,
    EfsVolume,
    HttpInterface,
    Logging,
    ServiceConfig,
)
from git_lift.target import WEB, Environment, Target
from git_lift.templates import checks, jobs, scaling, sidecars, strategy, trust_check
from git_lift.templates import environment_params as envt
from git_lift.templates import service_iam as roles
from git_lift.templates.kept_revisions import task_definition_title

_ENV_VAR = containercfg.ENV_VAR
NFS_PORT = 2049
LOGS_UNKEYED = (
    "no logging.kms_key_arn: CloudWatch Logs encrypts the logs with its own key "
    "(git lift service edit sets a customer-managed one)"
)


def listener_priority(service: str, http: HttpInterface) -> int:
    """A rule priority (1-50000) that is the same in every environment and every render.

    Rules with both hostnames and paths come first, then rules with one of them, then the
    catch-all; inside a tier, a hash of the service name keeps services apart.
    """
    tier = 2 - bool(http.hostnames) - bool(http.path_patterns)
    digest = int.from_bytes(hashlib.sha256(service.encode()).digest()[:8], "big")
    return tier * 10000 + 1 + digest % 9999


def service_template(
    target: Target,
    cfg: ServiceConfig,
    *,
    image: str,
    secrets: dict[str, str],
    region: str,
    account_id: str,
    kms_key_arn: str | None,
    sidecar_images: dict[str, str] | None = None,
    idle_processes: bool = False,
) -> Template:
    """`secrets` maps an environment variable to its parameter ARN; `kms_key_arn` is a key ARN
    (not an alias) or None for the AWS managed key, which needs no grant. `sidecar_images`: each
    sidecar's (and the log router's) image pinned by digest (default: as the config says).
    `idle_processes`: the stack has no released image yet (the placeholder), so each process
    other than web starts with no task; the first release sets its count
    (process_steps.UpdateProcess)."""
    _check_secrets(target.config_prefix_arns(region, account_id), secrets)
    containercfg.refuse_clashes(target, cfg.environment, list(secrets))
    extra = servicecfg.sidecars_of(cfg)
    sidecarcfg.refuse_unknown(target, extra, list(secrets))
    name = target.container
    t = Template(Description=f"git lift service {target.name} in environment {target.env}")
    t.set_version("2010-09-09")
    log_group = None
    if cfg.logging.driver == "awslogs":
        log_group = t.add_resource(_log_group(target, cfg.logging, region))
    execution_role = t.add_resource(
        roles.execution_role(target, image, log_group, region, account_id, kms_key_arn)
    )
    task_role = t.add_resource(roles.task_role(target, cfg, region, account_id))

    def task_definition(title: str, at: Target, process: ServiceConfig) -> AWSObject:
        # Each process's logs under a stream prefix of its own (Target.log_stream_prefix).
        logs = (log_group, region, at.log_stream_prefix)
        containers = [
            _container(name, process, image, secrets, logs),
            *sidecars.containers(name, extra, sidecar_images or {}, secrets, *logs),
        ]
        return t.add_resource(
            _task_definition(title, at, process, containers, (execution_role, task_role), secrets)
        )

    task_def = task_definition(task_definition_title(WEB), target, cfg)
    sg = t.add_resource(_security_group(target, cfg))
    _add_efs_ingress(t, cfg.volumes, sg)
    svc = _service(target, cfg, task_def, sg, _desired_count(cfg))
    target_group = listener = None
    if cfg.http_interface is not None:
        target_group, listener = _add_http(t, target, name, cfg.http_interface, svc)
        _add_strategy(t, target, cfg, svc, region, account_id)
    t.add_resource(svc)
    if cfg.autoscaling is not None:
        # scaling: templates/scaling.py's block.
        scaling.add_autoscaling(t, target, cfg.autoscaling, svc, target_group, listener)
    # processes (issue 21): each worker an ECS service and task family of its own, beside web.
    for process in cfg.processes:
        at, worker = target.for_process(process), servicecfg.of_process(cfg, process)
        prefix = processcfg.logical_prefix(process)
        worker_def = task_definition(task_definition_title(process), at, worker)
        # The placeholder image with a worker's command fails to start, and ECS's service
        # stabilization would hold the stack create until CloudFormation gives up.
        count = 0 if idle_processes else _desired_count(worker)
        worker_svc = _service(at, worker, worker_def, sg, count, f"{prefix}Service")
        group = rule = None
        if worker.http_interface is not None:
            group, rule = _add_http(t, at, name, worker.http_interface, worker_svc, prefix)
            t.add_resource(_ingress(at, worker.http_interface, sg, f"{prefix}LoadBalancerIngress"))
        t.add_resource(worker_svc)
        if worker.autoscaling is not None:
            scaling.add_autoscaling(t, at, worker.autoscaling, worker_svc, group, rule, prefix)
    jobs.add_jobs(
        t,
        target,
        cfg,
        task_def=task_def,
        roles=(execution_role, task_role),
        security_group=sg,
        log_group=log_group,
        region=region,
        account_id=account_id,
    )
    _outputs(t, svc, task_def, execution_role, task_role, log_group)
    trust_check.check_roles(t, target, region, account_id)
    return t


def _log_group(target: Target, log: Logging, region: str) -> logs.LogGroup:
    # Explicit: the logs go with the stack, so that `service create` can run again after a delete.
    group = logs.LogGroup(
        "LogGroup",
        LogGroupName=target.log_group,
        RetentionInDays=log.retention_days,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
    )
    if log.kms_key_arn is None:
        return checks.skip(group, checks.LOG_GROUP_KMS, LOGS_UNKEYED)
    # CloudWatch Logs refuses a key from another region, late, in the middle of a stack update.
    key_region = log.kms_key_arn.split(":")[3]
    if key_region != region:
        raise ValidationError(
            f"logging.kms_key_arn: the key is in {key_region}, the log group in {region}",
            hint=f"git lift service edit -e {target.env}: give a key from {region}",
        )
    group.KmsKeyId = log.kms_key_arn
    return group


def _task_definition(
    title: str,
    target: Target,
    cfg: ServiceConfig,
    containers: list[ecs.ContainerDefinition],
    roles: tuple[AWSObject, AWSObject],
    secrets: dict[str, str],
) -> ecs.TaskDefinition:
    execution_role, task_role = roles
    task_def = ecs.TaskDefinition(
        title,
        Family=target.task_family,
        Cpu=str(cfg.cpu),
        Memory=str(cfg.memory),
        NetworkMode="awsvpc",
        RequiresCompatibilities=["FARGATE"],
        RuntimePlatform=ecs.RuntimePlatform(
            CpuArchitecture=cfg.cpu_architecture, OperatingSystemFamily="LINUX"
        ),
        ExecutionRoleArn=GetAtt(execution_role, "Arn"),
        TaskRoleArn=GetAtt(task_role, "Arn"),
        ContainerDefinitions=containers,
        Volumes=[_volume(i, v) for i, v in enumerate(cfg.volumes)],
        Tags=_tags(target),
    )
    # The template's form of the task definition is about as long as ECS's (the same fields;
    # tags are RegisterTaskDefinition's own parameter, as in the ship's plan).
    properties = {k: v for k, v in task_def.to_dict()["Properties"].items() if k != "Tags"}
    size = limits.json_size(properties)
    limits.check_task_definition(size, str(target), len(secrets))
    return task_def


def _desired_count(cfg: ServiceConfig) -> int | None:
    """The stack's DesiredCount for a service (web or a process): the config's, or None (left
    out) with autoscaling, whose count it is.

    CloudFormation's AWS::ECS::Service DesiredCount (aws-resource-ecs-service.html; the same
    text in cfn-lint's resource schema): "For existing services, if a desired count is not
    specified, it is omitted from the operation", so a stack update keeps the count
    autoscaling set, where a DesiredCount would set it back (aws/aws-cdk#13130). "For new
    services, if a desired count is not specified, a default value of 1 is used"; then the
    scalable target moves it inside min-max (API_RegisterScalableTarget.html: "it changes the
    resource's current capacity to a value that is inside of this range"): a new service
    starts at autoscaling.min, or 1 when that is 0."""
    return cfg.desired_count if cfg.autoscaling is None else None


def _service(
    target: Target,
    cfg: ServiceConfig,
    task_def: AWSObject,
    sg: AWSObject,
    count: int | None,
    title: str = "Service",
) -> ecs.Service:
    env = target.environment_names
    network = ecs.AwsvpcConfiguration(
        Subnets=Split(",", _import(env, envt.TASK_SUBNETS)),
        SecurityGroups=[Ref(sg)],
        AssignPublicIp=_import(env, envt.ASSIGN_PUBLIC_IP),
    )
    svc = ecs.Service(
        title,
        ServiceName=target.ecs_service,
        Cluster=_import(env, envt.CLUSTER_NAME),
        TaskDefinition=Ref(task_def),
        CapacityProviderStrategy=scaling.capacity_strategy(cfg.capacity),
        DeploymentConfiguration=_deployment(target, cfg),
        NetworkConfiguration=ecs.NetworkConfiguration(AwsvpcConfiguration=network),
        EnableExecuteCommand=cfg.ecs_exec,
        EnableECSManagedTags=True,
        PropagateTags="SERVICE",
        Tags=_tags(target),
    )
    if count is not None:
        svc.DesiredCount = count
    return svc


def _check_secrets(prefixes: list[str], secrets: dict[str, str]) -> None:
    """Each secret is a parameter the execution role may read (`prefixes`)."""
    problems = [
        f"{key}: not an environment variable name" for key in secrets if not _ENV_VAR.match(key)
    ]
    problems += [
        f"{key}: {arn} is not under {' or '.join(prefixes)}"
        for key, arn in secrets.items()
        if not arn.startswith(tuple(prefixes))
    ]
    if problems:
        raise ValidationError("secrets the task could not read:\n  " + "\n  ".join(problems))


def _import(env: Environment, key: str) -> ImportValue:
    return ImportValue(env.export(key))


def _tags(target: Target) -> Tags:
    return Tags(target.tags)


def _container(
    name: str,
    cfg: ServiceConfig,
    image: str,
    secrets: dict[str, str],
    logs: tuple[AWSObject | None, str, str | None],
) -> ecs.ContainerDefinition:
    props: dict[str, object] = {
        "Secrets": [ecs.Secret(Name=k, ValueFrom=secrets[k]) for k in sorted(secrets)],
        "MountPoints": [
            ecs.MountPoint(
                SourceVolume=_volume_name(i), ContainerPath=v.container_path, ReadOnly=v.read_only
            )
            for i, v in enumerate(cfg.volumes)
        ],
    }
    props.update(_container_fields(cfg))
    if cfg.http_interface is not None:
        port = cfg.http_interface.container_port
        props["PortMappings"] = [ecs.PortMapping(ContainerPort=port, Protocol="tcp")]
    # What the app waits for, and where its logs go (awslogs, or a FireLens log router).
    props.update(sidecars.app_props(name, servicecfg.sidecars_of(cfg), *logs))
    return ecs.ContainerDefinition(Name=name, Image=image, Essential=True, **props)


def _container_fields(cfg: ServiceConfig) -> dict[str, object]:
    """The container fields of the service config (containercfg), as ECS names them."""
    props: dict[str, object] = {"ReadonlyRootFilesystem": cfg.readonly_root_filesystem}
    if cfg.environment:
        env = cfg.environment
        props["Environment"] = [ecs.Environment(Name=k, Value=env[k]) for k in sorted(env)]
    if cfg.command is not None:
        props["Command"] = list(cfg.command)
    if cfg.entrypoint is not None:
        props["EntryPoint"] = list(cfg.entrypoint)
    if cfg.stop_timeout is not None:
        props["StopTimeout"] = cfg.stop_timeout
    if cfg.ulimits:
        props["Ulimits"] = [
            ecs.Ulimit(Name=u.name, SoftLimit=u.soft, HardLimit=u.hard) for u in cfg.ulimits
        ]
    if cfg.health_check is not None:
        props["HealthCheck"] = sidecars.health_check(cfg.health_check)
    return props


def _volume_name(i: int) -> str:
    return f"efs-{i + 1}"


def _volume(i: int, v: EfsVolume) -> ecs.Volume:
    auth = ecs.AuthorizationConfig(IAM="ENABLED")
    if v.access_point_id:
        auth.AccessPointId = v.access_point_id
    return ecs.Volume(
        Name=_volume_name(i),
        EFSVolumeConfiguration=ecs.EFSVolumeConfiguration(
            FilesystemId=v.file_system_id,
            RootDirectory=v.root_directory,
            TransitEncryption="ENABLED",
            AuthorizationConfig=auth,
        ),
    )


def _ingress(target: Target, h: HttpInterface, sg: AWSObject, title: str) -> AWSObject:
    """A process's port open to its load balancer on the tasks' security group (a resource of
    its own: web's group is left as it was)."""
    lb_sg = envt.INTERNAL_LOAD_BALANCER_SG if h.internal else envt.LOAD_BALANCER_SG
    return ec2.SecurityGroupIngress(
        title,
        GroupId=GetAtt(sg, "GroupId"),
        IpProtocol="tcp",
        FromPort=h.container_port,
        ToPort=h.container_port,
        SourceSecurityGroupId=_import(target.environment_names, lb_sg),
        Description=f"the load balancer, to {target.process}",
    )


def _security_group(target: Target, cfg: ServiceConfig) -> ec2.SecurityGroup:
    env = target.environment_names
    ingress = []
    if cfg.http_interface is not None:
        h = cfg.http_interface
        lb_sg = envt.INTERNAL_LOAD_BALANCER_SG if h.internal else envt.LOAD_BALANCER_SG
        ingress.append(
            ec2.SecurityGroupRule(
                IpProtocol="tcp",
                FromPort=h.container_port,
                ToPort=h.container_port,
                SourceSecurityGroupId=_import(env, lb_sg),
                Description="the load balancer",
            )
        )
    return ec2.SecurityGroup(
        "SecurityGroup",
        GroupDescription=f"git lift {target.env}: tasks of {target.name}",
        VpcId=_import(env, envt.VPC_ID),
        SecurityGroupIngress=ingress,
        Tags=Tags({"Name": env.resource_name(target.name)}) + _tags(target),
    )


def _add_efs_ingress(t: Template, volumes: tuple[EfsVolume, ...], sg: AWSObject) -> None:
    """Open NFS from the tasks on each file system's security group (once per group)."""
    groups = sorted({v.security_group_id for v in volumes if v.security_group_id})
    for i, group in enumerate(groups):
        t.add_resource(
            ec2.SecurityGroupIngress(
                f"EfsIngress{i + 1}",
                GroupId=group,
                IpProtocol="tcp",
                FromPort=NFS_PORT,
                ToPort=NFS_PORT,
                SourceSecurityGroupId=Ref(sg),
                Description="git lift tasks",
            )
        )


def _deployment(target: Target, cfg: ServiceConfig) -> ecs.DeploymentConfiguration:
    d = cfg.deployment
    return ecs.DeploymentConfiguration(
        DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(
            Enable=True, Rollback=d.circuit_breaker_rollback
        ),
        MinimumHealthyPercent=d.minimum_healthy_percent,
        MaximumPercent=d.maximum_percent,
        **strategy.configuration(target, d),
    )


# Deployment strategies (issue 21): templates/strategy.py --------------------------------


def _add_strategy(
    t: Template, target: Target, cfg: ServiceConfig, svc: ecs.Service, region: str, account: str
) -> None:
    """The second target group, rule and role of a traffic-shifting strategy, and the
    generated alarms; called once _add_http has put the service behind the load balancer."""
    resources = t.resources
    primary, rule = resources["TargetGroup"], resources["ListenerRule"]
    d = cfg.deployment
    (lb,) = svc.LoadBalancers
    alternate = strategy.add_traffic_shift(t, target, d, primary, rule, lb, region, account)
    groups = [primary]
    if alternate is not None:
        groups.append(alternate)
    listener = rule.properties["ListenerArn"]
    # ECS checks the alarms exist when it takes the deployment configuration; with a traffic
    # shift, the service's AdvancedConfiguration names the rule already.
    alarms = strategy.add_generated_alarms(t, target, d, listener, groups)
    after = alarms if alternate is not None else [rule.title, *alarms]
    svc.DependsOn = after
    if not after:
        del svc.resource["DependsOn"]


def _add_http(
    t: Template,
    target: Target,
    container: str,
    h: HttpInterface,
    svc: ecs.Service,
    prefix: str = "",
) -> tuple[AWSObject, str]:
    """Returns the target group and the environment export of the listener its rule is on.
    `prefix` starts the logical IDs of a process other than web (processcfg.logical_prefix);
    its rule's priority hashes its own ECS service's name, so that it differs from web's."""
    env = target.environment_names
    target_group = t.add_resource(
        elb.TargetGroup(
            f"{prefix}TargetGroup",
            TargetType="ip",
            Protocol="HTTP",
            Port=h.container_port,
            VpcId=_import(env, envt.VPC_ID),
            HealthCheckPath=h.health_check_path,
            Matcher=elb.Matcher(HttpCode=h.health_check_matcher),
            HealthCheckIntervalSeconds=15,
            HealthyThresholdCount=2,
            UnhealthyThresholdCount=3,
            # The default 300 s drain makes every deploy wait five minutes for nothing.
            TargetGroupAttributes=[
                elb.TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")
            ],
            Tags=_tags(target),
        )
    )
    listener = envt.INTERNAL_LISTENER if h.internal else envt.LISTENER
    rule = t.add_resource(
        elb.ListenerRule(
            f"{prefix}ListenerRule",
            ListenerArn=_import(env, listener),
            Priority=listener_priority(target.ecs_service if prefix else target.name, h),
            Conditions=_conditions(h),
            Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(target_group))],
        )
    )
    svc.LoadBalancers = [
        ecs.LoadBalancer(
            ContainerName=container,
            ContainerPort=h.container_port,
            TargetGroupArn=Ref(target_group),
        )
    ]
    svc.HealthCheckGracePeriodSeconds = h.health_check_grace_period
    # ECS refuses a target group that no listener uses yet.
    svc.DependsOn = [rule.title]
    return target_group, listener


def _conditions(h: HttpInterface) -> list[elb.Condition]:
    conditions = []
    if h.hostnames:
        conditions.append(
            elb.Condition(
                Field="host-header", HostHeaderConfig=elb.HostHeaderConfig(Values=list(h.hostnames))
            )
        )
    if h.path_patterns or not h.hostnames:
        paths = list(h.path_patterns) or ["/*"]
        conditions.append(
            elb.Condition(
                Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(Values=paths)
            )
        )
    if h.restrict_access_to != OPEN_TO_ALL:
        conditions.append(
            elb.Condition(
                Field="source-ip",
                SourceIpConfig=elb.SourceIpConfig(Values=list(h.restrict_access_to)),
            )
        )
    return conditions


def _outputs(
    t: Template,
    svc: AWSObject,
    task_def: AWSObject,
    execution_role: AWSObject,
    task_role: AWSObject,
    log_group: AWSObject | None,
) -> None:
    t.add_output(Output("ServiceArn", Value=Ref(svc)))
    t.add_output(Output("ServiceName", Value=GetAtt(svc, "Name")))
    t.add_output(Output("TaskDefinitionArn", Value=Ref(task_def)))
    t.add_output(Output("ExecutionRoleArn", Value=GetAtt(execution_role, "Arn")))
    t.add_output(Output("TaskRoleArn", Value=GetAtt(task_role, "Arn")))
    if log_group is not None:
        t.add_output(Output("LogGroupName", Value=Ref(log_group)))
