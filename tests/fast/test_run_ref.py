"""`git lift run --ref REF` in-process (flows/one_off.py) on a real repository, with ECS, ECR
and the registry faked: the task runs the running release's task definition with REF's image
(reused from the registry as ship would), registered as a new revision that no service runs;
the config stays the running release's."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.errors import LiftError
from git_lift.flows import image
from git_lift.flows.one_off import RunRequest, run
from tests.support.fakes import ARN, OLD_IMAGE, FakeRegistry, InProcess, in_process
from tests.support.records import runs


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    box = in_process(tmp_path)
    runs(box, 1, OLD_IMAGE)  # revision 1 runs
    ecs = box.aws.ecs_of(box.target())
    ecs.definitions[ARN.format(1)]["containerDefinitions"][0]["secrets"] = [
        {"name": "API_TOKEN", "valueFrom": "/staging/payments-api/API_TOKEN"}
    ]
    return box


def built(box: InProcess, registry: FakeRegistry, sha: str) -> str:
    """The image ship would have built from `sha`, in this environment's registry."""
    target = box.target()
    uri = box.aws.ecr_repos.ensure_repository(target)
    tag = image.image_tag(box.ctx, target, sha, None, {}, "X86_64")
    return f"{uri}@" + registry.push(f"{uri}:{tag}", {"config": {}})


def test_run_of_a_ref_registers_its_image_beside_the_running_config(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = FakeRegistry().install(monkeypatch)
    box.git.write("app.txt", "v2\n")
    box.git.commit("Migration that needs v2")
    sha = box.ctx.repo.head_sha()
    pinned = built(box, registry, sha)
    ecs = box.aws.ecs_of(box.target())
    assert run(box.ctx, box.target(), RunRequest(("bin/migrate",), ref="HEAD")) == 0
    registered = ecs.runs[0]["task_definition"]
    assert registered != ARN.format(1)
    [app] = ecs.definitions[registered]["containerDefinitions"]
    assert app["image"] == pinned
    assert app["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": "/staging/payments-api/API_TOKEN"}
    ]  # the running release's config
    assert ecs.deployed == []  # registered, run, never deployed
    err = capsys.readouterr().err
    assert f"with {sha[:12]}'s image (no service runs it)" in err
    assert "not rebuilding" in err


def test_run_without_a_ref_runs_what_runs(box: InProcess) -> None:
    ecs = box.aws.ecs_of(box.target())
    assert run(box.ctx, box.target(), RunRequest(("true",))) == 0
    assert ecs.runs[0]["task_definition"] == ARN.format(1)


def test_run_of_a_ref_that_does_not_exist_registers_nothing(box: InProcess) -> None:
    ecs = box.aws.ecs_of(box.target())
    before = dict(ecs.definitions)
    with pytest.raises(LiftError) as raised:
        run(box.ctx, box.target(), RunRequest(("true",), ref="no-such-branch"))
    assert "no-such-branch" in raised.value.message
    assert ecs.definitions == before and ecs.runs == []


def test_run_of_a_release_that_never_ran_says_how_to_list_them(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        run(box.ctx, box.target(), RunRequest(("true",), release=5))
    assert raised.value.message == "payments-api has no successful release 5 in staging"
    assert raised.value.hint == "list them: git lift history -e staging"
    assert box.aws.ecs_of(box.target()).runs == []
