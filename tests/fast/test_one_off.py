"""`git lift run` in-process (issue 20): a one-off task of the running release (or release N)
where the service runs, its output printed as it comes, its exit code returned; --detach
prints the task id; Ctrl-C stops the task; a task that never started is an error with AWS's
reason; a service that is not set up is refused with the command that sets it up."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.commands.run import checked_size, run_task
from git_lift.errors import Interrupted, LiftError, NotSetUp, UsageError
from git_lift.flows.one_off import RunRequest, run
from tests.support.fakes import NEW, OLD, World, ship, world


@pytest.fixture
def w(tmp_path: Path) -> World:
    return world(tmp_path, tasks=lambda arn: "start")


def test_run_prints_the_tasks_output_and_returns_the_containers_exit_code(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.ecs.one_off = lambda command: (3, ["migrating", "no such table: users"])
    assert run(w.ctx, w.target, RunRequest(("bin/rails", "db:migrate"))) == 3
    assert w.ecs.runs[0]["task_definition"] == OLD  # the running release's
    assert w.ecs.runs[0]["command"] == ["bin/rails", "db:migrate"]
    assert w.ecs.runs[0]["container"] == "payments-api"
    out, err = capsys.readouterr()
    assert out == "migrating\nno such table: users\n"
    assert "exit 3" in err
    assert w.ecs.deployed == []  # a one-off task deploys nothing


def test_run_of_a_release_runs_its_task_definition(w: World) -> None:
    ship(w)  # release 1 runs NEW
    w.ecs.deployments[-1].task_definition = OLD  # something else runs now
    assert run(w.ctx, w.target, RunRequest(("true",), release=1)) == 0
    assert w.ecs.runs[0]["task_definition"] == NEW


def test_detach_prints_the_task_id_and_returns_at_once(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.ecs.one_off = lambda command: (7, [])
    assert run(w.ctx, w.target, RunRequest(("bin/backfill",), detach=True)) == 0
    task_id = w.ecs.runs[0]["arn"].rsplit("/", 1)[-1]
    assert capsys.readouterr().out == f"{task_id}\n"
    assert w.ecs.one_off_tasks[w.ecs.runs[0]["arn"]].last_status == "PROVISIONING"


def test_a_task_that_never_started_fails_with_aws_reason(w: World) -> None:
    w.ecs.one_off = lambda command: (None, [])
    with pytest.raises(LiftError) as failed:
        run(w.ctx, w.target, RunRequest(("true",)))
    assert failed.value.exit_code == 1
    assert "stopped before its command ran: CannotPullContainerError" in failed.value.message


def test_ctrl_c_stops_the_task_and_says_so(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    w.ecs.one_off = lambda command: (0, ["working"])
    monkeypatch.setattr(w.ctx.aws, "sleep", interrupted)
    with pytest.raises(Interrupted) as stopped:
        run(w.ctx, w.target, RunRequest(("sleep", "600")))
    arn = w.ecs.runs[0]["arn"]
    assert stopped.value.message == f"interrupted: task {arn.rsplit('/', 1)[-1]} stopped"
    assert stopped.value.exit_code == 130
    assert [task for task, _ in w.ecs.stopped_by_us] == [arn]


def test_run_refuses_a_service_that_is_not_set_up(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise NotSetUp("there is no ECS service payments-api in cluster lift-staging")

    monkeypatch.setattr(w.ecs, "describe", missing)
    with pytest.raises(NotSetUp) as refused:
        run(w.ctx, w.target, RunRequest(("true",)))
    assert "there is no ECS service payments-api" in refused.value.message
    assert refused.value.hint == "set it up: git lift setup -e staging"
    assert w.ecs.runs == []


def test_cpu_and_memory_override_the_tasks_size(w: World) -> None:
    assert run_task(w.ctx, "staging", RunRequest(("true",), cpu=1024, memory=4096)) == 0
    assert (w.ecs.runs[0]["cpu"], w.ecs.runs[0]["memory"]) == (1024, 4096)


@pytest.mark.parametrize(
    ("cpu", "memory", "said"),
    [
        (1024, None, "--cpu and --memory go together"),
        (1000, 2048, "--cpu 1000 is not a Fargate size"),
        (256, 4096, "--memory 4096 does not go with --cpu 256"),
    ],
)
def test_a_size_fargate_does_not_offer_is_refused_before_anything_runs(
    cpu: int, memory: int | None, said: str
) -> None:
    with pytest.raises(UsageError) as refused:
        checked_size(cpu, memory)
    assert refused.value.message == said


def test_release_and_ref_together_are_refused(w: World) -> None:
    with pytest.raises(UsageError):
        run(w.ctx, w.target, RunRequest(("true",), release=1, ref="main"))
    assert w.ecs.runs == []
