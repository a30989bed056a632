"""The release phase in-process (issue 20): the service config's `release_command` runs as a
one-off task of the new task definition after it is registered and before the service is
updated; its result goes into the record and the tag's trailers; a non-zero exit stops the
release with nothing deployed, the lock released and the attempt recorded; the plan names
it; a rollback does not run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.aws.store import ServiceDocument
from git_lift.commands.rollback import roll_back
from git_lift.commands.status import history
from git_lift.errors import ReleaseCommandFailed
from git_lift.servicecfg import ServiceConfigError
from tests.support.fakes import NEW, OLD, World, ship, world

MIGRATE = ["bin/rails", "db:migrate"]


@pytest.fixture
def w(tmp_path: Path) -> World:
    found = world(tmp_path, tasks=lambda arn: "start")
    document = {**servicecfg.default_document(False), "release_command": MIGRATE}
    found.store.save_service_document(
        found.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    return found


def test_the_release_command_runs_with_the_new_task_definition_before_the_service_is_updated(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    order: list[str] = []
    w.ecs.one_off = lambda command: (order.append("release command") or 0, ["migrated 3"])
    deploy = w.ecs.deploy
    w.ecs.deploy = lambda arn: order.append("update service") or deploy(arn)  # type: ignore[method-assign]
    assert ship(w) == 0
    assert [(r["task_definition"], r["command"]) for r in w.ecs.runs] == [(NEW, MIGRATE)]
    assert order[0] == "release command" and "update service" in order
    done = w.store.releases(w.target)[0]
    assert done.released
    assert done.release_command is not None and done.release_command.startswith("exit 0 in ")
    tag = w.repo.tags["lift/staging/payments-api/1"]
    assert f"Release-Command: {done.release_command}" in tag
    err = capsys.readouterr().err
    assert "release command: bin/rails db:migrate" in err  # in the plan shown first
    assert "  | migrated 3" in err


def test_a_failing_release_command_stops_the_release_with_nothing_deployed(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.ecs.one_off = lambda command: (2, [f"line {n}" for n in range(15)])
    with pytest.raises(ReleaseCommandFailed) as failed:
        ship(w)
    message = failed.value.message
    assert "the release command (bin/rails db:migrate) exited 2" in message
    assert "nothing was deployed, payments-api still runs staging-payments-api:1" in message
    assert "line 14" in message and "line 5" in message and "line 4" not in message
    assert failed.value.exit_code == 1
    assert w.ecs.deployed == []
    assert w.ecs.running_definition == OLD
    assert w.store.lock(w.target) is None
    attempt = w.store.releases(w.target)[0]
    assert attempt.outcome == "release command failed"
    assert attempt.release_command is not None and attempt.release_command.startswith("exit 2")
    assert w.repo.tags == {}
    capsys.readouterr()
    history(w.ctx, "staging")
    assert "(release command failed)" in capsys.readouterr().out


def test_a_release_command_whose_task_never_started_stops_the_release(w: World) -> None:
    w.ecs.one_off = lambda command: (None, [])
    with pytest.raises(ReleaseCommandFailed) as failed:
        ship(w)
    assert "did not start: CannotPullContainerError" in failed.value.message
    assert w.ecs.deployed == []
    assert w.store.releases(w.target)[0].release_command == "did not start"


def test_a_release_command_that_runs_past_the_timeout_is_stopped_and_deploys_nothing(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewed: list[float] = []
    renew = w.store.renew_lock
    monkeypatch.setattr(w.store, "renew_lock", lambda *a: renewed.append(w.clock.now) or renew(*a))
    w.ecs.one_off_hangs = True
    with pytest.raises(ReleaseCommandFailed) as failed:
        ship(w, timeout=120.0)
    assert "did not finish in 120s (--timeout): its task is stopped" in failed.value.message
    assert [task for task, _ in w.ecs.stopped_by_us] == [w.ecs.runs[0]["arn"]]
    assert len(renewed) >= 3  # the deploy lock is renewed while the command runs
    assert w.ecs.deployed == []
    assert w.store.lock(w.target) is None
    assert w.store.releases(w.target)[0].release_command == "did not finish in 120s"


def test_ctrl_c_during_the_release_command_stops_its_task_and_deploys_nothing(
    w: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(w.ctx.aws, "sleep", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ship(w)
    assert [task for task, _ in w.ecs.stopped_by_us] == [w.ecs.runs[0]["arn"]]
    assert w.ecs.deployed == []
    assert w.store.lock(w.target) is None
    assert w.store.releases(w.target)[0].outcome == "interrupted"
    err = capsys.readouterr().err
    assert "the release command's task" in err and "is stopped; nothing was deployed" in err


def test_rollback_does_not_run_the_release_command(w: World) -> None:
    w.ecs.one_off = lambda command: (0, [])
    ship(w)
    ship(w, force=True)  # the same image and config again: release 2
    runs = len(w.ecs.runs)
    roll_back(w.ctx, w.target, 1, 60.0)
    assert len(w.ecs.runs) == runs
    rolled_back = w.store.releases(w.target)[0]
    assert rolled_back.rolled_back_from == 2
    assert rolled_back.release_command is None  # release 1's is not this release's
    assert "Release-Command" not in w.repo.tags["lift/staging/payments-api/3"]


def test_a_saved_document_another_rule_refuses_still_ships_its_release_command(
    w: World,
) -> None:
    document = {"cpu": 300, "memory": 1, "release_command": MIGRATE}  # not a Fargate size
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 2, document, "Dana", 0.0)
    )
    assert ship(w) == 0
    assert w.ecs.runs[0]["command"] == MIGRATE


def test_without_a_release_command_no_task_runs(tmp_path: Path) -> None:
    plain = world(tmp_path, tasks=lambda arn: "start")
    ship(plain)
    assert plain.ecs.runs == []
    assert plain.store.releases(plain.target)[0].release_command is None


@pytest.mark.parametrize(
    "value", ["bin/rails db:migrate", [], ["bin/rails", 3], {"cmd": "migrate"}]
)
def test_release_command_must_be_an_array_of_strings(value: object) -> None:
    document = {**servicecfg.default_document(False), "release_command": value}
    with pytest.raises(ServiceConfigError) as refused:
        servicecfg.parse(document)
    assert refused.value.problems[0].startswith("$.release_command: expected null or an array")
    assert '["bin/rails", "db:migrate"]' in refused.value.problems[0]


def test_release_command_round_trips_through_the_document() -> None:
    document = {**servicecfg.default_document(False), "release_command": MIGRATE}
    parsed = servicecfg.parse(document)
    assert parsed.release_command == tuple(MIGRATE)
    assert servicecfg.to_document(parsed)["release_command"] == MIGRATE
