"""The CloudFormation wrapper (aws/cfn.py) with botocore's Stubber and a clock that moves only
when it sleeps: change sets computed, empty or refused (and cleaned up), stack waits that
report each event once and give up at their timeout, deletes that fail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from git_lift.aws.cfn import (
    MAX_INTERVAL,
    Change,
    ChangeSet,
    CloudFormation,
    Stack,
    StackEvent,
    StackFailed,
    root_cause,
)
from git_lift.errors import AwsError

NAME = "lift-staging"
STACK_ID = f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{NAME}/1"
CS_ID = f"arn:aws:cloudformation:eu-west-1:123456789012:changeSet/git-lift/{NAME}"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stubbed(clock: Clock) -> tuple[CloudFormation, Stubber]:
    client = boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    return CloudFormation(client, clock.sleep, clock), Stubber(client)


def described(status: str, reason: str = "", **extra: Any) -> dict[str, Any]:
    stack: dict[str, Any] = {
        "StackName": NAME,
        "StackId": STACK_ID,
        "StackStatus": status,
        "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
        **extra,
    }
    if reason:
        stack["StackStatusReason"] = reason
    return {"Stacks": [stack]}


def change_set(status: str, reason: str = "", changes: list[Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"Status": status, "Changes": changes or []}
    if reason:
        answer["StatusReason"] = reason
    return answer


def created(stubber: Stubber, kind: str = "UPDATE") -> None:
    expected = {
        "StackName": NAME,
        "ChangeSetName": ANY,
        "ChangeSetType": kind,
        "Capabilities": ANY,
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        "TemplateBody": "{}",
    }
    stubber.add_response("create_change_set", {"Id": CS_ID}, expected)


def request(cfn: CloudFormation, create: bool = False) -> ChangeSet:
    return cfn.create_change_set(NAME, "{}", create=create, tags={"b": "2", "a": "1"}, timeout=60)


def test_a_change_set_is_polled_with_growing_intervals_until_computed(
    stubbed: tuple[CloudFormation, Stubber], clock: Clock
) -> None:
    cfn, stubber = stubbed
    created(stubber)
    for _ in range(3):
        stubber.add_response("describe_change_set", change_set("CREATE_PENDING"))
    rc = {"Action": "Modify", "LogicalResourceId": "Service", "ResourceType": "AWS::ECS::Service"}
    stubber.add_response("describe_change_set", change_set("CREATE_COMPLETE"))
    stubber.add_response(
        "describe_change_set",
        change_set("CREATE_COMPLETE", changes=[{"Type": "Resource", "ResourceChange": rc}]),
    )
    with stubber:
        computed = request(cfn)
    assert computed.changes == [Change("Modify", "Service", "AWS::ECS::Service")]
    assert not computed.empty and not computed.creates_stack
    assert clock.slept == [1.0, 1.5, 2.25]


def test_a_large_template_goes_by_url_and_a_role_carries_out_the_change(
    stubbed: tuple[CloudFormation, Stubber],
) -> None:
    cfn, stubber = stubbed
    role = "arn:aws:iam::123456789012:role/lift-cfn"
    url = "https://lift-templates.s3.eu-west-1.amazonaws.com/lift-staging/t.json"
    expected = {
        "StackName": NAME,
        "ChangeSetName": ANY,
        "ChangeSetType": "CREATE",
        "Capabilities": ANY,
        "Tags": [],
        "TemplateURL": url,  # and no TemplateBody: it is over CloudFormation's 51,200 bytes
        "RoleARN": role,
    }
    stubber.add_response("create_change_set", {"Id": CS_ID}, expected)
    stubber.add_response("describe_change_set", change_set("CREATE_COMPLETE"))
    stubber.add_response("describe_change_set", change_set("CREATE_COMPLETE"))
    with stubber:
        computed = cfn.create_change_set(
            NAME, "x" * 60_000, create=True, tags={}, timeout=60, role_arn=role, template_url=url
        )
    assert computed.creates_stack and computed.empty


def test_an_update_that_changes_nothing_is_empty_and_leaves_no_change_set(
    stubbed: tuple[CloudFormation, Stubber],
) -> None:
    cfn, stubber = stubbed
    created(stubber)
    stubber.add_response(
        "describe_change_set",
        change_set("FAILED", "The submitted information didn't contain changes."),
    )
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CS_ID})
    with stubber:
        computed = request(cfn)
    assert computed.empty
    stubber.assert_no_pending_responses()


def test_a_refused_create_removes_the_empty_stack_it_made_and_says_why(
    stubbed: tuple[CloudFormation, Stubber],
) -> None:
    cfn, stubber = stubbed
    created(stubber, "CREATE")
    stubber.add_response("describe_change_set", change_set("FAILED", "Template format error"))
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CS_ID})
    stubber.add_response("describe_stacks", described("REVIEW_IN_PROGRESS"), {"StackName": NAME})
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})  # by id, not name
    with stubber, pytest.raises(AwsError) as raised:
        request(cfn, create=True)
    assert raised.value.message == (
        f"CloudFormation refused the change to {NAME}: Template format error"
    )
    stubber.assert_no_pending_responses()


def test_a_change_set_not_computed_in_time_is_an_error(
    stubbed: tuple[CloudFormation, Stubber], clock: Clock
) -> None:
    cfn, stubber = stubbed
    created(stubber)
    for _ in range(20):
        stubber.add_response("describe_change_set", change_set("CREATE_IN_PROGRESS"))
    with stubber, pytest.raises(AwsError) as raised:
        request(cfn)
    assert raised.value.message == "CloudFormation did not compute the change set in 60s"
    assert max(clock.slept) == MAX_INTERVAL and clock.now >= 60


def test_a_stack_that_does_not_exist_is_none(stubbed: tuple[CloudFormation, Stubber]) -> None:
    cfn, stubber = stubbed
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {NAME} does not exist",
    )
    stubber.add_client_error(
        "describe_stacks", service_error_code="ValidationError", service_message="bad name"
    )
    with stubber:
        assert cfn.stack(NAME) is None
        with pytest.raises(AwsError):  # any other refusal is not an absent stack
            cfn.stack(NAME)


def test_a_stack_reads_its_status_and_outputs(stubbed: tuple[CloudFormation, Stubber]) -> None:
    cfn, stubber = stubbed
    outputs = [{"OutputKey": "Cluster", "OutputValue": "lift-staging"}]
    stubber.add_response("describe_stacks", described("UPDATE_IN_PROGRESS", Outputs=outputs))
    stubber.add_response("describe_stacks", described("ROLLBACK_COMPLETE", "Resource failed"))
    with stubber:
        changing = cfn.stack(NAME)
        failed = cfn.stack(NAME)
    assert changing == Stack(NAME, STACK_ID, "UPDATE_IN_PROGRESS", "", {"Cluster": "lift-staging"})
    assert not changing.settled
    assert failed is not None and failed.settled and not failed.succeeded
    assert failed.reason == "Resource failed"


def event(n: int, status: str = "CREATE_COMPLETE", reason: str = "") -> dict[str, Any]:
    raw: dict[str, Any] = {
        "EventId": f"e{n}",
        "StackId": STACK_ID,
        "StackName": NAME,
        "LogicalResourceId": f"R{n}",
        "ResourceType": "AWS::ECS::Service",
        "ResourceStatus": status,
        "Timestamp": datetime(2026, 1, 1, tzinfo=UTC),
    }
    if reason:
        raw["ResourceStatusReason"] = reason
    return raw


def test_events_since_stop_at_the_first_seen_and_come_oldest_first(
    stubbed: tuple[CloudFormation, Stubber],
) -> None:
    cfn, stubber = stubbed
    # DescribeStackEvents gives newest first; the second page is never asked for
    stubber.add_response(
        "describe_stack_events", {"StackEvents": [event(5), event(4)], "NextToken": "more"}
    )
    stubber.add_response("describe_stack_events", {"StackEvents": [event(3), event(2)]})
    with stubber:
        fresh = cfn.events_since(NAME, {"e3"})
    assert [e.id for e in fresh] == ["e4", "e5"]


def test_a_wait_reports_each_event_once_and_returns_the_settled_stack(
    stubbed: tuple[CloudFormation, Stubber], clock: Clock
) -> None:
    cfn, stubber = stubbed
    stubber.add_response("describe_stack_events", {"StackEvents": [event(1)]})
    stubber.add_response("describe_stacks", described("UPDATE_IN_PROGRESS"))
    stubber.add_response("describe_stack_events", {"StackEvents": [event(2), event(1)]})
    stubber.add_response("describe_stacks", described("UPDATE_COMPLETE"))
    stubber.add_response("describe_stack_events", {"StackEvents": [event(3), event(2)]})
    reported: list[str] = []
    seen = {"e0"}
    with stubber:
        stack, events = cfn.wait(NAME, seen, lambda e: reported.append(e.id), timeout=600)
    assert stack.succeeded
    assert reported == ["e1", "e2", "e3"] == [e.id for e in events]
    assert seen == {"e0", "e1", "e2", "e3"}
    assert clock.slept == [2.0]  # new events: it looks again soon


def test_a_wait_past_its_timeout_says_cloudformation_goes_on(
    stubbed: tuple[CloudFormation, Stubber], clock: Clock
) -> None:
    cfn, stubber = stubbed
    for _ in range(30):
        stubber.add_response("describe_stack_events", {"StackEvents": []})
        stubber.add_response("describe_stacks", described("UPDATE_IN_PROGRESS"))
    with stubber, pytest.raises(AwsError) as raised:
        cfn.wait(NAME, set(), lambda e: None, timeout=30)
    assert raised.value.message == (
        f"stopped waiting for {NAME} after 30s (UPDATE_IN_PROGRESS); CloudFormation goes on"
    )
    assert clock.now == 30  # the last sleep ends at the deadline, not past it


def test_a_stack_gone_while_waiting_is_a_failure(stubbed: tuple[CloudFormation, Stubber]) -> None:
    cfn, stubber = stubbed
    stubber.add_response("describe_stack_events", {"StackEvents": []})
    stubber.add_client_error(
        "describe_stacks", service_error_code="ValidationError", service_message="does not exist"
    )
    with stubber, pytest.raises(StackFailed) as raised:
        cfn.wait(NAME, set(), lambda e: None, timeout=30)
    assert raised.value.message == f"stack {NAME} disappeared while changing"


def test_a_delete_that_fails_names_the_reason(stubbed: tuple[CloudFormation, Stubber]) -> None:
    cfn, stubber = stubbed
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", described("DELETE_IN_PROGRESS"))
    stubber.add_response("describe_stacks", described("DELETE_FAILED", "bucket not empty"))
    with stubber, pytest.raises(StackFailed) as raised:
        cfn.delete_and_wait(Stack(NAME, STACK_ID, "CREATE_COMPLETE"), timeout=60)
    assert raised.value.message == f"could not delete stack {NAME}: bucket not empty"


def test_a_delete_is_done_when_the_stack_answers_delete_complete(
    stubbed: tuple[CloudFormation, Stubber],
) -> None:
    cfn, stubber = stubbed
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", described("DELETE_COMPLETE"), {"StackName": STACK_ID})
    with stubber:
        cfn.delete_and_wait(Stack(NAME, STACK_ID, "CREATE_COMPLETE"), timeout=60)
    stubber.assert_no_pending_responses()


def test_the_plan_words_for_each_kind_of_change() -> None:
    kinds = [
        Change("Add", "A", "T").kind,
        Change("Remove", "A", "T").kind,
        Change("Modify", "A", "T", "True").kind,
        Change("Modify", "A", "T", "Conditional").kind,
        Change("Modify", "A", "T", "False").kind,
    ]
    assert kinds == ["added", "removed", "replaced", "may be replaced", "modified"]


def test_the_root_cause_is_the_first_failure_not_the_cancellations_it_caused() -> None:
    def failed(n: int, reason: str) -> StackEvent:
        return StackEvent(f"e{n}", f"R{n}", "T", "CREATE_FAILED", reason)

    cancelled = failed(1, "Resource creation cancelled")
    real = failed(2, "Invalid subnet")
    later = failed(3, "Another failure")
    assert root_cause([cancelled, real, later]) == real
    assert root_cause([cancelled]) == cancelled  # nothing better to show
    assert root_cause([StackEvent("e", "R", "T", "CREATE_COMPLETE", "")]) is None
