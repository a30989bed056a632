"""env.sample against the stores, as `config check`, the hooks and ship ask it: names only,
missing keys and extra keys reported together, one environment's failure reported beside the
others, and a fix command for each problem. Parameter Store and the table: the in-memory fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift.aws.store import EnvironmentRecord, ServiceDocument
from git_lift.errors import AwsError, ValidationError
from git_lift.flows import config_check
from git_lift.flows.config_check import SampleCheck
from git_lift.flows.config_report import report_checks
from git_lift.flows.context import Context
from git_lift.plan import KeyCheck
from tests.support.fakes import FakeParameterStore, FakeStore, InProcess, in_process
from tests.support.helpers import GitRepo

SAMPLE = ("API_TOKEN", "DATABASE_URL")  # tests/helpers.py's env.sample, sorted
VALUE = "v4lue-never-shown"


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


@pytest.fixture
def repo(box: InProcess) -> GitRepo:
    return box.git


@pytest.fixture
def ctx(box: InProcess) -> Context:
    return box.ctx


def seed(ctx: Context, env: str, *keys: str) -> None:
    store = ctx.parameters(ctx.target(env))
    for key in keys:
        store.put(key, VALUE, advanced=False)


def check(ctx: Context, env: str, *, alone: bool = False) -> SampleCheck:
    return SampleCheck(ctx.target(env), SAMPLE, asked_alone=alone)


def test_missing_and_extra_keys_are_found_together_per_environment(ctx: Context) -> None:
    seed(ctx, "staging", "DATABASE_URL", "LEFTOVER")
    seed(ctx, "production", "API_TOKEN", "DATABASE_URL")
    found = config_check.run(ctx, [check(ctx, "staging"), check(ctx, "production")])
    assert found == [
        KeyCheck("staging", ["API_TOKEN"], ["LEFTOVER"]),
        KeyCheck("production", [], []),
    ]


def test_keys_asked_alone_report_no_extras(ctx: Context) -> None:
    """A hook asks about the keys a commit added: the rest of the store is not its business."""
    seed(ctx, "staging", "DATABASE_URL", "LEFTOVER")
    assert config_check.run(ctx, [check(ctx, "staging", alone=True)]) == [
        KeyCheck("staging", ["API_TOKEN"], [])
    ]


def test_one_environment_failing_is_reported_beside_the_others(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(ctx, "staging", *SAMPLE)
    listing = FakeParameterStore.listing

    def denied(self: FakeParameterStore) -> object:
        if self.target.env == "production":
            raise AwsError("AccessDenied listing /production/payments-api")
        return listing(self)

    monkeypatch.setattr(FakeParameterStore, "listing", denied)
    found = config_check.run(ctx, [check(ctx, "staging"), check(ctx, "production")])
    assert found == [
        KeyCheck("staging", [], []),
        KeyCheck("production", [], [], error="AccessDenied listing /production/payments-api"),
    ]


def test_the_report_fails_on_missing_keys_and_shows_both_problems_with_fixes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    checks = [KeyCheck("staging", ["API_TOKEN"], ["LEFTOVER", "OLD"])]
    assert report_checks(checks, "api", strict=False, output="text", fix_flags=" -s api") == 1
    err = capsys.readouterr().err
    assert "staging: env.sample names keys missing from api's config: API_TOKEN" in err
    assert "git lift config set -s api -e staging API_TOKEN=..." in err
    assert "staging: api's config has keys env.sample does not name: LEFTOVER, OLD" in err
    assert "git lift config unset -s api -e staging LEFTOVER OLD" in err
    assert "ok" not in err


def test_extra_keys_alone_warn_and_fail_only_when_strict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    checks = [KeyCheck("staging", [], ["LEFTOVER"])]
    assert report_checks(checks, "api", strict=False, output="text") == 0
    assert "warning: staging: api's config has keys" in capsys.readouterr().err
    assert report_checks(checks, "api", strict=True, output="text") == 1
    assert "error: staging: api's config has keys" in capsys.readouterr().err


def test_an_unreadable_environment_fails_the_report_and_the_others_still_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    checks = [KeyCheck("production", [], [], error="AccessDenied"), KeyCheck("staging", [], [])]
    assert report_checks(checks, "api", strict=False, output="text", named=True) == 1
    err = capsys.readouterr().err
    assert "production: cannot check api: AccessDenied" in err
    assert "staging: api: ok" in err


def test_the_json_report_lists_every_environment(capsys: pytest.CaptureFixture[str]) -> None:
    checks = [KeyCheck("staging", ["A"], ["B"]), KeyCheck("production", [], [], error="down")]
    assert report_checks(checks, "api", strict=False, output="json") == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == [
        {
            "environment": "staging",
            "service": "api",
            "missing": ["A"],
            "extra": ["B"],
            "error": None,
        },
        {
            "environment": "production",
            "service": "api",
            "missing": [],
            "extra": [],
            "error": "down",
        },
    ]
    assert ": ok" not in err


def test_a_long_list_of_missing_keys_is_shortened_in_the_message_and_the_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = [f"KEY_{n:02}" for n in range(20)]
    report_checks([KeyCheck("staging", missing, [])], "api", strict=False, output="text")
    err = capsys.readouterr().err
    assert "KEY_11 and 8 more" in err and "KEY_12" not in err
    assert "KEY_11=... ... (8 more)" in err


def test_require_keys_names_what_is_missing_and_the_command_that_sets_it(
    ctx: Context,
) -> None:
    seed(ctx, "staging", "DATABASE_URL")
    with pytest.raises(ValidationError) as refused:
        config_check.require_keys(ctx, ctx.target("staging"), list(SAMPLE), "nothing was built")
    assert refused.value.message == (
        "staging lacks config that env.sample names: API_TOKEN; nothing was built"
    )
    assert refused.value.hint == "git lift config set -e staging API_TOKEN=..."
    assert VALUE not in refused.value.message + str(refused.value.hint)


def test_require_keys_returns_the_versions_it_checked(ctx: Context) -> None:
    seed(ctx, "staging", *SAMPLE, "EXTRA")
    seed(ctx, "staging", "API_TOKEN")  # version 2
    versions = config_check.require_keys(ctx, ctx.target("staging"), list(SAMPLE), "x")
    assert versions == {"API_TOKEN": 2, "DATABASE_URL": 1}


def test_a_commit_is_checked_against_its_own_env_sample(ctx: Context, repo: GitRepo) -> None:
    """A ship of an older commit needs the keys it names, not those the work tree names."""
    first = repo.head()
    repo.write("env.sample", "DATABASE_URL=x\nAPI_TOKEN=y\nNEW_KEY=z\n")
    repo.commit("Add NEW_KEY")
    seed(ctx, "staging", *SAMPLE)
    target = ctx.target("staging")
    assert config_check.require_at_commit(ctx, target, first) == {
        "API_TOKEN": 1,
        "DATABASE_URL": 1,
    }
    with pytest.raises(ValidationError, match=r"lacks config that env\.sample names: NEW_KEY"):
        config_check.require_at_commit(ctx, target, repo.head())


def test_the_names_are_listed_once_per_command_until_it_writes(ctx: Context) -> None:
    target = ctx.target("staging")
    assert ctx.parameter_names(target) == {}
    seed(ctx, "staging", "LATE")
    assert ctx.parameter_names(target) == {}  # the same command does not ask again
    ctx.forget_names()
    assert ctx.parameter_names(target) == {"LATE": 1}


def test_every_name_the_store_sees_reaches_the_names_cache(ctx: Context) -> None:
    target = ctx.target("staging")
    store = ctx.parameters(target)
    store.put("A", VALUE, advanced=False)
    store.put("B", VALUE, advanced=False)
    assert ctx.names_cache.fresh(target, ttl=60) == {"A": 1, "B": 1}
    store.delete(["A"])
    assert ctx.names_cache.fresh(target, ttl=60) == {"B": 1}
    cached = ctx.names_cache.path(target).read_text()
    assert VALUE not in cached  # names and versions, never values


def test_a_malformed_env_sample_is_refused_with_its_line(ctx: Context, repo: GitRepo) -> None:
    repo.write("env.sample", "GOOD=1\nthis is not a line\n")
    with pytest.raises(ValidationError) as refused:
        config_check.sample_keys(ctx, ctx.service())
    assert refused.value.message.startswith("env.sample is malformed: env.sample:2:")


def test_no_env_sample_names_no_keys(ctx: Context, repo: GitRepo) -> None:
    (repo.path / "env.sample").unlink()
    assert config_check.sample_keys(ctx, ctx.service()) == []


def environment(name: str) -> EnvironmentRecord:
    return EnvironmentRecord(
        name, "eu-west-1", "123456789012", f"lift-{name}", {}, {}, "dev", 0.0, "dev", 0.0
    )


def test_a_target_is_set_up_once_its_environment_and_service_were_created(
    ctx: Context,
) -> None:
    """A first env.sample's keys missing where `setup` never ran are what setup asks for:
    the hooks tell such targets apart rather than block on them."""
    staging, production = ctx.target("staging"), ctx.target("production")
    table = ctx.aws.table()
    assert config_check.not_set_up(ctx, [staging, production, staging]) == {
        ("staging", "payments-api"),
        ("production", "payments-api"),
    }
    table.put_environment(environment("staging"), create=True)
    table.put_environment(environment("production"), create=True)
    assert config_check.not_set_up(ctx, [staging, production]) == {
        ("staging", "payments-api"),
        ("production", "payments-api"),
    }  # environments without the service
    table.save_service_document(
        staging, ServiceDocument("staging", "payments-api", 1, {}, "dev", 0.0)
    )
    assert config_check.not_set_up(ctx, [staging, production]) == {("production", "payments-api")}


def test_a_target_whose_records_cannot_be_read_keeps_its_check(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(self: FakeStore, env: str) -> None:
        raise AwsError("AccessDenied reading the table")

    monkeypatch.setattr(FakeStore, "environment", unreadable)
    assert config_check.not_set_up(ctx, [ctx.target("staging")]) == set()
