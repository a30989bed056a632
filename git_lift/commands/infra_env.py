"""`git lift env create|update|show|list|delete`: the environment stack (`Environment.stack`)
and its record in the table."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import time
from dataclasses import dataclass
from typing import Any

from git_lift import ui
from git_lift.aws.store import EnvironmentRecord
from git_lift.errors import UsageError
from git_lift.flows.context import Context, in_parallel
from git_lift.flows.environment_record import (
    caller_account,
    deploy_environment,
    find_record,
    records_in,
    require_creatable,
    require_record,
    save_record,
    stack_region,
    stack_status,
    with_existing_vpc,
)
from git_lift.flows.environment_teardown import delete_environment
from git_lift.flows.infra_stack import DEFAULT_TIMEOUT
from git_lift.flows.release import deployer
from git_lift.settings import EnvironmentSettings
from git_lift.target import Environment
from git_lift.templates.environment_params import (
    LOAD_BALANCER_DNS,
    SUBNET_ID_FORM,
    VPC_ID_FORM,
    EnvironmentParams,
    check_params,
)

VPC_EXAMPLE = "vpc-0123456789abcdef0"


@dataclass(frozen=True)
class EnvFlags:
    """What the command line says; None leaves a setting as it is (or asks, on create)."""

    vpc_cidr: str | None = None
    vpc_id: str | None = None  # an existing VPC: the subnets are its subnets' ids
    public_subnets: tuple[str, ...] | None = None  # two CIDRs, or ids (`subnet-...`)
    private_subnets: tuple[str, ...] | None = None
    nat: bool | None = None
    certificate_arn: str | None = None  # "" removes it
    notification_topic_arn: str | None = None  # "" removes it
    internal_load_balancer: bool | None = None
    access_logs_bucket: str | None = None  # "" turns access logs off
    timeout: float = DEFAULT_TIMEOUT


def parse_pair(value: str, option: str) -> tuple[str, str]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        raise UsageError(
            f"{option} takes two CIDRs, one per availability zone: {value!r}",
            hint=f"{option} 10.0.0.0/22,10.0.4.0/22",
        )
    return parts[0], parts[1]


def parse_subnets(value: str, option: str) -> tuple[str, ...]:
    """Two CIDRs of a new VPC's subnets, or the ids of two or more of an existing VPC's."""
    parts = tuple(p.strip() for p in value.split(","))
    if not any(p.startswith("subnet-") for p in parts):
        return parse_pair(value, option)
    if len(set(parts)) < 2 or not all(SUBNET_ID_FORM.match(p) for p in parts):
        raise UsageError(
            f"{option} takes the ids of two or more subnets of the VPC, in two zones: {value!r}",
            hint=f"{option} subnet-0123456789abcdef0,subnet-0123456789abcdef1",
        )
    return parts


def subnet_ids(value: tuple[str, ...]) -> bool:
    return value[0].startswith("subnet-")


def default_subnets(vpc_cidr: str) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """Subnets that fit a VPC: two small public ones in its first sixteenth, two private ones
    of a sixteenth each after it (10.0.0.0/16 -> the defaults). None when it is too small."""
    try:
        vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    except ValueError:
        return None
    if vpc.prefixlen > 22:
        return None
    sixteenths = list(vpc.subnets(prefixlen_diff=4))
    public = list(sixteenths[0].subnets(prefixlen_diff=2))
    return (str(public[0]), str(public[1])), (str(sixteenths[1]), str(sixteenths[2]))


def apply_flags(base: EnvironmentParams, flags: EnvFlags) -> EnvironmentParams:
    """`base` with the flags given; a new VPC range brings new default subnets."""
    changes: dict[str, Any] = {}
    if flags.vpc_cidr is not None and flags.vpc_cidr != base.vpc_cidr:
        changes["vpc_cidr"] = flags.vpc_cidr
        derived = default_subnets(flags.vpc_cidr)
        if derived is not None:
            changes["public_subnet_cidrs"], changes["private_subnet_cidrs"] = derived
    if flags.vpc_id is not None:
        changes["vpc_id"] = flags.vpc_id
    for kind, subnets in (("public", flags.public_subnets), ("private", flags.private_subnets)):
        if subnets is not None:
            form = "ids" if subnet_ids(subnets) else "cidrs"
            changes[f"{kind}_subnet_{form}"] = subnets
    if flags.nat is not None:
        changes["nat"] = flags.nat
    if flags.certificate_arn is not None:
        changes["certificate_arn"] = flags.certificate_arn or None
    if flags.notification_topic_arn is not None:
        changes["notification_topic_arn"] = flags.notification_topic_arn or None
    if flags.internal_load_balancer is not None:
        changes["internal_load_balancer"] = flags.internal_load_balancer
    if flags.access_logs_bucket is not None:
        changes["access_logs_bucket"] = flags.access_logs_bucket or None
    return dataclasses.replace(base, **changes)


def ask_params(params: EnvironmentParams, flags: EnvFlags) -> EnvironmentParams:
    """On a terminal, ask for each setting the flags leave open; the defaults work. An
    existing VPC's network is the flags' alone."""
    if not params.existing_vpc:
        params = ask_network(params, flags)
    if flags.nat is None:
        answer = ui.ask("NAT gateway, so tasks run in private subnets (yes/no)", "yes")
        params = dataclasses.replace(params, nat=answer.strip().lower() in ("y", "yes", "true"))
    if flags.certificate_arn is None:
        cert = ui.ask("ACM certificate ARN for HTTPS (empty: HTTP only)", "")
        params = dataclasses.replace(params, certificate_arn=cert.strip() or None)
    if flags.notification_topic_arn is None:
        topic = ui.ask("SNS topic ARN for failed deployments (empty: none)", "")
        params = dataclasses.replace(params, notification_topic_arn=topic.strip() or None)
    return params


def ask_network(params: EnvironmentParams, flags: EnvFlags) -> EnvironmentParams:
    if flags.vpc_cidr is None:
        vpc = ui.ask("VPC CIDR", params.vpc_cidr)
        params = apply_flags(params, EnvFlags(vpc_cidr=vpc))
    if flags.public_subnets is None:
        answer = ui.ask("Public subnets (two zones)", ",".join(params.public_subnet_cidrs))
        params = dataclasses.replace(
            params, public_subnet_cidrs=parse_pair(answer, "public subnets")
        )
    if flags.private_subnets is None:
        answer = ui.ask("Private subnets (two zones)", ",".join(params.private_subnet_cidrs))
        params = dataclasses.replace(
            params, private_subnet_cidrs=parse_pair(answer, "private subnets")
        )
    return params


def params_to_dict(params: EnvironmentParams) -> dict[str, Any]:
    return dataclasses.asdict(params)


def params_from_dict(raw: dict[str, Any]) -> EnvironmentParams:
    known = {f.name for f in dataclasses.fields(EnvironmentParams)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in known
    }
    return EnvironmentParams(**values)


def environment(ctx: Context, name: str) -> Environment:
    """The environment `-e` names (checked: declared, valid name)."""
    return Environment(ctx.environment(name))


def new_record(
    env: Environment, params: EnvironmentParams, account: str, who: str, now: float
) -> EnvironmentRecord:
    return EnvironmentRecord(
        env.name, params.region, account, env.stack, {}, {}, who, now, who, now
    )


def create(ctx: Context, name: str, flags: EnvFlags, *, ask: bool = True) -> int:
    """`ask`: on a terminal, ask for the network's settings (setup takes the defaults)."""
    env = environment(ctx, name)
    region = require_creatable(ctx, env)
    params = apply_flags(EnvironmentParams(region=region), flags)
    if ask and ui.interactive() and not ctx.options.yes:
        flagged = "run it again, or give the settings as flags (see: git lift env create -h)"
        with ui.prompted("nothing was created", hint=flagged):
            params = ask_params(params, flags)
    check_params(params)
    params = with_existing_vpc(ctx, env, params)
    account = caller_account(ctx, env.name)
    outputs = deploy_environment(ctx, env, params, flags.timeout)
    record = new_record(env, params, account, deployer(ctx), time.time())
    record = dataclasses.replace(record, params=params_to_dict(params), outputs=outputs)
    save_record(ctx, record, create=True)
    ui.info(f"environment {env.name} is ready: cluster {env.cluster}")
    if outputs.get(LOAD_BALANCER_DNS):
        ui.info(f"load balancer: {outputs[LOAD_BALANCER_DNS]}")
    ui.hint(next_step(ctx.environment(name)))
    return 0


