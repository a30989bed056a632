"""The release plan and its executor on the in-memory fakes: steps run in order (prepare, then
under the lock deploy, then record), a failed step undoes the ones before it in reverse, each
once, and a plan shows what it changes and lists its steps."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from git_lift.aws.store import Release
from git_lift.commands.rollback import rollback_plan
from git_lift.errors import DeployFailed, LiftError
from git_lift.flows.executor import execute
from git_lift.flows.image import ImageSource
from git_lift.flows.release_plan import Phase, ReleasePlan, Run, Step, StepFailed, steps_of
from git_lift.flows.release_steps import RecordRelease
from git_lift.flows.ship_plan import plan_ship, show
from tests.support.fakes import (
    ARN,
    NEW_IMAGE,
    World,
    world,
)

SHA = "c0ffee" + "0" * 34
OLD = ARN.format(1)


@dataclasses.dataclass(frozen=True)
class Noted(Step):
    """A step that writes down what it did (and whether the lock was held), failing when
    told to."""

    label: str
    log: list[str]
    w: World
    fails: type[BaseException] | None = None
    undo_fails: bool = False
    kind: Phase = "deploy"

    @property  # type: ignore[override]
    def phase(self) -> Phase:
        return self.kind

    def line(self) -> str:
        return self.label

    def run(self, run: Run) -> None:
        locked = "locked" if self.w.store.lock(self.w.target) else "free"
        self.log.append(f"run {self.label} ({locked})")
        if self.fails is not None:
            raise self.fails(f"{self.label} failed")

    def undo(self, run: Run) -> None:
        self.log.append(f"undo {self.label}")
        if self.undo_fails:
            raise DeployFailed(f"undoing {self.label} failed")


def planned(w: World, *steps: Step) -> ReleasePlan:
    state = w.ecs.describe()
    record = Release(0, "staging", "payments-api", SHA, NEW_IMAGE, "", "Test Dev", 0.0)
    return ReleasePlan(w.target, state, w.ecs.task_definition(OLD), record, steps)


def four(w: World, log: list[str], failing: int | None, **how: object) -> list[Step]:
    return [
        Noted(f"s{n}", log, w, **({"fails": StepFailed} if n == failing else {}), **how)  # type: ignore[arg-type]
        for n in range(1, 5)
    ]


def test_the_steps_run_in_order_prepare_before_the_lock_then_deploy_then_record(
    tmp_path: Path,
) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    log: list[str] = []
    steps = [
        Noted("record", log, w, kind="record"),
        Noted("snapshot", log, w),
        Noted("build", log, w, kind="prepare"),
        Noted("register", log, w),
    ]
    done = execute(w.ctx, planned(w, *steps))
    assert log == [
        "run build (free)",
        "run snapshot (locked)",
        "run register (locked)",
        "run record (locked)",  # the record step itself drops the lock: here a fake one
    ]
    assert done.number == 1 and done.outcome == "released"


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_a_failure_in_step_k_undoes_steps_k_minus_1_to_1_each_once(
    tmp_path: Path, k: int, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    log: list[str] = []
    with pytest.raises(DeployFailed) as failed:
        execute(w.ctx, planned(w, *four(w, log, k), RecordRelease()))
    ran = [f"run s{n} (locked)" for n in range(1, k + 1)]
    assert log == ran + [f"undo s{n}" for n in range(k - 1, 0, -1)]
    assert "did not start" in failed.value.message
    assert f"deploy failed: s{k} failed" in capsys.readouterr().err
    assert w.store.lock(w.target) is None  # the lock is dropped whatever failed
    assert w.repo.tags == {}


def test_an_undo_that_fails_stops_the_undoing_and_says_so(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    log: list[str] = []
    steps = four(w, log, 4)
    steps[2] = dataclasses.replace(steps[2], undo_fails=True)  # type: ignore[type-var]
    with pytest.raises(DeployFailed, match="undoing s3 failed"):
        execute(w.ctx, planned(w, *steps))
    assert log[-2:] == ["run s4 (locked)", "undo s3"]
    assert w.store.lock(w.target) is None


def test_an_error_that_is_not_a_failed_step_undoes_nothing(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    log: list[str] = []
    steps = four(w, log, None)
    steps[2] = dataclasses.replace(steps[2], fails=LiftError)  # type: ignore[type-var]
    with pytest.raises(LiftError, match="s3 failed"):
        execute(w.ctx, planned(w, *steps))
    assert log == ["run s1 (locked)", "run s2 (locked)", "run s3 (locked)"]
    assert w.store.lock(w.target) is None


def test_a_failed_ship_undoes_the_service_then_the_task_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=lambda arn: "start" if arn == OLD else "hang", breaker=False)
    uri, _, digest = NEW_IMAGE.partition("@")
    plan = plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), {}, timeout=60)
    with pytest.raises(DeployFailed):
        execute(w.ctx, plan)
    said = capsys.readouterr().err
    assert said.index("rolling back to staging-payments-api:1") < len(said)
    assert w.ecs.deployed == [ARN.format(2), OLD]  # back on what ran before
    assert w.ecs.deregistered == [ARN.format(2)]  # then the revision that never ran: once
    assert w.store.releases(w.target)[0].outcome == "failed"


def test_a_ship_plan_shows_its_diff_and_lists_its_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    uri, _, digest = NEW_IMAGE.partition("@")
    source = ImageSource("given", uri, "", digest)
    plan = plan_ship(w.ctx, w.target, SHA, source, {})
    show(plan)
    said = capsys.readouterr().err
    assert said.splitlines()[0] == "payments-api in staging: staging-payments-api:1 ->"
    assert f"-> {NEW_IMAGE}" in said
    assert steps_of(plan) == [
        f"image {NEW_IMAGE}",
        "register task definition",
        "update service",
        "wait",
        "record",
    ]
    assert plan.record.commit == SHA and plan.record.number == 0  # numbered under the lock
    unwatched = plan_ship(w.ctx, w.target, SHA, source, {}, wait=False)
    assert "wait" not in steps_of(unwatched)
    pins = dataclasses.replace(
        w.target, environment=dataclasses.replace(w.target.environment, pin_config=True)
    )
    assert steps_of(plan_ship(w.ctx, pins, SHA, source, {}))[1:4] == [
        "read config",
        "snapshot config",
        "register task definition",
    ]


def test_a_rollback_is_a_plan_that_reuses_its_release_task_definition(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    state = w.ecs.describe()
    back = Release(3, "staging", "payments-api", SHA, NEW_IMAGE, ARN.format(7), "Ann", 1.0)
    current = dataclasses.replace(back, number=4, task_definition=OLD)
    plan = rollback_plan(w.ctx, w.target, state, current, back, 60.0)
    assert steps_of(plan) == [
        "use task definition staging-payments-api:7",
        "update service",
        "wait",
        "record",
    ]
    assert plan.record.rolled_back_from == 4 and plan.record.deployed_by == "Test Dev"
