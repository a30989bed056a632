"""The editor step of `service create|edit` (flows/service_edit.py) in-process, with a real
editor program (a shell script) on a real repository: an invalid edit is reopened with its
problems as comments on a terminal, kept for --resume without one; an empty file aborts; a
--file that cannot be read is named; every problem carries its JSON path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift import servicecfg, ui
from git_lift.errors import Interrupted, LiftError, UsageError, ValidationError
from git_lift.flows import service_edit
from git_lift.servicecfg import ServiceConfigError
from git_lift.target import Target
from tests.support.fakes import InProcess, in_process
from tests.support.helpers import editor_script

RESUME = "git lift service edit -e staging -s payments-api --resume"
VALID = json.dumps({**servicecfg.default_document(False), "cpu": 512, "memory": 1024})


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def editor(monkeypatch: pytest.MonkeyPatch, folder: Path, body: str) -> None:
    monkeypatch.setenv("GIT_EDITOR", editor_script(folder, body))


def start(box: InProcess) -> str:
    return service_edit.editor_text(servicecfg.default_document(False), ["Service config."])


def test_the_editor_text_is_commented_json_that_reads_back_as_the_document(
    box: InProcess,
) -> None:
    text = start(box)
    assert text.startswith("# Service config.\n# JSON; lines starting with # are ignored.")
    doc, cfg = service_edit.parse_text(text, box.target())
    assert doc == servicecfg.default_document(False) and cfg.desired_count == 1


def test_comment_lines_keep_json_error_lines_where_the_user_sees_them(box: InProcess) -> None:
    with pytest.raises(ServiceConfigError) as raised:
        service_edit.parse_text('# one\n# two\n{"cpu": 256,\n}\n', box.target())
    assert raised.value.problems[0].startswith("line 4, column 1: ")


def test_every_problem_is_listed_with_its_json_path(box: InProcess) -> None:
    doc = {**servicecfg.default_document(False), "cpu": 100, "memory": "lots"}
    with pytest.raises(ServiceConfigError) as raised:
        service_edit.parse_text(json.dumps(doc), box.target())
    paths = [problem.split(":")[0] for problem in raised.value.problems]
    assert "$.cpu" in paths and "$.memory" in paths


def test_a_plain_variable_named_in_env_sample_is_refused_as_a_clash(box: InProcess) -> None:
    doc = {**servicecfg.default_document(False), "environment": {"API_TOKEN": "x", "MODE": "a"}}
    with pytest.raises(ServiceConfigError) as raised:
        service_edit.parse_text(json.dumps(doc), box.target(), ["API_TOKEN", "DATABASE_URL"])
    assert raised.value.problems == [
        "$.environment.API_TOKEN: is in env.sample too (a secret); keep it in one of them"
    ]


def test_problems_replace_the_previous_ones_at_the_top() -> None:
    once = service_edit.with_problems('{"cpu": 1}', ["$.cpu: too small"])
    assert once.splitlines()[:2] == [
        "#! 1 problem to fix, then save again:",
        "#!   $.cpu: too small",
    ]
    twice = service_edit.with_problems(once, ["a", "b"])
    assert twice.splitlines() == [
        "#! 2 problems to fix, then save again:",
        "#!   a",
        "#!   b",
        '{"cpu": 1}',
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "  \n"])
def test_an_empty_given_document_is_refused_with_the_fix(box: InProcess, text: str) -> None:
    with pytest.raises(UsageError) as raised:
        service_edit.as_given(box.target(), text, "fix service.json")
    assert raised.value.message == "the service config is empty; nothing was saved"
    assert raised.value.hint == "fix service.json"


def test_an_invalid_given_document_says_nothing_was_saved(box: InProcess) -> None:
    with pytest.raises(ValidationError) as raised:
        service_edit.as_given(box.target(), '{"cpu": "x"', "fix service.json")
    assert raised.value.message.endswith("\nnothing was saved")
    assert raised.value.hint == "fix service.json"


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as missing:
        service_edit.read_document(tmp_path / "nope.json")
    assert (
        missing.value.message == f"cannot read {tmp_path / 'nope.json'}: No such file or directory"
    )
    assert missing.value.hint == "check the path and its permissions"
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(UsageError) as binary:
        service_edit.read_document(latin)
    assert binary.value.message == f"{latin} is not UTF-8 text (byte 13)"
    assert binary.value.hint == "save it as UTF-8 JSON"


def test_a_valid_edit_comes_back_parsed(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    editor(monkeypatch, tmp_path, f"printf '%s' '{VALID}' > \"$file\"")
    edited = service_edit.edit_loop(box.ctx, box.target(), start(box), RESUME)
    assert (edited.cfg.cpu, edited.cfg.memory) == (512, 1024)
    assert edited.text == VALID


def test_an_emptied_file_aborts(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    editor(monkeypatch, tmp_path, ': > "$file"')
    with pytest.raises(LiftError) as raised:
        service_edit.edit_loop(box.ctx, box.target(), start(box), RESUME)
    assert raised.value.message == "aborted: the file is empty; nothing was saved"
    assert not service_edit.resume_path(box.ctx, box.target()).exists()


def test_without_a_terminal_an_invalid_edit_is_kept_with_its_problems_to_resume(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: False)
    editor(monkeypatch, tmp_path, 'printf \'{"cpu": 100, "memory": 512}\' > "$file"')
    target = box.target()
    with pytest.raises(ValidationError) as raised:
        service_edit.edit_loop(box.ctx, target, start(box), RESUME)
    assert raised.value.hint == f"fix them with: {RESUME}"
    assert raised.value.message.endswith("nothing was saved")
    kept = service_edit.kept_text(box.ctx, target, RESUME)
    assert kept.startswith("#! 1 problem to fix, then save again:\n#!   $.cpu")
    assert kept.endswith('{"cpu": 100, "memory": 512}')
    assert service_edit.resume_path(box.ctx, target).stat().st_mode & 0o777 == 0o600


def test_on_a_terminal_an_invalid_edit_reopens_with_the_problems_until_it_is_fixed(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr(ui, "confirm", lambda question: asked.append(question) or True)
    seen = tmp_path / "seen"
    editor(
        monkeypatch,
        tmp_path,
        f'cat "$file" >> {seen}\n'
        f"if grep -q '^#!' \"$file\"; then printf '%s' '{VALID}' > \"$file\"; "
        'else printf \'{"cpu": 100}\' > "$file"; fi',
    )
    edited = service_edit.edit_loop(box.ctx, box.target(), start(box), RESUME)
    assert edited.cfg.cpu == 512
    assert asked == ["Reopen the editor to fix them?"]
    assert "#! " in seen.read_text()  # the second opening showed the problems
    assert not service_edit.resume_path(box.ctx, box.target()).exists()


def test_declining_to_reopen_keeps_the_edit(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: True)
    monkeypatch.setattr(ui, "confirm", lambda question: False)
    editor(monkeypatch, tmp_path, 'printf \'{"cpu": 100}\' > "$file"')
    with pytest.raises(ValidationError):
        service_edit.edit_loop(box.ctx, box.target(), start(box), RESUME)
    assert "#! " in service_edit.kept_text(box.ctx, box.target(), RESUME)


def test_resuming_with_nothing_kept_says_how_to_start(box: InProcess) -> None:
    target: Target = box.target()
    with pytest.raises(UsageError) as raised:
        service_edit.kept_text(box.ctx, target, "git lift service edit")
    assert raised.value.message == "there is no unfinished edit of payments-api in staging"
    assert raised.value.hint == "start one: git lift service edit"
    service_edit.keep(box.ctx, target, "{}")
    service_edit.discard(box.ctx, target)
    service_edit.discard(box.ctx, target)  # twice: nothing left is no error
    assert not service_edit.resume_path(box.ctx, target).exists()


def test_ctrl_c_at_reopen_keeps_the_edit_and_says_how_to_go_on(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: True)

    def interrupted(question: str) -> bool:
        raise KeyboardInterrupt  # click's Abort comes the same way

    monkeypatch.setattr(ui, "confirm", interrupted)
    editor(monkeypatch, tmp_path, 'printf \'{"cpu": 100, "memory": 512}\' > "$file"')
    target = box.target()
    with pytest.raises(Interrupted) as raised:
        service_edit.edit_loop(box.ctx, target, start(box), RESUME)
    assert raised.value.exit_code == 130
    assert raised.value.message == "interrupted at the prompt; nothing was saved, your edit is kept"
    assert raised.value.hint == f"fix them with: {RESUME}"
    kept = service_edit.kept_text(box.ctx, target, RESUME)
    assert kept.endswith('{"cpu": 100, "memory": 512}')
