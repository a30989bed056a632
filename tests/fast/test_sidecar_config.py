"""The sidecars of the service config (issue 21): extra containers, what the app waits for,
FireLens log routing; each reads back as written, and each mistake is refused with its JSON
path (names unique and not reserved, dependencies known and without a circle, cpu and memory
within the task's)."""

from __future__ import annotations

import copy
import json

import pytest

from git_lift import servicecfg as sc
from git_lift.containercfg import HealthCheck
from git_lift.sidecarcfg import FLUENT_BIT_IMAGE, Dependency, LogRouter, PortMapping, Sidecar

pytestmark = pytest.mark.fast

PROXY = {
    "name": "proxy",
    "image": "public.ecr.aws/envoyproxy/envoy:v1.31",
    "port_mappings": [{"container_port": 9901}, {"container_port": 8125, "protocol": "udp"}],
    "environment": {"ENVOY_UID": "0"},
    "secrets": ["API_KEY"],
    "depends_on": [{"container": "log_router"}],
    "health_check": {"command": ["CMD", "/ready"], "interval": 10},
    "cpu": 128,
    "memory": 256,
}
FULL = {
    "cpu": 512,
    "memory": 1024,
    "sidecars": [PROXY, {"name": "agent", "image": "agent:1", "essential": False}],
    "depends_on": [{"container": "proxy", "condition": "HEALTHY"}],
    "log_router": {"type": "fluentbit", "options": {"Name": "cloudwatch_logs"}},
}


def doc(**changes: object) -> dict[str, object]:
    d = sc.default_document(production=False)
    d.update(copy.deepcopy(changes))
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(sc.ServiceConfigError) as info:
        sc.parse(document)
    return info.value.problems


def test_sidecars_read_back_and_round_trip() -> None:
    cfg = sc.parse(doc(**FULL))
    proxy, agent = cfg.sidecars
    assert proxy == Sidecar(
        name="proxy",
        image="public.ecr.aws/envoyproxy/envoy:v1.31",
        port_mappings=(PortMapping(9901), PortMapping(8125, "udp")),
        environment={"ENVOY_UID": "0"},
        secrets=("API_KEY",),
        depends_on=(Dependency("log_router", "START"),),
        health_check=HealthCheck(("CMD", "/ready"), interval=10),
        cpu=128,
        memory=256,
    )
    assert agent.essential is False and agent.cpu == 0 and agent.memory is None
    assert cfg.depends_on == (Dependency("proxy", "HEALTHY"),)
    assert cfg.log_router == LogRouter("fluentbit", {"Name": "cloudwatch_logs"}, FLUENT_BIT_IMAGE)
    stored = json.loads(json.dumps(sc.to_document(cfg)))
    assert sc.parse(stored) == cfg and sc.to_document(sc.parse(stored)) == stored


