from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from git_lift import servicecfg
from git_lift.errors import ValidationError
from git_lift.servicecfg import (
    Autoscaling,
    EfsVolume,
    HttpInterface,
    ServiceConfig,
    ServiceConfigError,
    default_document,
    parse,
    render_diff,
    to_document,
)

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/

# AWS's table of Fargate task sizes, written out here independently of the module's own table.
VALID_FARGATE = (
    [(256, m) for m in (512, 1024, 2048)]
    + [(512, m) for m in (1024, 2048, 3072, 4096)]
    + [(1024, m) for m in (2048, 3072, 4096, 5120, 6144, 7168, 8192)]
    + [(2048, gb * 1024) for gb in range(4, 17)]
    + [(4096, gb * 1024) for gb in range(8, 31)]
    + [(8192, gb * 1024) for gb in range(16, 61, 4)]
    + [(16384, gb * 1024) for gb in range(32, 121, 8)]
)
INVALID_FARGATE = [
    (256, 4096),
    (512, 512),
    (1024, 1024),
    (1024, 9216),
    (2048, 17408),
    (4096, 31744),
    (8192, 18432),  # 18 GB: not a 4 GB step
    (16384, 36864),  # 36 GB: not an 8 GB step
]


def doc(**changes: object) -> dict[str, object]:
    d = default_document(production=False)
    d.update(changes)
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(ServiceConfigError) as info:
        parse(document)
    return info.value.problems


def http(**changes: object) -> dict[str, object]:
    h = copy.deepcopy(default_document(production=False)["http_interface"])
    assert isinstance(h, dict)
    h.update(changes)
    return h


def test_default_document_is_a_public_http_service_that_round_trips() -> None:
    d = default_document(production=False)
    cfg = parse(d)
    assert cfg.http_interface == HttpInterface(container_port=80)
    assert cfg.deployment.circuit_breaker_rollback is True
    assert cfg.autoscaling is None and cfg.volumes == () and cfg.ecs_exec is True
    assert to_document(cfg) == d
    assert json.loads(json.dumps(d)) == d


def test_production_default_runs_two_tasks_and_keeps_logs_longer() -> None:
    cfg = parse(default_document(production=True))
    assert cfg.desired_count == 2
    assert cfg.logging.retention_days == 90


def test_full_document_round_trips() -> None:
    cfg = ServiceConfig(
        command=("gunicorn", "app:wsgi"),
        cpu=1024,
        memory=4096,
        desired_count=3,
        http_interface=HttpInterface(
            container_port=8080,
            internal=True,
            hostnames=("api.example.com",),
            path_patterns=("/v1/*",),
            health_check_path="/health",
            restrict_access_to=("10.0.0.0/8",),
        ),
        autoscaling=Autoscaling(min=2, max=6, cpu_target=55),
        volumes=(EfsVolume("fs-0123456789abcdef0", "/data", access_point_id="fsap-0123abcd"),),
    )
    assert parse(to_document(cfg)) == cfg


def test_worker_has_no_http_interface_absent_or_null() -> None:
    d = doc()
    del d["http_interface"]
    assert parse(d).http_interface is None
    assert "http_interface" not in to_document(parse(d))
    assert parse(doc(http_interface=None)).http_interface is None


def test_minimal_document_needs_only_cpu_and_memory() -> None:
    assert parse({"cpu": 512, "memory": 1024}) == ServiceConfig(cpu=512, memory=1024)


