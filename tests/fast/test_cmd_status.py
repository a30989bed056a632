"""`git lift status` in-process: which release it headlines, what it warns about, how it says
an environment that was never set up, and what scripts read from --output json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift.commands import status
from git_lift.errors import LiftError, NotSetUp, UsageError
from git_lift.flows.rollout import pending_path
from git_lift.options import Options
from tests.support.fakes import NEW_IMAGE, OLD_IMAGE, InProcess, in_process
from tests.support.records import record, runs

OTHER_IMAGE = "registry.example.com/payments-api@sha256:" + "3" * 64


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def staging(box: InProcess, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = status.status(box.ctx, ("staging",))
    out, err = capsys.readouterr()
    return code, out, err


def fails_on_describe(box: InProcess, error: LiftError, env: str = "staging") -> None:
    def fail(polls: int) -> None:
        raise error

    box.aws.ecs_of(box.target(env)).on_poll = fail


def test_the_headline_is_the_newest_completed_release_with_its_commit_and_subject(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    head = box.ctx.repo.resolve("HEAD")
    record(box, 1, outcome="failed", image=NEW_IMAGE, revision=2)
    record(box, 2)  # what runs: revision 1, OLD_IMAGE
    record(box, 3, outcome="failed", image=NEW_IMAGE, revision=2)
    code, out, _ = staging(box, capsys)
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith(f"staging: payments-api  release 2  {head[:12]} ")
    assert box.ctx.repo.subject(head) in first
    assert f"  image     {OLD_IMAGE}" in out
    assert "by Dana Dev" in out
    assert "  tasks     2/2 running, rollout COMPLETED" in out
    assert "WARNING" not in out and "unverified" not in out


def test_a_no_wait_release_that_ecs_runs_is_the_headline_marked_unverified(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1)
    record(box, 2, outcome="unverified", image=NEW_IMAGE, revision=2)
    runs(box, 2, NEW_IMAGE)
    _, out, _ = staging(box, capsys)
    lines = out.splitlines()
    assert "  release 2  " in lines[0]
    assert lines[1].startswith("  outcome   unverified: shipped without waiting (--no-wait)")
    assert lines[1].endswith("ECS reports COMPLETED")
    assert "WARNING" not in out  # ECS runs the headlined release's image


def test_a_no_wait_release_ecs_does_not_run_is_not_the_headline_and_the_drift_is_warned(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1)
    record(box, 2, outcome="unverified", image=NEW_IMAGE, revision=2)
    runs(box, 3, OTHER_IMAGE)  # someone changed the service by hand since
    code, out, _ = staging(box, capsys)
    assert code == 0
    assert "  release 1  " in out.splitlines()[0]
    assert "unverified" not in out
    assert f"  WARNING   running an image no release recorded: {OTHER_IMAGE}" in out


def test_ecs_running_an_older_release_names_it_and_the_one_expected(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1)  # OLD_IMAGE, which the fake ECS runs from the start
    record(box, 2, image=NEW_IMAGE, revision=2)
    _, out, _ = staging(box, capsys)
    assert f"  WARNING   running release 1's image (released), not release 2's: {OLD_IMAGE}" in out


def test_no_release_yet_says_so_with_the_task_count(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = staging(box, capsys)
    assert code == 0
    assert out == "staging: payments-api\n  no release yet (2/2 running)\n"


def test_an_environment_never_set_up_is_a_state_with_the_command_that_creates_it(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    fails_on_describe(box, NotSetUp("there is no ECS service payments-api in lift-staging"))
    code, out, err = staging(box, capsys)
    assert code == 0  # not a failure to read: scripts may go on
    assert "  not set up: there is no ECS service payments-api in lift-staging" in out
    assert "  set it up: git lift setup -e staging" in out
    assert "error" not in err


def test_a_status_that_cannot_be_read_fails_and_names_what_was_not_read(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    fails_on_describe(box, LiftError("could not reach AWS"), env="production")
    record(box, 1)
    code = status.status(box.ctx, ())  # every environment
    out, err = capsys.readouterr()
    assert code == 1
    assert "production: payments-api\n  unavailable: could not reach AWS" in out
    assert "staging: payments-api  release 1" in out  # the others are still shown
    assert "error: could not read 1 of 2: payments-api in production" in err


def test_config_changed_since_the_release_is_listed_as_drift(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    path = "/staging/payments-api"
    box.aws.ssm.put(f"{path}/API_TOKEN", "one")
    box.aws.ssm.put(f"{path}/DATABASE_URL", "one")
    versions = box.aws.parameters(box.target()).versions(["API_TOKEN", "DATABASE_URL"])
    record(box, 1, config_versions={**versions, "OLD_KEY": 1})
    box.aws.ssm.put(f"{path}/DATABASE_URL", "two")  # changed
    box.aws.ssm.put(f"{path}/NEW_KEY", "x")  # added; OLD_KEY is gone
    _, out, _ = staging(box, capsys)
    assert "  drift     config changed since the release: ~DATABASE_URL +NEW_KEY -OLD_KEY" in out
    assert "API_TOKEN" not in out  # unchanged keys are not drift
    assert "  config    not pinned: a task that starts reads Parameter Store's newest" in out


def test_pinned_config_with_drift_says_a_ship_carries_it(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1, config_versions={"GONE": 1}, pinned={"snapshot": "v1"})
    _, out, _ = staging(box, capsys)
    assert (
        "  config    pinned: tasks run the release's snapshot; a ship carries the changes below"
        in out
    )
    assert "-GONE" in out


def test_no_drift_line_when_config_is_as_released(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.aws.ssm.put("/staging/payments-api/API_TOKEN", "one")
    versions = box.aws.parameters(box.target()).versions(["API_TOKEN"])
    record(box, 1, config_versions=versions)
    _, out, _ = staging(box, capsys)
    assert "drift" not in out


def test_commits_on_the_branch_since_the_release_are_counted(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1)  # HEAD
    for n in (2, 3):
        box.git.write("app.txt", f"v{n}\n")
        box.git.commit(f"Change {n}")
    _, out, _ = staging(box, capsys)
    assert "  behind    2 commits not deployed yet" in out


def test_a_dirty_build_shows_its_diff_hash_after_the_commit(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    head = box.ctx.repo.resolve("HEAD")
    record(box, 1, dirty="abc123")
    _, out, _ = staging(box, capsys)
    assert f"release 1  {head[:12]}-dirty-abc123 " in out.splitlines()[0]


def test_json_output_is_one_object_per_environment_with_what_the_text_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, options=Options(output="json"))
    record(box, 1)
    record(box, 2, outcome="unverified", image=NEW_IMAGE, revision=2)
    runs(box, 2, NEW_IMAGE)
    fails_on_describe(box, NotSetUp("there is no ECS cluster lift-production"), "production")
    assert status.status(box.ctx, ()) == 0
    rows = {row["env"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"staging", "production"}
    assert rows["staging"]["release"] == 2
    assert rows["staging"]["outcome"] == "unverified"
    assert rows["staging"]["running_image"] == NEW_IMAGE
    assert rows["staging"]["mismatch"] is None
    assert rows["production"]["set_up"] is False
    assert rows["production"]["set_up_by"] == "git lift setup -e production"


MONOREPO = """[service "api"]
\tpath = api
[service "worker"]
\tpath = worker
"""


def test_all_shows_every_service_in_every_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(
        tmp_path,
        gitlift=MONOREPO,
        files={"api/env.sample": "A=1\n", "worker/env.sample": "B=1\n"},
    )
    assert status.status(box.ctx, ("staging",), every=True) == 0
    out = capsys.readouterr().out
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    assert heads == ["staging: api", "staging: worker"]


def test_a_release_whose_record_was_kept_locally_says_how_to_write_it(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ship that ran but could not write its record keeps it: ECS then runs an image no
    release names, and status says which command records it."""
    record(box, 1)
    runs(box, 2, NEW_IMAGE)
    kept = pending_path(box.ctx, box.target())
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text("{}")
    _, out, _ = staging(box, capsys)
    assert (
        f"running an image no release recorded: {NEW_IMAGE} "
        "(its record was kept: git lift ship --record-only -e staging)"
    ) in out


def test_status_of_a_preview_where_no_environment_previews_branches_says_how_to_declare_one(
    tmp_path: Path,
) -> None:
    """--preview without -e looks in the preview environments; with none, it says so and
    how to declare one, rather than print nothing (previews2)."""
    box = in_process(tmp_path, options=Options(preview="feature/checkout"))
    with pytest.raises(UsageError) as refused:
        status.status(box.ctx, ())
    assert refused.value.message == "no environment previews branches"
    assert '[env "preview"]' in (refused.value.hint or "")
    with pytest.raises(UsageError) as wrong:
        status.status(box.ctx, ("staging",))
    assert "staging is not a preview environment" in wrong.value.message