def test_a_document_without_sidecars_reads_as_before() -> None:
    d = sc.default_document(production=False)
    assert d["sidecars"] == [] and d["depends_on"] == [] and "log_router" not in d
    old = {k: v for k, v in d.items() if k not in ("sidecars", "depends_on")}
    cfg = sc.parse(old)
    assert cfg.sidecars == () and cfg.depends_on == () and cfg.log_router is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sidecars": {"proxy": {}}}, "$.sidecars: expected an array"),
        ({"sidecars": [{"name": "proxy"}]}, "$.sidecars[0].image: required field is missing"),
        ({"sidecars": [{**PROXY, "name": "my proxy"}]}, "$.sidecars[0].name: 'my proxy' is not"),
        ({"sidecars": [{**PROXY, "name": "app"}]}, "$.sidecars[0].name: 'app' is reserved"),
        ({"sidecars": [{**PROXY, "name": "log_router"}]}, "$.sidecars[0].name: 'log_router' is"),
        ({"sidecars": [PROXY, PROXY]}, "$.sidecars[1].name: 'proxy' is the name of another"),
        ({"sidecars": [{**PROXY, "sidecar": 1}]}, "$.sidecars[0].sidecar: unknown field"),
        ({"sidecars": [{**PROXY, "image": ""}]}, "$.sidecars[0].image: '' names no tag"),
        ({"sidecars": [{**PROXY, "image": "envoy"}]}, "$.sidecars[0].image: 'envoy' names no"),
        ({"sidecars": [{**PROXY, "image": "host:5000/envoy"}]}, "$.sidecars[0].image: 'host:5000/"),
        (
            {"sidecars": [{**PROXY, "port_mappings": [{"container_port": 9901, "protocol": "x"}]}]},
            "$.sidecars[0].port_mappings[0].protocol: 'x' is not one of tcp, udp",
        ),
        (
            {"sidecars": [{**PROXY, "environment": {"A B": "1"}}]},
            "$.sidecars[0].environment.A B: is not an environment variable name",
        ),
        ({"sidecars": [{**PROXY, "secrets": ["a-b"]}]}, "$.sidecars[0].secrets[0]: 'a-b' is not"),
        (
            {"sidecars": [{**PROXY, "health_check": {"command": ["curl"]}}]},
            '$.sidecars[0].health_check.command: must start with "CMD"',
        ),
        (
            {"sidecars": [{**PROXY, "depends_on": [{"container": "db"}]}]},
            "$.sidecars[0].depends_on[0].container: 'db' is not one of app, proxy",
        ),
        (
            {"sidecars": [{**PROXY, "depends_on": [{"container": "proxy"}]}]},
            "$.sidecars[0].depends_on[0].container: 'proxy' cannot wait for itself",
        ),
        (
            {"depends_on": [{"container": "proxy", "condition": "READY"}], "sidecars": [PROXY]},
            "$.depends_on[0].condition: 'READY' is not one of START, COMPLETE, SUCCESS, HEALTHY",
        ),
        (
            {"sidecars": [{**PROXY, "health_check": None}], "depends_on": FULL["depends_on"]},
            "$.depends_on[0].condition: HEALTHY needs a health_check on 'proxy'",
        ),
        (
            {"sidecars": [{**PROXY, "depends_on": [{"container": "app", "condition": "HEALTHY"}]}]},
            "$.sidecars[0].depends_on[0].condition: HEALTHY needs a health_check on 'app'",
        ),
        (
            {"sidecars": [PROXY], "depends_on": [{"container": "proxy", "condition": "SUCCESS"}]},
            "$.depends_on[0].condition: SUCCESS needs 'proxy' not essential (it exits)",
        ),
        ({"log_router": {"type": "vector"}}, "$.log_router.type: 'vector' is not one of"),
        ({"log_router": {"type": "fluentd"}}, "$.log_router.image: required for a fluentd"),
        ({"log_router": {"type": "fluentbit", "options": {"a": 1}}}, "$.log_router.options:"),
        (
            {"sidecars": [{**PROXY, "cpu": 256, "depends_on": []}]},
            "$.sidecars: the sidecars take 256 cpu units of the task's 256",
        ),
        (
            {"sidecars": [{**PROXY, "memory": 512, "depends_on": []}]},
            "$.sidecars: the sidecars take 512 MiB of the task's 512",
        ),
    ],
)
def test_each_mistake_is_named_with_its_path(changes: dict[str, object], expected: str) -> None:
    found = problems(doc(**changes))
    assert any(p.startswith(expected) for p in found), found


def test_containers_waiting_in_a_circle_are_refused() -> None:
    a = {"name": "a", "image": "a:1", "depends_on": [{"container": "b"}]}
    b = {"name": "b", "image": "b:1", "depends_on": [{"container": "a", "condition": "START"}]}
    assert problems(doc(sidecars=[a, b])) == [
        "$.sidecars: containers wait for each other in a circle: a -> b -> a"
    ]
    # Through the app: the app waits for the proxy, which waits for the app to start.
    waits = {**PROXY, "depends_on": [{"container": "app", "condition": "START"}]}
    found = problems(doc(sidecars=[waits], depends_on=[{"container": "proxy"}]))
    assert found == [
        "$.depends_on: containers wait for each other in a circle: app -> proxy -> app"
    ]


def test_the_log_router_starts_before_the_app_and_can_not_wait_for_it() -> None:
    from git_lift.sidecarcfg import app_dependencies

    cfg = sc.parse(doc(log_router={"type": "fluentbit"}))
    assert app_dependencies(sc.sidecars_of(cfg)) == (Dependency("log_router", "START"),)
    # A sidecar that waits for the app while the router waits for nothing: no circle.
    agent = {"name": "agent", "image": "agent:1", "depends_on": [{"container": "app"}]}
    assert sc.parse(doc(log_router={"type": "fluentbit"}, sidecars=[agent])).sidecars


def test_a_one_shot_sidecar_the_app_waits_to_finish() -> None:
    migrate = {"name": "migrate", "image": "migrate:1", "essential": False}
    cfg = sc.parse(
        doc(sidecars=[migrate], depends_on=[{"container": "migrate", "condition": "SUCCESS"}])
    )
    assert cfg.depends_on == (Dependency("migrate", "SUCCESS"),)
