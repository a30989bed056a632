"""The fakes behave as the AWS parts they stand for, in what flows rely on: a change set that
changes nothing is empty, a failed change rolls back with its root cause, a registry answers
through the real `image_config`, a snapshot's labels age out, a lease and a saved document
have one writer at a time. The end-to-end tests prove the real parts; these prove the fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift import registry
from git_lift.aws.cfn import StackEvent, root_cause
from git_lift.aws.logs import LogEvent
from git_lift.aws.store import ServiceDocument
from git_lift.errors import Conflict, LiftError
from tests.support.fakes import FakeRegistry, InProcess, in_process

TEMPLATE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def test_a_stack_is_created_then_an_unchanged_update_is_empty_and_a_failed_one_rolls_back(
    box: InProcess,
) -> None:
    cfn, seen, said = box.aws.stacks(), set[str](), list[StackEvent]()
    box.aws.cfn.outputs["lift-staging"] = {"ClusterName": "lift-staging"}
    created = cfn.create_change_set(
        "lift-staging", json.dumps(TEMPLATE), create=True, tags={}, timeout=60
    )
    assert [(c.kind, c.logical_id) for c in created.changes] == [("added", "Queue")]
    cfn.execute(created)
    stack, events = cfn.wait("lift-staging", seen, said.append, timeout=60)
    assert (stack.status, stack.outputs) == ("CREATE_COMPLETE", {"ClusterName": "lift-staging"})
    assert events == said and events[-1].status == "CREATE_COMPLETE"
    same = cfn.create_change_set(
        "lift-staging", json.dumps(TEMPLATE), create=False, tags={}, timeout=60
    )
    assert same.empty
    changed = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"X": 1}}}}
    box.aws.cfn.fail_next = "Resource handler returned message: access denied"
    update = cfn.create_change_set(
        "lift-staging", json.dumps(changed), create=False, tags={}, timeout=60
    )
    assert [c.kind for c in update.changes] == ["modified"]
    cfn.execute(update)
    stack, events = cfn.wait("lift-staging", seen, said.append, timeout=60)
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    cause = root_cause(events)
    assert cause is not None and cause.reason.endswith("access denied")


def test_a_refused_create_leaves_no_stack_behind(box: InProcess) -> None:
    cfn = box.aws.stacks()
    change = cfn.create_change_set("lift-qa", json.dumps(TEMPLATE), create=True, tags={}, timeout=9)
    reviewing = cfn.stack("lift-qa")
    assert reviewing is not None and reviewing.reviewing
    cfn.discard(change)  # the real discard, on the fake's calls
    assert cfn.stack("lift-qa") is None


def test_the_registry_answers_through_the_real_image_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeRegistry().install(monkeypatch)
    digest = fake.push("registry.example.com/payments-api:c0ffee", {"config": {"Env": ["A=1"]}})
    assert registry.manifest_digest("registry.example.com", "payments-api", "c0ffee") == digest
    config = registry.image_config("registry.example.com", "payments-api", digest)
    assert config == {"config": {"Env": ["A=1"]}}
    assert registry.manifest_digest("registry.example.com", "payments-api", "nope") is None


def test_snapshot_labels_age_out_and_values_come_back(box: InProcess) -> None:
    snapshots = box.aws.snapshots(box.target())
    [first] = snapshots.pin({"API_TOKEN": "one"}, 1)
    [second] = snapshots.pin({"API_TOKEN": "two"}, 2)
    assert snapshots.values(first.arn, first.version) == {"API_TOKEN": "one"}
    snapshots.prune(second.arn, keep_from=2)
    assert not snapshots.kept(first.arn, first.version)
    assert snapshots.kept(second.arn, second.version)


def test_one_config_writer_and_one_saved_document_at_a_time(box: InProcess) -> None:
    store, target, clock = box.aws.table("staging"), box.target(), box.aws.fake_clock
    assert store.take_config_lease(target, "ana", 60)
    assert not store.take_config_lease(target, "bob", 60)
    assert store.take_config_lease(target, "bob", 60, replacing="ana")  # ana's process is gone
    clock.sleep(61)
    assert store.take_config_lease(target, "carl", 60)  # bob's expired
    doc = ServiceDocument("staging", "payments-api", 1, {}, "ana", clock())
    store.save_service_document(target, doc)
    with pytest.raises(Conflict, match="was saved by ana while you edited"):
        store.save_service_document(target, ServiceDocument(**{**doc.__dict__, "author": "bob"}))


def test_logs_of_a_missing_group_say_how_to_make_it_and_events_start_where_asked(
    box: InProcess,
) -> None:
    logs = box.aws.logs(box.target())
    with pytest.raises(LiftError, match="there is no log group"):
        list(logs.events(0))
    box.aws.log_groups[logs.group] = [LogEvent(t, "s", f"line {t}", str(t)) for t in (5, 10)]
    assert [e.message for e in logs.events(6)] == ["line 10"]


def test_a_shell_needs_a_running_task(box: InProcess) -> None:
    ecs = box.aws.ecs_of(box.target())
    _, region = ecs.exec_session("payments-api", "/bin/sh")
    assert region == "eu-west-1" and ecs.sessions == [("payments-api", "/bin/sh")]
    for deployment in ecs.deployments:
        deployment.running = 0
    with pytest.raises(LiftError, match="has no running task in staging"):
        ecs.exec_session("payments-api", "/bin/sh")
