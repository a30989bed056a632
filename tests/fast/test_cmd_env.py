"""`git lift env create|update|show|list` in-process (commands/infra_env.py and
flows/environment_record.py) on FakeAws: the stack and the record an environment gets, what
show and list print, and each refusal before a stack changes (it exists, a stack without a
record, a VPC that cannot change, subnets that do not fit an existing VPC, malformed flags)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift.aws.network import Subnet
from git_lift.commands import infra_env
from git_lift.commands.infra_env import EnvFlags
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.options import Options
from git_lift.templates.environment_params import EnvironmentParams
from tests.support.fakes import FakeStack, InProcess, in_process

VPC = "vpc-0123456789abcdef0"
PUBLIC = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
PRIVATE = ("subnet-0123456789abcdef2", "subnet-0123456789abcdef3")


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, options=Options(yes=True))


def created(box: InProcess, flags: EnvFlags | None = None) -> None:
    assert infra_env.create(box.ctx, "staging", flags or EnvFlags(), ask=False) == 0


def record(box: InProcess, env: str = "staging") -> dict[str, object]:
    found = box.aws.store.environment(env)
    assert found is not None, f"no record of {env}"
    return found.params


def existing_vpc(box: InProcess, zones: tuple[str, ...] = ("a", "b", "a", "b")) -> None:
    box.aws.vpcs[VPC] = "172.31.0.0/16"
    for subnet, zone in zip((*PUBLIC, *PRIVATE), zones, strict=True):
        box.aws.subnets[subnet] = Subnet(subnet, VPC, f"eu-west-1{zone}")


def vpc_flags(**more: object) -> EnvFlags:
    return infra_env.flags(
        vpc_cidr=None,
        vpc_id=VPC,
        public_subnets=",".join(PUBLIC),
        private_subnets=",".join(PRIVATE),
        nat=None,
        certificate_arn=None,
        notification_topic_arn=None,
        internal_load_balancer=None,
        access_logs_bucket=None,
        timeout=60.0,
        **more,  # type: ignore[arg-type]
    )


def test_create_makes_the_stack_and_records_who_made_it_where(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    created(box)
    stack = box.aws.cfn.stacks["lift-staging"]
    assert stack.status.endswith("_COMPLETE") and "Resources" in stack.template
    found = box.aws.store.environment("staging")
    assert found is not None
    assert (found.stack, found.region, found.account) == (
        "lift-staging",
        "eu-west-1",
        "123456789012",
    )
    assert found.created_by == found.updated_by
    assert found.params["vpc_cidr"] == "10.0.0.0/16"
    err = capsys.readouterr().err
    assert "environment staging is ready: cluster lift-staging" in err
    assert "next: git lift service create -e staging" in err


def test_create_of_an_environment_that_exists_points_at_update(box: InProcess) -> None:
    created(box)
    requests = len(box.aws.cfn.requests)
    with pytest.raises(LiftError) as raised:
        created(box)
    assert raised.value.message.startswith(
        "environment staging exists (stack lift-staging in eu-west-1, created by "
    )
    assert raised.value.hint == "change it with: git lift env update -e staging"
    assert len(box.aws.cfn.requests) == requests


def test_create_over_a_stack_git_lift_has_no_record_of_points_at_update(box: InProcess) -> None:
    box.aws.cfn.stacks["lift-staging"] = FakeStack("lift-staging", "arn:lift", "UPDATE_COMPLETE")
    with pytest.raises(LiftError) as raised:
        created(box)
    assert raised.value.message == (
        "stack lift-staging exists (UPDATE_COMPLETE) but git lift has no record of it"
    )
    assert raised.value.hint == "adopt it with: git lift env update -e staging"
    assert box.aws.store.environment("staging") is None


def test_an_undeclared_environment_is_refused(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        infra_env.create(box.ctx, "qa", EnvFlags(), ask=False)
    assert "qa" in raised.value.message
    assert box.aws.cfn.requests == []


def test_update_changes_what_the_flags_say_and_keeps_the_rest(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    created(box)
    assert infra_env.update(box.ctx, "staging", EnvFlags(nat=False)) == 0
    params = record(box)
    assert params["nat"] is False and params["vpc_cidr"] == "10.0.0.0/16"
    assert "environment staging is up to date" in capsys.readouterr().err


def test_update_without_a_record_warns_and_adopts_the_environment(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert infra_env.update(box.ctx, "staging", EnvFlags()) == 0
    assert "git lift has no record of staging; using the flags and the defaults" in (
        capsys.readouterr().err
    )
    assert box.aws.store.environment("staging") is not None


def test_an_environments_vpc_does_not_change(box: InProcess) -> None:
    created(box)
    existing_vpc(box)
    with pytest.raises(UsageError) as raised:
        infra_env.update(box.ctx, "staging", vpc_flags())
    assert raised.value.message == (
        "environment staging is in the VPC git lift made for it; an environment's VPC does not "
        "change"
    )
    assert raised.value.hint == "create another environment in the other VPC"


def test_an_existing_vpc_takes_its_own_range(box: InProcess) -> None:
    existing_vpc(box)
    created(box, vpc_flags())
    params = record(box)
    assert params["vpc_id"] == VPC and params["vpc_cidr"] == "172.31.0.0/16"
    assert tuple(params["public_subnet_ids"]) == PUBLIC  # type: ignore[arg-type]


def test_subnets_in_one_zone_or_another_vpc_are_refused_before_any_stack(box: InProcess) -> None:
    existing_vpc(box, zones=("a", "a", "a", "b"))
    box.aws.subnets[PRIVATE[0]] = Subnet(PRIVATE[0], "vpc-0ther0000000000000", "eu-west-1a")
    with pytest.raises(ValidationError) as raised:
        created(box, vpc_flags())
    assert raised.value.message.splitlines() == [
        f"the subnets do not fit {VPC}:",
        f"  {PRIVATE[0]} is in vpc-0ther0000000000000, not in {VPC}",
        "  the public subnets are all in one zone: a load balancer needs two",
        "  the private subnets are all in one zone: a load balancer needs two",
    ]
    assert raised.value.hint == (
        f"list the VPC's subnets: aws ec2 describe-subnets --filters Name=vpc-id,Values={VPC}"
    )
    assert box.aws.cfn.requests == [] and box.aws.store.environment("staging") is None


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"vpc_id": "vpc-123"}, "--vpc-id 'vpc-123' is not a VPC id"),
        ({"vpc_cidr": "10.1.0.0/16"}, "--vpc-cidr is for a VPC git lift makes, not with --vpc-id"),
        (
            {"private_subnets": "10.0.0.0/24,10.0.1.0/24"},
            "--vpc-id needs the ids of its public and private subnets (subnet-...)",
        ),
    ],
)
def test_vpc_flags_that_do_not_go_together_are_refused_with_an_example(
    flags: dict[str, str], message: str
) -> None:
    given: dict[str, object] = {
        "vpc_cidr": None,
        "vpc_id": VPC,
        "public_subnets": ",".join(PUBLIC),
        "private_subnets": ",".join(PRIVATE),
    } | flags
    with pytest.raises(UsageError) as raised:
        infra_env.flags(
            nat=None,
            certificate_arn=None,
            notification_topic_arn=None,
            internal_load_balancer=None,
            access_logs_bucket=None,
            timeout=60.0,
            **given,  # type: ignore[arg-type]
        )
    assert raised.value.message == message
    assert raised.value.hint is not None and raised.value.hint.startswith(f"--vpc-id {VPC} ")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10.0.0.0/24", "--public-subnets takes two CIDRs, one per availability zone"),
        ("10.0.0.0/24,", "--public-subnets takes two CIDRs, one per availability zone"),
        ("subnet-0123456789abcdef0", "--public-subnets takes the ids of two or more subnets"),
        (f"{PUBLIC[0]},{PUBLIC[0]}", "--public-subnets takes the ids of two or more subnets"),
        (f"{PUBLIC[0]},subnet-xyz", "--public-subnets takes the ids of two or more subnets"),
    ],
)
def test_malformed_subnets_are_refused_quoting_what_was_given(value: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        infra_env.parse_subnets(value, "--public-subnets")
    assert raised.value.message.startswith(message)
    assert raised.value.message.endswith(f": {value!r}")


@pytest.mark.parametrize(
    ("vpc", "subnets"),
    [
        ("10.0.0.0/16", (("10.0.0.0/22", "10.0.4.0/22"), ("10.0.16.0/20", "10.0.32.0/20"))),
        (
            "192.168.0.0/22",
            (("192.168.0.0/28", "192.168.0.16/28"), ("192.168.0.64/26", "192.168.0.128/26")),
        ),
        ("10.0.0.0/23", None),  # too small to split
        ("10.0.0.1/16", None),  # host bits set: not a network
        ("not a cidr", None),
    ],
)
def test_default_subnets_fit_inside_the_vpc(
    vpc: str, subnets: tuple[tuple[str, str], tuple[str, str]] | None
) -> None:
    assert infra_env.default_subnets(vpc) == subnets


def test_a_new_vpc_range_brings_subnets_inside_it_and_an_empty_flag_turns_a_setting_off() -> None:
    base = EnvironmentParams(region="eu-west-1", certificate_arn="arn:cert")
    params = infra_env.apply_flags(base, EnvFlags(vpc_cidr="172.20.0.0/16", certificate_arn=""))
    assert params.public_subnet_cidrs == ("172.20.0.0/22", "172.20.4.0/22")
    assert params.private_subnet_cidrs == ("172.20.16.0/20", "172.20.32.0/20")
    assert params.certificate_arn is None
    assert infra_env.params_from_dict(infra_env.params_to_dict(params)) == params


def test_show_of_an_environment_not_created_says_how_to_create_it(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        infra_env.show(box.ctx, "staging")
    assert raised.value.message == "environment staging has not been created"
    assert raised.value.hint == "git lift env create -e staging"


def test_show_lists_the_network_and_who_made_it(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    created(box, EnvFlags(nat=False))
    capsys.readouterr()
    assert infra_env.show(box.ctx, "staging") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("environment staging: stack lift-staging ")
    assert "  region        eu-west-1 (account 123456789012)" in out
    assert "  vpc           10.0.0.0/16, NAT off" in out
    assert "  https         off" in out


def test_show_says_when_the_stack_is_gone(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    created(box)
    del box.aws.cfn.stacks["lift-staging"]
    box = box.reload(Options(output="json"))
    capsys.readouterr()
    infra_env.show(box.ctx, "staging")
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "MISSING" and shown["stack"] == "lift-staging"


def test_list_shows_every_declared_environment_created_or_not(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    created(box)
    capsys.readouterr()
    assert infra_env.list_environments(box.ctx) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{'production':<16} not created  (git lift env create -e production)"
    assert lines[1].startswith(f"{'staging':<16} eu-west-1      lift-staging")
    box = box.reload(Options(output="json"))
    infra_env.list_environments(box.ctx)
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["staging"]


PREVIEWS = """[env "staging"]
\tref = refs/heads/main
[env "preview"]
\tref = refs/heads/feature/*
\tpreview = true
\tbase = staging
\tdeployOnPush = true
"""


def test_a_preview_environment_names_the_push_as_its_next_step_not_service_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, gitlift=PREVIEWS, options=Options(yes=True))
    assert infra_env.create(box.ctx, "preview", EnvFlags(), ask=False) == 0
    err = capsys.readouterr().err
    assert "service create" not in err  # a preview's services are its branches' pushes
    assert "hint: next: push a branch it previews (refs/heads/feature/*): git push origin " in err


def test_open_in_a_preview_environment_names_preview_list_where_its_urls_are(
    tmp_path: Path,
) -> None:
    from git_lift.commands.notify import open_url

    box = in_process(tmp_path, gitlift=PREVIEWS, options=Options(yes=True))
    with pytest.raises(LiftError) as err:
        open_url(box.ctx, "preview")
    assert "no URL known for payments-api in preview" in err.value.message
    assert err.value.hint == "each preview's URL: git lift preview list -e preview"
