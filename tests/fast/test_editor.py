"""The editor step of `config edit` and `service edit`: the text (values included) lives in
a 0700 folder as a 0600 file only while the editor runs, and is removed on every way out,
SIGTERM included; an editor opens without a terminal only when the user named one."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from git_lift import ui
from git_lift.errors import LiftError, UsageError
from git_lift.flows import editor
from git_lift.repo import Repo
from tests.support.helpers import GitRepo, editor_script

SECRET = "DATABASE_URL=postgres://app:s3cret@db/app\n"


@pytest.fixture(autouse=True)
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Editor folders go to this test's folder, not the machine's /tmp."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def test_the_text_is_in_a_private_file_only_while_it_is_edited(own_tmp: Path) -> None:
    with editor.private_file("staging.env", SECRET) as path:
        assert path.read_text() == SECRET
        assert (mode(path.parent), mode(path)) == (0o700, 0o600)
        assert path.parent.parent == own_tmp
        assert path.parent.name.startswith(f"git-lift-edit-{os.getpid()}-")
    assert list(own_tmp.iterdir()) == []


def test_the_folder_goes_when_the_edit_fails(own_tmp: Path) -> None:
    with pytest.raises(RuntimeError), editor.private_file("x.env", SECRET):
        raise RuntimeError("the editor crashed")
    assert list(own_tmp.iterdir()) == []


def test_sigterm_during_the_edit_removes_the_folder_and_restores_the_handler(
    own_tmp: Path,
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), editor.private_file("x.env", SECRET):
        os.kill(os.getpid(), signal.SIGTERM)
    assert list(own_tmp.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_folder_left_by_a_killed_run_is_removed_and_a_live_ones_kept(own_tmp: Path) -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    stale = own_tmp / f"git-lift-edit-{child.pid}-abc123"
    live = own_tmp / f"git-lift-edit-{os.getpid()}-def456"
    unrelated = own_tmp / "git-lift-edit-notapid-x"
    for folder in (stale, live, unrelated):
        folder.mkdir()
        (folder / "staging.env").write_text(SECRET)
    editor.remove_stale_folders()
    assert sorted(p.name for p in own_tmp.iterdir()) == sorted([live.name, unrelated.name])


def test_write_private_makes_an_existing_file_private(tmp_path: Path) -> None:
    path = tmp_path / "kept.env"
    path.write_text("old and longer")
    path.chmod(0o644)
    editor.write_private(path, "new")
    assert (path.read_text(), mode(path)) == ("new", 0o600)


def test_the_saved_text_comes_back_and_the_editor_sees_a_private_file(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    script = editor_script(
        tmp_path,
        f'stat -c "%a" "$(dirname "$file")" "$file" > {seen}\nprintf "API_TOKEN=new\\n" >> "$file"',
    )
    assert editor.edit_text(script, SECRET, "staging.env") == SECRET + "API_TOKEN=new\n"
    assert seen.read_text().split() == ["700", "600"]


def test_an_editor_command_with_arguments_runs_as_git_runs_it(tmp_path: Path) -> None:
    """`core.editor = "code --wait"`: the command goes through the shell; the file name is
    an argument of its own, so a name with spaces stays one argument."""
    script = tmp_path / "with-flag.sh"
    script.write_text('#!/bin/sh\nprintf "%s %s\\n" "$#" "$1" > "$2"\n')
    script.chmod(0o755)
    assert editor.edit_text(f"{script} --wait", "x", "name with spaces.env") == "2 --wait\n"


def test_an_editor_that_fails_changes_nothing(tmp_path: Path, own_tmp: Path) -> None:
    script = editor_script(tmp_path, "exit 3")
    with pytest.raises(LiftError) as failed:
        editor.edit_text(script, SECRET, "staging.env")
    assert failed.value.message == (
        f"the editor ({script}) exited with code 3; nothing was changed"
    )
    assert list(own_tmp.iterdir()) == []


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo.discover(str(GitRepo.create(tmp_path / "app").path))


def test_without_a_terminal_and_no_editor_named_nothing_opens(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: False)
    for name in ("GIT_EDITOR", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UsageError) as refused:
        editor.editor_for(repo, "git lift config set -e staging KEY=VALUE")
    assert "there is no terminal to edit in and no editor is set" in refused.value.message
    assert refused.value.hint == "git lift config set -e staging KEY=VALUE"


@pytest.mark.parametrize("how", ["GIT_EDITOR", "EDITOR", "core.editor"])
def test_without_a_terminal_a_named_editor_is_used(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: False)
    for name in ("GIT_EDITOR", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    if how == "core.editor":
        repo.git("config", "core.editor", "my-editor --wait")
    else:
        monkeypatch.setenv(how, "my-editor --wait")
    assert editor.editor_for(repo, "hint") == "my-editor --wait"
