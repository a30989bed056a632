"""The container's fields of the service config (issue 20, "the complete container"): each
reads back as written, and each mistake is refused with its JSON path."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from pathlib import Path

import pytest

from git_lift import servicecfg as sc
from git_lift.containercfg import Container, HealthCheck, Ulimit, clashes

pytestmark = pytest.mark.fast

CHECK = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
FULL = {
    "environment": {"LOG_FORMAT": "json", "WORKERS": "4"},
    "health_check": {
        "command": CHECK,
        "interval": 10,
        "timeout": 3,
        "retries": 2,
        "start_period": 20,
    },
    "entrypoint": ["/bin/app"],
    "command": ["serve", "--port", "80"],
    "stop_timeout": 90,
    "ulimits": [{"name": "nofile", "soft": 65536, "hard": 65536}],
    "readonly_root_filesystem": True,
    "cpu_architecture": "ARM64",
}


def doc(**changes: object) -> dict[str, object]:
    d = sc.default_document(production=False)
    d.update(copy.deepcopy(changes))
    return d


def http(**changes: object) -> dict[str, object]:
    h = dict(sc.default_document(production=False)["http_interface"])  # type: ignore[arg-type]
    h.update(changes)
    return doc(http_interface=h)


def problems(document: object) -> list[str]:
    with pytest.raises(sc.ServiceConfigError) as info:
        sc.parse(document)
    return info.value.problems


def test_every_container_field_reads_back_and_round_trips() -> None:
    cfg = sc.parse(doc(**FULL))
    assert cfg.environment == {"LOG_FORMAT": "json", "WORKERS": "4"}
    assert cfg.health_check == HealthCheck(tuple(CHECK), 10, 3, 2, 20)
    assert cfg.entrypoint == ("/bin/app",) and cfg.command == ("serve", "--port", "80")
    assert cfg.stop_timeout == 90
    assert cfg.ulimits == (Ulimit("nofile", 65536, 65536),)
    assert cfg.readonly_root_filesystem is True and cfg.cpu_architecture == "ARM64"
    stored = json.loads(json.dumps(sc.to_document(cfg)))
    assert sc.parse(stored) == cfg and sc.to_document(sc.parse(stored)) == stored


def test_defaults_show_in_a_new_document_and_old_documents_still_read() -> None:
    d = sc.default_document(production=False)
    assert d["environment"] == {} and d["entrypoint"] is None and d["ulimits"] == []
    assert d["readonly_root_filesystem"] is False and d["cpu_architecture"] == "X86_64"
    assert "health_check" not in d and "stop_timeout" not in d  # absent: ECS's own defaults
    old = {k: v for k, v in d.items() if k not in FULL}  # a document saved before issue 20
    cfg = sc.parse(old)
    assert cfg.environment == {} and cfg.health_check is None and cfg.cpu_architecture == "X86_64"


def test_health_check_defaults_are_ecs_defaults() -> None:
    cfg = sc.parse(doc(health_check={"command": ["CMD", "/bin/check"]}))
    assert cfg.health_check == HealthCheck(("CMD", "/bin/check"), 30, 5, 3, 0)


def test_load_balancer_health_check_matcher_and_grace_period() -> None:
    cfg = sc.parse(http(health_check_matcher="200,202", health_check_grace_period=300))
    assert cfg.http_interface is not None
    assert cfg.http_interface.health_check_matcher == "200,202"
    assert cfg.http_interface.health_check_grace_period == 300
    default = sc.parse(doc()).http_interface
    assert default is not None and default.health_check_matcher == "200-399"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (doc(environment=["LOG_FORMAT=json"]), "$.environment: expected an object"),
        (
            doc(environment={"LOG-FORMAT": "json"}),
            "$.environment.LOG-FORMAT: is not an environment variable name",
        ),
        (doc(environment={"1X": "a"}), "$.environment.1X: is not an environment variable name"),
        (doc(environment={"WORKERS": 4}), '$.environment.WORKERS: expected a string (write "4")'),
        (doc(health_check={"interval": 30}), "$.health_check.command: required field is missing"),
        (
            doc(health_check={"command": "curl localhost"}),
            "$.health_check.command: expected null or an array",
        ),
        (
            doc(health_check={"command": ["curl", "-f", "x"]}),
            '$.health_check.command: must start with "CMD" or "CMD-SHELL"',
        ),
        (
            doc(health_check={"command": ["CMD-SHELL"]}),
            '$.health_check.command: must start with "CMD"',
        ),
        (
            doc(health_check={"command": CHECK, "interval": 4}),
            "$.health_check.interval: 4 is out of range 5-300",
        ),
        (
            doc(health_check={"command": CHECK, "timeout": 61}),
            "$.health_check.timeout: 61 is out of range 2-60",
        ),
        (
            doc(health_check={"command": CHECK, "retries": 0}),
            "$.health_check.retries: 0 is out of range 1-10",
        ),
        (
            doc(health_check={"command": CHECK, "start_period": 301}),
            "$.health_check.start_period: 301 is out of range 0-300",
        ),
        (doc(health_check={"command": CHECK, "every": 3}), "$.health_check.every: unknown field"),
        (doc(entrypoint="/bin/app"), "$.entrypoint: expected null or an array of strings"),
        (doc(entrypoint=[]), "$.entrypoint: expected null or an array of strings"),
        (doc(stop_timeout=1), "$.stop_timeout: 1 is out of range 2-120"),
        (doc(stop_timeout=121), "$.stop_timeout: 121 is out of range 2-120"),
        (doc(stop_timeout="30"), "$.stop_timeout: expected an integer"),
        (doc(ulimits={"nofile": 1}), "$.ulimits: expected an array"),
        (
            doc(ulimits=[{"name": "files", "soft": 1, "hard": 1}]),
            "$.ulimits[0].name: 'files' is not one of core",
        ),
        (
            doc(ulimits=[{"name": "nofile", "soft": 2, "hard": 1}]),
            "$.ulimits[0].soft: 2 is greater than hard (1)",
        ),
        (
            doc(ulimits=[{"name": "nofile", "soft": 1, "hard": 2000000}]),
            "$.ulimits[0].hard: 2000000 is out of range 0-1048576",
        ),
        (
            doc(ulimits=[{"name": "nofile", "soft": 1}]),
            "$.ulimits[0].hard: required field is missing",
        ),
        (
            doc(ulimits=[{"name": "core", "soft": 0, "hard": 0}] * 2),
            "$.ulimits: 'core' is set more than once",
        ),
        (doc(readonly_root_filesystem="yes"), "$.readonly_root_filesystem: expected true or false"),
        (doc(cpu_architecture="arm64"), "$.cpu_architecture: 'arm64' is not one of X86_64, ARM64"),
        (doc(cpu_architecture=64), "$.cpu_architecture: integer is not one of X86_64, ARM64"),
        (
            http(health_check_matcher="2xx"),
            "$.http_interface.health_check_matcher: '2xx' is not HTTP codes 200-499",
        ),
        (
            http(health_check_matcher="100-399"),
            "$.http_interface.health_check_matcher: '100-399' is not HTTP codes",
        ),
        (
            http(health_check_grace_period=-1),
            "$.http_interface.health_check_grace_period: -1 is out of range",
        ),
    ],
)
def test_each_mistake_is_refused_with_its_path(document: object, expected: str) -> None:
    found = problems(document)
    assert any(p.startswith(expected) for p in found), found
    assert len(found) == 1, found  # one mistake reads as one problem


def test_every_mistake_at_once_is_listed() -> None:
    found = problems(doc(stop_timeout=0, cpu_architecture="Z", environment={"A": 1}))
    assert [p.split(":")[0] for p in found] == [
        "$.environment.A",
        "$.stop_timeout",
        "$.cpu_architecture",
    ]


def test_a_name_both_plain_and_secret_is_a_clash() -> None:
    assert clashes({"LOG_FORMAT": "json", "DATABASE_URL": "x"}, ["DATABASE_URL", "API_KEY"]) == [
        "DATABASE_URL"
    ]
    assert clashes({"LOG_FORMAT": "json"}, ["DATABASE_URL"]) == []


README = Path(__file__).parents[2] / "README.md"


def service_config_section() -> str:
    text = README.read_text()
    start = text.index("### Service config")
    return text[start : text.index("\n### ", start + 1)]


def test_the_readmes_example_is_a_valid_config_naming_every_field() -> None:
    section = service_config_section()
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    cfg = sc.parse(example)
    assert set(example) == {f.name for f in fields(sc.ServiceConfig)}
    assert cfg.health_check is not None and cfg.ulimits and cfg.environment


def test_the_readmes_container_table_has_a_row_for_each_container_field() -> None:
    rows = [line for line in service_config_section().splitlines() if line.startswith("| `")]
    named = {line.split("`")[1] for line in rows}
    container = {f.name for f in fields(Container)} | {"command"}
    health = {f"http_interface.{n}" for n in ("health_check_path", "health_check_matcher")}
    assert container | health | {"http_interface.health_check_grace_period"} <= named
