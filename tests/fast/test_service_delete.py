"""`git lift service delete` in-process (flows/service_teardown.py) on FakeAws: what it lists
as going and staying, a service without a stack, --purge-config, and --purge-images refused
while another environment's service pulls from the same repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.aws.store import EnvironmentRecord, ServiceDocument
from git_lift.errors import LiftError, UsageError
from git_lift.flows.service_teardown import Purge, delete_service
from git_lift.options import Options
from git_lift.templates.environment_params import CLOUDFORMATION_ROLE
from tests.support.fakes import FakeStack, InProcess, in_process

TIMEOUT = 60.0


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    box = in_process(tmp_path, options=Options(yes=True))
    for env in ("staging", "production"):
        created(box, env)
    return box


def created(box: InProcess, env: str) -> None:
    role = f"arn:aws:iam::123456789012:role/lift-{env}-cloudformation"
    record = EnvironmentRecord(
        env, "eu-west-1", "123456789012", f"lift-{env}", {}, {CLOUDFORMATION_ROLE: role},
        "dev", 0.0, "dev", 0.0,
    )  # fmt: skip
    box.aws.store.put_environment(record, create=True)


def running(box: InProcess, env: str = "staging") -> None:
    target = box.target(env)
    box.aws.cfn.stacks[target.stack] = FakeStack(
        target.stack,
        f"arn:stack/{target.stack}",
        "CREATE_COMPLETE",
        template={"Resources": {"Service": {"Type": "AWS::ECS::Service"}}},
    )
    box.aws.store.save_service_document(
        target, ServiceDocument(env, target.name, 2, {}, "dev", 1.0)
    )


def keys(box: InProcess, env: str = "staging") -> dict[str, str]:
    return box.aws.ssm.values(box.target(env).parameter_path)


def test_a_service_without_a_stack_has_nothing_to_delete(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert delete_service(box.ctx, "staging", Purge(), TIMEOUT) == 0
    assert "payments-api has no stack in staging: nothing to delete" in capsys.readouterr().err


def test_delete_lists_what_stays_and_how_to_bring_it_back(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    running(box)
    box.aws.ssm.put("/staging/payments-api/API_TOKEN", "x")
    assert delete_service(box.ctx, "staging", Purge(), TIMEOUT) == 0
    assert box.aws.cfn.stack(box.target().stack) is None
    err = capsys.readouterr().err
    assert "1 config value in Parameter Store under /staging/payments-api/ " in err
    assert "(--purge-config deletes them)" in err
    assert "the service config, versions 1-2: `git lift setup`" in err
    assert "payments-api is deleted from staging" in err
    assert "bring it back with: git lift setup -e staging" in err
    assert keys(box) == {"API_TOKEN": "x"}  # stays without --purge-config
    assert [d.version for d in box.aws.store.service_documents(box.target())] == [2]


def test_purge_config_deletes_the_values_once_the_stack_is_gone(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    running(box)
    box.aws.ssm.put("/staging/payments-api/API_TOKEN", "x")
    box.aws.ssm.put("/staging/payments-api/DATABASE_URL", "y")
    assert delete_service(box.ctx, "staging", Purge(config=True), TIMEOUT) == 0
    assert keys(box) == {}
    assert (
        "payments-api is deleted from staging; deleted 2 config values" in capsys.readouterr().err
    )


def test_purge_images_is_refused_while_another_environment_pulls_from_the_repository(
    box: InProcess,
) -> None:
    running(box)
    running(box, "production")
    with pytest.raises(LiftError) as raised:
        delete_service(box.ctx, "staging", Purge(images=True), TIMEOUT)
    assert raised.value.message == (
        "ECR repository payments-api also holds the images payments-api runs in production "
        "(same account and region); nothing was deleted"
    )
    assert raised.value.hint == (
        "leave out --purge-images: git lift service delete -e staging -s payments-api"
    )
    assert box.aws.cfn.stack(box.target().stack) is not None


def test_delete_without_a_terminal_or_yes_deletes_nothing(tmp_path: Path) -> None:
    box = in_process(tmp_path)
    created(box, "staging")
    running(box)
    with pytest.raises(UsageError):
        delete_service(box.ctx, "staging", Purge(), TIMEOUT)
    assert box.aws.cfn.stack(box.target().stack) is not None


def test_delete_in_an_environment_not_created_says_how_to_create_it(tmp_path: Path) -> None:
    box = in_process(tmp_path, options=Options(yes=True))
    with pytest.raises(LiftError) as raised:
        delete_service(box.ctx, "staging", Purge(), TIMEOUT)
    assert raised.value.message == "environment staging has not been created"
