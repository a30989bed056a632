"""The environment stack (`Environment.stack`): network, ECS cluster, shared load balancer, the
role CloudFormation changes the service stacks with (templates/environment_role.py) and the
log resource policy of the services' job runs (templates/job_runs_policy.py); pure.

The network is made here (VPC, subnets, internet gateway, routes, NAT), or, with `vpc_id`, an
existing VPC's subnets are used as they are and nothing of the network is made.

Service stacks find what they need through the exports `Environment.export` names; every
name comes from the `Environment`.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import (
    AWSObject,
    Export,
    GetAtt,
    GetAZs,
    Join,
    Output,
    Ref,
    Select,
    Sub,
    Tags,
    Template,
    ec2,
    ecs,
    events,
)
from troposphere import elasticloadbalancingv2 as elb

from git_lift.target import Environment
from git_lift.templates import checks, template_bucket
from git_lift.templates.environment_params import (
    ASSIGN_PUBLIC_IP,
    CLOUDFORMATION_ROLE,
    CLUSTER_ARN,
    CLUSTER_NAME,
    HTTP_LISTENER,
    HTTPS_LISTENER,
    INTERNAL_LISTENER,
    INTERNAL_LOAD_BALANCER_DNS,
    INTERNAL_LOAD_BALANCER_SG,
    LISTENER,
    LOAD_BALANCER_DNS,
    LOAD_BALANCER_SG,
    NOTIFICATION_TOPIC,
    PRIVATE_SUBNETS,
    PUBLIC_SUBNETS,
    TASK_SUBNETS,
    TEMPLATE_BUCKET,
    VPC_CIDR,
    VPC_ID,
    EnvironmentParams,
)
from git_lift.templates.environment_role import add_stack_role
from git_lift.templates.job_runs_policy import add_job_runs_policy

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
PROTOCOLS = {80: "HTTP", 443: "HTTPS"}

# Why a template is excused from a check (see templates/checks.py).
HTTP_ONLY = (
    "no certificate_arn: this environment serves plain HTTP on port 80 "
    "(git lift env update --certificate-arn ARN turns HTTPS on)"
)
REDIRECT_ONLY = "port 80 only redirects to HTTPS on port 443"
INSIDE_VPC = "internal load balancer: reachable only from the VPC's own address range"
NO_ACCESS_LOGS = (
    "no access_logs_bucket: access logs are off "
    "(git lift env update --access-logs-bucket BUCKET turns them on)"
)


@dataclass(frozen=True)
class _Network:
    """What the rest of the stack puts itself into: references to what this stack makes, or
    an existing VPC's ids."""

    vpc: object
    cidr: object
    public: list[object]
    private: list[object]


def environment_template(env: Environment, params: EnvironmentParams) -> Template:
    t = Template(
        Description=f"git lift environment {env.name}: network, ECS cluster, load balancer"
    )
    t.set_version("2010-09-09")
    net = _existing_network(params) if params.existing_vpc else _add_network(t, env, params)
    cluster = t.add_resource(_cluster(env))
    listener, http_listener, https_listener = _add_public_load_balancer(t, env, params, net)
    if params.internal_load_balancer:
        _add_internal_load_balancer(t, env, params, net)
    if params.notification_topic_arn:
        t.add_resource(_deployment_failures_rule(env, params.notification_topic_arn))
        _export(t, env, NOTIFICATION_TOPIC, params.notification_topic_arn)
    _export(t, env, VPC_ID, net.vpc)
    _export(t, env, VPC_CIDR, params.vpc_cidr)
    _export(t, env, PUBLIC_SUBNETS, Join(",", net.public))
    _export(t, env, PRIVATE_SUBNETS, Join(",", net.private))
    task_subnets = net.private if params.nat else net.public
    _export(t, env, TASK_SUBNETS, Join(",", task_subnets))
    _export(t, env, ASSIGN_PUBLIC_IP, "DISABLED" if params.nat else "ENABLED")
    templates = t.add_resource(template_bucket.bucket(env))
    _export(t, env, TEMPLATE_BUCKET, Ref(templates))
    _export(t, env, CLUSTER_NAME, Ref(cluster))
    _export(t, env, CLUSTER_ARN, GetAtt(cluster, "Arn"))
    _export(t, env, LISTENER, Ref(listener))
    _export(t, env, HTTP_LISTENER, Ref(http_listener))
    if https_listener is not None:
        _export(t, env, HTTPS_LISTENER, Ref(https_listener))
    titles = ("LoadBalancer", "InternalLoadBalancer")
    balancers = [t.resources[title] for title in titles if title in t.resources]
    role = add_stack_role(t, env, params.region, net.vpc, balancers)
    _export(t, env, CLOUDFORMATION_ROLE, GetAtt(role, "Arn"))
    add_job_runs_policy(t, env, params.region)
    return t


def _export(t: Template, env: Environment, key: str, value: object) -> None:
    t.add_output(Output(key, Value=value, Export=Export(env.export(key))))


