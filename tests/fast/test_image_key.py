"""Images named by what they are built from (issue 22): the tag of a commit's image is a hash
of its service's build context (a git tree), its Dockerfile, the build args and the platform.
A commit that changes none of them names the same image; one that changes any, another."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import build
from git_lift.build import host_platform
from git_lift.flows.image import image_labels, source_tag
from tests.support.fakes import InProcess, in_process

GITLIFT = """[service "api"]
\tpath = .
[service "worker"]
\tpath = worker
\tdockerfile = docker/worker.Dockerfile
"""
PLATFORM = "linux/amd64"


def monorepo(tmp_path: Path) -> InProcess:
    return in_process(
        tmp_path,
        gitlift=GITLIFT,
        files={
            "env.sample": "A=x\n",
            "app.txt": "api v1\n",
            "worker/env.sample": "Q=x\n",
            "worker/job.txt": "worker v1\n",
            "docker/worker.Dockerfile": "FROM scratch\nCOPY job.txt /\n",
        },
    )


def worker_tag(world: InProcess, args: dict[str, str] | None = None, platform: str = "") -> str:
    ctx = world.ctx
    target = ctx.target("staging", ctx.settings.services["worker"])
    return source_tag(ctx, target, world.git.head(), args or {}, platform or PLATFORM)


def test_a_commit_outside_the_context_names_the_same_image(tmp_path: Path) -> None:
    world = monorepo(tmp_path)
    before = worker_tag(world)
    assert before.startswith("tree-") and len(before) == len("tree-") + 32
    world.git.write("app.txt", "api v2\n")  # the api's file, outside the worker's context
    world.git.write("README.md", "# platform\n")
    world.git.commit("Change the api")
    assert worker_tag(world) == before


def test_a_change_in_the_context_names_another_image(tmp_path: Path) -> None:
    world = monorepo(tmp_path)
    before = worker_tag(world)
    world.git.write("worker/job.txt", "worker v2\n")
    world.git.commit("Change the worker")
    assert worker_tag(world) != before


def test_a_changed_dockerfile_outside_the_context_names_another_image(tmp_path: Path) -> None:
    world = monorepo(tmp_path)
    before = worker_tag(world)
    world.git.write("docker/worker.Dockerfile", "FROM scratch\nCOPY job.txt /job\n")
    world.git.commit("Change the worker's Dockerfile")
    assert worker_tag(world) != before


def test_build_args_and_platform_name_other_images(tmp_path: Path) -> None:
    world = monorepo(tmp_path)
    plain = worker_tag(world)
    assert worker_tag(world, {"FLAVOUR": "a"}) != plain
    assert worker_tag(world, {"FLAVOUR": "a"}) != worker_tag(world, {"FLAVOUR": "b"})
    # Sorted: the order the args were given in does not matter.
    assert worker_tag(world, {"A": "1", "B": "2"}) == worker_tag(world, {"B": "2", "A": "1"})
    assert worker_tag(world, platform="linux/arm64") != plain


def test_the_default_platform_is_this_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    for machine, platform in (("x86_64", "linux/amd64"), ("aarch64", "linux/arm64")):
        monkeypatch.setattr(build.host, "machine", lambda machine=machine: machine)
        assert host_platform() == platform


def test_labels_name_the_tree_not_the_commit(tmp_path: Path) -> None:
    world = monorepo(tmp_path)
    ctx, sha = world.ctx, world.git.head()
    target = ctx.target("staging", ctx.settings.services["worker"])
    labels = image_labels(ctx, target, worker_tag(world), sha)
    tree = world.git.git("rev-parse", f"{sha}:worker").stdout.strip()
    assert labels["dev.git-lift.tree"] == tree
    assert labels["dev.git-lift.context"] == "worker"
    assert "org.opencontainers.image.revision" not in labels
    assert labels["org.opencontainers.image.source"].endswith("payments-api.git")
    # A dirty build is named after its commit, and says so.
    dirty = image_labels(ctx, target, f"{sha}-dirty-0123456789ab", sha)
    assert dirty["org.opencontainers.image.revision"] == sha
