"""A release's git record (flows/release.py) on a real repository and its bare origin: the
annotated tag's trailers (one line each, never a value), the note `git log --notes=lift`
shows, the push of both, and what is said when one of them cannot be made."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from git_lift.aws.store import Release
from git_lift.errors import ValidationError
from git_lift.flows import release
from tests.support.fakes import InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def a_release(box: InProcess, number: int = 1, **more: object) -> Release:
    return Release(
        number=number,
        env="staging",
        service="payments-api",
        commit=box.ctx.repo.head_sha(),
        image="registry.example/payments-api@sha256:" + "a" * 64,
        task_definition="arn:aws:ecs:eu-west-1:1:task-definition/staging-payments-api:3",
        deployed_by="Dana Dev",
        deployed_at=1_700_000_000.0,
        config_versions={"DATABASE_URL": 2, "API_TOKEN": 1},
        **more,  # type: ignore[arg-type]
    )


def remote_tags(box: InProcess) -> str:
    return box.git.git("ls-remote", "--tags", "origin").stdout


def test_the_tag_message_holds_every_trailer_and_no_value(box: InProcess) -> None:
    message = release.tag_message(
        a_release(
            box,
            4,
            rolled_back_from=3,
            promoted_from="staging@2",
            gate_skipped="hotfix #9",
            release_command="exit 0 in 2s",
            pinned={"arn:secret:lift/staging/payments-api/4": "v-1"},
        )
    )
    assert message.splitlines() == [
        "Release 4 of payments-api to staging",
        "",
        "Image: registry.example/payments-api@sha256:" + "a" * 64,
        "Task-Definition: arn:aws:ecs:eu-west-1:1:task-definition/staging-payments-api:3",
        "Config-Versions: API_TOKEN=1 DATABASE_URL=2",
        "Deployed-By: Dana Dev",
        "Config-Snapshot: arn:secret:lift/staging/payments-api/4@v-1",
        "Rolled-Back-From: 3",
        "Promoted-From: staging@2",
        "Gate-Skipped: hotfix #9",
        "Release-Command: exit 0 in 2s",
    ]


def test_no_config_is_a_dash(box: InProcess) -> None:
    message = release.tag_message(replace(a_release(box), config_versions={}))
    assert "Config-Versions: -" in message.splitlines()


@pytest.mark.parametrize("value", ["two\nlines", "Deployed-By: me\nImage: evil", "tab\there", ""])
def test_a_field_that_is_not_one_line_of_text_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        release.trailer("Gate-Skipped", value)
    assert raised.value.message == "the release's Gate-Skipped is not one line of text"
    assert raised.value.hint is not None and raised.value.hint.startswith("report this")


def test_a_release_is_tagged_noted_and_both_pushed(box: InProcess) -> None:
    done = a_release(box, 7)
    assert release.record_tag(box.ctx, box.target(), done) is True
    body = box.git.git("tag", "-l", "--format=%(contents)", "lift/staging/payments-api/7").stdout
    assert body.startswith("Release 7 of payments-api to staging")
    note = box.git.git("notes", "--ref=lift", "show", done.commit).stdout
    assert note.strip() == "staging release 7 of payments-api, 2023-11-14 22:13 UTC"
    assert "refs/tags/lift/staging/payments-api/7" in remote_tags(box)
    notes = box.git.git("ls-remote", "origin", "refs/notes/lift").stdout
    assert notes.strip() != ""


def test_a_second_release_of_the_same_commit_adds_a_line_to_its_note(box: InProcess) -> None:
    release.record_tag(box.ctx, box.target(), a_release(box, 1))
    release.record_tag(box.ctx, box.target(), a_release(box, 2))
    note = box.git.git("notes", "--ref=lift", "show", box.ctx.repo.head_sha()).stdout
    assert [line.split(",")[0] for line in note.splitlines()] == [
        "staging release 1 of payments-api",
        "staging release 2 of payments-api",
    ]


def test_a_tag_that_exists_already_is_a_warning_not_a_failure(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.git.git("tag", "lift/staging/payments-api/1")
    assert release.record_tag(box.ctx, box.target(), a_release(box, 1)) is False
    assert "could not create tag lift/staging/payments-api/1" in capsys.readouterr().err


def test_without_a_remote_the_release_is_tagged_and_noted_here_only(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.git.git("remote", "remove", "origin")
    box = box.reload()
    assert release.record_tag(box.ctx, box.target(), a_release(box, 1)) is True
    assert box.git.git("tag", "-l", "lift/*").stdout.split() == ["lift/staging/payments-api/1"]
    assert "could not" not in capsys.readouterr().err


def test_a_refused_tag_push_says_how_to_push_it_later(
    box: InProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = tmp_path / "remote" / "payments-api.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    assert release.record_tag(box.ctx, box.target(), a_release(box, 1)) is True
    err = capsys.readouterr().err
    assert "could not push tag lift/staging/payments-api/1" in err
    assert "push it later: git push origin lift/staging/payments-api/1" in err
    assert "lift/staging/payments-api/1" not in remote_tags(box)


def test_the_deployer_is_the_committer_git_names(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Robin Release")
    assert release.deployer(box.ctx) == "Robin Release <dev@example.com>"
