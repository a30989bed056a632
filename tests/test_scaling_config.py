"""The scaling fields of the service config: autoscaling targets and cooldowns, capacity."""

from __future__ import annotations

import pytest

from git_lift.errors import UsageError
from git_lift.scalingcfg import rescale
from git_lift.servicecfg import (
    Autoscaling,
    CapacityItem,
    QueueTarget,
    ServiceConfigError,
    default_document,
    parse,
)

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def doc(**changes: object) -> dict[str, object]:
    d = default_document(production=False)
    d.update(changes)
    return d


def worker(**changes: object) -> dict[str, object]:
    d = doc(**changes)
    del d["http_interface"]
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(ServiceConfigError) as info:
        parse(document)
    return info.value.problems


def test_an_old_document_with_cpu_target_only_parses_as_before() -> None:
    cfg = parse(doc(desired_count=2, autoscaling={"min": 2, "max": 6, "cpu_target": 55}))
    assert cfg.autoscaling == Autoscaling(min=2, max=6, cpu_target=55)
    a = parse(doc(autoscaling={"min": 1, "max": 3})).autoscaling
    assert a is not None and a.cpu_target == 60 and a.memory_target is None
    assert (a.scale_out_cooldown, a.scale_in_cooldown) == (60, 300)


def test_every_target_with_its_value_and_the_cooldowns() -> None:
    queue_arn = "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
    a = parse(
        doc(
            autoscaling={
                "min": 1,
                "max": 10,
                "cpu_target": None,
                "memory_target": 70,
                "requests_per_target": 500,
                "queue": {"name": queue_arn, "messages_per_task": 20},
                "scale_out_cooldown": 30,
                "scale_in_cooldown": 600,
            }
        )
    ).autoscaling
    assert a == Autoscaling(1, 10, None, 70, 500, QueueTarget(queue_arn, 20), 30, 600)
    assert a.queue is not None and a.queue.queue_name == "jobs.fifo"


def test_capacity_defaults_to_fargate_and_takes_spot_with_a_base() -> None:
    assert parse(doc()).capacity == (CapacityItem("FARGATE", 1, 0),)
    capacity = [{"provider": "FARGATE", "base": 1}, {"provider": "FARGATE_SPOT", "weight": 3}]
    assert parse(doc(capacity=capacity)).capacity == (
        CapacityItem("FARGATE", 1, 1),
        CapacityItem("FARGATE_SPOT", 3, 0),
    )


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            worker(autoscaling={"min": 1, "max": 2, "requests_per_target": 100}),
            "$.autoscaling.requests_per_target: needs http_interface",
        ),
        (
            doc(autoscaling={"min": 1, "max": 2, "cpu_target": None}),
            "$.autoscaling: has no target; give one of cpu_target, memory_target",
        ),
        (
            doc(autoscaling={"min": 1, "max": 2, "memory_target": 0}),
            "$.autoscaling.memory_target: 0 is out of range 1-100",
        ),
        (
            doc(autoscaling={"min": 1, "max": 2, "queue": {"name": "no spaces"}}),
            "$.autoscaling.queue.name: 'no spaces' is not an SQS queue name",
        ),
        (
            doc(autoscaling={"min": 1, "max": 2, "queue": {"messages_per_task": 5}}),
            "$.autoscaling.queue.name: required field is missing",
        ),
        (
            worker(desired_count=0, autoscaling={"min": 0, "max": 2, "queue": {"name": "jobs"}}),
            "$.autoscaling.min: must be 1 or more with queue",
        ),
        (
            doc(autoscaling={"min": 1, "max": 2, "scale_in_cooldown": -1}),
            "$.autoscaling.scale_in_cooldown: -1 is out of range",
        ),
        (doc(autoscaling={"min": 1, "max": 2, "cpu": 50}), "$.autoscaling.cpu: unknown field"),
        (doc(capacity=[]), "$.capacity: expected a non-empty array"),
        (doc(capacity={"provider": "FARGATE"}), "$.capacity: expected a non-empty array"),
        (doc(capacity=[{"provider": "EC2"}]), "$.capacity[0].provider: 'EC2' is not one of"),
        (doc(capacity=[{"weight": 1}]), "$.capacity[0].provider: required field is missing"),
        (
            doc(capacity=[{"provider": "FARGATE", "weight": 1001}]),
            "$.capacity[0].weight: 1001 is out of range 0-1000",
        ),
        (
            doc(capacity=[{"provider": "FARGATE"}, {"provider": "FARGATE"}]),
            "$.capacity: FARGATE is listed more than once",
        ),
        (
            doc(
                capacity=[
                    {"provider": "FARGATE", "base": 1},
                    {"provider": "FARGATE_SPOT", "base": 2},
                ]
            ),
            "$.capacity: more than one provider has a base",
        ),
        (
            doc(capacity=[{"provider": "FARGATE_SPOT", "weight": 0}]),
            "$.capacity: every weight is 0",
        ),
    ],
)
def test_problem_paths(document: object, expected: str) -> None:
    found = problems(document)
    assert any(p.startswith(expected) for p in found), found


