"""`git lift config` in-process (commands/config.py) on a real repository with Parameter Store
faked in memory: what each subcommand prints, the mistakes a user makes with it (a value given
where a key belongs, a file that is not there, one environment where diff needs two...), and
that a refusal writes nothing and never shows a value."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from git_lift import ui
from git_lift.commands import config
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.flows import config_state
from git_lift.options import Options
from tests.support.fakes import InProcess, in_process
from tests.support.records import record

SECRET = "s3cret-value-42"


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    """`payments-api` (env.sample: DATABASE_URL, API_TOKEN), confirmed with --yes."""
    return in_process(tmp_path, options=Options(yes=True))


def stored(box: InProcess, env: str = "staging") -> dict[str, str]:
    return box.aws.ssm.values(box.target(env).parameter_path)


def seed(box: InProcess, env: str = "staging", **values: str) -> None:
    for key, value in values.items():
        box.aws.ssm.put(f"{box.target(env).parameter_path}/{key}", value)


def json_output(box: InProcess) -> InProcess:
    return box.reload(Options(yes=True, output="json"))


# set / get


def test_set_writes_the_keys_given_and_leaves_the_others(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, API_TOKEN="old", OTHER="kept")
    code = config.set_values(
        box.ctx, "staging", ["API_TOKEN=new", f"DATABASE_URL={SECRET}"], advanced=False,
        show_values=False,
    )  # fmt: skip
    assert code == 0
    assert stored(box) == {"API_TOKEN": "new", "DATABASE_URL": SECRET, "OTHER": "kept"}
    out, err = capsys.readouterr()
    assert SECRET not in out + err


@pytest.mark.parametrize("argument", [SECRET, f"1BAD={SECRET}", f"-{SECRET}"])
def test_an_argument_that_is_neither_a_key_nor_key_value_is_refused_unshown(
    box: InProcess, argument: str
) -> None:
    with pytest.raises(UsageError) as raised:
        config.set_values(
            box.ctx, "staging", ["API_TOKEN=x", argument], advanced=False, show_values=False
        )
    assert raised.value.message == (
        "argument 2: not a valid key name, nor KEY=VALUE (not shown: it may hold a value)"
    )
    assert SECRET not in f"{raised.value.message} {raised.value.hint}"
    assert box.aws.ssm.writes() == []  # refused before anything was written, the valid one too


def test_a_bare_key_whose_value_never_arrives_on_stdin_writes_nothing(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui, "prompt_secret", lambda key: None)
    with pytest.raises(UsageError) as raised:
        config.set_values(box.ctx, "staging", ["API_TOKEN"], advanced=False, show_values=False)
    assert raised.value.message == (
        "no value for API_TOKEN arrived on stdin within 20s (it is not a terminal); "
        "nothing was written"
    )
    assert raised.value.hint is not None and "printf %s" in raised.value.hint
    assert box.aws.ssm.writes() == []


def test_a_bare_key_on_a_pipe_nobody_writes_to_gives_up_after_the_wait_and_writes_nothing(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI runner's stdin can be a pipe nobody writes to nor closes: the value is awaited
    STDIN_WAIT seconds (20; a tenth here), not for ever. A real pipe, held open."""
    read, write = os.pipe()
    monkeypatch.setattr(ui, "STDIN_WAIT", 0.1)
    started = time.monotonic()
    with open(read) as stdin, open(write, "w"):
        monkeypatch.setattr(sys, "stdin", stdin)
        with pytest.raises(UsageError) as raised:
            config.set_values(box.ctx, "staging", ["API_TOKEN"], advanced=False, show_values=False)
    assert 0.1 <= time.monotonic() - started < 10
    assert raised.value.message.startswith("no value for API_TOKEN arrived on stdin within 0s")
    assert raised.value.message.endswith("nothing was written")
    assert box.aws.ssm.writes() == []


