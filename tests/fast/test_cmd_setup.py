"""`git lift setup -e ENV` in-process (commands/setup.py) on FakeAws: the plan it prints, where
the missing values come from, what stops it before anything is created (files not committed, a
dirty work tree, a --from-file lacking keys, no terminal), and, where a push releases, the
environment, service and config it creates, once: a second run creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.commands import setup
from git_lift.errors import UsageError, ValidationError
from git_lift.options import Options
from git_lift.settings import EnvironmentSettings
from git_lift.templates.environment_params import CLOUDFORMATION_ROLE
from tests.support.fakes import InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, options=Options(yes=True))


def values_file(tmp_path: Path, text: str = "DATABASE_URL=postgres://db\nAPI_TOKEN=t0ken\n") -> str:
    path = tmp_path / "values.env"
    path.write_text(text)
    return str(path)


def nothing_created(box: InProcess, env: str) -> bool:
    target = box.target(env)
    return (
        box.aws.store.environment(env) is None
        and box.aws.cfn.requests == []
        and box.aws.ssm.values(target.parameter_path) == {}
    )


def test_the_plan_of_an_empty_account_creates_everything(box: InProcess) -> None:
    p = setup.plan(box.ctx, "staging")
    assert (p.create_environment, p.create_service, p.ships) == (True, True, True)
    assert p.missing_keys == ("DATABASE_URL", "API_TOKEN")
    assert p.lines("payments-api") == [
        "environment staging: create (network, cluster, load balancer)",
        "payments-api's service config and stack: create with the defaults",
        "config: set 2 keys env.sample names: DATABASE_URL, API_TOKEN",
        "then: ship the commit you are on",
    ]
    assert setup.plan(box.ctx, "production").lines("payments-api")[-1] == (
        "then: nothing shipped (production releases when you push a ref it maps to)"
    )


def test_values_from_a_file_that_lacks_keys_are_refused_naming_them(
    box: InProcess, tmp_path: Path
) -> None:
    path = values_file(tmp_path, "DATABASE_URL=postgres://db\n")
    p = setup.plan(box.ctx, "staging")
    with pytest.raises(ValidationError) as raised:
        setup.values_source(box.ctx, p, path)
    assert raised.value.message == (
        f"{path} lacks keys that env.sample names and staging lacks: API_TOKEN"
    )
    assert raised.value.hint == f"add them to {path}, then run setup again"
    assert setup.values_source(box.ctx, p, values_file(tmp_path)) == {
        "DATABASE_URL": "postgres://db",
        "API_TOKEN": "t0ken",
    }


def test_without_a_terminal_or_a_file_the_missing_values_have_two_ways_in(
    box: InProcess,
) -> None:
    with pytest.raises(ValidationError) as raised:
        setup.setup(box.ctx, "production", from_file=None)
    assert raised.value.message == (
        "production lacks config that env.sample names: DATABASE_URL, API_TOKEN; there is no "
        "terminal to ask for the values"
    )
    assert raised.value.hint is not None
    assert raised.value.hint.startswith(
        "git lift setup -e production --from-file FILE (dotenv or JSON), or: "
        "git lift config set -e production DATABASE_URL="
    )
    assert nothing_created(box, "production")


def test_uncommitted_env_sample_stops_setup_before_anything_is_created(
    box: InProcess, tmp_path: Path
) -> None:
    box.git.write("env.sample", "DATABASE_URL=x\nAPI_TOKEN=x\nNEW_KEY=x\n")
    with pytest.raises(ValidationError) as raised:
        setup.setup(box.ctx, "production", from_file=values_file(tmp_path))
    assert raised.value.message.startswith("env.sample is not committed: setup prepares and ships ")
    assert nothing_created(box, "production")


def test_a_dirty_work_tree_stops_a_setup_that_would_ship(box: InProcess, tmp_path: Path) -> None:
    box.git.write("app.txt", "v2, not committed\n")
    with pytest.raises(ValidationError) as raised:
        setup.setup(box.ctx, "staging", from_file=values_file(tmp_path))
    assert raised.value.message == "the work tree has uncommitted changes: app.txt"
    assert nothing_created(box, "staging")


def test_without_a_terminal_or_yes_setup_creates_nothing(tmp_path: Path) -> None:
    box = in_process(tmp_path)
    with pytest.raises(UsageError) as raised:
        setup.setup(box.ctx, "production", from_file=values_file(tmp_path))
    assert raised.value.message == (
        "setting up production needs confirmation and there is no terminal to ask; "
        "nothing was created"
    )
    assert nothing_created(box, "production")


def test_setup_where_a_push_releases_creates_everything_once_and_names_the_push(
    box: InProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # what the environment stack's template outputs, as CloudFormation would answer
    role = "arn:aws:iam::123456789012:role/lift-production-cloudformation"
    box.aws.cfn.outputs["lift-production"] = {CLOUDFORMATION_ROLE: role}
    assert setup.setup(box.ctx, "production", from_file=values_file(tmp_path)) == 0
    target = box.target("production")
    assert box.aws.store.environment("production") is not None
    assert [d.version for d in box.aws.store.service_documents(target)] == [1]
    assert box.aws.ssm.values(target.parameter_path) == {
        "DATABASE_URL": "postgres://db",
        "API_TOKEN": "t0ken",
    }
    assert box.aws.store.releases(target) == []  # the push releases it
    err = capsys.readouterr().err
    assert "payments-api is set up in production; it releases when you push a ref it maps to" in (
        err
    )
    assert (
        "git tag v1.0.0 && git push origin v1.0.0 (or ship now: git lift ship -e production)"
        in (err)
    )
    requests = len(box.aws.cfn.requests)
    again = setup.plan(box.ctx, "production")
    assert not again.creates
    assert again.lines("payments-api")[:3] == [
        "environment production: exists",
        "payments-api's service config and stack: exist",
        "config: complete",
    ]
    assert setup.setup(box.ctx, "production", from_file=None) == 0  # no values needed now
    assert len(box.aws.cfn.requests) == requests


@pytest.mark.parametrize(
    ("refs", "push"),
    [
        (("refs/tags/v*",), "git tag v1.0.0 && git push origin v1.0.0"),
        (("refs/tags/release-*",), "git tag release-1.0.0 && git push origin release-1.0.0"),
        (("refs/heads/main",), "push a ref that maps to production (refs/heads/main)"),
        (("refs/tags/*-rc*",), "push a ref that maps to production (refs/tags/*-rc*)"),
    ],
)
def test_the_push_that_releases_is_named_from_the_refs(refs: tuple[str, ...], push: str) -> None:
    assert setup.release_push(EnvironmentSettings("production", refs)) == push


def test_a_context_answered_or_in_a_hook_keeps_its_aws_factory(box: InProcess) -> None:
    """setup's steps after its one question, and a hook's checks, use the clients (and the
    account check) already made; only a context new to a hook gets the hook's own."""
    answered = box.ctx.answered()
    assert answered.options.yes and answered.aws is box.aws
    hooked = box.ctx.in_hook()
    assert hooked.hook and hooked.aws is not box.aws  # the hook's shorter retry budget
    hooked.aws = box.aws
    assert hooked.in_hook().aws is box.aws