SCALE = "git lift scale -e staging -s api"


def test_rescale_changes_only_the_count_and_bounds_it_is_given() -> None:
    stored = doc(autoscaling={"min": 1, "max": 4, "memory_target": 70})
    new = rescale(stored, desired=None, low=None, high=6, command=SCALE)
    assert new == {**stored, "autoscaling": {"min": 1, "max": 6, "memory_target": 70}}
    assert stored["autoscaling"] == {"min": 1, "max": 4, "memory_target": 70}  # not changed
    assert rescale(doc(), desired=3, low=None, high=None, command=SCALE)["desired_count"] == 3


def test_new_bounds_carry_the_desired_count_inside_them() -> None:
    """desired_count stays valid (inside min-max) as the bounds move past it."""
    stored = doc(autoscaling={"min": 1, "max": 4})
    raised = rescale(stored, desired=None, low=3, high=None, command=SCALE)
    assert (raised["desired_count"], raised["autoscaling"]) == (3, {"min": 3, "max": 4})
    stored = doc(desired_count=4, autoscaling={"min": 1, "max": 4})
    lowered = rescale(stored, desired=None, low=None, high=2, command=SCALE)
    assert lowered["desired_count"] == 2
    parse(raised)
    parse(lowered)


@pytest.mark.parametrize(
    ("autoscaling", "given", "message", "hint"),
    [
        (None, (None, None, None), "nothing to change", f"{SCALE} 3"),
        (None, (None, None, 5), "--min and --max set autoscaling's bounds", "service edit"),
        ({"min": 1, "max": 4}, (None, 5, None), "min 5 is greater than max 4", f"{SCALE} --min 4"),
        # With autoscaling the count is autoscaling's (the stack leaves DesiredCount out).
        (
            {"min": 1, "max": 4},
            (9, None, None),
            "autoscaling sets this count (1-4): --min and --max set its bounds, not N",
            f"{SCALE} --min 9 --max 9 (autoscaling keeps at least that many tasks)",
        ),
        (
            {"min": 1, "max": 4},
            (3, None, None),
            "autoscaling sets this count",
            f"{SCALE} --min 3 (",
        ),
        ({"min": 1, "max": 4}, (2, 2, None), "autoscaling sets this count", f"{SCALE} --min 2 ("),
    ],
)
def test_rescale_refuses_numbers_that_contradict(
    autoscaling: dict[str, int] | None,
    given: tuple[int | None, int | None, int | None],
    message: str,
    hint: str,
) -> None:
    stored = doc(autoscaling=autoscaling) if autoscaling else doc()
    desired, low, high = given
    with pytest.raises(UsageError) as info:
        rescale(stored, desired=desired, low=low, high=high, command=SCALE)
    assert info.value.message.startswith(message)
    assert info.value.hint is not None and hint in info.value.hint
