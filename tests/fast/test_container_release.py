"""The container's fields at release time (issue 20), on the fakes: ship registers them as the
service stack made them, refuses a plain variable that env.sample also names before anything
is built, waits for HEALTHY tasks where a container health check is set (telling the failing
check's output), and `status` and `diff` show the plain environment in clear while secrets stay
names only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from git_lift.commands import release_diff, status
from git_lift.errors import DeployFailed, ValidationError
from git_lift.flows.image import ImageSource
from git_lift.flows.ship_plan import execute, plan_ship
from git_lift.plan import task_definition_changes
from tests.support.fakes import (
    ARN,
    NEW,
    NEW_IMAGE,
    OLD,
    OLD_IMAGE,
    World,
    behaves,
    definition,
    in_process,
    ship,
    world,
)
from tests.support.fakes.ecs import CHECK_OUTPUT
from tests.support.records import record

CHECK = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 10}
# What the service stack renders for every container field (ECS's names, as ECS returns them).
FIELDS: dict[str, Any] = {
    "environment": [{"name": "LOG_FORMAT", "value": "json"}],
    "healthCheck": CHECK,
    "entryPoint": ["/bin/app"],
    "command": ["serve"],
    "stopTimeout": 90,
    "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
    "readonlyRootFilesystem": True,
}
PLATFORM = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}


def running(w: World, **container: Any) -> None:
    """The running revision's container has `container`'s fields, as the stack made them."""
    current = definition(OLD, OLD_IMAGE)
    current["containerDefinitions"][0].update(container)
    current["runtimePlatform"] = PLATFORM
    w.ecs.definitions[OLD] = current


def test_ship_registers_every_container_field_the_stack_made(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running(w, **FIELDS)
    assert ship(w) == 0
    registered = w.ecs.definitions[NEW]
    (container,) = registered["containerDefinitions"]
    assert container["image"] == NEW_IMAGE
    assert {k: container[k] for k in FIELDS} == FIELDS
    assert registered["runtimePlatform"] == PLATFORM


def test_ship_refuses_a_plain_variable_env_sample_also_names_before_building(
    tmp_path: Path,
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running(w, environment=[{"name": "DATABASE_URL", "value": "sqlite://"}])
    with pytest.raises(ValidationError) as refused:
        ship_keys(w, {"DATABASE_URL": 1})
    assert refused.value.message.startswith("DATABASE_URL: in the service config's environment")
    assert "env.sample" in refused.value.message
    assert refused.value.hint is not None
    assert "git lift service edit -e staging -s payments-api" in refused.value.hint
    assert w.ecs.deployed == [] and len(w.ecs.definitions) == 1  # nothing registered
    assert w.store.lock(w.target) is None


def ship_keys(w: World, versions: dict[str, int]) -> int:
    uri, _, digest = NEW_IMAGE.partition("@")
    plan = plan_ship(
        w.ctx, w.target, "c0ffee" + "0" * 34, ImageSource("given", uri, "", digest), versions
    )
    return execute(w.ctx, plan)


def test_ship_waits_for_healthy_tasks_where_a_container_check_is_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running(w, healthCheck=CHECK)
    asked: list[str] = []
    health = w.ecs.task_health
    w.ecs.task_health = lambda deployment: asked.append(deployment) or health(deployment)  # type: ignore[method-assign]
    assert ship(w) == 0
    assert asked, "the wait asked ECS for the tasks' health"
    assert "2/2 HEALTHY" in capsys.readouterr().err


def test_without_a_container_check_the_wait_does_not_ask_for_health(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    w.ecs.task_health = lambda deployment: pytest.fail("asked for health")  # type: ignore[method-assign]
    assert ship(w) == 0


def test_the_wait_reads_back_no_task_definition_the_release_registered(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running(w, healthCheck=CHECK)
    read: list[str] = []
    described = w.ecs.task_definition
    w.ecs.task_definition = lambda arn: read.append(arn) or described(arn)  # type: ignore[method-assign]
    assert ship(w) == 0
    assert read == [OLD]  # the running one, for the plan; the new one it sent itself


def test_unhealthy_tasks_fail_the_release_with_the_failing_checks_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("unhealthy"))
    running(w, healthCheck=CHECK)
    with pytest.raises(DeployFailed):
        ship(w, timeout=60)
    said = capsys.readouterr().err
    assert f"is UNHEALTHY: payments-api: {CHECK_OUTPUT}" in said
    assert f"the last failing health check: payments-api: {CHECK_OUTPUT}" in said
    assert w.ecs.running_definition == OLD  # rolled back
    [only] = w.store.releases(w.target)
    assert only.outcome == "failed" and w.store.lock(w.target) is None


def test_ships_diff_shows_a_changed_plain_variable_in_clear_and_secrets_by_name() -> None:
    old = definition(OLD, OLD_IMAGE)
    old["containerDefinitions"][0]["environment"] = [{"name": "LOG_FORMAT", "value": "text"}]
    new = definition(NEW, OLD_IMAGE)
    new["containerDefinitions"][0].update(
        environment=[{"name": "LOG_FORMAT", "value": "json"}, {"name": "WORKERS", "value": "4"}],
        secrets=[{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/x"}],
    )
    lines = [line for _, line in task_definition_changes(old, new)]
    assert "~ environment LOG_FORMAT = 'text' -> 'json'" in lines
    assert "+ environment WORKERS = '4'" in lines
    assert "+ secret DATABASE_URL" in lines
    assert not any("parameter/x" in line for line in lines)


def test_status_shows_the_plain_environment_in_clear_never_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)
    ecs = box.aws.ecs_of(box.target())
    ecs.definitions[OLD]["containerDefinitions"][0].update(
        environment=[
            {"name": "LOG_FORMAT", "value": "json"},
            {"name": "GREETING", "value": "hi there"},
        ],
        secrets=[{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/x"}],
    )
    record(box, 1)
    assert status.status(box.ctx, ("staging",)) == 0
    out = capsys.readouterr().out
    assert "  env       GREETING='hi there' LOG_FORMAT=json" in out
    assert "DATABASE_URL" not in out and "parameter/x" not in out


def test_diff_shows_plain_variables_in_clear_and_secrets_by_name_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)
    ecs = box.aws.ecs_of(box.target())
    one, two = ARN.format(1), ARN.format(2)
    ecs.definitions[one]["containerDefinitions"][0].update(
        environment=[{"name": "LOG_FORMAT", "value": "text"}, {"name": "OLD", "value": "x"}],
    )
    ecs.definitions[two] = definition(two, NEW_IMAGE)
    ecs.definitions[two]["containerDefinitions"][0].update(
        environment=[{"name": "LOG_FORMAT", "value": "json"}, {"name": "WORKERS", "value": "4"}],
        secrets=[{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/x"}],
    )
    record(box, 1)
    record(box, 2, image=NEW_IMAGE, revision=2)
    assert release_diff.diff(box.ctx, "staging@1", "staging@2") == 0
    out = capsys.readouterr().out
    assert "env       ~ LOG_FORMAT = 'text' -> 'json'" in out
    assert "env       + WORKERS = '4'" in out
    assert "env       - OLD (was 'x')" in out
    assert "secrets   + DATABASE_URL" in out and "parameter/x" not in out
