"""The CloudFormation layer and the pure parts of `env`/`service`, without a server.

CloudFormation's answers are queued with botocore's Stubber (which checks every request
against the API model), so the paths moto does not take are tested too: change sets that are
computed slowly or paged, refused updates, resource events and failures, timeouts.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from git_lift.aws.cfn import Change, ChangeSet, CloudFormation, Stack, StackEvent, root_cause
from git_lift.commands import infra_env
from git_lift.errors import AwsError, LiftError, UsageError
from git_lift.flows import service_edit
from git_lift.flows.infra_stack import (
    Progress,
    current_stack,
    failure,
    render_changes,
    summary,
)
from git_lift.servicecfg import ServiceConfigError, default_document
from git_lift.templates.environment_params import EnvironmentParams
from tests.support.infra import target

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/

STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/lift-staging/1"
CHANGE_SET_ID = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/git-lift/1"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def stubbed() -> Iterator[tuple[CloudFormation, Stubber, Clock]]:
    client = boto3.client(
        "cloudformation",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    clock = Clock()
    with Stubber(client) as stubber:
        yield CloudFormation(client, sleep=clock.sleep, clock=clock), stubber, clock
        stubber.assert_no_pending_responses()


def described(status: str, reason: str = "", changes: list[Any] | None = None, **extra: Any) -> Any:
    answer: dict[str, Any] = {"Status": status, "ExecutionStatus": "AVAILABLE"}
    if reason:
        answer["StatusReason"] = reason
    if changes is not None:
        answer["Changes"] = changes
    return {**answer, **extra}


def resource_change(action: str, logical_id: str, replacement: str | None = None) -> Any:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::ECS::Service",
    }
    if replacement:
        change["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": change}


def stack_answer(status: str, outputs: dict[str, str] | None = None) -> Any:
    return {
        "Stacks": [
            {
                "StackName": "lift-staging",
                "StackId": STACK_ID,
                "StackStatus": status,
                "CreationTime": datetime.datetime(2026, 1, 1),
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()],
            }
        ]
    }


def event(n: int, logical_id: str, status: str, reason: str = "") -> Any:
    raw: dict[str, Any] = {
        "EventId": f"e{n}",
        "StackId": STACK_ID,
        "StackName": "lift-staging",
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::EC2::VPC"
        if logical_id != "lift-staging"
        else "AWS::CloudFormation::Stack",
        "ResourceStatus": status,
        "Timestamp": datetime.datetime(2026, 1, 1, 0, 0, n),
    }
    if reason:
        raw["ResourceStatusReason"] = reason
    return raw


def test_change_set_is_awaited_and_its_pages_read(stubbed: Any) -> None:
    cfn, stubber, clock = stubbed
    stubber.add_response(
        "create_change_set",
        {"Id": CHANGE_SET_ID, "StackId": STACK_ID},
        {
            "StackName": "lift-staging",
            "ChangeSetName": ANY,
            "ChangeSetType": "UPDATE",
            "TemplateBody": "{}",
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "Tags": [{"Key": "lift:environment", "Value": "staging"}],
        },
    )
    stubber.add_response("describe_change_set", described("CREATE_PENDING"))
    stubber.add_response("describe_change_set", described("CREATE_IN_PROGRESS"))
    stubber.add_response("describe_change_set", described("CREATE_COMPLETE"))
    first = [resource_change("Add", "Vpc"), resource_change("Modify", "Cluster", "False")]
    stubber.add_response(
        "describe_change_set", described("CREATE_COMPLETE", changes=first, NextToken="page-2")
    )
    stubber.add_response(
        "describe_change_set",
        described("CREATE_COMPLETE", changes=[resource_change("Remove", "Nat")]),
        {"ChangeSetName": CHANGE_SET_ID, "NextToken": "page-2"},
    )
    change_set = cfn.create_change_set(
        "lift-staging", "{}", create=False, tags={"lift:environment": "staging"}, timeout=60
    )
    assert [(c.action, c.logical_id) for c in change_set.changes] == [
        ("Add", "Vpc"),
        ("Modify", "Cluster"),
        ("Remove", "Nat"),
    ]
    assert clock.sleeps == [1.0, 1.5]  # backs off while CloudFormation computes


@pytest.mark.parametrize(
    "reason",
    [
        "The submitted information didn't contain changes. Submit different information.",
        "No updates are to be performed.",
    ],
)
def test_an_update_without_changes_is_an_empty_change_set(stubbed: Any, reason: str) -> None:
    cfn, stubber, _ = stubbed
    stubber.add_response("create_change_set", {"Id": CHANGE_SET_ID})
    stubber.add_response("describe_change_set", described("FAILED", reason))
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    change_set = cfn.create_change_set("lift-staging", "{}", create=False, tags={}, timeout=60)
    assert change_set.empty


def test_a_refused_change_set_is_deleted_and_its_reason_shown(stubbed: Any) -> None:
    cfn, stubber, _ = stubbed
    stubber.add_response("create_change_set", {"Id": CHANGE_SET_ID})
    stubber.add_response(
        "describe_change_set", described("FAILED", "No export named lift-staging-VpcId found")
    )
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    # The stack the CREATE change set made goes too, or the next create would never settle.
    stubber.add_response("describe_stacks", stack_answer("REVIEW_IN_PROGRESS"))
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})
    with pytest.raises(AwsError, match="refused the change to lift-staging: No export named"):
        cfn.create_change_set("lift-staging", "{}", create=True, tags={}, timeout=60)


def test_discarding_an_update_change_set_leaves_the_stack(stubbed: Any) -> None:
    cfn, stubber, _ = stubbed
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    cfn.discard(ChangeSet(CHANGE_SET_ID, "lift-staging", creates_stack=False))


def test_a_stack_left_in_review_is_deleted_and_counts_as_absent(
    stubbed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cfn, stubber, clock = stubbed
    stubber.add_response("describe_stacks", stack_answer("REVIEW_IN_PROGRESS"))
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", stack_answer("DELETE_IN_PROGRESS"))
    stubber.add_response("describe_stacks", stack_answer("DELETE_COMPLETE"))
    assert current_stack(cfn, "lift-staging") is None
    err = capsys.readouterr().err
    assert "lift-staging is REVIEW_IN_PROGRESS" in err and "deleting it to create it anew" in err
    assert clock.sleeps == [1.0]  # one wait while CloudFormation deleted it


def test_a_stack_that_will_not_delete_is_an_error(stubbed: Any) -> None:
    cfn, stubber, _ = stubbed
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", stack_answer("DELETE_IN_PROGRESS"))
    stubber.add_response("describe_stacks", stack_answer("DELETE_FAILED"))
    with pytest.raises(LiftError, match="could not delete stack lift-staging"):
        cfn.delete_and_wait(Stack("lift-staging", STACK_ID, "REVIEW_IN_PROGRESS"), timeout=60)


def test_missing_stack_is_none(stubbed: Any) -> None:
    cfn, stubber, _ = stubbed
    stubber.add_client_error(
        "describe_stacks", "ValidationError", "Stack with id lift-staging does not exist"
    )
    assert cfn.stack("lift-staging") is None


def test_wait_streams_new_events_once_and_backs_off(stubbed: Any) -> None:
    cfn, stubber, clock = stubbed
    old = event(1, "lift-staging", "UPDATE_COMPLETE")
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [event(2, "lift-staging", "UPDATE_IN_PROGRESS"), old]},
    )
    stubber.add_response("describe_stacks", stack_answer("UPDATE_IN_PROGRESS"))
    stubber.add_response(
        "describe_stack_events", {"StackEvents": [event(2, "lift-staging", "UPDATE_IN_PROGRESS")]}
    )  # nothing new: back off
    stubber.add_response("describe_stacks", stack_answer("UPDATE_IN_PROGRESS"))
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(4, "Vpc", "UPDATE_COMPLETE"),
                event(3, "Vpc", "UPDATE_IN_PROGRESS"),
            ],
            "NextToken": "more",
        },
    )
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [event(2, "lift-staging", "UPDATE_IN_PROGRESS"), old]},
    )
    stubber.add_response("describe_stacks", stack_answer("UPDATE_COMPLETE", {"VpcId": "vpc-1"}))
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(5, "lift-staging", "UPDATE_COMPLETE"),
                event(4, "Vpc", "UPDATE_COMPLETE"),
            ]
        },
    )
    seen: list[str] = []
    stack, events = cfn.wait("lift-staging", {"e1"}, lambda e: seen.append(e.id), timeout=600)
    assert seen == ["e2", "e3", "e4", "e5"] == [e.id for e in events]
    assert stack.succeeded and stack.outputs == {"VpcId": "vpc-1"}
    assert clock.sleeps == [2.0, 3.0]


def test_wait_gives_up_at_the_timeout_saying_cloudformation_goes_on(stubbed: Any) -> None:
    cfn, stubber, _ = stubbed
    for _ in range(3):
        stubber.add_response("describe_stack_events", {"StackEvents": []})
        stubber.add_response("describe_stacks", stack_answer("CREATE_IN_PROGRESS"))
    with pytest.raises(AwsError, match="stopped waiting for lift-staging after 5s") as info:
        cfn.wait("lift-staging", set(), lambda e: None, timeout=5)
    assert "describe-stacks --stack-name lift-staging" in (info.value.hint or "")


def test_the_root_cause_is_the_first_failure_not_the_cancellations() -> None:
    events = [
        StackEvent(
            "1", "Subnet", "AWS::EC2::Subnet", "CREATE_FAILED", "Resource creation cancelled"
        ),
        StackEvent(
            "2", "Vpc", "AWS::EC2::VPC", "CREATE_FAILED", "The CIDR '10.0.0.0/8' is invalid."
        ),
        StackEvent("3", "Gateway", "AWS::EC2::InternetGateway", "CREATE_FAILED", "other"),
    ]
    cause = root_cause(events)
    assert cause is not None and cause.logical_id == "Vpc"
    from git_lift.aws.cfn import Stack

    error = failure(Stack("lift-staging", STACK_ID, "ROLLBACK_COMPLETE"), events)
    assert error.message == (
        "lift-staging is ROLLBACK_COMPLETE: Vpc (AWS::EC2::VPC): The CIDR '10.0.0.0/8' is invalid."
    )
    assert "delete-stack --stack-name lift-staging" in (error.hint or "")
    rolled_back = failure(Stack("lift-staging", STACK_ID, "UPDATE_ROLLBACK_COMPLETE"), events)
    assert "back as it was" in (rolled_back.hint or "")
    stuck = failure(Stack("lift-staging", STACK_ID, "UPDATE_ROLLBACK_FAILED"), events)
    assert "continue-update-rollback --stack-name lift-staging" in (stuck.hint or "")


@pytest.mark.parametrize(
    ("policy", "audience"),
    [
        ("lift-staging-boundary-cloudformation", "stack-boundary"),
        ("lift-staging-boundary", "boundary"),
    ],
)
def test_a_boundary_not_created_yet_is_named_with_the_command_that_prints_it(
    policy: str, audience: str
) -> None:
    """A newcomer's `env create` before the account administrator made the boundaries (README,
    "IAM policy"): IAM's refusal names the policy's ARN; the hint says how to make it."""
    from git_lift.aws.cfn import Stack

    reason = (
        f'Resource handler returned message: "Scope ARN: arn:aws:iam::123456789012:policy/'
        f'{policy} does not exist or is not attachable. (Service: Iam, Status Code: 404)"'
    )
    events = [StackEvent("1", "CloudFormationRole", "AWS::IAM::Role", "CREATE_FAILED", reason)]
    error = failure(Stack("lift-staging", STACK_ID, "ROLLBACK_COMPLETE"), events)
    assert error.hint is not None
    assert f"git lift iam-policy -e staging --for {audience} > {audience}.json" in error.hint
    assert f"aws iam create-policy --policy-name {policy} " in error.hint
    assert "delete-stack --stack-name lift-staging" in error.hint  # and then again
    other = failure(
        Stack("lift-staging", STACK_ID, "ROLLBACK_COMPLETE"),
        [StackEvent("1", "Vpc", "AWS::EC2::VPC", "CREATE_FAILED", "policy/acme-boundary gone")],
    )
    assert "iam-policy" not in (other.hint or "")


def test_a_stack_stuck_in_a_failed_rollback_is_refused_with_the_fix(stubbed: Any) -> None:
    cfn, stubber, _ = stubbed
    stubber.add_response("describe_stacks", stack_answer("UPDATE_ROLLBACK_FAILED"))
    with pytest.raises(LiftError, match="lift-staging is UPDATE_ROLLBACK_FAILED") as info:
        current_stack(cfn, "lift-staging")
    assert "continue-update-rollback --stack-name lift-staging" in (info.value.hint or "")


def test_plan_lists_added_modified_replaced_and_removed() -> None:
    change_set = ChangeSet(
        "id",
        "lift-staging-api",
        False,
        [
            Change("Remove", "OldRule", "AWS::ElasticLoadBalancingV2::ListenerRule"),
            Change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
            Change("Add", "ScalableTarget", "AWS::ApplicationAutoScaling::ScalableTarget"),
            Change("Modify", "Service", "AWS::ECS::Service", "False"),
            Change(
                "Modify", "TargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", "Conditional"
            ),
        ],
    )
    assert render_changes(change_set) == [
        ("add", "  + ScalableTarget  AWS::ApplicationAutoScaling::ScalableTarget"),
        ("change", "  ~ Service         AWS::ECS::Service"),
        (
            "change",
            "  ? TargetGroup     AWS::ElasticLoadBalancingV2::TargetGroup  (may be replaced)",
        ),
        ("remove", "-/+ TaskDefinition  AWS::ECS::TaskDefinition  (replaced)"),
        ("remove", "  - OldRule         AWS::ElasticLoadBalancingV2::ListenerRule"),
    ]
    assert summary(change_set) == (
        "1 to add, 1 to modify, 1 may be replaced, 1 to replace, 1 to remove"
    )


def test_progress_counts_settled_resources(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress("lift-staging", {"Vpc", "Cluster"}, clock=lambda: 65.0)
    progress.event(StackEvent("1", "Vpc", "AWS::EC2::VPC", "CREATE_IN_PROGRESS", ""))
    progress.event(StackEvent("2", "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", ""))
    err = capsys.readouterr().err
    assert "CREATE_IN_PROGRESS" not in err  # only with -v
    assert "CREATE_COMPLETE" in err and "[1/2] lift-staging" in err


# --- environment settings ------------------------------------------------------------------


def test_default_subnets_fit_the_vpc() -> None:
    defaults = EnvironmentParams()
    assert infra_env.default_subnets(defaults.vpc_cidr) == (
        defaults.public_subnet_cidrs,
        defaults.private_subnet_cidrs,
    )
    assert infra_env.default_subnets("172.20.0.0/20") == (
        ("172.20.0.0/26", "172.20.0.64/26"),
        ("172.20.1.0/24", "172.20.2.0/24"),
    )
    assert infra_env.default_subnets("10.0.0.0/24") is None


def test_flags_override_and_a_new_vpc_brings_its_subnets() -> None:
    base = EnvironmentParams(certificate_arn="arn:cert")
    flags = infra_env.flags(
        vpc_cidr="172.20.0.0/16",
        vpc_id=None,
        public_subnets=None,
        private_subnets=None,
        nat=False,
        certificate_arn="",
        notification_topic_arn=None,
        internal_load_balancer=None,
        access_logs_bucket=None,
        timeout=60,
    )
    params = infra_env.apply_flags(base, flags)
    assert params.public_subnet_cidrs == ("172.20.0.0/22", "172.20.4.0/22")
    assert (params.nat, params.certificate_arn) == (False, None)
    assert infra_env.params_from_dict(infra_env.params_to_dict(params)) == params


def test_a_subnet_pair_needs_two_cidrs() -> None:
    with pytest.raises(UsageError, match="two CIDRs"):
        infra_env.parse_pair("10.0.0.0/24", "--public-subnets")


# --- the editor text -------------------------------------------------------------------------


def test_comments_are_blanked_so_json_errors_keep_their_line_numbers() -> None:
    text = service_edit.editor_text({"cpu": 256, "memory": 512}, ["Header."])
    assert text.startswith("# Header.\n# JSON;")
    broken = text.replace('"memory": 512', '"memory": 512,')
    with pytest.raises(ServiceConfigError) as info:
        service_edit.parse_text(broken, target())
    line = broken.split("\n").index("}") + 1
    assert info.value.problems == [
        f"line {line}, column 1: Expecting property name enclosed in double quotes"
    ]


def test_problems_replace_earlier_problems_at_the_top() -> None:
    text = service_edit.editor_text(default_document(production=False), ["Header."])
    once = service_edit.with_problems(text, ["$.cpu: bad", "$.memory: bad"])
    twice = service_edit.with_problems(once, ["$.cpu: still bad"])
    assert twice.split("\n")[:2] == [
        "#! 1 problem to fix, then save again:",
        "#!   $.cpu: still bad",
    ]
    assert twice.count("#!") == 2
    doc, cfg = service_edit.parse_text(twice, target())
    assert doc == default_document(production=False) and cfg.cpu == 256


def test_a_document_that_is_not_an_object_is_a_problem_with_a_path() -> None:
    with pytest.raises(ServiceConfigError) as info:
        service_edit.parse_text("[1, 2]", target())
    assert info.value.problems[0].startswith("$")


def test_env_and_service_commands_import_no_troposphere_until_they_render() -> None:
    """`env show|list`, `service show|history` and `iam-policy` render no template: the
    template library loads when a template is rendered, not before."""
    code = (
        "import sys, git_lift.commands.infra_env, git_lift.commands.infra_service, "
        "git_lift.commands.iam_policy, git_lift.templates.environment_params; "
        "bad = {'troposphere'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
