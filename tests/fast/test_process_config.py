"""Processes in the service config (issue 21, "Processes from one image and config"): a
worker reads back as written, and each mistake is refused with its JSON path; a config
without `processes` reads as it always did."""

from __future__ import annotations

import copy
import json

import pytest

from git_lift import servicecfg as sc
from git_lift.processcfg import Process
from git_lift.scalingcfg import Autoscaling, CapacityItem, QueueTarget

pytestmark = pytest.mark.fast

WORKER = {
    "command": ["bin/worker", "--queue", "jobs"],
    "cpu": 512,
    "memory": 1024,
    "desired_count": 2,
    "autoscaling": {"min": 1, "max": 8, "cpu_target": None, "queue": {"name": "jobs"}},
    "capacity": [{"provider": "FARGATE_SPOT", "weight": 1}],
}


def doc(processes: object) -> dict[str, object]:
    d = sc.default_document(production=False)
    d["processes"] = copy.deepcopy(processes)
    return d


def problems(document: object) -> list[str]:
    with pytest.raises(sc.ServiceConfigError) as info:
        sc.parse(document)
    return info.value.problems


def test_a_worker_reads_back_and_round_trips() -> None:
    cfg = sc.parse(doc({"worker": WORKER, "mailer": {"command": ["bin/mailer"]}}))
    assert cfg.processes["worker"] == Process(
        command=("bin/worker", "--queue", "jobs"),
        cpu=512,
        memory=1024,
        desired_count=2,
        autoscaling=Autoscaling(min=1, max=8, cpu_target=None, queue=QueueTarget("jobs")),
        capacity=(CapacityItem("FARGATE_SPOT", 1, 0),),
    )
    assert cfg.processes["mailer"] == Process(command=("bin/mailer",))
    again = json.loads(json.dumps(sc.to_document(cfg)))
    assert sc.parse(again) == cfg


def test_a_worker_runs_the_services_config_with_its_own_command_and_size() -> None:
    cfg = sc.parse({**doc({"worker": WORKER}), "environment": {"LOG_FORMAT": "json"}})
    worker = sc.of_process(cfg, "worker")
    assert (worker.command, worker.cpu, worker.memory, worker.desired_count) == (
        ("bin/worker", "--queue", "jobs"),
        512,
        1024,
        2,
    )
    assert worker.environment == {"LOG_FORMAT": "json"}  # the same config
    assert worker.http_interface is None and worker.health_check is None
    assert worker.processes == {} and worker.jobs == {} and worker.release_command is None
    assert sc.of_process(cfg, "web") is cfg


@pytest.mark.parametrize(
    ("processes", "expected"),
    [
        ({"web": {"command": ["x"]}}, "$.processes.web: web is the service config's own fields"),
        ({"Worker": {"command": ["x"]}}, "$.processes.Worker: a process name is 1-20 lowercase"),
        ({"1st": {"command": ["x"]}}, "$.processes.1st: a process name is"),
        ({"worker": {}}, "$.processes.worker.command: required field is missing"),
        ({"worker": {"command": "bin/worker"}}, "$.processes.worker.command: expected a non-empty"),
        ({"worker": {"command": ["x"], "cpus": 1}}, "$.processes.worker.cpus: unknown field"),
        (
            {"worker": {"command": ["x"], "http_interface": {"container_port": 80}}},
            "$.processes.worker.http_interface: needs hostnames or path_patterns",
        ),
        (
            {"worker": {"command": ["x"], "http_interface": {"container_port": 0}}},
            "$.processes.worker.http_interface.container_port: 0 is out of range 1-65535",
        ),
        (
            {"worker": {"command": ["x"], "health_check": {"command": ["CMD", "true"]}}},
            "$.processes.worker.health_check: a process other than web has no health_check",
        ),
        (
            {"worker": {"command": ["x"], "deployment": {}}},
            "$.processes.worker.deployment: a process other than web has no deployment",
        ),
        (
            {"worker": {"command": ["x"], "cpu": 256, "memory": 4096}},
            "$.processes.worker.memory: 4096 is not a valid Fargate memory for cpu 256",
        ),
        (
            {"worker": {"command": ["x"], "desired_count": 9, "autoscaling": {"min": 1, "max": 4}}},
            "$.processes.worker.desired_count: 9 is outside autoscaling 1-4",
        ),
        (
            {
                "worker": {
                    "command": ["x"],
                    "autoscaling": {"min": 1, "max": 4, "requests_per_target": 9},
                }
            },
            "$.processes.worker.autoscaling.requests_per_target: needs http_interface",
        ),
        (
            {"worker": {"command": ["x"], "capacity": [{"provider": "SPOT"}]}},
            "$.processes.worker.capacity[0].provider: 'SPOT' is not one of FARGATE, FARGATE_SPOT",
        ),
        ({"a-1b": {"command": ["x"]}, "a1b": {"command": ["y"]}}, "reads as 'a-1b'"),
        (["worker"], "$.processes: expected an object like"),
    ],
)
def test_each_mistake_is_named_with_its_path(processes: object, expected: str) -> None:
    found = problems(doc(processes))
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_a_config_without_processes_is_todays() -> None:
    d = sc.default_document(production=False)
    assert "processes" not in d
    assert sc.parse(d).processes == {}
    assert "processes" not in sc.to_document(sc.parse(d))


