"""`config_apply.apply`, the one path of every config change, on a real repository with
Parameter Store and the table faked in memory (tests/support/fakes; moto's own answers are
tested end to end in tests/test_config*.py): what the user sees (a diff that never
holds a value), what lands in the store, and what is kept under `.git/lift/` when a write is
refused, conflicts, fails half-way or is interrupted."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from git_lift.aws.ssm import ParameterStore
from git_lift.errors import Conflict, LiftError, Unreachable, UsageError, ValidationError
from git_lift.flows import config_apply, config_state
from git_lift.flows.config_apply import Removal, apply
from git_lift.flows.context import Context
from git_lift.options import Options
from git_lift.target import Target
from tests.support.fakes import Clock, FakeParameterStore, in_process

SECRETS = ["s3cret-old-token", "s3cret-new-token", "postgres://u:pw@db/x", "gone-value"]


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    """`payments-api` (env.sample: DATABASE_URL, API_TOKEN) and `--yes`."""
    return in_process(tmp_path, options=Options(yes=True)).ctx


def staging(ctx: Context) -> Target:
    return ctx.target("staging")


def seed(ctx: Context, values: dict[str, str], env: str = "staging") -> ParameterStore:
    store = ctx.parameters(ctx.target(env))
    for key, value in values.items():
        store.put(key, value, advanced=False)
    return store


def values(ctx: Context, env: str = "staging") -> dict[str, str]:
    return {key: p.value for key, p in ctx.parameters(ctx.target(env)).read().items()}


def pending(ctx: Context) -> str | None:
    path = config_state.pending_path(ctx, staging(ctx))
    return path.read_text(encoding="utf-8") if path.exists() else None


def kept(ctx: Context) -> config_state.Changes:
    text = pending(ctx)
    assert text is not None, "nothing was kept"
    return config_state.Changes.parse(text)


def leftovers(ctx: Context) -> list[str]:
    """Files under .git/lift/ other than the names cache."""
    folder = ctx.repo.git_dir / "lift"
    return sorted(p.name for p in folder.iterdir() if p.name != "names")


def test_a_change_is_written_and_its_diff_never_shows_a_value(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seed(ctx, {"API_TOKEN": "s3cret-old-token", "OLD_FLAG": "gone-value"})
    capsys.readouterr()
    desired = {"API_TOKEN": "s3cret-new-token", "DATABASE_URL": "postgres://u:pw@db/x"}

    assert apply(ctx, staging(ctx), store.read(), desired) == 0

    out, err = capsys.readouterr()
    assert "~ API_TOKEN = ******** -> ********" in err
    assert "+ DATABASE_URL = ********" in err
    assert "- OLD_FLAG" in err
    assert not [s for s in SECRETS if s in out + err]
    assert values(ctx) == desired
    assert leftovers(ctx) == ["config-undo-staging.payments-api.env"]  # no journal, no edit


def test_show_values_shows_old_and_new_values_quoted(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seed(ctx, {"LOG_LEVEL": "info"})
    apply(ctx, staging(ctx), store.read(), {"LOG_LEVEL": "debug"}, show_values=True)
    assert "~ LOG_LEVEL = 'info' -> 'debug'" in capsys.readouterr().err


def test_no_change_writes_nothing_and_says_so(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seed(ctx, {"LOG_LEVEL": "info"})
    apply(ctx, staging(ctx), store.read(), {"LOG_LEVEL": "info"})
    assert "no changes to payments-api in staging" in capsys.readouterr().err
    assert store.read()["LOG_LEVEL"].version == 1


def test_removed_values_are_kept_privately_for_undo(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seed(ctx, {"A": "gone-value", "B": "stays"})
    apply(ctx, staging(ctx), store.read(), {"B": "stays"})
    undo = config_state.undo_path(ctx, staging(ctx))
    assert undo.read_text(encoding="utf-8") == "A=gone-value\n"
    assert os.stat(undo).st_mode & 0o777 == 0o600
    assert "git lift config restore --undo -e staging -s payments-api" in capsys.readouterr().err
    # a later removal adds to the undo file: the first value is not lost
    apply(ctx, staging(ctx), store.read(), {})
    assert undo.read_text(encoding="utf-8") == "A=gone-value\nB=stays\n"


def test_a_key_changed_since_it_was_read_is_a_conflict_and_nothing_is_written(
    ctx: Context,
) -> None:
    store = seed(ctx, {"API_TOKEN": "s3cret-old-token"})
    base = store.read()
    store.put("API_TOKEN", "theirs", advanced=False)  # another writer, meanwhile

    with pytest.raises(Conflict) as conflict:
        apply(ctx, staging(ctx), base, {"API_TOKEN": "mine", "NEW_KEY": "fresh"})

    assert conflict.value.message == (
        "changed in staging since you started: API_TOKEN; nothing was written"
    )
    assert conflict.value.hint is not None and "--resume" in conflict.value.hint
    assert values(ctx) == {"API_TOKEN": "theirs"}  # NEW_KEY was not written either
    assert kept(ctx).writes == {"API_TOKEN": "mine", "NEW_KEY": "fresh"}


def test_a_key_someone_created_meanwhile_is_a_conflict_too(ctx: Context) -> None:
    base = seed(ctx, {}).read()
    seed(ctx, {"NEW_KEY": "theirs"})
    with pytest.raises(Conflict, match="NEW_KEY"):
        apply(ctx, staging(ctx), base, {"NEW_KEY": "mine"})
    assert values(ctx) == {"NEW_KEY": "theirs"}


def test_after_a_conflict_resume_offers_the_kept_edit_on_the_new_values(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user was told of the conflict: resuming shows their edit, not the conflict again."""
    store = seed(ctx, {"API_TOKEN": "s3cret-old-token", "OTHER": "x"})
    base = store.read()
    store.put("OTHER", "y", advanced=False)
    with pytest.raises(Conflict):
        apply(ctx, staging(ctx), base, {"API_TOKEN": "mine", "OTHER": "x2"})
    capsys.readouterr()
    text = config_apply.load_resume(ctx, staging(ctx), store.read())
    assert text == "API_TOKEN=mine\nOTHER=x2\n"
    assert "conflict" not in capsys.readouterr().err