def next_step(settings: EnvironmentSettings) -> str:
    """After env create: a preview environment's services are made by pushing a branch it
    previews (the pre-push hook), never by `service create`."""
    if settings.preview is None:
        return f"next: git lift service create -e {settings.name}"
    refs = ", ".join(settings.refs)
    return f"next: push a branch it previews ({refs}): git push origin BRANCH"


def update(ctx: Context, name: str, flags: EnvFlags) -> int:
    env = environment(ctx, name)
    record = find_record(ctx, env.name)
    if record is None:
        ui.warn(f"git lift has no record of {env.name}; using the flags and the defaults")
        base = EnvironmentParams(region=stack_region(ctx, env.name))
    else:
        base = params_from_dict(record.params)
    params = apply_flags(base, flags)
    if record is not None and params.vpc_id != base.vpc_id:
        raise UsageError(
            f"environment {env.name} is in {base.vpc_id or 'the VPC git lift made for it'}; "
            "an environment's VPC does not change",
            hint="create another environment in the other VPC",
        )
    check_params(params)
    params = with_existing_vpc(ctx, env, params)
    outputs = deploy_environment(ctx, env, params, flags.timeout)
    who, now = deployer(ctx), time.time()
    if record is None:
        record = new_record(env, params, caller_account(ctx, env.name), who, now)
    updated = dataclasses.replace(
        record,
        params=params_to_dict(params),
        outputs=outputs or record.outputs,
        updated_by=who,
        updated_at=now,
    )
    save_record(ctx, updated, create=False)
    ui.info(f"environment {env.name} is up to date")
    return 0


