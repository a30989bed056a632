"""`git lift ship` from the request to the deployment (flows/shipping.py) in-process on a real
repository with FakeAws: the environment a ref maps to, a dirty work tree, commits a remote has
not seen, malformed --build-arg, and production's confirmation, each refused before anything is
built or deployed; an image given by digest then ships and is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.errors import UsageError, ValidationError
from git_lift.flows import shipping
from git_lift.flows.shipping import ShipRequest
from git_lift.options import Options
from tests.support.fakes import NEW_IMAGE, InProcess, in_process

TWO_ON_MAIN = """\
[env "staging"]
\tref = refs/heads/main
[env "qa"]
\tref = refs/heads/main
"""


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, options=Options(yes=True))


def configured(box: InProcess, env: str) -> None:
    for key in ("DATABASE_URL", "API_TOKEN"):
        box.aws.ssm.put(f"{box.target(env).parameter_path}/{key}", "x")


def nothing_deployed(box: InProcess, env: str) -> bool:
    target = box.target(env)
    return box.aws.store.releases(target) == [] and box.aws.ecs_of(target).deployed == []


def test_a_detached_head_needs_the_environment_named(box: InProcess) -> None:
    box.git.git("checkout", "-q", "--detach")
    with pytest.raises(UsageError) as raised:
        shipping.resolve(box.ctx, ShipRequest())
    assert raised.value.message == (
        "cannot tell the environment of a detached HEAD or a bare commit"
    )
    assert raised.value.hint == "name it: git lift ship -e staging"


def test_a_branch_that_maps_to_no_environment_needs_one_named(box: InProcess) -> None:
    box.git.git("checkout", "-q", "-b", "feature")
    with pytest.raises(UsageError) as raised:
        shipping.resolve(box.ctx, ShipRequest())
    assert raised.value.message == "refs/heads/feature maps to no environment"
    assert raised.value.hint == "name one: git lift ship -e ENV"


def test_a_branch_that_maps_to_two_environments_needs_one_named(tmp_path: Path) -> None:
    box = in_process(tmp_path, gitlift=TWO_ON_MAIN, options=Options(yes=True))
    with pytest.raises(UsageError) as raised:
        shipping.resolve_environment(box.ctx, None, None)
    assert raised.value.message == "refs/heads/main maps to staging, qa"  # as .gitlift lists them
    assert shipping.resolve_environment(box.ctx, "qa", None).name == "qa"


def test_the_ref_given_decides_the_environment(box: InProcess) -> None:
    box.git.git("tag", "v1.0.0")
    assert shipping.resolve_environment(box.ctx, None, "v1.0.0").name == "production"
    assert shipping.resolve_environment(box.ctx, None, "main").name == "staging"


def test_uncommitted_changes_are_refused_and_named(box: InProcess) -> None:
    box.git.write("app.txt", "v2 not committed\n")
    with pytest.raises(ValidationError) as raised:
        shipping.resolve(box.ctx, ShipRequest(env="staging"))
    assert raised.value.message == "the work tree has uncommitted changes: app.txt"
    assert raised.value.hint == "commit or stash them (or --allow-dirty for a test build)"
    assert nothing_deployed(box, "staging")


def test_a_long_list_of_changes_is_shortened(box: InProcess) -> None:
    for n in range(7):
        box.git.write(f"f{n}.txt", "x\n")
    box.git.git("add", "-A")
    with pytest.raises(ValidationError) as raised:
        shipping.dirty_hash(box.ctx, False, False)
    assert raised.value.message.endswith(", f4.txt ...")


def test_a_dirty_build_is_named_by_its_diff_and_never_goes_where_confirm_is(
    box: InProcess,
) -> None:
    assert shipping.dirty_hash(box.ctx, True, False) is None  # clean: not a dirty build
    box.git.write("app.txt", "v2\n")
    first = shipping.dirty_hash(box.ctx, True, False)
    assert first is not None and len(first) == 12
    box.git.write("app.txt", "v3\n")
    assert shipping.dirty_hash(box.ctx, True, False) not in (None, first)
    with pytest.raises(ValidationError) as raised:
        shipping.dirty_hash(box.ctx, True, True)
    assert raised.value.message == "a dirty build is never shipped to an environment with confirm"
    assert raised.value.hint == "commit your changes and ship the commit"


@pytest.mark.parametrize("item", ["VERSION", "=1.2"])
def test_a_build_arg_that_is_not_k_v_is_refused(box: InProcess, item: str) -> None:
    configured(box, "staging")
    with pytest.raises(UsageError) as raised:
        shipping.resolve(box.ctx, ShipRequest(env="staging", build_args=("A=1", item)))
    assert raised.value.message == f"--build-arg {item!r} is not K=V"
    assert raised.value.hint == "--build-arg VERSION=1.2"


def test_build_args_keep_everything_after_the_first_equals_sign() -> None:
    assert shipping.parse_build_args(("A=1", "B=x=y", "C=")) == {"A": "1", "B": "x=y", "C": ""}


def test_production_runs_only_commits_a_remote_branch_has(box: InProcess) -> None:
    configured(box, "production")
    box.git.write("app.txt", "v2\n")
    box.git.commit("Not pushed yet")
    sha = box.ctx.repo.head_sha()
    with pytest.raises(ValidationError) as raised:
        shipping.resolve(box.ctx, ShipRequest(env="production", image=NEW_IMAGE))
    assert raised.value.message == (
        f"{sha[:12]} is not on a remote branch; production only runs commits pushed to a branch"
    )
    assert raised.value.hint == "git push origin HEAD, then ship again"
    assert nothing_deployed(box, "production")


def test_production_needs_a_remote_at_all(box: InProcess) -> None:
    box.git.git("remote", "remove", "origin")
    box = box.reload()
    configured(box, "production")
    with pytest.raises(ValidationError) as raised:
        shipping.resolve(box.ctx, ShipRequest(env="production", image=NEW_IMAGE))
    assert (
        raised.value.message == "this repository has no remote; production only runs pushed commits"
    )
    assert raised.value.hint == "git remote add origin URL && git push -u origin HEAD"


def test_missing_config_is_refused_before_any_image_is_looked_for(box: InProcess) -> None:
    with pytest.raises(ValidationError) as raised:
        shipping.resolve(box.ctx, ShipRequest(env="staging", image=NEW_IMAGE))
    assert "staging lacks config that env.sample names: API_TOKEN, DATABASE_URL" in (
        raised.value.message
    )
    assert nothing_deployed(box, "staging")


def test_production_asks_for_its_name_and_without_a_terminal_deploys_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)  # no --yes
    configured(box, "production")
    with pytest.raises(UsageError) as raised:
        shipping.ship(box.ctx, ShipRequest(env="production", image=NEW_IMAGE))
    assert raised.value.message == (
        "shipping to production needs confirmation and there is no terminal to ask; "
        "nothing was deployed"
    )
    err = capsys.readouterr().err
    assert "About to ship payments-api" in err and "to production." in err
    assert nothing_deployed(box, "production")


def test_an_image_given_by_digest_ships_and_is_recorded(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    configured(box, "staging")
    assert shipping.ship(box.ctx, ShipRequest(env="staging", image=NEW_IMAGE, timeout=60)) == 0
    [release] = box.aws.store.releases(box.target())
    assert (release.number, release.image, release.outcome) == (1, NEW_IMAGE, "released")
    assert release.commit == box.ctx.repo.head_sha()
    assert "released payments-api" in capsys.readouterr().err