def test_error_message_lists_every_problem_with_its_path() -> None:
    bad = doc(cpu="256", desired_count=True, colour="red")
    bad["http_interface"] = http(container_port=70000, foo=1)
    with pytest.raises(ValidationError) as info:
        parse(bad)
    message = info.value.message
    assert message.startswith("service config has 5 problems:")
    for line in (
        "$.colour: unknown field",
        "$.cpu: expected an integer, got string",
        "$.desired_count: expected an integer, got boolean",
        "$.http_interface.container_port: 70000 is out of range 1-65535",
        "$.http_interface.foo: unknown field (known: container_port, internal,",
    ):
        assert f"\n  {line}" in message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "$: expected an object, got array"),
        ({"memory": 512}, "$.cpu: required field is missing"),
        (doc(cpu=256.0), "$.cpu: expected an integer, got number"),
        (doc(cpu=100), "$.cpu: 100 is out of range 256-16384"),
        (doc(desired_count=-1), "$.desired_count: -1 is out of range 0-1000"),
        (doc(ecs_exec="yes"), "$.ecs_exec: expected true or false, got string"),
        (doc(command="gunicorn app"), "$.command: expected null or an array of strings"),
        (doc(command=[]), "$.command: expected null or an array of strings"),
        (doc(http_interface=[]), "$.http_interface: expected an object, got array"),
        (doc(http_interface={}), "$.http_interface.container_port: required field is missing"),
        (doc(http_interface=http(container_port=0)), "$.http_interface.container_port: 0 is"),
        (doc(http_interface=http(internal=1)), "$.http_interface.internal: expected true or"),
        (doc(http_interface=http(hostnames="a.com")), "$.http_interface.hostnames: expected an"),
        (doc(http_interface=http(hostnames=[3])), "$.http_interface.hostnames[0]: expected a"),
        (doc(http_interface=http(hostnames=["a b"])), "$.http_interface.hostnames[0]: 'a b' is"),
        (doc(http_interface=http(path_patterns=["v1"])), "$.http_interface.path_patterns[0]:"),
        (doc(http_interface=http(health_check_path="x")), "$.http_interface.health_check_path:"),
        (
            doc(http_interface=http(restrict_access_to=["10.0.0.1/8"])),
            "$.http_interface.restrict_access_to[0]: '10.0.0.1/8' is not a CIDR",
        ),
        (doc(http_interface=http(restrict_access_to=[])), "$.http_interface.restrict_access_to:"),
        (
            doc(
                http_interface=http(
                    hostnames=["a.com", "b.com", "c.com"], path_patterns=["/a", "/b", "/c"]
                )
            ),
            "$.http_interface: hostnames, path_patterns and restrict_access_to hold 6 values",
        ),
        (doc(autoscaling={"min": 1}), "$.autoscaling.max: required field is missing"),
        (doc(autoscaling={"min": 3, "max": 2}), "$.autoscaling.min: 3 is greater than max (2)"),
        (
            doc(autoscaling={"min": 1, "max": 2, "cpu_target": 101}),
            "$.autoscaling.cpu_target: 101 is out of range 1-100",
        ),
        (
            doc(desired_count=5, autoscaling={"min": 1, "max": 2}),
            "$.desired_count: 5 is outside autoscaling 1-2",
        ),
        (doc(volumes={}), "$.volumes: expected an array, got object"),
        (doc(volumes=[{"container_path": "/d"}]), "$.volumes[0].file_system_id: required field"),
        (
            doc(volumes=[{"file_system_id": "efs-1", "container_path": "/d"}]),
            "$.volumes[0].file_system_id: 'efs-1' does not look like fs-",
        ),
        (
            doc(volumes=[{"file_system_id": "fs-01234567", "container_path": "d"}]),
            "$.volumes[0].container_path: 'd' must be an absolute path",
        ),
        (
            doc(
                volumes=[
                    {
                        "file_system_id": "fs-01234567",
                        "container_path": "/d",
                        "access_point_id": "fsap-01234567",
                        "root_directory": "/x",
                    }
                ]
            ),
            "$.volumes[0].root_directory: must be / when access_point_id is set",
        ),
        (
            doc(volumes=[{"file_system_id": "fs-01234567", "container_path": "/d"}] * 2),
            "$.volumes: container_path '/d' is mounted more than once",
        ),
        (doc(logging={"driver": "splunk"}), "$.logging.driver: 'splunk' is not one of"),
        (doc(logging={"retention_days": 10}), "$.logging.retention_days: 10 is not one of 1, 3"),
        (doc(logging={"level": "x"}), "$.logging.level: unknown field"),
        (
            doc(deployment={"minimum_healthy_percent": 100, "maximum_percent": 100}),
            "$.deployment.maximum_percent: must be greater than minimum_healthy_percent",
        ),
        (doc(deployment={"maximum_percent": 300}), "$.deployment.maximum_percent: 300 is out"),
        (
            doc(deployment={"circuit_breaker_rollback": "on"}),
            "$.deployment.circuit_breaker_rollback: expected true or false, got string",
        ),
    ],
)
def test_problem_paths(document: object, expected: str) -> None:
    found = problems(document)
    assert any(p.startswith(expected) for p in found), found