def test_resume_shows_a_key_changed_after_the_edit_was_kept_as_a_conflict(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seed(ctx, {"API_TOKEN": "v1", "GONE": "g", "SAME": "s"})
    base = store.read()
    versions = {key: p.version for key, p in base.items()}
    left = config_state.Changes({"API_TOKEN": "kept-value"}, {"GONE"}, versions)
    config_apply.keep_changes(ctx, staging(ctx), left, replace=False)
    store.put("API_TOKEN", "their-value", advanced=False)
    store.put("GONE", "their-other-value", advanced=False)
    capsys.readouterr()

    text = config_apply.load_resume(ctx, staging(ctx), store.read())

    comments, _, body = text.partition("\n\n")
    assert "#   API_TOKEN=kept-value" in comments
    assert "#   (the kept edit removes GONE: delete its line)" in comments
    # the store's values stay, the kept ones are only in the comments
    assert body == "API_TOKEN=their-value\nGONE=their-other-value\nSAME=s\n"
    err = capsys.readouterr().err
    assert "conflict: API_TOKEN changed in staging since the edit was kept" in err
    assert "value" not in err.replace("store's value", "")  # names only, never a value


def test_resume_applies_kept_changes_on_the_store_as_it_is_now(ctx: Context) -> None:
    store = seed(ctx, {"A": "1", "B": "2", "C": "3"})
    base = store.read()
    versions = {key: p.version for key, p in base.items()}
    config_apply.keep_changes(
        ctx, staging(ctx), config_state.Changes({"A": "10"}, {"B"}, versions), replace=False
    )
    store.put("C", "30", advanced=False)  # an untouched key moved: no conflict, its value shows
    assert config_apply.load_resume(ctx, staging(ctx), store.read()) == "A=10\nC=30\n"


def test_resume_without_a_kept_edit_says_how_to_start_one(ctx: Context) -> None:
    with pytest.raises(UsageError) as refused:
        config_apply.load_resume(ctx, staging(ctx), {})
    assert refused.value.message == "there is no unfinished edit of payments-api in staging"
    assert refused.value.hint == "start one with: git lift config edit -e staging"


def test_a_raw_kept_text_reopens_as_it_was_and_takes_no_other_changes(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    config_apply.save_raw(ctx, staging(ctx), "A=1\nthis line is broken\n")
    assert config_apply.pending_notice(ctx, staging(ctx))
    assert "an unfinished edit of payments-api in staging is pending: " in capsys.readouterr().err
    config_apply.keep_changes(ctx, staging(ctx), config_state.Changes({"B": "2"}), replace=False)
    assert "these changes were not kept" in capsys.readouterr().err
    assert config_apply.load_resume(ctx, staging(ctx), {}) == "A=1\nthis line is broken\n"


def test_the_pending_notice_counts_the_kept_keys(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not config_apply.pending_notice(ctx, staging(ctx))
    changes = config_state.Changes({"A": "1", "B": "2"}, {"C"})
    config_apply.keep_changes(ctx, staging(ctx), changes, replace=False)
    assert config_apply.pending_notice(ctx, staging(ctx))
    err = capsys.readouterr().err
    assert "an unfinished edit of payments-api in staging is pending (3 keys)" in err
    assert "--resume" in err and "--discard" in err


def test_kept_edits_add_up_and_the_newer_intention_wins(ctx: Context) -> None:
    target = staging(ctx)
    config_apply.keep_changes(
        ctx, target, config_state.Changes({"A": "1", "B": "2"}, {"C"}), replace=False
    )
    config_apply.keep_changes(ctx, target, config_state.Changes({"C": "3"}, {"A"}), replace=False)
    assert (kept(ctx).writes, kept(ctx).removes) == ({"B": "2", "C": "3"}, {"A"})
    config_apply.keep_changes(ctx, target, config_state.Changes({"D": "4"}), replace=True)
    assert (kept(ctx).writes, kept(ctx).removes) == ({"D": "4"}, set())


def test_a_later_write_of_a_kept_key_drops_it_from_the_kept_edit(ctx: Context) -> None:
    store = seed(ctx, {})
    config_apply.keep_changes(
        ctx, staging(ctx), config_state.Changes({"A": "old", "B": "b"}), replace=False
    )
    apply(ctx, staging(ctx), store.read(), {"A": "new"})
    assert kept(ctx).writes == {"B": "b"}  # replaying A=old would undo the newer write
    apply(ctx, staging(ctx), store.read(), {"A": "new", "B": "other"})
    assert pending(ctx) is None


def test_a_resumed_edit_that_is_applied_or_empty_is_dropped(ctx: Context) -> None:
    store = seed(ctx, {"A": "1"})
    for desired in ({"A": "2"}, {"A": "2"}):  # applied, then nothing left to change
        config_apply.keep_changes(
            ctx, staging(ctx), config_state.Changes({"A": "2"}), replace=False
        )
        apply(ctx, staging(ctx), store.read(), desired, resuming=True)
        assert pending(ctx) is None
    assert values(ctx) == {"A": "2"}


def test_discard_drops_the_kept_edit_once(ctx: Context) -> None:
    config_apply.save_raw(ctx, staging(ctx), "anything")
    assert config_apply.discard_resume(ctx, staging(ctx))
    assert not config_apply.discard_resume(ctx, staging(ctx))
    assert pending(ctx) is None


def test_a_value_too_large_is_refused_before_any_write_and_not_kept(ctx: Context) -> None:
    store = seed(ctx, {})
    with pytest.raises(ValidationError) as refused:
        apply(ctx, staging(ctx), {}, {"BIG": "x" * 5000, "SMALL": "ok"})
    assert refused.value.message == (
        "value too large for Parameter Store's 4096-byte limit: BIG (5000 bytes); "
        "nothing was written"
    )
    assert refused.value.hint == "use --tier advanced (up to 8 KB, billed by AWS)"
    assert store.read() == {} and pending(ctx) is None


def test_a_value_too_large_even_for_advanced_points_to_a_reference(ctx: Context) -> None:
    with pytest.raises(ValidationError) as refused:
        apply(ctx, staging(ctx), {}, {"BIG": "é" * 4500})  # 9000 bytes, 4500 characters
    assert "BIG (9000 bytes)" in refused.value.message
    assert refused.value.hint is not None and "Secrets Manager" in refused.value.hint


def test_the_advanced_tier_takes_up_to_8_kb(ctx: Context) -> None:
    apply(ctx, staging(ctx), {}, {"BIG": "x" * 8192}, advanced=True)
    assert len(values(ctx)["BIG"]) == 8192


def test_an_empty_value_is_refused(ctx: Context) -> None:
    with pytest.raises(ValidationError, match="cannot hold an empty value: EMPTY"):
        apply(ctx, staging(ctx), {}, {"EMPTY": "", "FULL": "x"})
    assert values(ctx) == {}


def test_an_editors_refused_text_is_kept_to_fix_with_resume(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValidationError):
        apply(ctx, staging(ctx), {}, {"EMPTY": "", "FULL": "x"}, keep_refused=True)
    assert kept(ctx).writes == {"EMPTY": "", "FULL": "x"}
    assert "your edit is kept: git lift config edit -e staging" in capsys.readouterr().err


def test_without_a_terminal_a_confirm_environment_writes_nothing_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    ctx = in_process(tmp_path, options=Options(yes=False)).ctx
    target = ctx.target("production")
    with pytest.raises(UsageError) as refused:
        apply(ctx, target, {}, {"A": "1"})
    assert refused.value.message == (
        "writing to production needs confirmation and there is no terminal to ask; "
        "nothing was written"
    )
    assert ctx.parameters(target).read() == {}
    assert not config_state.pending_path(ctx, target).exists()


def test_removing_env_sample_keys_with_yes_needs_the_explicit_flag(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seed(ctx, {"API_TOKEN": "t", "DATABASE_URL": "d", "LOG": "l"})
    required = Removal(required=frozenset({"API_TOKEN", "DATABASE_URL"}))
    with pytest.raises(UsageError) as refused:
        apply(ctx, staging(ctx), store.read(), {"LOG": "l"}, removal=required)
    assert refused.value.message == (
        "removing 2 keys from staging needs --allow-removing-required with --yes; "
        "nothing was written"
    )
    assert "2 of them named in env.sample (API_TOKEN, DATABASE_URL)" in capsys.readouterr().err
    assert set(values(ctx)) == {"API_TOKEN", "DATABASE_URL", "LOG"}

    allowed = Removal(required=required.required, allowed=True)
    apply(ctx, staging(ctx), store.read(), {"LOG": "l"}, removal=allowed)
    assert values(ctx) == {"LOG": "l"}


def test_removing_more_than_a_few_keys_at_once_is_risky_too(ctx: Context) -> None:
    store = seed(ctx, {f"K{n}": "v" for n in range(5)})
    three = {f"K{n}": "v" for n in range(2)}
    apply(ctx, staging(ctx), store.read(), three)  # three removals: quiet
    store = seed(ctx, {f"K{n}": "v" for n in range(6)})
    with pytest.raises(UsageError, match="removing 4 keys from staging"):
        apply(ctx, staging(ctx), store.read(), three)


def failing_put(monkeypatch: pytest.MonkeyPatch, key: str, error: BaseException) -> None:
    real = FakeParameterStore.put

    def put(self: ParameterStore, name: str, value: str, *, advanced: bool) -> int:
        if name == key:
            raise error
        return real(self, name, value, advanced=advanced)

    monkeypatch.setattr(FakeParameterStore, "put", put)


def test_a_refused_write_half_way_says_what_was_written_and_keeps_the_rest(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = seed(ctx, {"OLD": "o"})
    failing_put(monkeypatch, "B", LiftError("AccessDenied writing /staging/payments-api/B"))
    with pytest.raises(LiftError) as failed:
        apply(ctx, staging(ctx), store.read(), {"A": "1", "B": "2", "C": "3"})
    assert failed.value.message == (
        "AccessDenied writing /staging/payments-api/B; written: A; not written: B, C, OLD"
    )
    assert failed.value.hint == (
        "retry the rest with: git lift config edit -e staging -s payments-api --resume"
    )
    assert values(ctx) == {"A": "1", "OLD": "o"}
    assert (kept(ctx).writes, kept(ctx).removes) == ({"B": "2", "C": "3"}, {"OLD"})
    assert not [n for n in leftovers(ctx) if n.startswith("config-apply")]  # journal closed


def test_a_write_whose_answer_was_lost_is_reported_as_unknown(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_put(monkeypatch, "B", Unreachable("could not reach AWS"))
    with pytest.raises(LiftError) as failed:
        apply(ctx, staging(ctx), {}, {"A": "1", "B": "2", "C": "3"})
    assert failed.value.message == (
        "could not reach AWS; written: A; unknown: B (AWS may have applied it); not written: C"
    )


def test_an_interrupted_write_keeps_what_is_left(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing_put(monkeypatch, "B", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        apply(ctx, staging(ctx), {}, {"A": "1", "B": "2"})
    assert "interrupted: written: A; the rest is kept" in capsys.readouterr().err
    assert kept(ctx).writes == {"B": "2"} and values(ctx) == {"A": "1"}


def test_the_state_folder_is_private_and_kept_edits_are_0600(ctx: Context) -> None:
    config_apply.keep_changes(ctx, staging(ctx), config_state.Changes({"A": "1"}), replace=False)
    folder = ctx.repo.git_dir / "lift"
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert os.stat(config_state.pending_path(ctx, staging(ctx))).st_mode & 0o777 == 0o600


def test_a_lease_left_by_a_writer_that_died_here_is_taken_over(ctx: Context) -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    dead = f"dev@{socket.gethostname()} pid {child.pid} (abc123)"
    table = ctx.aws.table("staging")
    assert table.take_config_lease(staging(ctx), dead, 600.0)

    apply(ctx, staging(ctx), {}, {"A": "1"})

    assert values(ctx) == {"A": "1"}
    assert table.config_lease_holder(staging(ctx)) is None  # released after the write


def test_the_lease_is_released_when_a_write_fails(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_put(monkeypatch, "A", LiftError("AccessDenied"))
    with pytest.raises(LiftError):
        apply(ctx, staging(ctx), {}, {"A": "1"})
    assert ctx.aws.table("staging").config_lease_holder(staging(ctx)) is None


ELSEWHERE = "ci@build-host.example pid 4242 (abc123)"  # a live writer on another machine


def test_a_writer_waits_for_another_to_finish_then_writes(ctx: Context) -> None:
    table, clock = ctx.aws.table("staging"), ctx.aws.clock
    assert isinstance(clock, Clock)
    assert table.take_config_lease(staging(ctx), ELSEWHERE, 600.0)
    started = clock.now

    def the_other_finishes(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now - started > 2:  # two seconds later the other writer is done
            table.release_config_lease(staging(ctx), ELSEWHERE)

    ctx.aws.sleep = the_other_finishes
    apply(ctx, staging(ctx), {}, {"A": "1"})
    assert values(ctx) == {"A": "1"}
    assert 2 < sum(clock.slept) < 10  # bounded backoff: no long sleep past the release


def test_a_long_write_renews_its_lease_so_nobody_takes_it_midway(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, clock = ctx.aws.table("staging"), ctx.aws.clock
    assert isinstance(clock, Clock)
    taken: list[bool] = []
    real = FakeParameterStore.put

    def slow_put(self: ParameterStore, key: str, value: str, *, advanced: bool) -> int:
        clock.now += 25  # each write takes 25 s: four outlast the 60 s lease
        taken.append(table.take_config_lease(self.target, ELSEWHERE, 60.0))
        return real(self, key, value, advanced=advanced)

    monkeypatch.setattr(FakeParameterStore, "put", slow_put)
    apply(ctx, staging(ctx), {}, {f"K{n}": "v" for n in range(4)})
    assert taken == [False, False, False, False]


def test_an_edit_kept_by_an_older_git_lift_is_still_resumed(ctx: Context) -> None:
    # Before env and service were joined by a dot, the kept edit was config-edit-ENV-SERVICE.env.
    former = ctx.repo.git_dir / "lift" / "config-edit-staging-payments-api.env"
    former.parent.mkdir(mode=0o700, exist_ok=True)
    config_state.write_private(former, "A=1\n")
    assert kept(ctx).writes == {"A": "1"}
    assert not former.exists()


def test_a_former_name_two_targets_could_own_is_left_for_the_user_to_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitlift = '[service "api"]\n\tpath = api\n[service "prod-api"]\n\tpath = prod-api\n'
    gitlift += '[env "eu"]\n\tref = refs/heads/main\n[env "eu-prod"]\n\tref = refs/tags/v*\n'
    files = {"api/env.sample": "A=1\n", "prod-api/env.sample": "A=1\n"}
    ctx = in_process(tmp_path, gitlift=gitlift, files=files, options=Options(yes=True)).ctx
    former = ctx.repo.git_dir / "lift" / "config-edit-eu-prod-api.env"
    former.parent.mkdir(mode=0o700, exist_ok=True)
    config_state.write_private(former, "A=1\n")
    target = ctx.target("eu-prod", ctx.settings.services["api"])
    assert not config_state.pending_path(ctx, target).exists() and former.exists()
    assert (
        f"warning: {former} was kept by an older git lift for api in eu-prod or eu / prod-api; "
        "rename it to config-edit-eu-prod.api.env if it is api in eu-prod's"
    ) in capsys.readouterr().err
