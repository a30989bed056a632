"""A stack update after a release (last trial's finding): `scale --process worker N` and adding
a worker with `service edit` change only what they change. Before, the stack rendered each
task definition with the image the release had moved to, so CloudFormation registered a new
revision of web's and the worker's families (a replacement: ECS revisions are immutable) and
moved both ECS services to them, and a count change alone sent each process back from the
release's revision to the stack's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import GitRepo, Lift
from tests.support.infra import active_services, client, doc_file, newest_doc, put_config
from tests.support.release import image

WORKER = {"worker": {"command": ["bin/worker"], "cpu": 256, "memory": 512}}


def families() -> list[str]:
    return sorted(client("ecs").list_task_definitions()["taskDefinitionArns"])


def running() -> dict[str, tuple[str, int]]:
    """Each ECS service's task definition and desired count."""
    return {name: (s["taskDefinition"], s["desiredCount"]) for name, s in active_services().items()}


def edit(lift: Lift, tmp_path: Path, fields: dict[str, Any]) -> None:
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), fields)
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr


@pytest.fixture
def shipped(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Lift:
    """A service created through its stack, then released once: web runs the release's
    revision, no longer the stack's."""
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr
    released = lift("ship", "-e", "staging", "--image", image(1))
    assert released.returncode == 0, released.stderr
    return lift


def test_adding_a_worker_after_a_release_registers_the_workers_family_alone(
    shipped: Lift, tmp_path: Path
) -> None:
    web_before, before = running()["payments-api"], families()
    edit(shipped, tmp_path, {"processes": WORKER})
    now = running()
    assert now["payments-api"] == web_before  # web runs its release's revision, untouched
    added = sorted(set(families()) - set(before))
    assert [arn.rsplit("/", 1)[1] for arn in added] == ["staging-payments-api_worker:1"]
    worker = client("ecs").describe_task_definition(taskDefinition=now["payments-api_worker"][0])
    assert worker["taskDefinition"]["containerDefinitions"][0]["image"] == image(1)


def test_scaling_a_worker_after_a_release_changes_its_count_alone(
    shipped: Lift, tmp_path: Path
) -> None:
    edit(shipped, tmp_path, {"processes": WORKER})
    again = shipped("ship", "-e", "staging", "--image", image(2))
    assert again.returncode == 0, again.stderr
    before, released = families(), running()
    scaled = shipped("scale", "-e", "staging", "--process", "worker", "3", "--yes")
    assert scaled.returncode == 0, scaled.stderr
    assert families() == before  # nothing registered
    now = running()
    assert now["payments-api"] == released["payments-api"]
    assert now["payments-api_worker"] == (released["payments-api_worker"][0], 3)
    # What it says it runs is what runs: the release's revision, not the stack's.
    web_revision = released["payments-api"][0].rsplit("/", 1)[1]
    assert f"ECS service payments-api in lift-staging, {web_revision}" in scaled.stderr
