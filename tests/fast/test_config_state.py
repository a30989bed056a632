"""What a config change leaves under `.git/lift/` and how the next command reads it: the
journal of an apply whose process died becomes the pending edit, a damaged file is moved
aside (never quoted: it holds values) and the command goes on, and every file is private."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from git_lift.flows import config_apply, config_state
from git_lift.flows.config_state import Changes, Journal
from git_lift.flows.context import Context
from git_lift.flows.local_state import json_object, read_local
from git_lift.target import Target
from tests.support.flows import context, git_repo

SECRET = "hunter2-database-password"


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    """No AWS: reading and recovering local state asks nothing of it."""
    return context(git_repo(tmp_path).path)


def staging(ctx: Context) -> Target:
    return ctx.target("staging")


def dead_pid() -> int:
    """The process id of a process that ran and is gone (reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def journal_of(ctx: Context, pid: int, changes: Changes, total: int) -> Path:
    """The journal an apply of `total` changes in process `pid` leaves with `changes` left."""
    journal = Journal.start(ctx, staging(ctx), changes)
    document = json.loads(journal.path.read_text()) | {"pid": pid, "total": total}
    journal.close()
    path = journal.path.with_name(staging(ctx).private_file("config-apply", f".{pid}.json"))
    config_state.write_atomic(path, json.dumps(document))
    return path


def test_a_dead_applys_journal_becomes_the_pending_edit(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    left = Changes({"B": "2"}, {"C"}, {"B": 1, "C": 4})
    path = journal_of(ctx, dead_pid(), left, total=3)

    assert config_apply.pending_notice(ctx, staging(ctx))

    err = capsys.readouterr().err
    assert (
        "an apply to payments-api in staging was interrupted: 1 of 3 written; the rest is "
        "kept: git lift config edit -e staging -s payments-api --resume"
    ) in err
    assert not path.exists()
    text = config_state.read_pending(ctx, staging(ctx))
    assert text is not None and Changes.parse(text) == left  # versions too: conflicts stay


def test_a_running_applys_journal_is_left_alone(ctx: Context) -> None:
    path = journal_of(ctx, os.getpid(), Changes({"B": "2"}), total=2)
    assert not config_apply.pending_notice(ctx, staging(ctx))
    assert path.exists() and config_state.read_pending(ctx, staging(ctx)) is None


def test_a_recovered_journal_adds_to_an_earlier_pending_edit(ctx: Context) -> None:
    config_apply.keep_changes(ctx, staging(ctx), Changes({"A": "1", "B": "old"}), replace=False)
    journal_of(ctx, dead_pid(), Changes({"B": "new"}), total=1)
    config_state.recover_interrupted(ctx, staging(ctx))
    text = config_state.read_pending(ctx, staging(ctx))
    assert text is not None and Changes.parse(text).writes == {"A": "1", "B": "new"}


def test_another_services_journal_is_not_recovered_into_this_one(ctx: Context) -> None:
    other = staging(ctx).private_file("config-apply", ".1.json").replace("payments-api", "web")
    folder = config_state.folder(ctx)
    (folder / other).write_text('{"pid": 1, "total": 1, "writes": {}, "removes": []}')
    config_state.recover_interrupted(ctx, staging(ctx))
    assert (folder / other).exists()


def test_a_torn_journal_is_moved_aside_without_quoting_it(
    ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_state.folder(ctx) / staging(ctx).private_file("config-apply", ".1.json")
    config_state.write_atomic(path, '{"pid": 1, "total": 2, "writes": {"DB": "' + SECRET)

    config_state.recover_interrupted(ctx, staging(ctx))

    err = capsys.readouterr().err
    assert "is damaged (torn or not in the expected form); moved aside to" in err
    assert "an interrupted apply's list of unwritten keys is lost" in err
    assert SECRET not in err
    [aside] = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert aside.name.startswith(path.name) and SECRET in aside.read_text()  # kept, not lost
    assert os.stat(aside).st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"\xff\xfe" + SECRET.encode(), "not UTF-8 text"),
    ],
)
def test_a_damaged_pending_edit_is_moved_aside_and_counts_as_none(
    ctx: Context, capsys: pytest.CaptureFixture[str], raw: bytes, reason: str
) -> None:
    path = config_state.pending_path(ctx, staging(ctx))
    path.write_bytes(raw)
    assert not config_apply.pending_notice(ctx, staging(ctx))
    err = capsys.readouterr().err
    assert f"is damaged ({reason})" in err and SECRET not in err
    assert "its changes are not applied; see the config: git lift config show -e staging" in err
    assert not path.exists()
    # the next change starts a fresh pending edit rather than failing on the old one
    config_apply.keep_changes(ctx, staging(ctx), Changes({"A": "1"}), replace=False)
    assert config_state.read_pending(ctx, staging(ctx)) == Changes({"A": "1"}).render()


