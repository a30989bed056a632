"""Processes in a release, in-process (issue 21, "Processes from one image and config"): a
ship registers a revision per process with the release's image, starts every process's
deployment, then waits for each; when one fails, every process goes back to what it ran
before; the record keeps each process's task definition; a rollback brings each back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.aws.store import Release, ServiceDocument
from git_lift.commands import cancel, status
from git_lift.commands.rollback import roll_back
from git_lift.commands.run import run_task
from git_lift.errors import DeployFailed, NotSetUp
from git_lift.flows.image import ImageSource
from git_lift.flows.one_off import RunRequest
from git_lift.flows.release_plan import steps_of
from git_lift.flows.service_stack import PLACEHOLDER_IMAGE
from git_lift.flows.ship_plan import plan_ship
from tests.support.fakes import NEW_IMAGE, OLD, FakeAws, FakeEcs, World, behaves, ship, world

pytestmark = pytest.mark.fast

SHA = "c0ffee" + "0" * 34
WORKER_ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-payments-api_worker:{}"
PROCESSES = {"worker": {"command": ["bin/worker"]}}
ELSEWHERE = "ci@runner-7 pid 4242 (git lift ship)"


def with_worker(tmp_path: Path, tasks: dict[str, str] | None = None) -> World:
    """web and a worker; `tasks`: what the tasks of each new revision do (default: start)."""
    told = tasks or {}

    def behaviour(arn: str) -> str:
        if arn.endswith(":1"):
            return "start"  # what ran before the release
        return told.get("worker" if "_worker:" in arn else "web", "start")

    w = world(tmp_path, tasks=behaviour)
    document = {**servicecfg.default_document(False), "processes": PROCESSES}
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    return w


def worker_of(w: World) -> FakeEcs:
    aws = w.ctx.aws
    assert isinstance(aws, FakeAws)
    return aws.ecs_of(w.target.for_process("worker"))


def test_a_ship_releases_web_and_the_worker_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_worker(tmp_path)
    uri, _, digest = NEW_IMAGE.partition("@")
    plan = plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), {})
    # One image; a revision per process; every deployment started before any is waited for.
    assert steps_of(plan) == [
        f"image {NEW_IMAGE}",
        "register task definition",
        "register task definition of worker",
        "update service",
        "update worker",
        "wait",
        "wait for worker",
        "record",
    ]
    assert (
        "change",
        "~ process worker: staging-payments-api_worker:1 -> the same image and config",
    ) in plan.changes
    assert ship(w) == 0
    worker = worker_of(w)
    assert worker.running_definition == WORKER_ARN.format(2)
    registered = worker.definitions[WORKER_ARN.format(2)]
    assert registered["containerDefinitions"][0]["image"] == NEW_IMAGE
    assert w.ecs.running_definition.endswith("staging-payments-api:2")
    (record,) = w.store.releases(w.target)
    assert record.processes == {"worker": WORKER_ARN.format(2)}
    assert "deploying staging-payments-api_worker:2 to payments-api_worker (worker)" in (
        capsys.readouterr().err
    )


def test_a_worker_that_fails_to_start_rolls_back_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_worker(tmp_path, {"worker": "crash"})
    with pytest.raises(DeployFailed):
        ship(w, timeout=120)
    worker = worker_of(w)
    assert worker.running_definition == WORKER_ARN.format(1)
    assert w.ecs.running_definition == OLD  # web too, though its own tasks started
    assert w.ecs.deployed == [w.ecs.arn.format(2), OLD]
    assert worker.deregistered == [WORKER_ARN.format(2)]
    (record,) = w.store.releases(w.target)
    assert record.outcome == "failed"
    assert "deploy failed: worker: " in capsys.readouterr().err


def test_a_rollback_brings_each_process_back(tmp_path: Path) -> None:
    w = with_worker(tmp_path)
    ship(w)
    ship(w, image=NEW_IMAGE.replace("2" * 64, "3" * 64))
    assert worker_of(w).running_definition == WORKER_ARN.format(3)
    assert roll_back(w.ctx, w.target, 1, 60.0) == 0
    assert worker_of(w).running_definition == WORKER_ARN.format(2)
    newest = w.store.releases(w.target)[0]
    assert newest.processes == {"worker": WORKER_ARN.format(2)}


def test_a_record_from_before_processes_still_reads() -> None:
    old = Release(1, "staging", "payments-api", SHA, NEW_IMAGE, OLD, "Ann", 1.0)
    assert old.processes == {}
    doc = {k: v for k, v in old.__dict__.items() if k != "processes"}
    assert Release(**doc) == old  # a record written before processes


def test_a_process_the_stack_lacks_is_said_before_anything_is_built(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    document = {**servicecfg.default_document(False), "processes": PROCESSES}
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    worker = worker_of(w)

    def missing() -> None:
        raise NotSetUp("there is no ECS service payments-api_worker in cluster lift-staging")

    worker.describe = missing  # type: ignore[method-assign,assignment]
    uri, _, digest = NEW_IMAGE.partition("@")
    with pytest.raises(NotSetUp) as info:
        plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), {})
    assert "process worker" in str(info.value)
    assert "git lift service update -e staging" in (info.value.hint or "")


def test_status_and_history_show_each_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_worker(tmp_path)
    ship(w)
    capsys.readouterr()
    assert status.status(w.ctx, ("staging",)) == 0
    out = capsys.readouterr().out
    assert "  tasks     2/2 running, rollout COMPLETED" in out
    assert (
        "  process   worker  2/2 running, rollout COMPLETED, runs staging-payments-api_worker:2"
        in out
    )
    w.ctx.options = dataclasses.replace(w.ctx.options, output="json")
    status.status(w.ctx, ("staging",))
    (row,) = json.loads(capsys.readouterr().out)
    assert row["processes"][0]["service"] == "payments-api_worker"
    w.ctx.options = dataclasses.replace(w.ctx.options, output="text")
    status.history(w.ctx, "staging")
    assert "(web and worker)" in capsys.readouterr().out


def test_status_says_when_a_worker_does_not_run_the_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_worker(tmp_path)
    ship(w)
    worker_of(w).deploy(WORKER_ARN.format(1))  # someone moved it by hand
    capsys.readouterr()
    status.status(w.ctx, ("staging",))
    assert "(release 1 ran staging-payments-api_worker:2)" in capsys.readouterr().out


def test_a_service_without_processes_shows_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    ship(w)
    assert status.status(w.ctx, ("staging",)) == 0
    assert "  process " not in capsys.readouterr().out
    assert w.store.releases(w.target)[0].processes == {}


def test_cancel_brings_the_workers_back_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ship in flight started web and the worker on revision 3; cancel brings both back to
    what release 1 ran."""
    w = with_worker(tmp_path, {"web": "start", "worker": "start"})
    ship(w)
    web, worker = w.ecs, worker_of(w)
    for fake in (web, worker):  # the ship in flight: revision 3, its tasks still starting
        fake.tasks = lambda arn: "hang" if arn.endswith(":3") else "start"
        third = fake.register(fake.definitions[fake.arn.format(2)])
        fake.deploy(third)
    head = w.store.head(w.target)
    head.n, head.owner, head.expires = 2, ELSEWHERE, w.clock() + 600
    head.previous, head.deploying = web.arn.format(2), web.arn.format(3)
    capsys.readouterr()
    assert cancel.cancel(w.ctx, "staging") == 0
    assert web.running_definition == web.arn.format(2)
    assert worker.running_definition == WORKER_ARN.format(2)
    assert "cancelling worker too: going back to staging-payments-api_worker:2" in (
        capsys.readouterr().err
    )


