"""A matrix of environment and service configs, and their templates rendered to dicts, shared
by the template tests (cfn-lint, golden files, moto) and the checkov tests."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from git_lift import servicecfg as sc
from git_lift.containercfg import HealthCheck, Ulimit
from git_lift.flows.previews import preview_config
from git_lift.jobcfg import Job
from git_lift.settings import EnvironmentSettings, PreviewPolicy, ServiceSettings
from git_lift.strategycfg import GENERATED, Canary, Linear
from git_lift.target import preview_target
from git_lift.templates import to_json
from git_lift.templates.environment import environment_template
from git_lift.templates.environment_params import EnvironmentParams
from git_lift.templates.service import service_template
from tests.support.infra import environment, target

REGION = "eu-west-1"
ACCOUNT = "123456789012"
CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0b5e9a3c-1f2d-4e5f-8a9b-0c1d2e3f4a5b"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:lift-alerts"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOGS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5678efab-12ab-34cd-56ef-1234567890ab"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api@sha256:" + "a" * 64

BASE = sc.parse(sc.default_document(production=False))
assert BASE.http_interface is not None
HTTP = BASE.http_interface

ENVIRONMENTS = {
    "default-nat": EnvironmentParams(),
    "no-nat": EnvironmentParams(nat=False),
    "https": EnvironmentParams(certificate_arn=CERT),
    "everything": EnvironmentParams(
        region="us-east-1",
        vpc_cidr="172.20.0.0/16",
        public_subnet_cidrs=("172.20.0.0/24", "172.20.1.0/24"),
        private_subnet_cidrs=("172.20.128.0/18", "172.20.192.0/18"),
        nat=False,
        certificate_arn=CERT.replace(REGION, "us-east-1"),
        notification_topic_arn=TOPIC.replace(REGION, "us-east-1"),
        internal_load_balancer=True,
        access_logs_bucket="acme-alb-logs",
    ),
    "internal-no-access-logs": EnvironmentParams(internal_load_balancer=True),
    "existing-vpc": EnvironmentParams(
        vpc_cidr="172.31.0.0/16",
        vpc_id="vpc-0a1b2c3d4e5f60718",
        public_subnet_ids=("subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"),
        private_subnet_ids=("subnet-0a1b2c3d4e5f60721", "subnet-0a1b2c3d4e5f60722"),
        certificate_arn=CERT,
        internal_load_balancer=True,
    ),
}

EFS = (
    sc.EfsVolume("fs-0123456789abcdef0", "/data", security_group_id="sg-0123456789abcdef0"),
    sc.EfsVolume(
        "fs-0123456789abcdef1",
        "/shared",
        access_point_id="fsap-0123456789abcdef0",
        read_only=True,
        security_group_id="sg-0123456789abcdef0",
    ),
)
# The README's "How to grant an S3 bucket, an SQS queue and SES", as a service config holds it.
APP_PERMISSIONS = (
    {
        "Sid": "Uploads",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::acme-uploads/*",
    },
    {
        "Sid": "UploadsList",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::acme-uploads",
    },
    {
        "Sid": "Jobs",
        "Effect": "Allow",
        "Action": [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
            "sqs:SendMessage",
        ],
        "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-jobs",
    },
    {
        "Sid": "Mail",
        "Effect": "Allow",
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.com",
        "Condition": {"StringEquals": {"ses:FromAddress": "noreply@example.com"}},
    },
)
MANAGED_POLICIES = ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",)
# Sidecars (issue 21): a database proxy the app waits for (healthy), a metrics agent that may stop,
# and FireLens routing the app's logs to CloudWatch through Fluent Bit.
FLUENT_BIT_PINNED = "public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:" + "d" * 64
PROXY_IMAGE = "public.ecr.aws/envoyproxy/envoy@sha256:" + "b" * 64
SIDECARS_DOC: dict[str, Any] = {
    "cpu": 512,
    "memory": 1024,
    "sidecars": [
        {
            "name": "proxy",
            "image": PROXY_IMAGE,
            "port_mappings": [{"container_port": 9901}],
            "environment": {"ENVOY_UID": "0"},
            "secrets": ["DATABASE_URL"],  # a database proxy
            "health_check": {"command": ["CMD-SHELL", "curl -f http://localhost:9901/ready"]},
            "cpu": 128,
            "memory": 256,
        },
        {
            "name": "metrics",
            "image": "public.ecr.aws/cloudwatch-agent/cloudwatch-agent@sha256:" + "c" * 64,
            "essential": False,
            "depends_on": [{"container": "app", "condition": "START"}],
            "cpu": 64,
            "memory": 128,
        },
    ],
    "depends_on": [{"container": "proxy", "condition": "HEALTHY"}],
    "log_router": {
        "type": "fluentbit",
        "options": {
            "Name": "cloudwatch_logs",
            "region": REGION,
            "log_group_name": "/app/api",
            "log_stream_prefix": "api-",
        },
    },
}

JOBS = {
    "nightly-report": Job(
        command=("bin/report", "--yesterday"),
        schedule="cron(0 3 * * ? *)",
        timezone="Europe/Paris",
        cpu=512,
        memory=1024,
    ),
    "sweep": Job(command=("bin/sweep",), schedule="rate(15 minutes)"),
}

PROCESSES_DOC: dict[str, Any] = {
    "processes": {
        "worker": {
            "command": ["python", "-m", "worker"],
            "cpu": 512,
            "memory": 1024,
            "desired_count": 2,
            "autoscaling": {"min": 1, "max": 5, "queue": {"name": "jobs"}},
            "capacity": [{"provider": "FARGATE_SPOT", "weight": 1}],
        },
        "mailer": {"command": ["bin/mailer"]},
        "hooks": {
            "command": ["bin/hooks"],
            "http_interface": {"container_port": 8080, "path_patterns": ["/hooks/*"]},
            "autoscaling": {"min": 1, "max": 3, "requests_per_target": 100},
        },
    }
}
SERVICES = {
    "http-public": BASE,
    "http-public-autoscaling": dataclasses.replace(
        BASE, desired_count=2, autoscaling=sc.Autoscaling(min=2, max=8, cpu_target=60)
    ),
    "http-internal": dataclasses.replace(
        BASE,
        http_interface=dataclasses.replace(
            HTTP,
            internal=True,
            container_port=8080,
            hostnames=("api.internal.example.com",),
            path_patterns=("/v1/*",),
            restrict_access_to=("10.0.0.0/8",),
        ),
    ),
    "worker": dataclasses.replace(BASE, http_interface=None, command=("python", "-m", "worker")),
    "worker-autoscaling-no-logs-no-exec": dataclasses.replace(
        BASE,
        http_interface=None,
        autoscaling=sc.Autoscaling(min=0, max=3, cpu_target=80),
        logging=sc.Logging(driver="none"),
        ecs_exec=False,
    ),
    "efs": dataclasses.replace(BASE, volumes=EFS),
    "encrypted-logs": dataclasses.replace(BASE, logging=sc.Logging(kms_key_arn=LOGS_KEY)),
    "large": dataclasses.replace(BASE, cpu=16384, memory=122880),
    # Every container field of issue 20 set, on ARM, behind a load balancer with its own check.
    "container": dataclasses.replace(
        BASE,
        http_interface=dataclasses.replace(
            HTTP, health_check_matcher="200,204", health_check_grace_period=120
        ),
        environment={"LOG_FORMAT": "json", "WORKERS": "4"},
        health_check=HealthCheck(
            ("CMD-SHELL", "curl -f http://localhost/ || exit 1"), 10, 3, 2, 20
        ),
        entrypoint=("/bin/app",),
        command=("serve",),
        stop_timeout=90,
        ulimits=(Ulimit("nofile", 65536, 65536),),
        readonly_root_filesystem=True,
        cpu_architecture="ARM64",
    ),
    "app-permissions": dataclasses.replace(
        BASE, permissions=APP_PERMISSIONS, managed_policies=MANAGED_POLICIES
    ),
    # scaling: every autoscaling target, cooldowns, and FARGATE_SPOT with a FARGATE base.
    "scaling": dataclasses.replace(
        BASE,
        desired_count=2,
        autoscaling=sc.Autoscaling(
            min=2,
            max=20,
            cpu_target=70,
            memory_target=80,
            requests_per_target=500,
            queue=sc.QueueTarget(f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-jobs", 20),
            scale_out_cooldown=30,
            scale_in_cooldown=600,
        ),
        capacity=(sc.CapacityItem("FARGATE", 1, 2), sc.CapacityItem("FARGATE_SPOT", 3, 0)),
    ),
    "worker-queue-spot": dataclasses.replace(
        BASE,
        http_interface=None,
        autoscaling=sc.Autoscaling(
            min=1, max=5, cpu_target=None, queue=sc.QueueTarget("acme-jobs", 10)
        ),
        capacity=(sc.CapacityItem("FARGATE_SPOT", 1, 0),),
    ),
    "sidecars": sc.parse({**sc.default_document(production=False), **SIDECARS_DOC}),
    # Scheduled jobs (issue 21): a sized cron job in a timezone, a rate job of the service's size.
    "jobs": dataclasses.replace(BASE, jobs=JOBS),
    # Deployment strategies (issue 21): a canary with the generated alarms, blue/green with
    # named alarms, linear without alarms.
    "canary": dataclasses.replace(
        BASE,
        deployment=sc.Deployment(
            strategy="canary", bake_minutes=5, canary=Canary(10, 5), alarms=GENERATED
        ),
    ),
    "blue-green": dataclasses.replace(
        BASE,
        deployment=sc.Deployment(strategy="blue_green", bake_minutes=15, alarms=("api-p99",)),
    ),
    "linear": dataclasses.replace(
        BASE, deployment=sc.Deployment(strategy="linear", linear=Linear(20, 2))
    ),
    # Processes (issue 21): web, a worker scaled on its queue on spot, a plain one, and a
    # process behind the load balancer on its own path, scaled on its requests.
    "processes": sc.parse({**sc.default_document(production=False), **PROCESSES_DOC}),
}


def secrets_for(service: str, *keys: str) -> dict[str, str]:
    return {k: f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/staging/{service}/{k}" for k in keys}


def render_service(cfg: sc.ServiceConfig, service: str = "api", **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "image": IMAGE,
        "secrets": secrets_for(service, "DATABASE_URL", "API_KEY"),
        "region": REGION,
        "account_id": ACCOUNT,
        "kms_key_arn": KMS_KEY,
    }
    container = overrides.pop("container", None)
    kwargs.update(overrides)
    rendered: dict[str, Any] = json.loads(
        to_json(service_template(target("staging", service, container), cfg, **kwargs))
    )
    return rendered


def render_env(params: EnvironmentParams, env: str = "staging") -> dict[str, Any]:
    rendered: dict[str, Any] = json.loads(to_json(environment_template(environment(env), params)))
    return rendered


# A preview's base (issue 23), a busy one: autoscaling, jobs, a release command, the app's own
# permissions, a worker.
PREVIEW_BASE = dataclasses.replace(
    BASE,
    processes=sc.parse({**sc.default_document(production=False), **PROCESSES_DOC}).processes,
    desired_count=3,
    autoscaling=sc.Autoscaling(min=3, max=9, cpu_target=60),
    jobs=JOBS,
    release_command=("bin/rails", "db:migrate"),
    permissions=APP_PERMISSIONS,
    managed_policies=MANAGED_POLICIES,
)
# previewProcesses: the base's worker, mailer and hooks (an HTTP process).
PREVIEW_PROCESSES = ("worker", "mailer", "hooks")


def render_preview(domain: str | None = None, processes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The template of PREVIEW_BASE's preview `checkout`, its listener rule on `domain`'s host."""
    rules = PreviewPolicy("staging", 7 * 86400.0, 10, domain, processes)
    preview = EnvironmentSettings("preview", ("refs/heads/feature/*",), preview=rules)
    staging = EnvironmentSettings("staging", ("refs/heads/main",))
    service = ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "api")
    t = preview_target(preview, staging, service, "refs/heads/feature/checkout", frozenset({"B"}))
    cfg = preview_config(PREVIEW_BASE, rules, "checkout")
    secrets = {key: t.config_arn(key, REGION, ACCOUNT) for key in ("A", "B")}
    template = service_template(
        t, cfg, image=IMAGE, secrets=secrets, region=REGION, account_id=ACCOUNT,
        kms_key_arn=KMS_KEY,
    )  # fmt: skip
    rendered: dict[str, Any] = json.loads(to_json(template))
    return rendered
