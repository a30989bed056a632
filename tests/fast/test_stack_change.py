"""How `env` and `service` change a stack (flows/infra_stack.py), in-process on the fake
CloudFormation: the plan of a change set, the confirmation, and each state of a stack that
stops a change before it starts (failed creation, stuck rollback, busy), a template too large
to send, a change that fails naming the resource and why, and a refusal that discards the
change set it computed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift import limits
from git_lift.aws.cfn import StackFailed
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.flows.infra_stack import StackChange, change_stack, current_stack
from git_lift.options import Options
from tests.support.fakes import FakeStack, InProcess, in_process

NAME = "lift-staging-payments-api"


def template(*resources: str) -> str:
    return json.dumps(
        {"Resources": {name: {"Type": "AWS::SQS::Queue", "Properties": {}} for name in resources}}
    )


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, options=Options(yes=True))


def change(box: InProcess, body: str, *, bucket: str | None = None) -> StackChange:
    return StackChange(
        name=NAME,
        body=body,
        tags={"git-lift": "yes"},
        environment=box.ctx.settings.environments["staging"],
        timeout=600,
        bucket=bucket,
    )


def existing(box: InProcess, status: str) -> None:
    box.aws.cfn.stacks[NAME] = FakeStack(NAME, f"arn:{NAME}", status)


def test_a_new_stack_is_created_and_its_plan_listed(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs", "Dead")))
    assert stack is not None and stack.succeeded
    err = capsys.readouterr().err
    assert f"computing the change set to create stack {NAME}" in err
    assert f"Changes to stack {NAME} (2 to add):" in err
    assert "+ Dead  AWS::SQS::Queue" in err and "+ Jobs  AWS::SQS::Queue" in err


def test_an_update_lists_what_goes_and_what_changes(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs", "Dead")))
    capsys.readouterr()
    body = json.loads(template("Jobs", "Mail"))
    body["Resources"]["Jobs"]["Properties"] = {"DelaySeconds": 5}
    change_stack(box.ctx, box.aws.cfn, change(box, json.dumps(body)))
    err = capsys.readouterr().err
    assert f"computing the change set to update stack {NAME}" in err
    assert "(1 to add, 1 to modify, 1 to remove)" in err
    assert set(box.aws.cfn.stacks[NAME].template["Resources"]) == {"Jobs", "Mail"}


def test_no_changes_say_so_and_run_nothing(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")))
    capsys.readouterr()
    saved: list[bool] = []
    stack = change_stack(
        box.ctx, box.aws.cfn, change(box, template("Jobs")), save=lambda: saved.append(True)
    )
    assert stack is not None
    assert f"no changes to stack {NAME}" in capsys.readouterr().err
    assert saved == [True]  # a config saved anyway: the document changed, the stack did not


def test_without_a_terminal_or_yes_nothing_changes_and_the_change_set_is_discarded(
    tmp_path: Path,
) -> None:
    box = in_process(tmp_path)
    with pytest.raises(UsageError) as raised:
        change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")))
    assert raised.value.message == (
        f"changing stack {NAME} needs confirmation and there is no terminal to ask; "
        f"{NAME} was not changed"
    )
    assert box.aws.cfn.stack(NAME) is None  # the stack the CREATE change set made is gone
    assert box.aws.cfn.change_sets == {}


def test_a_save_that_fails_discards_the_change_set(box: InProcess) -> None:
    def conflict() -> None:
        raise LiftError("version 3 was saved by ana while you edited")

    with pytest.raises(LiftError):
        change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")), save=conflict)
    assert box.aws.cfn.stack(NAME) is None and box.aws.cfn.change_sets == {}


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED"])
def test_a_stack_whose_creation_failed_must_be_deleted_first(box: InProcess, status: str) -> None:
    existing(box, status)
    with pytest.raises(LiftError) as raised:
        current_stack(box.aws.cfn, NAME)
    assert raised.value.message == (
        f"stack {NAME} is {status}: its creation failed and it can only be deleted"
    )
    assert raised.value.hint == (
        "delete it, then run the command again: "
        f"aws cloudformation delete-stack --stack-name {NAME}"
    )


def test_a_stuck_rollback_says_how_to_continue_it(box: InProcess) -> None:
    existing(box, "UPDATE_ROLLBACK_FAILED")
    with pytest.raises(LiftError) as raised:
        change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")))
    assert raised.value.message == f"stack {NAME} is UPDATE_ROLLBACK_FAILED"
    assert raised.value.hint is not None and "continue-update-rollback" in raised.value.hint
    assert box.aws.cfn.requests == []


def test_a_busy_stack_says_how_to_wait_for_it(box: InProcess) -> None:
    existing(box, "UPDATE_IN_PROGRESS")
    with pytest.raises(LiftError) as raised:
        change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")))
    assert raised.value.message == f"stack {NAME} is busy (UPDATE_IN_PROGRESS)"
    assert raised.value.hint == (
        f"wait for it: aws cloudformation wait stack-update-complete --stack-name {NAME}"
    )


def test_a_stack_a_change_set_left_in_review_is_created_anew(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    existing(box, "REVIEW_IN_PROGRESS")
    stack = change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")))
    assert stack is not None and stack.succeeded
    assert "a change set created it and was never executed" in capsys.readouterr().err


def test_a_failed_change_names_the_resource_and_why(box: InProcess) -> None:
    box.aws.cfn.fail_next = "Resource handler returned message: queue name taken"
    with pytest.raises(StackFailed) as raised:
        change_stack(box.ctx, box.aws.cfn, change(box, template("Jobs")))
    assert "queue name taken" in raised.value.message


def padded(size: int) -> str:
    body = json.loads(template("Jobs"))
    body["Description"] = ""
    text = json.dumps(body)
    body["Description"] = "x" * (size - len(text))
    return json.dumps(body)


def test_a_template_over_the_request_limit_needs_the_environments_bucket(box: InProcess) -> None:
    body = padded(limits.TEMPLATE_BODY + 1)
    with pytest.raises(ValidationError) as raised:
        change_stack(box.ctx, box.aws.cfn, change(box, body))
    assert f"over the {limits.TEMPLATE_BODY:,} bytes CloudFormation takes in a request" in (
        raised.value.message
    )
    assert raised.value.hint is not None and "git lift env update -e staging" in raised.value.hint
    assert box.aws.cfn.requests == []


def test_a_template_over_the_request_limit_goes_through_the_bucket_and_is_removed(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    body = padded(limits.TEMPLATE_BODY + 1)
    stack = change_stack(box.ctx, box.aws.cfn, change(box, body, bucket="lift-staging-templates"))
    assert stack is not None and stack.succeeded
    assert "passing it through s3://lift-staging-templates" in capsys.readouterr().err
    assert box.aws.buckets["lift-staging-templates"] == {}  # only while the change ran


def test_a_template_over_what_cloudformation_reads_from_s3_is_refused(box: InProcess) -> None:
    with pytest.raises(ValidationError) as raised:
        change_stack(box.ctx, box.aws.cfn, change(box, padded(limits.TEMPLATE_URL + 1), bucket="b"))
    assert "(1 MB) CloudFormation reads from S3; nothing was changed" in raised.value.message
    assert raised.value.hint == (
        "shrink it: name fewer keys in env.sample (each is a secret in the template)"
    )