def test_scale_a_process_changes_its_own_fields_only() -> None:
    from git_lift.processcfg import rescale

    d = doc({"worker": WORKER})
    line = "git lift scale -e staging --process worker"
    new = rescale(d, "worker", desired=None, low=4, high=12, command=line)
    worker = new["processes"]["worker"]  # type: ignore[index]
    assert (worker["autoscaling"]["min"], worker["autoscaling"]["max"]) == (4, 12)
    assert new["desired_count"] == d["desired_count"]  # web's is as it was
    # Kept inside the new bounds: the count it starts at before its first release.
    assert sc.parse(new).processes["worker"].desired_count == 4
    web = rescale(d, "web", desired=3, low=None, high=None, command="git lift scale")
    assert web["desired_count"] == 3 and web["processes"] == d["processes"]


def test_scale_a_process_the_config_lacks_names_those_it_has() -> None:
    from git_lift.errors import UsageError
    from git_lift.processcfg import rescale

    with pytest.raises(UsageError) as info:
        rescale(doc({"worker": WORKER}), "wroker", desired=2, low=None, high=None, command="x")
    assert "no process 'wroker' (its processes: web, worker)" in info.value.message
    with pytest.raises(UsageError) as info:
        rescale(doc({"worker": WORKER}), "worker", desired=20, low=None, high=None, command="x")
    assert "autoscaling sets this count (1-8): --min and --max set its bounds" in (
        info.value.message
    )
    assert info.value.hint == "x --min 20 --max 20 (autoscaling keeps at least that many tasks)"


def test_the_deployer_may_update_and_register_each_process_of_its_services_only() -> None:
    """A release updates each process's ECS service and registers its family (`api_worker`,
    `staging-api_worker`); the policy reaches those of its own services, no other's."""
    import fnmatch

    from git_lift.settings import EnvironmentSettings, ServiceSettings
    from git_lift.target import Target
    from git_lift.templates.iam_scope import Scope

    def target(service: str) -> Target:
        settings = ServiceSettings(service, ".", "Dockerfile", ".", "env.sample", service)
        return Target(EnvironmentSettings("staging", ()), settings)

    s = Scope((target("api"),), "eu-west-1", "123456789012")
    where = "arn:aws:ecs:eu-west-1:123456789012"

    def allowed(arns: list[str], arn: str) -> bool:
        return any(fnmatch.fnmatchcase(arn, pattern) for pattern in arns)

    worker = target("api").for_process("worker")
    assert allowed(s.ecs_services, f"{where}:service/lift-staging/{worker.ecs_service}")
    assert allowed(s.task_definitions, f"{where}:task-definition/{worker.task_family}:3")
    assert allowed(s.ecs_services, f"{where}:service/lift-staging/api")
    # Another service's, whose name starts alike, is not the policy's.
    assert not allowed(s.ecs_services, f"{where}:service/lift-staging/api-admin")
    assert not allowed(s.task_definitions, f"{where}:task-definition/staging-api-admin:1")


def test_a_process_behind_the_load_balancer_has_its_own_paths() -> None:
    http = {"container_port": 8080, "path_patterns": ["/hooks/*"], "health_check_path": "/up"}
    cfg = sc.parse(doc({"hooks": {"command": ["bin/hooks"], "http_interface": http}}))
    hooks = sc.of_process(cfg, "hooks")
    assert hooks.http_interface == sc.HttpInterface(
        container_port=8080, path_patterns=("/hooks/*",), health_check_path="/up"
    )
    # On the internal load balancer, web's public catch-all rule is no other's.
    inside = {"container_port": 8080, "internal": True}
    assert sc.parse(doc({"hooks": {"command": ["x"], "http_interface": inside}}))
    # Where web answers named hosts only, a process may take the rest.
    named = {**doc({"hooks": {"command": ["x"], "http_interface": {"container_port": 81}}})}
    named["http_interface"] = {"container_port": 80, "hostnames": ["api.example.com"]}
    assert sc.parse(named).processes["hooks"].http_interface is not None


def test_an_edit_of_an_autoscaled_count_is_told_it_changes_nothing_that_runs() -> None:
    """The stack leaves an autoscaled count alone: a new desired_count there is unheeded."""
    from git_lift.processcfg import unheeded_counts

    before = doc({"worker": WORKER})
    worker = {**WORKER, "desired_count": 5}
    [line] = unheeded_counts(before, {**before, "processes": {"worker": worker}})
    assert line.startswith("worker autoscales (1-8): its desired_count changes no running count")
    # New bounds move the count themselves; without autoscaling the count is the config's.
    bounds = {**worker, "autoscaling": {**WORKER["autoscaling"], "min": 5}}  # type: ignore[dict-item]
    assert unheeded_counts(before, {**before, "processes": {"worker": bounds}}) == []
    assert unheeded_counts(before, {**before, "desired_count": 3}) == []
    assert unheeded_counts(None, before) == []