def _tags(env: Environment, *name: str) -> Tags:
    """The Name tag `env.resource_name(*name)` and the environment tag."""
    return Tags({"Name": env.resource_name(*name), **env.tags})


def _add_network(t: Template, env: Environment, p: EnvironmentParams) -> _Network:
    vpc = t.add_resource(
        ec2.VPC(
            "Vpc",
            CidrBlock=p.vpc_cidr,
            EnableDnsSupport=True,
            EnableDnsHostnames=True,
            Tags=_tags(env),
        )
    )
    gateway = t.add_resource(ec2.InternetGateway("InternetGateway", Tags=_tags(env)))
    attachment = t.add_resource(
        ec2.VPCGatewayAttachment(
            "InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(gateway)
        )
    )
    public = [_subnet(t, env, vpc, "Public", i, c) for i, c in enumerate(p.public_subnet_cidrs)]
    private = [_subnet(t, env, vpc, "Private", i, c) for i, c in enumerate(p.private_subnet_cidrs)]
    public_routes = _route_table(t, env, vpc, "Public", public)
    t.add_resource(
        ec2.Route(
            "PublicDefaultRoute",
            RouteTableId=Ref(public_routes),
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref(gateway),
            DependsOn=attachment.title,
        )
    )
    private_routes = _route_table(t, env, vpc, "Private", private)
    if p.nat:
        # One NAT gateway, not one per zone: half the cost, for a small team's traffic.
        eip = t.add_resource(
            ec2.EIP(
                "NatAddress",
                Domain="vpc",
                DependsOn=attachment.title,
                Tags=_tags(env),
            )
        )
        nat = t.add_resource(
            ec2.NatGateway(
                "NatGateway",
                AllocationId=GetAtt(eip, "AllocationId"),
                SubnetId=Ref(public[0]),
                Tags=_tags(env),
            )
        )
        t.add_resource(
            ec2.Route(
                "PrivateDefaultRoute",
                RouteTableId=Ref(private_routes),
                DestinationCidrBlock="0.0.0.0/0",
                NatGatewayId=Ref(nat),
            )
        )
    return _Network(
        Ref(vpc), GetAtt(vpc, "CidrBlock"), [Ref(s) for s in public], [Ref(s) for s in private]
    )


def _existing_network(p: EnvironmentParams) -> _Network:
    return _Network(p.vpc_id, p.vpc_cidr, list(p.public_subnet_ids), list(p.private_subnet_ids))


def _subnet(
    t: Template, env: Environment, vpc: AWSObject, kind: str, i: int, cidr: str
) -> AWSObject:
    return t.add_resource(
        ec2.Subnet(
            f"{kind}Subnet{i + 1}",
            VpcId=Ref(vpc),
            CidrBlock=cidr,
            AvailabilityZone=Select(i, GetAZs("")),
            Tags=_tags(env, kind.lower(), str(i + 1)),
        )
    )


def _route_table(
    t: Template, env: Environment, vpc: AWSObject, kind: str, subnets: list[AWSObject]
) -> AWSObject:
    table = t.add_resource(
        ec2.RouteTable(f"{kind}RouteTable", VpcId=Ref(vpc), Tags=_tags(env, kind.lower()))
    )
    for i, subnet in enumerate(subnets):
        t.add_resource(
            ec2.SubnetRouteTableAssociation(
                f"{kind}Subnet{i + 1}RouteTable", RouteTableId=Ref(table), SubnetId=Ref(subnet)
            )
        )
    return table


def _cluster(env: Environment) -> ecs.Cluster:
    return ecs.Cluster(
        "Cluster",
        ClusterName=env.cluster,
        ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value="enabled")],
        CapacityProviders=["FARGATE", "FARGATE_SPOT"],
        DefaultCapacityProviderStrategy=[
            ecs.CapacityProviderStrategyItem(CapacityProvider="FARGATE", Weight=1)
        ],
        Tags=Tags({"Name": env.cluster, **env.tags}),
    )


def _add_public_load_balancer(
    t: Template, env: Environment, p: EnvironmentParams, net: _Network
) -> tuple[AWSObject, AWSObject, AWSObject | None]:
    """The shared internet-facing ALB; returns (listener for rules, HTTP, HTTPS listener)."""
    ports = [80, 443] if p.certificate_arn else [80]
    sg = _ingress_group("LoadBalancer", env, "public", net.vpc, ports, ("0.0.0.0/0", "anywhere"))
    t.add_resource(checks.skip(sg, checks.INGRESS_PORT_80_OPEN, _port_80_reason(p)))
    lb = t.add_resource(
        _load_balancer("LoadBalancer", env, "internet-facing", sg, net.public, p.access_logs_bucket)
    )
    _export(t, env, LOAD_BALANCER_SG, Ref(sg))
    _export(t, env, LOAD_BALANCER_DNS, GetAtt(lb, "DNSName"))
    if not p.certificate_arn:
        http = t.add_resource(
            _plain_http(_listener("HttpListener", lb, 80, [_not_found()]), HTTP_ONLY)
        )
        return http, http, None
    https = t.add_resource(
        _listener(
            "HttpsListener",
            lb,
            443,
            [_not_found()],
            Protocol="HTTPS",
            SslPolicy=SSL_POLICY,
            Certificates=[elb.Certificate(CertificateArn=p.certificate_arn)],
        )
    )
    redirect = elb.Action(
        Type="redirect",
        RedirectConfig=elb.RedirectConfig(Protocol="HTTPS", Port="443", StatusCode="HTTP_301"),
    )
    http = t.add_resource(_listener("HttpListener", lb, 80, [redirect]))
    return https, http, https