def test_a_bare_key_takes_the_value_typed_for_it(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(ui, "prompt_secret", lambda key: asked.append(key) or SECRET)
    config.set_values(box.ctx, "staging", ["API_TOKEN"], advanced=False, show_values=False)
    assert asked == ["API_TOKEN"] and stored(box) == {"API_TOKEN": SECRET}


def test_get_prints_the_value_alone(box: InProcess, capsys: pytest.CaptureFixture[str]) -> None:
    seed(box, API_TOKEN=SECRET)
    assert config.get(box.ctx, "staging", "API_TOKEN") == 0
    assert capsys.readouterr().out == f"{SECRET}\n"


def test_get_of_a_key_that_is_not_set_says_how_to_set_it(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        config.get(box.ctx, "staging", "API_TOKEN")
    assert raised.value.message == "API_TOKEN is not set for payments-api in staging"
    assert raised.value.hint == "set it with: git lift config set -e staging API_TOKEN=VALUE"


def test_get_of_a_value_typed_where_the_key_belongs_does_not_echo_it(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        config.get(box.ctx, "staging", f"postgres://u:{SECRET}@db")
    assert SECRET not in raised.value.message and "not a valid key name" in raised.value.message


def test_an_unknown_environment_is_refused_before_anything_is_read(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        config.get(box.ctx, "stagign", "API_TOKEN")
    assert "stagign" in raised.value.message
    assert box.aws.ssm.counts() == {}


# show / export


def test_show_masks_values_and_gives_each_keys_version(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, API_TOKEN="one")
    seed(box, API_TOKEN=SECRET, DATABASE_URL="x y")
    assert config.show(box.ctx, "staging", show_values=False) == 0
    assert capsys.readouterr().out.splitlines() == [
        "API_TOKEN=********  (v2)",
        "DATABASE_URL=********  (v1)",
    ]
    config.show(box.ctx, "staging", show_values=True)
    assert capsys.readouterr().out.splitlines() == [
        f"API_TOKEN={SECRET}  (v2)",
        "DATABASE_URL='x y'  (v1)",
    ]


def test_show_of_an_empty_store_says_where_it_looked(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert config.show(box.ctx, "staging", show_values=False) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no config for payments-api in staging (/staging/payments-api/)" in err


def test_show_as_json_masks_unless_asked(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, API_TOKEN=SECRET)
    box = json_output(box)
    config.show(box.ctx, "staging", show_values=False)
    shown = json.loads(capsys.readouterr().out)
    assert shown["API_TOKEN"]["value"] == "********" and shown["API_TOKEN"]["version"] == 1
    assert "modified" in shown["API_TOKEN"]
    config.show(box.ctx, "staging", show_values=True)
    assert json.loads(capsys.readouterr().out) == {"API_TOKEN": {"version": 1, "value": SECRET}}


def test_export_is_a_dotenv_file_or_json_that_reads_back(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, API_TOKEN=SECRET, DATABASE_URL="it's got spaces")
    config.export(box.ctx, "staging", "dotenv")
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("API_TOKEN=")
    (box.git.path / "back.env").write_text(text)
    assert config.read_import(str(box.git.path / "back.env"), None) == stored(box)
    config.export(box.ctx, "staging", "json")
    assert json.loads(capsys.readouterr().out) == stored(box)


# unset


def test_unset_removes_the_keys_and_warns_about_those_not_set(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, OLD_FLAG="x", OTHER="kept")
    assert config.unset(box.ctx, "staging", ["OLD_FLAG", "NEVER_SET"]) == 0
    assert stored(box) == {"OTHER": "kept"}
    assert "not set in staging: NEVER_SET" in capsys.readouterr().err


def test_unset_of_an_invalid_key_reads_nothing(box: InProcess) -> None:
    with pytest.raises(UsageError):
        config.unset(box.ctx, "staging", ["OK_KEY", "no spaces allowed"])
    assert box.aws.ssm.counts() == {}


# import


def test_import_of_a_missing_file_names_it(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        config.import_values(box.ctx, "staging", "nope.env", None, replace=False, advanced=False)
    assert raised.value.message == "cannot read nope.env: No such file or directory"
    assert raised.value.hint is not None and "config set -e ENV KEY=VALUE" in raised.value.hint


def test_import_given_a_key_value_instead_of_a_file_does_not_echo_the_value(
    box: InProcess,
) -> None:
    with pytest.raises(UsageError) as raised:
        config.import_values(
            box.ctx, "staging", f"API_TOKEN={SECRET}", None, replace=False, advanced=False
        )
    assert SECRET not in raised.value.message
    assert raised.value.message.startswith("cannot read the file argument (not shown")


def test_import_of_a_malformed_file_lists_each_problem_and_writes_nothing(
    box: InProcess, tmp_path: Path
) -> None:
    path = tmp_path / "bad.env"
    path.write_text("A=1\nnot a pair\n1X=2\n")
    with pytest.raises(ValidationError) as raised:
        config.import_values(box.ctx, "staging", str(path), None, replace=False, advanced=False)
    assert raised.value.message.startswith(f"{path} has problems: {path}:2: not a KEY=value line")
    assert f"{path}:3: not a valid key name" in raised.value.message
    assert raised.value.hint == "fix the file; one KEY=value a line"
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"A": 1}')
    with pytest.raises(ValidationError) as as_json:
        config.import_values(box.ctx, "staging", str(bad_json), None, replace=False, advanced=False)
    assert as_json.value.hint == 'fix the file: one object of "KEY": "value" pairs'
    assert box.aws.ssm.writes() == []


def test_import_merges_by_default_and_replace_drops_what_the_file_lacks(
    box: InProcess, tmp_path: Path
) -> None:
    seed(box, API_TOKEN="old", EXTRA="gone-after-replace")
    path = tmp_path / "values.json"
    path.write_text(json.dumps({"API_TOKEN": "new", "DATABASE_URL": "db"}))
    config.import_values(box.ctx, "staging", str(path), None, replace=False, advanced=False)
    assert stored(box) == {"API_TOKEN": "new", "DATABASE_URL": "db", "EXTRA": "gone-after-replace"}
    path.write_text(json.dumps({"API_TOKEN": "newer", "DATABASE_URL": "db"}))
    config.import_values(box.ctx, "staging", str(path), "json", replace=True, advanced=False)
    assert stored(box) == {"API_TOKEN": "newer", "DATABASE_URL": "db"}


# restore


def test_restore_undo_with_nothing_kept_says_where_old_versions_are(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        config.restore_removed(box.ctx, "staging")
    assert raised.value.message == "no removed values of payments-api in staging are kept"
    assert raised.value.hint == "see old versions with: git lift config history -e staging KEY"


def test_restore_undo_puts_removed_values_back_once(box: InProcess) -> None:
    seed(box, OLD_FLAG=SECRET, OTHER="kept")
    config.unset(box.ctx, "staging", ["OLD_FLAG"])
    assert "OLD_FLAG" not in stored(box)
    assert config.restore_removed(box.ctx, "staging") == 0
    assert stored(box) == {"OLD_FLAG": SECRET, "OTHER": "kept"}
    assert not config_state.undo_path(box.ctx, box.target()).exists()
    with pytest.raises(LiftError):
        config.restore_removed(box.ctx, "staging")


@pytest.mark.parametrize("spec", ["API_TOKEN", "API_TOKEN@0", "API_TOKEN@v2", f"{SECRET}@1"])
def test_restore_needs_key_at_version(box: InProcess, spec: str) -> None:
    with pytest.raises(UsageError) as raised:
        config.restore(box.ctx, "staging", spec)
    assert (
        raised.value.message == "the argument is not KEY@VERSION (not shown: it may hold a value)"
    )
    assert box.aws.ssm.writes() == []


def test_restore_brings_back_an_old_version_as_a_new_one(box: InProcess) -> None:
    seed(box, API_TOKEN="first")
    seed(box, API_TOKEN="second")
    assert config.restore(box.ctx, "staging", "API_TOKEN@1") == 0
    assert stored(box) == {"API_TOKEN": "first"}
    current = box.aws.ssm.current("/staging/payments-api/API_TOKEN")
    assert current is not None and current.version == 3


def test_restore_of_a_release_that_does_not_exist_lists_them(box: InProcess) -> None:
    record(box, 1)
    with pytest.raises(LiftError) as raised:
        config.restore_release(box.ctx, "staging", 7)
    assert raised.value.message == "there is no release 7 of payments-api in staging"
    assert raised.value.hint == "list them: git lift history -e staging"


# history, diff, exec


def test_history_of_a_key_never_set_points_at_show(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        config.history(box.ctx, "staging", "API_TOKEN", show_values=False)
    assert raised.value.message == "API_TOKEN has no history in staging"
    assert raised.value.hint == "git lift config show -e staging"


def test_history_lists_newest_first_masked_unless_asked(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, API_TOKEN="first")
    seed(box, API_TOKEN=SECRET)
    config.history(box.ctx, "staging", "API_TOKEN", show_values=False)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["API_TOKEN@2", "API_TOKEN@1"]
    assert all(line.endswith("********") for line in lines)
    config.history(box.ctx, "staging", "API_TOKEN", show_values=True)
    assert repr(SECRET) in capsys.readouterr().out


@pytest.mark.parametrize("envs", [["staging"], ["staging", "production", "staging"]])
def test_diff_needs_exactly_two_environments(box: InProcess, envs: list[str]) -> None:
    with pytest.raises(UsageError) as raised:
        config.diff(box.ctx, envs)
    assert raised.value.message == "config diff compares two environments"
    assert raised.value.hint == "git lift config diff -e staging -e production"


def test_diff_lists_the_keys_only_one_side_has_and_fails(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, "staging", API_TOKEN=SECRET, DEBUG="1")
    seed(box, "production", API_TOKEN="other", SENTRY_DSN="x")
    assert config.diff(box.ctx, ["staging", "production"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == ["< DEBUG  (only in staging)", "> SENTRY_DSN  (only in production)"]
    assert SECRET not in out
    box = json_output(box)
    config.diff(box.ctx, ["staging", "production"])
    assert json.loads(capsys.readouterr().out) == {
        "only_in_staging": ["DEBUG"],
        "only_in_production": ["SENTRY_DSN"],
    }


def test_diff_of_environments_with_the_same_keys_passes(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(box, "staging", API_TOKEN="a")
    seed(box, "production", API_TOKEN="b")
    assert config.diff(box.ctx, ["staging", "production"]) == 0
    assert "staging and production have the same keys" in capsys.readouterr().err


def test_exec_without_a_command_says_how_to_give_one(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        config.run_with_config(box.ctx, "staging", [])
    assert raised.value.message == "no command to run"
    assert raised.value.hint == "git lift config exec -e staging -- COMMAND ARGS"


# edit


def test_the_editor_text_lists_the_values_and_the_keys_env_sample_still_needs(
    box: InProcess,
) -> None:
    text = config.editor_text(box.target(), {"API_TOKEN": "x"}, ["DATABASE_URL"])
    lines = text.splitlines()
    assert (
        lines[0]
        == "# Config of payments-api in staging (/staging/payments-api/ in Parameter Store)."
    )
    assert "API_TOKEN=x" in lines
    assert lines[-2:] == [
        "# Named in env.sample but not in the store: uncomment and set them.",
        "# DATABASE_URL=",
    ]


def test_an_emptied_file_aborts_and_points_at_unset(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        config.parse_edited(box.ctx, box.target(), "# only comments\n", {"API_TOKEN": "x"})
    assert raised.value.message == "aborted: the file is empty; nothing was written"
    assert raised.value.hint == "to remove keys, use: git lift config unset -e staging KEY..."
    # with nothing in the store, an empty file is simply no keys
    assert config.parse_edited(box.ctx, box.target(), "", {}) == {}


def test_an_edit_with_problems_is_kept_to_resume_and_names_each_line(box: InProcess) -> None:
    text = f"API_TOKEN={SECRET}\nnot a pair\n"
    with pytest.raises(ValidationError) as raised:
        config.parse_edited(box.ctx, box.target(), text, {})
    assert raised.value.message == (
        "the edited config has problems, nothing was written: line 2: not a KEY=value line"
    )
    assert SECRET not in raised.value.message
    assert raised.value.hint is not None and "--resume" in raised.value.hint
    assert config_state.pending_path(box.ctx, box.target()).exists()


def test_discard_with_no_unfinished_edit_says_so(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert config.discard(box.ctx, "staging") == 0
    assert "no unfinished edit of payments-api in staging" in capsys.readouterr().err