def test_a_rollback_leaves_out_a_process_the_config_no_longer_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Release 1 ran a worker that the service config has since dropped (its ECS service went
    with the stack update): the rollback brings web back, and says it leaves the worker out."""
    w = with_worker(tmp_path)
    ship(w)
    ship(w, image=NEW_IMAGE.replace("2" * 64, "3" * 64))
    document = servicecfg.default_document(False)
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 2, document, "Dana", 1.0)
    )
    worker = worker_of(w)
    deployed = list(worker.deployed)
    assert roll_back(w.ctx, w.target, 1, 60.0) == 0
    assert worker.deployed == deployed  # nothing asked of it
    assert w.store.releases(w.target)[0].processes == {}
    assert "worker is no longer in the service config: left out" in capsys.readouterr().err


def test_cancel_leaves_out_a_process_the_config_no_longer_has(tmp_path: Path) -> None:
    w = with_worker(tmp_path)
    ship(w)
    document = servicecfg.default_document(False)
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 2, document, "Dana", 1.0)
    )

    def gone() -> None:
        raise NotSetUp("there is no ECS service payments-api_worker in cluster lift-staging")

    worker_of(w).describe = gone  # type: ignore[method-assign,assignment]
    web = w.ecs
    web.tasks = lambda arn: "hang" if arn.endswith(":3") else "start"
    web.deploy(web.register(web.definitions[web.arn.format(2)]))
    head = w.store.head(w.target)
    head.n, head.owner, head.expires = 2, ELSEWHERE, w.clock() + 600
    head.previous, head.deploying = web.arn.format(2), web.arn.format(3)
    assert cancel.cancel(w.ctx, "staging") == 0
    assert web.running_definition == web.arn.format(2)


def test_status_says_a_process_the_stack_lacks_is_not_set_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = with_worker(tmp_path)
    ship(w)

    def missing() -> None:
        raise NotSetUp("there is no ECS service payments-api_worker in cluster lift-staging")

    worker_of(w).describe = missing  # type: ignore[method-assign,assignment]
    capsys.readouterr()
    assert status.status(w.ctx, ("staging",)) == 0
    assert (
        "  process   worker  not set up: there is no ECS service payments-api_worker in cluster "
        "lift-staging"
    ) in capsys.readouterr().out


def idle_worker(w: World, processes: dict[str, object] | None = None) -> FakeEcs:
    """The worker as a stack made before any ship leaves it: 0 tasks of the placeholder."""
    if processes is not None:
        document = {**servicecfg.default_document(False), "processes": processes}
        w.store.save_service_document(
            w.target, ServiceDocument("staging", "payments-api", 2, document, "Dana", 0.0)
        )
    worker = worker_of(w)
    worker.desired = 0
    first = worker.definitions[WORKER_ARN.format(1)]
    first["containerDefinitions"][0]["image"] = PLACEHOLDER_IMAGE
    return worker


def test_the_first_release_starts_an_idle_worker_at_its_count(tmp_path: Path) -> None:
    w = with_worker(tmp_path)
    scaled = {"command": ["bin/worker"], "desired_count": 3, "autoscaling": {"min": 2, "max": 6}}
    worker = idle_worker(w, {"worker": scaled})
    assert ship(w) == 0
    assert (worker.running_definition, worker.desired) == (WORKER_ARN.format(2), 3)


def test_a_worker_scaled_to_zero_on_purpose_stays_at_zero(tmp_path: Path) -> None:
    w = with_worker(tmp_path)
    worker = worker_of(w)
    worker.desired = 0  # `git lift scale --process worker 0`: it runs a release's image
    assert ship(w) == 0
    assert (worker.running_definition, worker.desired) == (WORKER_ARN.format(2), 0)


def test_a_failed_first_release_leaves_the_worker_idle_again(tmp_path: Path) -> None:
    w = with_worker(tmp_path, {"worker": "crash"})
    worker = idle_worker(w)
    with pytest.raises(DeployFailed):
        ship(w, timeout=120)
    assert (worker.running_definition, worker.desired) == (WORKER_ARN.format(1), 0)


def test_run_process_runs_its_revision_with_its_own_command(tmp_path: Path) -> None:
    w = with_worker(tmp_path)
    assert ship(w) == 0
    worker = worker_of(w)
    request = RunRequest((), detach=True)
    assert run_task(w.ctx, "staging", request, process="worker") == 0
    assert worker.runs[-1]["task_definition"] == WORKER_ARN.format(2)
    assert worker.runs[-1]["command"] is None  # the worker's own
    with_command = RunRequest(("bin/once",), release=1, detach=True)
    assert run_task(w.ctx, "staging", with_command, process="worker") == 0
    assert (worker.runs[-1]["task_definition"], worker.runs[-1]["command"]) == (
        WORKER_ARN.format(2),
        ["bin/once"],
    )
    assert w.ecs.runs == []  # nothing of web's