def test_a_wrong_field_is_reported_once_not_again_by_cross_checks() -> None:
    assert problems(doc(memory="lots")) == ["$.memory: expected an integer, got string"]
    found = problems(doc(desired_count="x", autoscaling={"min": 3, "max": 2}))
    assert not any("outside autoscaling" in p for p in found)


@pytest.mark.parametrize(("cpu", "memory"), VALID_FARGATE)
def test_every_fargate_size_in_the_aws_table_is_accepted(cpu: int, memory: int) -> None:
    assert parse(doc(cpu=cpu, memory=memory)).memory == memory


@pytest.mark.parametrize(("cpu", "memory"), INVALID_FARGATE)
def test_sizes_outside_the_table_are_refused_with_the_valid_choices(cpu: int, memory: int) -> None:
    (found,) = problems(doc(cpu=cpu, memory=memory))
    assert found.startswith(f"$.memory: {memory} is not a valid Fargate memory for cpu {cpu}")


def test_fargate_table_matches_aws() -> None:
    table = {(c, m) for c, ms in servicecfg.FARGATE_MEMORY.items() for m in ms}
    assert table == set(VALID_FARGATE)


def test_unknown_cpu_names_the_fargate_values() -> None:
    assert problems(doc(cpu=3072, memory=8192)) == [
        "$.cpu: 3072 is not a Fargate cpu value (valid: 256, 512, 1024, 2048, 4096, 8192, 16384)"
    ]


def test_fargate_choices_read_like_the_aws_table() -> None:
    assert servicecfg.fargate_memory_text(256) == "512, 1024, 2048"
    assert servicecfg.fargate_memory_text(2048) == "4096-16384 in steps of 1024"
    assert servicecfg.fargate_memory_text(16384) == "32768-122880 in steps of 8192"


def test_rule_condition_values_counts_the_catch_all_and_ignores_open_access() -> None:
    assert servicecfg.rule_condition_values(HttpInterface()) == 1
    restricted = HttpInterface(hostnames=("a.com",), restrict_access_to=("1.2.3.0/24", "::/0"))
    assert servicecfg.rule_condition_values(restricted) == 3


def test_diff_of_a_new_document_adds_every_line() -> None:
    new = default_document(production=False)
    lines = render_diff(None, new)
    assert lines[:2] == ["--- /dev/null", "+++ edited"]
    body = lines[3:]
    assert body and all(line.startswith("+") for line in body)
    assert '+  "cpu": 256,' in body


def test_diff_shows_changed_values_only() -> None:
    old = default_document(production=False)
    new = copy.deepcopy(old)
    new["cpu"], new["memory"] = 512, 1024
    lines = render_diff(old, new, old_label="version 3", new_label="version 4")
    assert lines[:2] == ["--- version 3", "+++ version 4"]
    changed = [line for line in lines[2:] if line[:1] in "+-"]
    assert changed == [
        '-  "cpu": 256,',
        '+  "cpu": 512,',
        '-  "memory": 512,',
        '+  "memory": 1024,',
    ]


def test_diff_ignores_key_order() -> None:
    old = default_document(production=False)
    assert render_diff(old, dict(reversed(list(old.items())))) == []


def test_module_imports_no_troposphere_or_boto3() -> None:
    code = (
        "import sys, git_lift.servicecfg, git_lift.templates; "
        "bad = {'troposphere', 'boto3', 'click'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