def _port_80_reason(p: EnvironmentParams) -> str:
    return REDIRECT_ONLY if p.certificate_arn else HTTP_ONLY


def _plain_http(listener: elb.Listener, reason: str) -> elb.Listener:
    checks.skip(listener, checks.LISTENER_HTTPS, reason)
    return checks.skip(listener, checks.LISTENER_TLS, reason)


def _add_internal_load_balancer(
    t: Template, env: Environment, p: EnvironmentParams, net: _Network
) -> None:
    vpc_cidr = (net.cidr, "the VPC")
    sg = t.add_resource(
        _ingress_group("InternalLoadBalancer", env, "internal", net.vpc, [80], vpc_cidr)
    )
    lb = t.add_resource(
        _load_balancer(
            "InternalLoadBalancer", env, "internal", sg, net.private, p.access_logs_bucket
        )
    )
    listener = t.add_resource(
        _plain_http(_listener("InternalListener", lb, 80, [_not_found()]), INSIDE_VPC)
    )
    _export(t, env, INTERNAL_LOAD_BALANCER_SG, Ref(sg))
    _export(t, env, INTERNAL_LOAD_BALANCER_DNS, GetAtt(lb, "DNSName"))
    _export(t, env, INTERNAL_LISTENER, Ref(listener))


def _ingress_group(
    prefix: str,
    env: Environment,
    kind: str,
    vpc: object,
    ports: list[int],
    source: tuple[object, str],
) -> ec2.SecurityGroup:
    """The security group of a load balancer: the listener ports, open to `source`, a CIDR and
    the words that describe it."""
    cidr, described = source
    return ec2.SecurityGroup(
        f"{prefix}SecurityGroup",
        GroupDescription=f"git lift {env.name}: {kind} load balancer",
        VpcId=vpc,
        Tags=_tags(env, kind, "alb"),
        SecurityGroupIngress=[
            ec2.SecurityGroupRule(
                IpProtocol="tcp",
                FromPort=port,
                ToPort=port,
                CidrIp=cidr,
                Description=f"{PROTOCOLS[port]} from {described}",
            )
            for port in ports
        ],
    )


def _load_balancer(
    title: str,
    env: Environment,
    scheme: str,
    sg: AWSObject,
    subnets: list[object],
    access_logs_bucket: str | None,
) -> elb.LoadBalancer:
    # Requests with malformed headers are dropped rather than passed to the services.
    attributes = {"routing.http.drop_invalid_header_fields.enabled": "true"}
    if access_logs_bucket:
        attributes |= {
            "access_logs.s3.enabled": "true",
            "access_logs.s3.bucket": access_logs_bucket,
            "access_logs.s3.prefix": f"{env.access_log_prefix}/{scheme}",
        }
    lb = elb.LoadBalancer(
        title,
        Type="application",
        Scheme=scheme,
        Subnets=subnets,
        SecurityGroups=[Ref(sg)],
        LoadBalancerAttributes=[
            elb.LoadBalancerAttributes(Key=k, Value=v) for k, v in attributes.items()
        ],
        Tags=_tags(env),
    )
    if not access_logs_bucket:
        checks.skip(lb, checks.LOAD_BALANCER_ACCESS_LOGS, NO_ACCESS_LOGS)
    return lb


def _listener(
    title: str, lb: AWSObject, port: int, actions: list[elb.Action], **extra: object
) -> elb.Listener:
    props: dict[str, object] = {"Protocol": "HTTP", **extra}
    return elb.Listener(title, LoadBalancerArn=Ref(lb), Port=port, DefaultActions=actions, **props)


def _not_found() -> elb.Action:
    return elb.Action(
        Type="fixed-response",
        FixedResponseConfig=elb.FixedResponseConfig(
            StatusCode="404",
            ContentType="text/plain",
            MessageBody="no service matches this request",
        ),
    )


def _deployment_failures_rule(env: Environment, topic_arn: str) -> events.Rule:
    """Failed deployments of this cluster's services go to the topic.

    The topic's policy must let events.amazonaws.com publish; it is not this stack's to change.
    """
    service_arns = Sub(
        f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/{env.cluster}/"
    )
    return events.Rule(
        "DeploymentFailures",
        Description=f"git lift {env.name}: failed ECS deployments",
        EventPattern={
            "source": ["aws.ecs"],
            "detail-type": ["ECS Deployment State Change"],
            "resources": [{"prefix": service_arns}],
            "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
        },
        Targets=[events.Target(Id="NotificationTopic", Arn=topic_arn)],
    )