def test_a_service_stack_update_reads_the_stack_and_web_s_service_once_before_it_changes(
    box: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image that runs and the revisions to keep come from one read of the service's
    stack and of web's ECS service (they were read twice: DescribeStacks and
    DescribeServices). The other read of the stack is the change's own (create or update)."""
    from git_lift.commands import infra_service

    role = "arn:aws:iam::123456789012:role/lift-production-cloudformation"
    box.aws.cfn.outputs["lift-production"] = {CLOUDFORMATION_ROLE: role}
    assert setup.setup(box.ctx, "production", from_file=values_file(tmp_path)) == 0
    target = box.target("production")
    reads: list[str] = []
    stack = box.aws.cfn.stack
    monkeypatch.setattr(box.aws.cfn, "stack", lambda name: reads.append(name) or stack(name))
    web = box.aws.ecs_of(target)
    polls = web.polls

    class ChangeAsked(Exception):
        pass

    def stop(*args: object, **kwargs: object) -> None:
        raise ChangeAsked

    monkeypatch.setattr(box.aws.cfn, "create_change_set", stop)
    with pytest.raises(ChangeAsked):
        infra_service.update(box.ctx, "production", infra_service.DeployOptions(timeout=60.0))
    assert reads.count(target.stack) == 2
    assert web.polls - polls == 1
