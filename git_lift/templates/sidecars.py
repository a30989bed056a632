"""The sidecars' container definitions in the service stack's task definition, and what they
change in the app's (what it waits for, FireLens logs); pure.

Images come in pinned (`images`: a sidecar's name -> image@digest, resolved by the caller);
a sidecar's secrets are env.sample keys, passed as the app's are (`secrets`: key -> ARN).
"""

from __future__ import annotations

from troposphere import AWSObject, Ref, ecs

from git_lift import sidecarcfg
from git_lift.containercfg import HealthCheck
from git_lift.sidecarcfg import APP, LOG_ROUTER, Dependency, Sidecars


def containers(
    app: str,
    s: Sidecars,
    images: dict[str, str],
    secrets: dict[str, str],
    log_group: AWSObject | None,
    region: str,
    stream_prefix: str | None = None,
) -> list[ecs.ContainerDefinition]:
    """The log router's container first (the others wait for it), then each sidecar's;
    `stream_prefix`: their awslogs-stream-prefix (None: each its own name;
    Target.log_stream_prefix)."""
    found = []
    if s.log_router is not None:
        r = s.log_router
        found.append(
            ecs.ContainerDefinition(
                Name=LOG_ROUTER,
                Image=images.get(LOG_ROUTER, r.image),
                Essential=True,
                FirelensConfiguration=ecs.FirelensConfiguration(
                    Type=r.type, Options={"enable-ecs-log-metadata": "true"}
                ),
                **_logs(LOG_ROUTER, log_group, region, stream_prefix),
            )
        )
    for x in s.sidecars:
        props: dict[str, object] = {
            "Essential": x.essential,
            "Cpu": x.cpu,
            "Environment": [
                ecs.Environment(Name=k, Value=v) for k, v in sorted(x.environment.items())
            ],
            "Secrets": [ecs.Secret(Name=k, ValueFrom=secrets[k]) for k in sorted(x.secrets)],
            "PortMappings": [
                ecs.PortMapping(ContainerPort=p.container_port, Protocol=p.protocol)
                for p in x.port_mappings
            ],
            "DependsOn": depends_on(app, x.depends_on),
            **_logs(x.name, log_group, region, stream_prefix),
        }
        if x.command is not None:
            props["Command"] = list(x.command)
        if x.memory is not None:
            props["Memory"] = x.memory
        if x.health_check is not None:
            props["HealthCheck"] = health_check(x.health_check)
        kept = {k: v for k, v in props.items() if v != []}  # ECS's defaults, left out
        found.append(
            ecs.ContainerDefinition(Name=x.name, Image=images.get(x.name, x.image), **kept)
        )
    return found


def app_props(
    app: str,
    s: Sidecars,
    log_group: AWSObject | None,
    region: str,
    stream_prefix: str | None = None,
) -> dict[str, object]:
    """The app's DependsOn, and its awsfirelens log configuration when a router takes its logs."""
    props: dict[str, object] = {}
    waits = sidecarcfg.app_dependencies(s)
    if waits:
        props["DependsOn"] = depends_on(app, waits)
    if s.log_router is not None:
        props["LogConfiguration"] = ecs.LogConfiguration(
            LogDriver="awsfirelens", Options=dict(s.log_router.options)
        )
    elif log_group is not None:
        props.update(_logs(app, log_group, region, stream_prefix))
    return props


def depends_on(app: str, deps: tuple[Dependency, ...]) -> list[ecs.ContainerDependency]:
    return [
        ecs.ContainerDependency(
            ContainerName=app if d.container == APP else d.container, Condition=d.condition
        )
        for d in deps
    ]


def health_check(h: HealthCheck) -> ecs.HealthCheck:
    return ecs.HealthCheck(
        Command=list(h.command),
        Interval=h.interval,
        Timeout=h.timeout,
        Retries=h.retries,
        StartPeriod=h.start_period,
    )


def _logs(
    name: str, log_group: AWSObject | None, region: str, stream_prefix: str | None
) -> dict[str, object]:
    if log_group is None:
        return {}
    return {
        "LogConfiguration": ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(log_group),
                "awslogs-region": region,
                "awslogs-stream-prefix": stream_prefix or name,
            },
        )
    }
