"""`git lift service show|history|edit|create|update|scale` in-process (commands/infra_service.py)
with the table and CloudFormation faked: what is printed of the stored versions, and each
refusal a user meets before anything changes (no config yet, a version that does not exist,
--file with --resume, no terminal to edit in, a config that exists already, no environment)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift import servicecfg, ui
from git_lift.aws.store import ServiceDocument
from git_lift.commands import infra_service as service
from git_lift.errors import LiftError, UsageError
from git_lift.flows import service_edit
from git_lift.options import Options
from tests.support.fakes import FakeStack, InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, options=Options(yes=True))


def no_options() -> service.DeployOptions:
    return service.DeployOptions(timeout=60.0)


def save(box: InProcess, version: int, doc: dict[str, object], author: str = "Dana Dev") -> None:
    target = box.target()
    box.aws.store.save_service_document(
        target, ServiceDocument("staging", target.name, version, doc, author, 1_700_000_000.0)
    )


def stack_exists(box: InProcess) -> None:
    name = box.target().stack
    box.aws.cfn.stacks[name] = FakeStack(name, f"arn:stack/{name}", "CREATE_COMPLETE")


def default() -> dict[str, object]:
    return servicecfg.default_document(False)


def scaled(count: int) -> dict[str, object]:
    return {**default(), "desired_count": count}


def test_show_of_a_service_without_config_says_how_to_create_it(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        service.show(box.ctx, "staging", None)
    assert raised.value.message == "payments-api has no service config in staging"
    assert raised.value.hint == "set it up: git lift setup -e staging"


def test_show_of_a_version_that_does_not_exist_says_how_to_list_them(box: InProcess) -> None:
    save(box, 1, default())
    with pytest.raises(LiftError) as raised:
        service.show(box.ctx, "staging", 3)
    assert raised.value.message == "payments-api has no config version 3 in staging"
    assert raised.value.hint == "list them: git lift service history -e staging -s payments-api"


def test_show_prints_the_document_and_says_who_saved_which_version(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    save(box, 1, default())
    save(box, 2, scaled(3), author="Sam Ops")
    assert service.show(box.ctx, "staging", None) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["desired_count"] == 3
    assert "payments-api in staging: version 2, saved by Sam Ops" in err
    service.show(box.ctx, "staging", 1)
    assert json.loads(capsys.readouterr().out)["desired_count"] == 1


def test_show_as_json_is_the_whole_saved_version(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    save(box, 1, default())
    box = box.reload(Options(output="json"))
    service.show(box.ctx, "staging", None)
    shown = json.loads(capsys.readouterr().out)
    assert (shown["version"], shown["author"], shown["env"]) == (1, "Dana Dev", "staging")
    assert shown["doc"] == default()


def test_history_lists_every_version_newest_first(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    save(box, 1, default())
    save(box, 2, scaled(2), author="Sam Ops")
    assert service.history(box.ctx, "staging") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["v2", "v1"]
    assert lines[0].endswith("Sam Ops") and lines[1].endswith("Dana Dev")
    box = box.reload(Options(output="json"))
    service.history(box.ctx, "staging")
    rows = json.loads(capsys.readouterr().out)
    assert [row["version"] for row in rows] == [2, 1]
    assert all("doc" not in row for row in rows)  # the list, not every document


def test_history_of_a_service_without_config_says_how_to_create_it(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        service.history(box.ctx, "staging")
    assert raised.value.hint == "set it up: git lift setup -e staging"


def test_file_and_resume_together_are_refused_naming_both_ways(
    box: InProcess, tmp_path: Path
) -> None:
    with pytest.raises(UsageError) as raised:
        service.edit(box.ctx, "staging", no_options(), resume=True, file=tmp_path / "service.json")
    assert raised.value.message == "--file and --resume do not go together"
    assert raised.value.hint == (
        "git lift service edit -e staging -s payments-api --file PATH or "
        "git lift service edit -e staging -s payments-api --resume"
    )


def test_edit_without_a_terminal_says_to_give_the_config_as_a_file(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui, "interactive", lambda: False)
    save(box, 1, default())
    with pytest.raises(UsageError) as raised:
        service.edit(box.ctx, "staging", no_options(), resume=False)
    assert raised.value.message == "service edit opens an editor and there is no terminal"
    assert raised.value.hint == (
        "give the new config as a file: git lift service show -e staging -s payments-api > "
        "service.json, change it, then: "
        "git lift service edit -e staging -s payments-api --file service.json"
    )


def test_edit_of_a_service_without_config_says_how_to_create_it(
    box: InProcess, tmp_path: Path
) -> None:
    path = tmp_path / "service.json"
    path.write_text(json.dumps(default()))
    with pytest.raises(LiftError) as raised:
        service.edit(box.ctx, "staging", no_options(), resume=False, file=path)
    assert raised.value.message == "payments-api has no service config in staging"
    assert box.aws.store.service_documents(box.target()) == []


def test_edit_of_a_file_that_is_not_there_names_it(box: InProcess, tmp_path: Path) -> None:
    save(box, 1, default())
    with pytest.raises(LiftError) as raised:
        service.edit(box.ctx, "staging", no_options(), resume=False, file=tmp_path / "nope.json")
    assert "nope.json" in raised.value.message
    assert [d.version for d in box.aws.store.service_documents(box.target())] == [1]


def test_resume_without_a_kept_edit_says_how_to_start_one(box: InProcess) -> None:
    save(box, 1, default())
    with pytest.raises(LiftError) as raised:
        service.edit(box.ctx, "staging", no_options(), resume=True)
    assert raised.value.hint is not None and "service edit" in raised.value.hint
    assert [d.version for d in box.aws.store.service_documents(box.target())] == [1]


def test_create_of_a_service_that_has_a_config_and_a_stack_points_at_edit(
    box: InProcess, tmp_path: Path
) -> None:
    save(box, 2, default())
    stack_exists(box)
    path = tmp_path / "service.json"
    path.write_text(json.dumps(default()))
    with pytest.raises(LiftError) as raised:
        service.create(box.ctx, "staging", no_options(), resume=False, file=path)
    assert raised.value.message == "payments-api in staging has a config already (version 2)"
    assert raised.value.hint == (
        "change it with: git lift service edit -e staging -s payments-api "
        "(or apply it: git lift service update -e staging -s payments-api)"
    )


def test_create_before_the_environment_exists_says_how_to_create_it(
    box: InProcess, tmp_path: Path
) -> None:
    path = tmp_path / "service.json"
    path.write_text(json.dumps(default()))
    with pytest.raises(LiftError) as raised:
        service.create(box.ctx, "staging", no_options(), resume=False, file=path)
    assert raised.value.message == "environment staging has not been created"
    assert raised.value.hint == "git lift env create -e staging"
    assert box.aws.store.service_documents(box.target()) == []
    assert box.aws.cfn.requests == []


def test_a_malformed_file_is_refused_before_any_request(box: InProcess, tmp_path: Path) -> None:
    path = tmp_path / "service.json"
    path.write_text('{"desired_count": "two"')
    with pytest.raises(LiftError) as raised:
        service.create(box.ctx, "staging", no_options(), resume=False, file=path)
    assert "service.json" in f"{raised.value.message} {raised.value.hint}"
    assert box.aws.cfn.requests == [] and box.aws.store.service_documents(box.target()) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda ctx: service.update(ctx, "staging", no_options()),
        lambda ctx: service.scale(ctx, "staging", no_options(), desired=3, low=None, high=None),
    ],
    ids=["update", "scale"],
)
def test_update_and_scale_need_a_config_first(box: InProcess, call: object) -> None:
    with pytest.raises(LiftError) as raised:
        call(box.ctx)  # type: ignore[operator]
    assert raised.value.message == "payments-api has no service config in staging"
    assert box.aws.cfn.requests == []


def test_applying_an_unchanged_document_changes_nothing_and_drops_the_kept_edit(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    save(box, 1, default())
    target = box.target()
    text = json.dumps(default(), indent=2)
    service_edit.keep(box.ctx, target, text)
    current = box.aws.store.service_document(target, None)
    edited = service_edit.as_given(target, text, "fix it")
    assert service.apply(box.ctx, target, current, edited, no_options(), "resume") == 0
    assert "no changes to payments-api's config in staging" in capsys.readouterr().err
    assert [d.version for d in box.aws.store.service_documents(target)] == [1]
    assert box.aws.cfn.requests == []
    with pytest.raises(LiftError):  # nothing is kept to resume any more
        service_edit.kept_text(box.ctx, target, "git lift service edit --resume")


def test_the_header_says_which_version_is_edited_or_that_it_is_new(box: InProcess) -> None:
    target = box.target()
    assert service.header(target, None) == [
        "New service config of payments-api in staging (the defaults)."
    ]
    save(box, 4, default(), author="Sam Ops")
    current = box.aws.store.service_document(target, None)
    assert service.header(target, current)[0].startswith(
        "Service config of payments-api in staging, version 4 (saved by Sam Ops, "
    )
