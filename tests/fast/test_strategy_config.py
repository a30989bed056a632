"""The deployment strategy fields of the service config (issue 21, "Deployment strategies"):
each reads back as written, and each mistake is refused with its JSON path."""

from __future__ import annotations

import json

import pytest

from git_lift import servicecfg as sc
from git_lift.strategycfg import GENERATED, Canary, Linear

pytestmark = pytest.mark.fast


def doc(http: bool = True, **deployment: object) -> dict[str, object]:
    d = sc.default_document(production=False)
    if not http:
        del d["http_interface"]
    base = d["deployment"]
    assert isinstance(base, dict)
    d["deployment"] = {**base, **deployment}
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(sc.ServiceConfigError) as info:
        sc.parse(document)
    return info.value.problems


def test_rolling_is_the_default_and_the_default_document_shows_every_strategy_field() -> None:
    d = sc.default_document(production=False)
    assert d["deployment"] == {
        "circuit_breaker_rollback": True,
        "minimum_healthy_percent": 100,
        "maximum_percent": 200,
        "strategy": "rolling",
        "bake_minutes": 0,
        "canary": {"percent": 5.0, "bake_minutes": 10},
        "linear": {"step_percent": 10.0, "interval_minutes": 6},
        "alarms": [],
    }
    assert sc.parse(d).deployment.strategy == "rolling"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"strategy": "blue_green", "bake_minutes": 15}, {"strategy": "blue_green"}),
        (
            {"strategy": "canary", "canary": {"percent": 10, "bake_minutes": 5}},
            {"canary": Canary(10, 5)},
        ),
        (
            {"strategy": "linear", "linear": {"step_percent": 20, "interval_minutes": 2}},
            {"linear": Linear(20, 2)},
        ),
        ({"alarms": ["api-5xx", "api-p99"]}, {"alarms": ("api-5xx", "api-p99")}),
        ({"strategy": "canary", "alarms": GENERATED}, {"alarms": GENERATED}),
        ({"canary": {"percent": 0.5}}, {"canary": Canary(0.5, 10)}),
    ],
)
def test_each_strategy_reads_back_as_written(
    changes: dict[str, object], expected: dict[str, object]
) -> None:
    cfg = sc.parse(doc(**changes))
    for name, value in expected.items():
        assert getattr(cfg.deployment, name) == value
    stored = json.loads(json.dumps(sc.to_document(cfg)))
    assert sc.parse(stored) == cfg


@pytest.mark.parametrize(
    ("changes", "http", "expected"),
    [
        (
            {"strategy": "red_black"},
            True,
            "$.deployment.strategy: 'red_black' is not one of rolling, blue_green, canary, linear",
        ),
        ({"strategy": 3}, True, "$.deployment.strategy: expected a string, got integer"),
        (
            {"strategy": "canary"},
            False,
            "$.deployment.strategy: canary shifts load balancer traffic and needs an "
            "http_interface",
        ),
        ({"strategy": "blue_green"}, False, "$.deployment.strategy: blue_green shifts"),
        ({"strategy": "linear"}, False, "$.deployment.strategy: linear shifts"),
        ({"alarms": GENERATED}, False, '$.deployment.alarms: "generated" watches the load'),
        (
            {"canary": {"percent": 0}},
            True,
            "$.deployment.canary.percent: 0 is not a multiple of 0.1 from 0.1 to 100.0",
        ),
        ({"canary": {"percent": 10.05}}, True, "$.deployment.canary.percent: 10.05 is not"),
        ({"canary": {"percent": "10%"}}, True, "$.deployment.canary.percent: expected a number"),
        ({"canary": {"bake_minutes": 1441}}, True, "$.deployment.canary.bake_minutes: 1441 is out"),
        ({"canary": {"minutes": 5}}, True, "$.deployment.canary.minutes: unknown field"),
        ({"linear": {"step_percent": 2}}, True, "$.deployment.linear.step_percent: 2 is not"),
        (
            {"linear": {"interval_minutes": -1}},
            True,
            "$.deployment.linear.interval_minutes: -1 is out of range 0-1440",
        ),
        ({"bake_minutes": 2000}, True, "$.deployment.bake_minutes: 2000 is out of range 0-1440"),
        ({"alarms": "api-5xx"}, True, "$.deployment.alarms: expected an array of CloudWatch"),
        ({"alarms": [""]}, True, "$.deployment.alarms[0]: an alarm name is 1-255 characters"),
        ({"alarms": ["a", "a"]}, True, "$.deployment.alarms: 'a' is named more than once"),
    ],
)
def test_problem_paths(changes: dict[str, object], http: bool, expected: str) -> None:
    found = problems(doc(http, **changes))
    assert any(p.startswith(expected) for p in found), found


def test_a_worker_may_roll_and_name_its_own_alarms() -> None:
    cfg = sc.parse(doc(False, strategy="rolling", alarms=["queue-age"]))
    assert cfg.http_interface is None and cfg.deployment.alarms == ("queue-age",)
