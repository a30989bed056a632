"""What the installed hooks run (commands/hook_checks.py, flows/hook_samples.py), in-process on a
real repository with Parameter Store faked: a commit's staged env.sample is linted and the keys it
adds asked about; a push is checked against each environment its refs map to. Names only, never
a value; a store that cannot be asked stops nothing unless strict or confirm says so."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from git_lift.commands import hook_checks
from git_lift.errors import FAILED, OK, AwsError, UsageError
from git_lift.flows.context import Context
from git_lift.flows.pushed_refs import PushedRef, parse_pushed
from git_lift.options import Options
from git_lift.repo import ZERO_SHA
from tests.support.fakes import FakeParameterStore, InProcess, in_process

SECRET = "aZ3kQ9vL2mX8pR7tY4wB6nC1dF5gH0jKs"


@pytest.fixture(autouse=True)
def hook_keeps_the_fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Context.in_hook() copies the context, and the copy makes its own Aws (with the hook's
    short retry budget): here the copy keeps the test's FakeAws, which has no budget to shorten."""
    in_hook = Context.in_hook

    def keeping(self: Context) -> Context:
        copy = in_hook(self)
        copy.aws = self.aws
        return copy

    monkeypatch.setattr(Context, "in_hook", keeping)


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    """`payments-api` (env.sample: DATABASE_URL, API_TOKEN), both set in staging."""
    box = in_process(tmp_path, options=Options(yes=True))
    seed(box, "staging", "DATABASE_URL", "API_TOKEN")
    return box


def seed(box: InProcess, env: str, *keys: str) -> None:
    for key in keys:
        box.aws.ssm.put(f"{box.target(env).parameter_path}/{key}", "x")


def stage(box: InProcess, text: str, path: str = "env.sample") -> None:
    box.git.write(path, text)
    box.git.git("add", path)


def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: FakeParameterStore, *args: object, **kwargs: object) -> object:
        raise AwsError("could not connect to the endpoint URL")

    for method in ("read_keys", "versions", "listing", "read"):
        monkeypatch.setattr(FakeParameterStore, method, refused)


# pre-commit


