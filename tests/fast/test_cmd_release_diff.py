"""`git lift diff` in-process: what a promotion brings, read from the release records and their
task definitions. Versions are compared within one environment only, a commit side compares
commits and env.sample alone, and no side that lacks something ever prints `None`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from git_lift.aws.store import ServiceDocument
from git_lift.commands import release_diff
from git_lift.errors import UsageError, ValidationError
from git_lift.options import Options
from tests.support.fakes import ARN, NEW_IMAGE, OLD_IMAGE, InProcess, definition, in_process
from tests.support.records import record


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def commit(box: InProcess, name: str, text: str, message: str) -> str:
    box.git.write(name, text)
    box.git.commit(message)
    return box.ctx.repo.resolve("HEAD")


def revision(box: InProcess, env: str, n: int, image: str, **extra: Any) -> None:
    """Revision `n` of the family in `env`, running `image`, with `extra` in its definition."""
    arn = ARN.format(n)
    box.aws.ecs_of(box.target(env)).definitions[arn] = {**definition(arn, image), **extra}


def shown(box: InProcess, capsys: pytest.CaptureFixture[str], a: str, b: str) -> str:
    assert release_diff.diff(box.ctx, a, b) == 0
    out = capsys.readouterr().out
    assert "None" not in out
    return out


def test_production_to_staging_lists_the_commits_a_promotion_brings(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    released = record(box, 1, env="production").commit
    commit(box, "app.txt", "v2\n", "Faster checkout")
    commit(box, "app.txt", "v3\n", "Fix rounding")
    record(box, 1, image=NEW_IMAGE, revision=2)
    revision(box, "staging", 2, NEW_IMAGE)
    out = shown(box, capsys, "production", "staging")
    lines = out.splitlines()
    assert lines[0] == "production -> staging"
    assert lines[1] == "commits   2 new in staging"
    assert "Fix rounding" in lines[2] and "Faster checkout" in lines[3]
    assert not any(line.strip().startswith(released[:7]) for line in lines[2:4])
    assert f"image     - {OLD_IMAGE}\n          + {NEW_IMAGE}" in out


def test_two_environments_compare_only_which_keys_each_has_never_versions(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1, env="production", config_versions={"API_TOKEN": 1, "LEGACY": 4})
    record(box, 1, config_versions={"API_TOKEN": 7, "FEATURE_X": 1})
    out = shown(box, capsys, "production", "staging")
    assert "config    + FEATURE_X (v1)" in out
    assert "config    - LEGACY (was v4)" in out
    assert "API_TOKEN" not in out  # v1 and v7 count different parameters
    assert "config    versions not compared: production and staging each have their own" in out
    assert "image     same: " + OLD_IMAGE in out


def test_two_releases_of_one_environment_compare_versions(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1, config_versions={"API_TOKEN": 1, "LEGACY": 2})
    record(box, 2, config_versions={"API_TOKEN": 3, "NEW_KEY": 1})
    out = shown(box, capsys, "staging@1", "staging")
    assert "config    API_TOKEN: v1 -> v3" in out
    assert "config    + NEW_KEY (v1)" in out
    assert "config    - LEGACY (was v2)" in out
    assert "versions not compared" not in out
    assert "commits   0 new in staging" in out


def test_task_sizes_and_secret_names_that_differ_are_listed(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1)
    record(box, 2, revision=2)
    old = definition(ARN.format(1), OLD_IMAGE)
    old["containerDefinitions"][0]["secrets"] = [{"name": "GONE", "valueFrom": "x"}]
    box.aws.ecs_of(box.target()).definitions[ARN.format(1)] = {**old, "cpu": "256"}
    revision(box, "staging", 2, OLD_IMAGE, cpu="512")
    new = box.aws.ecs_of(box.target()).definitions[ARN.format(2)]
    new["containerDefinitions"][0]["secrets"] = [{"name": "ADDED", "valueFrom": "y"}]
    out = shown(box, capsys, "staging@1", "staging@2")
    assert "task      cpu: 256 -> 512" in out
    assert "secrets   + ADDED" in out and "secrets   - GONE" in out
    assert "memory" not in out  # the same on both sides


def test_a_commit_side_compares_commits_and_env_sample_only(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    record(box, 1, env="production", config_versions={"API_TOKEN": 1})
    sample = box.git.path.joinpath("env.sample").read_text()
    commit(box, "env.sample", sample + "NEW_KEY=example\n", "Add NEW_KEY")
    out = shown(box, capsys, "production", "HEAD")
    assert "commits   1 new in HEAD" in out and "Add NEW_KEY" in out
    assert "release   HEAD is a commit, not a release: image, task definition, secrets" in out
    assert "env.sample +NEW_KEY" in out
    compared = ("image", "task", "secrets", "config", "service")
    assert not any(line.startswith(compared) for line in out.splitlines())


def test_two_commits_name_both_as_commits(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    first = box.ctx.repo.resolve("HEAD")
    commit(box, "app.txt", "v2\n", "Second")
    out = shown(box, capsys, first[:12], "HEAD")
    assert out.count("is a commit, not a release") == 2


def test_the_service_config_version_each_release_ran_with_is_shown_with_none_for_no_document(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    first = record(box, 1)
    doc = ServiceDocument("staging", "payments-api", 1, {}, "Dana Dev", first.deployed_at + 1)
    box.aws.store.save_service_document(box.target(), doc)
    record(box, 2)
    out = shown(box, capsys, "staging@1", "staging@2")
    assert "service   config none -> version 1 (git lift service history)" in out


def test_json_names_each_side_and_says_none_where_a_commit_has_no_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, options=Options(output="json"))
    record(box, 1, env="production")
    assert release_diff.diff(box.ctx, "production", "HEAD") == 0
    found = json.loads(capsys.readouterr().out)
    assert found["environments"] == ["production", None]
    assert found["image"] == [OLD_IMAGE, None]
    assert found["config_versions"] == {}


def test_a_misspelt_environment_is_named_with_the_one_meant(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        release_diff.diff(box.ctx, "prodution@2", "staging")
    assert raised.value.message == "'prodution@2' is neither an environment nor a revision"
    assert raised.value.hint == "did you mean production@2?"


def test_env_at_something_not_a_number_is_a_usage_error(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        release_diff.diff(box.ctx, "staging@latest", "production")
    assert "'staging@latest' is not ENV@N" in raised.value.message


def test_an_environment_without_a_release_points_at_history(box: InProcess) -> None:
    record(box, 1, outcome="failed")  # a failed release is no side to compare
    with pytest.raises(ValidationError) as raised:
        release_diff.diff(box.ctx, "staging", "HEAD")
    assert raised.value.message == "payments-api has no successful release yet in staging"
    assert raised.value.hint == "list them: git lift history -e staging"


def test_in_a_monorepo_only_the_services_own_commits_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = '[service "api"]\n\tpath = api\n[service "worker"]\n\tpath = worker\n'
    box = in_process(
        tmp_path,
        gitlift=services,
        files={"api/env.sample": "A=1\n", "worker/env.sample": "B=1\n"},
        options=Options(service="api"),
    )
    record(box, 1, env="production")
    commit(box, "worker/job.py", "1\n", "Worker only")
    commit(box, "api/app.py", "1\n", "Api change")
    commit(box, "README.md", "x\n", "Docs at the top")
    record(box, 1)
    out = shown(box, capsys, "production", "staging")
    assert "commits   1 new in staging" in out
    assert "Api change" in out
    assert "Worker only" not in out and "Docs at the top" not in out
