"""A monorepo's release by tag push releases only what changed (issue 22): three services, each
in its folder, built with buildah into a real registry, released by the installed pre-push
hook onto moto's server and the sandbox's rollout simulator. A tag whose commit changed one
service builds and deploys that one; the others reuse their images and are skipped, said."""

from __future__ import annotations

import json
from typing import Any

import pytest

from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.ecs import create_service, running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import push, remote_has
from tests.support.image import needs_buildah, needs_registry
from tests.support.infra import put_config

pytestmark = [needs_buildah, needs_registry]

SERVICES = ("api", "billing", "worker")
GITLIFT = "".join(f'[service "{name}"]\n\tpath = {name}\n' for name in SERVICES) + (
    '[env "staging"]\n\tref = refs/heads/main\n'
    '[env "production"]\n\tref = refs/tags/v*\n\tdeployOnPush = true\n'
)


@pytest.fixture
def monorepo(
    aws: Any,
    tmp_path: Any,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> GitRepo:
    monkeypatch.setenv("GIT_LIFT_REGISTRY", local_registry.address)
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    files = {".gitlift": GITLIFT}
    for name in SERVICES:
        files[f"{name}/Dockerfile"] = "FROM scratch\nCOPY app.txt /app.txt\n"
        # Unique to the test: the session's registry keeps the images of earlier tests.
        files[f"{name}/app.txt"] = f"{name} v1 ({tmp_path.name})\n"
        files[f"{name}/env.sample"] = "DATABASE_URL=postgres://localhost/dev\n"
    repo = GitRepo.create(
        tmp_path / "platform", origin=tmp_path / "remote" / "platform.git", files=files
    )
    for name in SERVICES:
        create_service("production", name, desired=1)
        put_config("production", name, DATABASE_URL=f"postgres://{name}")
    assert Lift(repo.path)("hooks", "install").returncode == 0
    return repo


def building(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("building ")]


def image(service: str) -> str:
    container = running_task_definition("production", service)["containerDefinitions"][0]
    return str(container["image"])


def test_a_tag_releases_only_the_service_it_changed(monorepo: GitRepo) -> None:
    monorepo.git("tag", "v1")
    first = push(monorepo, "v1")
    assert first.returncode == 0, first.stderr
    assert len(building(first.stderr)) == 3  # nothing ran as a release yet: all three
    assert all(remote_has(monorepo, f"refs/tags/lift/production/{name}/1") for name in SERVICES)
    before = {name: image(name) for name in SERVICES}

    monorepo.write("worker/app.txt", "worker v2\n")
    monorepo.commit("Change the worker only")
    assert push(monorepo, "main").returncode == 0
    monorepo.git("tag", "v2")
    second = push(monorepo, "v2")
    assert second.returncode == 0, second.stderr
    [built] = building(second.stderr)
    assert "/worker:tree-" in built
    assert "api in production: nothing to release: it runs release 1" in second.stderr
    assert "billing in production: nothing to release: it runs release 1" in second.stderr
    assert (
        "git lift: production: released worker; skipped api, billing (nothing to release"
        in second.stderr
    )
    assert remote_has(monorepo, "refs/tags/lift/production/worker/2")
    assert not remote_has(monorepo, "refs/tags/lift/production/api/2")
    assert not remote_has(monorepo, "refs/tags/lift/production/billing/2")
    assert remote_has(monorepo, "refs/tags/v2")
    after = {name: image(name) for name in SERVICES}
    assert after["api"] == before["api"] and after["billing"] == before["billing"]
    assert after["worker"] != before["worker"]


def test_ship_all_and_status_all_say_what_has_something_to_release(monorepo: GitRepo) -> None:
    lift = Lift(monorepo.path)
    monorepo.git("push", "-q", "origin", "main")
    shipped = lift("ship", "--all", "-e", "production", "--ref", "main")
    assert shipped.returncode == 0, shipped.stderr
    assert len(building(shipped.stderr)) == 3
    status = lift("status", "--all", "-e", "production")
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("nothing to release") == 3, status.stdout

    monorepo.write("billing/app.txt", "billing v2\n")
    monorepo.commit("Change billing only")
    status = lift("status", "--all", "-e", "production")
    rows = status.stdout.split("production: ")
    [billing] = [row for row in rows if row.startswith("billing")]
    assert "something to release: a new image" in billing
    assert status.stdout.count("nothing to release") == 2

    again = lift("ship", "--all", "-e", "production", "--ref", "main")
    assert again.returncode == 0, again.stderr
    assert [line for line in building(again.stderr) if "/billing:" in line]
    assert len(building(again.stderr)) == 1
    assert "releasing billing; nothing to release: api, worker" in again.stderr
    nothing = lift("ship", "--all", "-e", "production", "--ref", "main")
    assert nothing.returncode == 0 and "nothing to release: api, billing, worker" in nothing.stderr
    rows = json.loads(lift("status", "--all", "-e", "production", "--output", "json").stdout)
    assert [row["head"].split(": ", 1)[1] for row in rows] == ["nothing to release"] * 3

    # A service that cannot be released stops them all, before anything is built.
    monorepo.write("api/app.txt", "api v2\n")
    monorepo.write("worker/env.sample", "DATABASE_URL=x\nNEW_KEY=x\n")
    monorepo.commit("Change the api; the worker needs a key production lacks", verify=False)
    refused = lift("ship", "--all", "-e", "production", "--ref", "main")
    assert refused.returncode == 1
    assert "nothing was released: worker cannot be released" in refused.stderr
    assert building(refused.stderr) == [] and "deploying" not in refused.stderr