def show(ctx: Context, name: str) -> int:
    env = environment(ctx, name)
    record = require_record(ctx, env.name)
    status = stack_status(ctx, env.name, record)
    if ctx.options.output == "json":
        ui.out(json.dumps({**dataclasses.asdict(record), "status": status}, indent=2))
        return 0
    params = params_from_dict(record.params)
    ui.out(f"environment {env.name}: stack {record.stack} {status}")
    ui.out(f"  region        {record.region} (account {record.account})")
    ui.out(f"  cluster       {env.cluster}")
    if params.vpc_id is not None:
        where = "private subnets" if params.nat else "public subnets, public IPs"
        ui.out(f"  vpc           {params.vpc_id} ({params.vpc_cidr}, existing), tasks in {where}")
        ui.out(f"  public        {', '.join(params.public_subnet_ids)}")
        ui.out(f"  private       {', '.join(params.private_subnet_ids)}")
    else:
        ui.out(f"  vpc           {params.vpc_cidr}, NAT {'on' if params.nat else 'off'}")
        ui.out(f"  public        {', '.join(params.public_subnet_cidrs)}")
        ui.out(f"  private       {', '.join(params.private_subnet_cidrs)}")
    ui.out(f"  https         {params.certificate_arn or 'off'}")
    ui.out(f"  notifications {params.notification_topic_arn or 'off'}")
    ui.out(f"  access logs   {params.access_logs_bucket or 'off'}")
    if record.outputs.get(LOAD_BALANCER_DNS):
        ui.out(f"  load balancer {record.outputs[LOAD_BALANCER_DNS]}")
    ui.out(f"  created       {ui.when(record.created_at)} by {record.created_by}")
    ui.out(f"  updated       {ui.when(record.updated_at)} by {record.updated_by}")
    return 0


def list_environments(ctx: Context) -> int:
    asked: list[str | None] = [*sorted(ctx.settings.environments), None]
    groups = in_parallel(asked, lambda name: records_in(ctx, name))
    records = {r.name: r for group in groups for r in group}
    names = sorted(set(records) | set(ctx.settings.environments))
    if ctx.options.output == "json":
        found = [dataclasses.asdict(records[n]) for n in names if n in records]
        ui.out(json.dumps(found, indent=2))
        return 0
    for name in names:
        record = records.get(name)
        if record is None:
            ui.out(f"{name:<16} not created  (git lift env create -e {name})")
        else:
            ui.out(
                f"{name:<16} {record.region:<14} {record.stack:<24} "
                f"updated {ui.when(record.updated_at)} by {record.updated_by}"
            )
    return 0


def flags(
    *,
    vpc_cidr: str | None,
    vpc_id: str | None,
    public_subnets: str | None,
    private_subnets: str | None,
    nat: bool | None,
    certificate_arn: str | None,
    notification_topic_arn: str | None,
    internal_load_balancer: bool | None,
    access_logs_bucket: str | None,
    timeout: float,
) -> EnvFlags:
    """The command line's values, checked before anything reaches AWS."""
    public = parse_subnets(public_subnets, "--public-subnets") if public_subnets else None
    private = parse_subnets(private_subnets, "--private-subnets") if private_subnets else None
    if vpc_id is not None:
        check_vpc_flags(vpc_id, vpc_cidr, public, private)
    return EnvFlags(
        vpc_cidr=vpc_cidr,
        vpc_id=vpc_id,
        public_subnets=public,
        private_subnets=private,
        nat=nat,
        certificate_arn=certificate_arn,
        notification_topic_arn=notification_topic_arn,
        internal_load_balancer=internal_load_balancer,
        access_logs_bucket=access_logs_bucket,
        timeout=timeout,
    )


def check_vpc_flags(
    vpc_id: str,
    vpc_cidr: str | None,
    public: tuple[str, ...] | None,
    private: tuple[str, ...] | None,
) -> None:
    """An existing VPC comes with its subnets' ids, and its range is its own."""
    example = (
        f"--vpc-id {VPC_EXAMPLE} "
        "--public-subnets subnet-0123456789abcdef0,subnet-0123456789abcdef1 "
        "--private-subnets subnet-0123456789abcdef2,subnet-0123456789abcdef3"
    )
    if not VPC_ID_FORM.match(vpc_id):
        raise UsageError(f"--vpc-id {vpc_id!r} is not a VPC id", hint=example)
    if vpc_cidr is not None:
        raise UsageError("--vpc-cidr is for a VPC git lift makes, not with --vpc-id", hint=example)
    if not public or not private or not subnet_ids(public) or not subnet_ids(private):
        raise UsageError(
            "--vpc-id needs the ids of its public and private subnets (subnet-...)", hint=example
        )


def delete(ctx: Context, name: str, timeout: float) -> int:
    """Refused while services live in it; otherwise its stack, then its record."""
    return delete_environment(ctx, name, timeout)