def test_a_commit_without_env_sample_checks_nothing(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    stage(box, "v2\n", "app.txt")
    assert hook_checks.pre_commit(box.ctx) == OK
    assert capsys.readouterr().err == ""
    assert box.aws.ssm.counts() == {}


def test_a_secret_in_env_sample_stops_the_commit_naming_the_line_never_the_value(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    stage(box, f"DATABASE_URL=postgres://localhost/dev\nAPI_TOKEN={SECRET}\n")
    assert hook_checks.pre_commit(box.ctx) == FAILED
    err = capsys.readouterr().err
    assert "env.sample:2" in err and "random token" in err
    assert "fix env.sample: one KEY=example a line, with example values, never secrets" in err
    assert SECRET not in err


def test_a_key_added_but_not_set_stops_the_commit_with_the_command_that_sets_it(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    stage(box, "DATABASE_URL=x\nAPI_TOKEN=x\nSENTRY_DSN=https://example\n")
    assert hook_checks.pre_commit(box.ctx) == FAILED
    err = capsys.readouterr().err
    assert "git lift: env.sample adds SENTRY_DSN; checking staging" in err
    assert "SENTRY_DSN" in err and "git lift config set -e staging SENTRY_DSN" in err
    assert "DATABASE_URL" not in err.split("checking staging", 1)[1]  # only what it adds


def test_a_key_added_and_set_lets_the_commit_through(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, "staging", "SENTRY_DSN")
    stage(box, "DATABASE_URL=x\nAPI_TOKEN=x\nSENTRY_DSN=https://example\n")
    assert hook_checks.pre_commit(box.ctx) == OK


def test_a_removed_key_asks_nothing(box: InProcess) -> None:
    stage(box, "DATABASE_URL=x\n")
    assert hook_checks.pre_commit(box.ctx) == OK
    assert box.aws.ssm.counts() == {}


def test_a_store_that_cannot_be_asked_warns_and_lets_the_commit_through(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable(monkeypatch)
    stage(box, "DATABASE_URL=x\nAPI_TOKEN=x\nSENTRY_DSN=x\n")
    assert hook_checks.pre_commit(box.ctx) == OK
    err = capsys.readouterr().err
    assert "staging: cannot check payments-api's config: could not connect" in err
    assert "the commit goes ahead unchecked (lift.hooks.strict is not set)" in err
    assert "git lift config check -e staging" in err


def test_strict_hooks_stop_a_commit_that_cannot_be_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, options=Options(yes=True))
    box.git.git("config", "lift.hooks.strict", "true")
    box = box.reload()
    unreachable(monkeypatch)
    stage(box, "DATABASE_URL=x\nAPI_TOKEN=x\nSENTRY_DSN=x\n")
    assert hook_checks.pre_commit(box.ctx) == FAILED
    err = capsys.readouterr().err
    assert "lift.hooks.strict is true: the commit is refused" in err
    assert "(or skip once: git commit --no-verify)" in err


@pytest.mark.parametrize(
    ("value", "skips"), [("1", True), ("TRUE", True), (" yes ", True), ("0", False), ("", False)]
)
def test_git_lift_skip_hooks_skips_without_loading_anything(value: str, skips: bool) -> None:
    assert hook_checks.skipped({"GIT_LIFT_SKIP_HOOKS": value}) is skips


def test_a_skipped_hook_never_builds_a_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_LIFT_SKIP_HOOKS", "1")

    def load() -> Context:
        raise AssertionError("a skipped hook loaded the context")

    assert hook_checks.run_pre_commit(load, ["env.sample"]) == OK
    assert hook_checks.run_pre_push(load, io.StringIO(""), framework=False, remote=None) == OK


# pre-push


def test_a_branch_no_environment_maps_to_is_not_checked(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hook_checks.pre_push(box.ctx, [box.pushed("refs/heads/feature")]) == OK
    assert box.aws.ssm.counts() == {}


def test_a_deleted_ref_is_not_checked(box: InProcess) -> None:
    gone = PushedRef("(delete)", ZERO_SHA, "refs/heads/main", box.ctx.repo.resolve("HEAD"))
    assert hook_checks.pre_push(box.ctx, [gone]) == OK
    assert box.aws.ssm.counts() == {}


def test_a_pushed_commit_adding_a_key_staging_lacks_stops_the_push(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    base = box.ctx.repo.resolve("HEAD")
    box.git.write("env.sample", "DATABASE_URL=x\nAPI_TOKEN=x\nSENTRY_DSN=x\n")
    box.git.commit("Report errors")
    ref = box.pushed("refs/heads/main", remote_sha=base)
    assert hook_checks.pre_push(box.ctx, [ref]) == FAILED
    err = capsys.readouterr().err
    assert f"checked what it changes since {base[:12]}: env.sample adds SENTRY_DSN" in err
    assert "git lift config set -e staging SENTRY_DSN" in err


def test_a_push_that_changes_no_env_sample_asks_nothing(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    base = box.ctx.repo.resolve("HEAD")
    box.git.write("app.txt", "v2\n")
    box.git.commit("Faster")
    assert hook_checks.pre_push(box.ctx, [box.pushed("refs/heads/main", remote_sha=base)]) == OK
    assert "no key added" in capsys.readouterr().err
    assert box.aws.ssm.counts() == {}


def test_a_release_tag_that_cannot_be_verified_is_refused_in_a_confirm_environment(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable(monkeypatch)
    assert hook_checks.pre_push(box.ctx, [box.pushed("refs/tags/v1.0.0")]) == FAILED
    err = capsys.readouterr().err
    assert "production has confirm = true: a push that cannot be verified is refused" in err
    assert "(or skip once: git push --no-verify)" in err
    assert box.aws.store.releases(box.target("production")) == []


def test_a_release_tag_pushed_to_another_remote_releases_nothing(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, "production", "DATABASE_URL", "API_TOKEN")
    ref = box.pushed("refs/tags/v1.0.0")
    assert hook_checks.pre_push(box.ctx, [ref], remote="mirror") == OK
    assert (
        "v1.0.0 not released: releases happen only on pushes to origin, where they are "
        "recorded (this push goes to mirror)" in capsys.readouterr().err
    )
    assert box.aws.store.releases(box.target("production")) == []


def test_a_release_tag_missing_config_stops_the_push_before_any_release(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, "production", "DATABASE_URL")
    assert hook_checks.pre_push(box.ctx, [box.pushed("refs/tags/v1.0.0")]) == FAILED
    err = capsys.readouterr().err
    assert "goes to production; checking its config" in err
    assert "API_TOKEN" in err
    assert box.aws.store.releases(box.target("production")) == []


def test_the_frameworks_pre_push_says_releases_need_git_lifts_own_hook(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, "production", "DATABASE_URL", "API_TOKEN")
    ref = box.pushed("refs/tags/v1.0.0")
    assert hook_checks.pre_push(box.ctx, [ref], framework=True) == OK
    err = capsys.readouterr().err
    assert "production releases on push, which needs git lift's own pre-push hook" in err
    assert "git lift hooks install" in err
    assert box.aws.store.releases(box.target("production")) == []


def test_pre_push_input_that_is_not_four_fields_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as raised:
        parse_pushed("refs/heads/main abc refs/heads/main\n")
    assert (
        raised.value.message == "unexpected pre-push input: 'refs/heads/main abc refs/heads/main'"
    )
    assert raised.value.hint is not None and "<local ref> <local sha>" in raised.value.hint
    assert parse_pushed("\n") == []