@pytest.mark.parametrize(("text", "damaged"), [("[1, 2]", True), ("7", True), ("{}", False)])
def test_only_a_json_object_passes_for_a_document(text: str, damaged: bool) -> None:
    if damaged:
        with pytest.raises(ValueError, match="not a JSON object"):
            json_object(text)
    else:
        assert json_object(text) == {}


def test_a_missing_file_is_none_and_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert read_local(tmp_path / "absent.json", json_object, lost="x") is None
    assert capsys.readouterr().err == ""


def test_a_parsers_own_error_message_is_never_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def parse(text: str) -> str:
        raise KeyError(f"bad line: {text}")  # a parser that quotes what it read

    path = tmp_path / "record.json"
    path.write_text(SECRET)
    assert read_local(path, parse, lost="nothing lost") is None
    assert SECRET not in capsys.readouterr().err


def test_the_journal_shrinks_as_keys_are_written_and_goes_when_closed(ctx: Context) -> None:
    journal = Journal.start(ctx, staging(ctx), Changes({"A": "1", "B": "2"}, {"C"}, {"A": 3}))
    assert Journal.parse(journal.path.read_text()) == (
        os.getpid(),
        3,
        Changes({"A": "1", "B": "2"}, {"C"}, {"A": 3}),
    )
    journal.done("A")
    journal.done("C")
    _, total, left = Journal.parse(journal.path.read_text())
    assert (total, left.writes, left.removes) == (3, {"B": "2"}, set())
    assert os.stat(journal.path).st_mode & 0o777 == 0o600
    journal.close()
    assert not journal.path.exists()


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "with spaces and = signs",
        "quotes ' and \" and \\ backslash",
        "# not a comment",
        "line one\nline two",
        "  padded  ",
        "ünïcødé ✓",
    ],
)
def test_a_kept_value_comes_back_exactly(value: str) -> None:
    """`--resume` writes what was kept: any value a user can set survives the round trip."""
    changes = Changes({"KEY": value, "OTHER": "x"}, {"GONE"}, {"KEY": 2, "GONE": 1})
    assert Changes.parse(changes.render()) == changes


def test_versions_of_keys_no_longer_changed_are_not_kept() -> None:
    changes = Changes({"A": "1"}, set(), {"A": 1, "DROPPED": 7})
    assert Changes.parse(changes.render()).versions == {"A": 1}


def test_newer_changes_win_per_key() -> None:
    older = Changes({"A": "1", "B": "2"}, {"C", "D"}, {"A": 1})
    newer = Changes({"C": "3"}, {"A"}, {"C": 5})
    combined = older.then(newer)
    assert combined.writes == {"B": "2", "C": "3"}
    assert combined.removes == {"A", "D"}
    assert combined.versions == {"A": 1, "C": 5}


def test_write_atomic_replaces_a_file_and_makes_it_private(tmp_path: Path) -> None:
    folder = tmp_path / "lift"
    folder.mkdir()
    path = folder / "kept.env"
    path.write_text("old")
    path.chmod(0o644)
    config_state.write_atomic(path, "new")
    assert path.read_text() == "new"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [p.name for p in folder.iterdir()] == ["kept.env"]  # no temporary file left


def test_parallel_keeps_of_one_target_lose_nothing(ctx: Context) -> None:
    """Two git lift processes (a hook and a command) may keep changes at once: the folder's
    lock serialises them, so each one's keys are in the pending edit."""
    target = staging(ctx)
    start = threading.Barrier(8, timeout=10)

    def keep(n: int) -> None:
        start.wait()
        config_apply.keep_changes(ctx, target, Changes({f"KEY_{n}": str(n)}), replace=False)

    threads = [threading.Thread(target=keep, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = config_state.read_pending(ctx, target)
    assert text is not None
    assert Changes.parse(text).writes == {f"KEY_{n}": str(n) for n in range(8)}
