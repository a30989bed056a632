"""A release changed by a stack update (a helper's finding), on the fakes: after `service
edit` registers a later revision of the family with release 1's image, the service still runs
release 1 for release-config, status and the rotation notice, whose tasks read the secret
when that revision's deployment started them. One decision: release_history.running_release."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import ui
from git_lift.aws.ecs import Deployment, ServiceState
from git_lift.aws.secrets import SecretDates
from git_lift.aws.store import Release
from git_lift.commands import hook_checks, release_config, status
from git_lift.flows.release_history import Running, running_release
from git_lift.plan import secrets_for
from tests.support.fakes import (
    ARN,
    NEW,
    NEW_IMAGE,
    OLD_IMAGE,
    FakeDeployment,
    InProcess,
    behaves,
    in_process,
    ship,
    world,
)
from tests.support.records import record, runs

DB = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
SAMPLE = f"DATABASE_URL=postgres://localhost/dev\nDB_PASSWORD={DB}\n"
PATH = "/staging/payments-api"
DEPLOYED = 1_700_000_000.0 + 60  # release 1's deployed_at (tests/support/records.py)
EDITED = DEPLOYED + 3600  # the stack update's deployment started an hour later


def state(arn: str, *started: float) -> ServiceState:
    deployments = [
        Deployment(f"d{n}", "PRIMARY", arn, "COMPLETED", "", 1, 1, 0, 0, at)
        for n, at in enumerate(started)
    ]
    return ServiceState("svc", arn, 1, 1, deployments)


def release(number: int, revision: int, image: str = NEW_IMAGE, **more: object) -> Release:
    return Release(
        number, "staging", "payments-api", "c0ffee", image, ARN.format(revision), "Dana Dev",
        DEPLOYED + (number - 1) * 60, **more,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_running_release_is_the_record_of_the_revision_or_the_stacks_later_one() -> None:
    one, two = release(1, 2), release(2, 4, OLD_IMAGE)
    assert running_release([two, one], state(ARN.format(2)), NEW_IMAGE) == Running(one, DEPLOYED)
    # The stack's revision after release 2, with its image: release 2, since the deployment.
    edited = running_release([two, one], state(ARN.format(5), EDITED), OLD_IMAGE)
    assert edited == Running(two, EDITED, edited=True)
    # Release 1's tasks still run beside the new ones: the oldest deployment's start.
    rolling = running_release([two, one], state(ARN.format(5), EDITED, DEPLOYED - 30), OLD_IMAGE)
    assert rolling == Running(two, two.deployed_at, edited=True)
    assert running_release([two, one], state(ARN.format(5)), NEW_IMAGE) is None  # another image
    assert running_release([two, one], state(ARN.format(3)), OLD_IMAGE) is None  # older revision
    other = "arn:aws:ecs:eu-west-1:123456789012:task-definition/someone-else:9"
    assert running_release([two, one], state(other), OLD_IMAGE) is None  # another family
    failed = release(3, 6, "other@sha256:ff", outcome="failed")
    assert running_release([failed, two], state(ARN.format(7)), OLD_IMAGE) == Running(
        two, DEPLOYED + 60, edited=True
    )


def edited_box(tmp_path: Path, *, changed: float | None = None) -> InProcess:
    """Release 1 ran revision 2 (NEW_IMAGE); a stack update since runs revision 3, same
    image, its deployment started at EDITED. The secret changed at `changed`."""
    box = in_process(
        tmp_path,
        files={"env.sample": SAMPLE, "app.txt": "v1\n"},
        gitlift='[env "staging"]\n\tref = refs/heads/main\n\tregion = eu-west-1\n',
    )
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://s3cret")
    box.aws.ssm.put(f"{PATH}/DB_PASSWORD", DB)
    keys = ["DATABASE_URL", "DB_PASSWORD"]
    record(box, 1, image=NEW_IMAGE, revision=2, config_versions=dict.fromkeys(keys, 1))
    target = box.target()
    ecs = box.aws.ecs_of(target)
    for revision in (2, 3):
        arn = runs(box, revision, NEW_IMAGE)
        ecs.definitions[arn]["containerDefinitions"][0]["secrets"] = secrets_for(
            keys, {k: target.parameter_arn(k, "eu-west-1", "123456789012") for k in keys}
        )
    ecs.deployments[0].created_at = EDITED
    if changed is not None:
        box.aws.secrets.described[DB] = SecretDates(DB, None, changed, "v-two")
    return box


def test_release_config_after_an_edit_releases_the_running_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = edited_box(tmp_path, changed=DEPLOYED - 600)
    assert release_config.release_config(box.ctx, "staging") == 0
    assert "nothing to release: it runs release 1" in capsys.readouterr().err
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://two-s3cret")
    assert release_config.release_config(box.ctx, "staging") == 0
    newest = box.aws.store.releases(box.target())[0]
    assert newest.number == 2 and newest.image == NEW_IMAGE
    assert newest.config_changed == "DATABASE_URL"
    assert box.aws.ecs_of(box.target()).deployed == [ARN.format(4)]


def test_status_counts_a_secret_change_from_when_the_edited_tasks_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = edited_box(tmp_path, changed=DEPLOYED + 1800)  # between release 1 and the edit
    assert status.status(box.ctx, ("staging",)) == 0
    out = capsys.readouterr().out
    assert "release 1" in out and "DB_PASSWORD changed" not in out
    assert (
        f"  edited    {ui.when(EDITED)} by a stack update (git lift service edit): "
        "staging-payments-api:3, with the release's image" in out
    )
    assert "WARNING" not in out
    box.aws.secrets.described[DB] = SecretDates(DB, None, EDITED + 600, "v-three")
    status.status(box.ctx, ("staging",))
    assert "DB_PASSWORD changed 70 min after release 1" in capsys.readouterr().out


def push_main(box: InProcess) -> int:
    return hook_checks.pre_push(box.ctx, [box.pushed()])


def test_the_pre_push_notice_asks_ecs_only_when_a_secret_changed_after_the_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = edited_box(tmp_path, changed=DEPLOYED - 600)  # before the release: nothing to say
    ecs = box.aws.ecs_of(box.target())
    ecs.polls = 0
    assert push_main(box) == 0
    assert ecs.polls == 0 and ecs.definition_reads == 0
    box.aws.secrets.described[DB] = SecretDates(DB, None, DEPLOYED + 1800, "v-two")
    assert push_main(box) == 0
    assert "DB_PASSWORD changed" not in capsys.readouterr().err  # the edited tasks read it
    assert ecs.polls == 1 and ecs.definition_reads == 1  # DescribeServices, its revision
    box.aws.secrets.described[DB] = SecretDates(DB, None, EDITED + 600, "v-three")
    assert push_main(box) == 0
    assert (
        "warning: git lift: staging: DB_PASSWORD changed 70 min after release 1 "
        "(new tasks read it: git lift release-config -e staging)" in capsys.readouterr().err
    )


def test_a_ship_of_the_running_commit_after_an_edit_is_nothing_to_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w) == 0
    edited = {**w.ecs.definitions[NEW], "cpu": "512"}  # the stack's revision: same image
    arn = w.ecs.register(edited)
    w.ecs.deployments = [FakeDeployment("ecs-svc/edit", arn, "PRIMARY", "COMPLETED", 2)]
    capsys.readouterr()
    assert ship(w) == 0  # before: release 2, a deployment of the same task definition
    assert "nothing to release: it runs release 1" in capsys.readouterr().err
    assert [r.number for r in w.store.releases(w.target)] == [1]
    assert ship(w, image=OLD_IMAGE) == 0  # new code: released, from the edited revision
    assert w.ecs.task_definition(w.ecs.deployed[-1])["cpu"] == "512"


def test_in_a_pinned_environment_release_config_after_an_edit_pins_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stack's revision names Parameter Store (flows/service_stack.secrets), not release
    1's snapshot: its tasks read the newest values, so nothing is not "nothing to release"."""
    box = in_process(
        tmp_path,
        files={"env.sample": "DATABASE_URL=postgres://localhost/dev\n"},
        gitlift='[env "staging"]\n\tref = refs/heads/main\n\tpinConfig = true\n',
    )
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://one-s3cret")
    record(box, 1, image=NEW_IMAGE, revision=2, config_versions={"DATABASE_URL": 1},
           pinned={"arn:snapshot": "v-one"})  # fmt: skip
    target = box.target()
    for revision, value_from in ((2, "arn:snapshot:DATABASE_URL::v-one"), (3, None)):
        arn = runs(box, revision, NEW_IMAGE)
        parameter = target.parameter_arn("DATABASE_URL", "eu-west-1", "123456789012")
        secrets = [{"name": "DATABASE_URL", "valueFrom": value_from or parameter}]
        box.aws.ecs_of(target).definitions[arn]["containerDefinitions"][0]["secrets"] = secrets
    status.status(box.ctx, ("staging",))
    assert (
        "  config    pinned, but the stack update's revision reads Parameter Store's newest "
        "values: git lift release-config -e staging pins them again" in capsys.readouterr().out
    )
    assert release_config.release_config(box.ctx, "staging") == 0
    said = capsys.readouterr().err
    assert "nothing to release" not in said and "release 2" in said
    newest = box.aws.store.releases(target)[0]
    assert newest.number == 2 and newest.pinned and newest.image == NEW_IMAGE


def test_a_key_changed_before_the_edit_restarted_the_tasks_is_no_config_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = edited_box(tmp_path)
    box.aws.fake_clock.now = DEPLOYED + 1800  # between release 1 and the edit
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://two-s3cret")
    status.status(box.ctx, ("staging",))
    assert "drift     config changed" not in capsys.readouterr().out  # its tasks read v2
    box.aws.fake_clock.now = EDITED + 600  # after: the running tasks hold v2
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://three-s3cret")
    status.status(box.ctx, ("staging",))
    assert "drift     config changed since the release: ~DATABASE_URL" in capsys.readouterr().out
