"""`service delete` and `env delete` in-process, on the fakes: a resource CloudFormation cannot
delete, an interrupt, a lock AWS does not let go, a purge cut short, a dead holder's lock, and
the environment's services told apart from another environment's."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from git_lift.aws.cfn import CloudFormation, StackFailed
from git_lift.aws.store import EnvironmentRecord
from git_lift.errors import LiftError, Unreachable
from git_lift.flows.environment_teardown import delete_environment
from git_lift.flows.service_teardown import Purge, delete_service
from git_lift.options import Options
from git_lift.templates.environment_params import CLOUDFORMATION_ROLE
from tests.support.fakes import InProcess, in_process
from tests.support.fakes.cfn import FakeStack

ROLE = "arn:aws:iam::123456789012:role/lift-staging-cloudformation"
AGAIN = "git lift service delete -e staging -s payments-api"
RESOURCES = {
    "LogGroup": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete"},
    "Service": {"Type": "AWS::ECS::Service"},
    "TargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup"},
}


def stack(box: InProcess, name: str, resources: dict[str, object] | None = None) -> FakeStack:
    made = FakeStack(
        name,
        f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{name}/1",
        "CREATE_COMPLETE",
        template={"Resources": resources or RESOURCES},
    )
    box.aws.cfn.stacks[name] = made
    return made


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    box = in_process(tmp_path, options=Options(yes=True))
    outputs = {CLOUDFORMATION_ROLE: ROLE}
    record = EnvironmentRecord(
        "staging", "eu-west-1", "123456789012", "lift-staging", {}, outputs, "me", 0, "me", 0
    )
    box.aws.store.environment_records["staging"] = record
    stack(box, "lift-staging")
    stack(box, "lift-staging-payments-api")
    return box


KEEP = Purge()


def delete(box: InProcess, purge: Purge = KEEP) -> int:
    return delete_service(box.ctx, "staging", purge, 600.0)


def test_a_resource_that_cannot_go_is_named_with_awss_reason_and_the_command_that_finishes(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "Target group is currently in use by a listener or a rule"
    box.aws.cfn.fail_delete = {"TargetGroup": reason}
    with pytest.raises(StackFailed) as failed:
        delete(box)
    assert failed.value.message.startswith(
        "lift-staging-payments-api is DELETE_FAILED: target group TargetGroup-physical "
        f"(TargetGroup) could not be deleted: {reason}"
    )
    assert failed.value.hint == (
        "remove what holds it (or the target group TargetGroup-physical itself) by hand, "
        f"then run again: {AGAIN}"
    )
    assert "DELETE_FAILED" in capsys.readouterr().err
    assert box.aws.store.lock(box.target()) is None
    assert box.aws.cfn.stacks["lift-staging-payments-api"].status == "DELETE_FAILED"
    assert box.aws.cfn.requests == []  # no change set: a deletion is a DeleteStack

    assert delete(box) == 0  # the cause is gone: the same command finishes
    assert "lift-staging-payments-api" not in box.aws.cfn.stacks


def test_an_interrupt_says_cloudformation_goes_on_and_drops_the_lock(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(type(box.aws.cfn), "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        delete(box)
    told = capsys.readouterr().err
    assert (
        "interrupted: CloudFormation goes on deleting lift-staging-payments-api; "
        f"see it finish with: {AGAIN}"
    ) in told
    assert box.aws.store.lock(box.target()) is None


def test_a_deletion_already_running_is_watched_not_asked_again(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box.aws.cfn.stacks["lift-staging-payments-api"].status = "DELETE_IN_PROGRESS"
    asked: list[str] = []
    real = CloudFormation.delete_stack

    def delete_stack(self: CloudFormation, stack_id: str, **kwargs: object) -> None:
        asked.append(stack_id)
        real(self, stack_id)

    monkeypatch.setattr(type(box.aws.cfn), "delete_stack", delete_stack)

    def settle(*_: object) -> tuple[object, list[object]]:
        found = box.aws.cfn.stacks.pop("lift-staging-payments-api")
        found.status = "DELETE_COMPLETE"
        return found.frozen(), []

    monkeypatch.setattr(type(box.aws.cfn), "wait", settle)
    assert delete(box) == 0
    assert asked == []
    assert "is being deleted already: watching it" in capsys.readouterr().err


def test_a_lock_aws_does_not_let_go_is_named_with_the_command_that_removes_it(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def cut(*_: object) -> bool:
        raise Unreachable("could not reach dynamodb.eu-west-1.amazonaws.com")

    monkeypatch.setattr(type(box.aws.store), "release_lock", cut)
    assert delete(box) == 0
    told = capsys.readouterr().err
    assert "payments-api is deleted from staging" in told
    assert "could not release the deploy lock of payments-api in staging (could not reach" in told
    assert "git lift unlock -e staging -s payments-api" in told


def test_a_purge_cut_short_says_what_went_and_how_to_finish(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = box.target()
    box.aws.parameters(t).put("DATABASE_URL", "postgres://x", advanced=False)
    box.aws.ecr_repos.images["payments-api"] = {"sha256:" + "a" * 64}

    def cut(*_: object) -> int:
        raise Unreachable("could not reach api.ecr.eu-west-1.amazonaws.com")

    monkeypatch.setattr(type(box.aws.ecr_repos), "delete_images", cut)
    with pytest.raises(LiftError) as failed:
        delete(box, Purge(config=True, images=True))
    assert "(the stack is gone; deleted 1 config value; the rest of the purge was not done)" in (
        failed.value.message
    )
    assert failed.value.hint == f"run it again to finish: {AGAIN} --purge-config --purge-images"
    assert box.aws.store.lock(t) is None
    monkeypatch.undo()
    assert delete(box, Purge(config=True, images=True)) == 0
    assert box.aws.ecr_repos.images["payments-api"] == set()


def test_the_lock_of_a_dead_process_of_this_machine_is_taken_over_with_a_word(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    gone = f"dev@{socket.gethostname()} pid {child} (abc123) [deleting the service]"
    head = box.aws.store.head(box.target())
    head.owner, head.expires = gone, box.aws.fake_clock() + 600
    assert delete(box) == 0
    told = capsys.readouterr().err
    holder = f"dev@{socket.gethostname()} pid {child} (abc123), whose process is gone"
    assert f"took over the deploy lock of payments-api in staging from {holder}" in told
    assert "CloudFormation goes on with any deletion it started" in told


def test_env_delete_names_its_services_and_not_another_environments(
    tmp_path: Path, box: InProcess
) -> None:
    stack(box, "lift-staging-worker")
    with pytest.raises(LiftError) as refused:
        delete_environment(box.ctx, "staging", 600.0)
    assert refused.value.message == (
        "environment staging still has 2 services: payments-api, worker; nothing was deleted"
    )
    assert refused.value.hint == (
        "delete them first: git lift service delete -e staging -s payments-api; "
        "git lift service delete -e staging -s worker"
    )
    assert "lift-staging" in box.aws.cfn.stacks
    assert box.aws.store.environment("staging") is not None

    two = in_process(
        tmp_path / "two",
        gitlift='[env "staging"]\n\tref = refs/heads/main\n'
        '[env "staging-2"]\n\tref = refs/heads/x\n',
        options=Options(yes=True),
    )
    two.aws.cfn = box.aws.cfn
    two.aws.store.environment_records = box.aws.store.environment_records
    del box.aws.cfn.stacks["lift-staging-payments-api"], box.aws.cfn.stacks["lift-staging-worker"]
    stack(box, "lift-staging-2")
    stack(box, "lift-staging-2-api")
    assert delete_environment(two.ctx, "staging", 600.0) == 0
    assert set(box.aws.cfn.stacks) == {"lift-staging-2", "lift-staging-2-api"}
    assert two.aws.store.environment("staging") is None


def test_a_log_group_the_template_keeps_is_listed_as_staying(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = {**RESOURCES, "LogGroup": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain"}}
    stack(box, "lift-staging-payments-api", kept)
    assert delete(box) == 0
    told = capsys.readouterr().err
    assert "- log group (and its logs) LogGroup-physical" not in told
    assert (
        "= log group (and its logs) LogGroup-physical (LogGroup): its DeletionPolicy keeps it; "
        "delete it by hand"
    ) in told
    assert "- ECS service Service-physical (Service)" in told


def test_env_delete_cut_off_before_the_record_finishes_on_the_next_run(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    del box.aws.cfn.stacks["lift-staging-payments-api"]

    def cut(*_: object) -> None:
        raise Unreachable("could not reach dynamodb.eu-west-1.amazonaws.com")

    monkeypatch.setattr(type(box.aws.store), "delete_environment", cut)
    with pytest.raises(Unreachable) as cut_off:
        delete_environment(box.ctx, "staging", 600.0)
    assert "(stack lift-staging is deleted; its record is not)" in cut_off.value.message
    assert cut_off.value.hint == "run it again to remove the record: git lift env delete -e staging"
    assert "lift-staging" not in box.aws.cfn.stacks
    assert box.aws.store.environment("staging") is not None
    monkeypatch.undo()
    capsys.readouterr()
    assert delete_environment(box.ctx, "staging", 600.0) == 0
    told = capsys.readouterr().err
    assert "Deleting environment staging removes:" in told
    assert "- the record of staging in the git-lift table" in told
    assert box.aws.store.environment("staging") is None
