"""`git lift adopt` in-process (commands/adopt.py, flows/adoption.py): a running ECS service
that git lift did not create is read in git lift's words, written into .gitlift and trusted;
each shape git lift cannot take (several essential containers, secrets from Secrets Manager or
from several paths, a container that is not there) is refused before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from git_lift.commands import adopt
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.flows.context import gitlift_digest, trust_file
from git_lift.options import Options
from tests.support.fakes import InProcess, in_process

CLUSTER = "legacy-cluster"
SERVICE = "payments"
ACCOUNT_ARN = "arn:aws:ssm:eu-west-1:123456789012"


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, options=Options(yes=True))


def container(name: str = "web", **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "essential": True,
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/pay"}},
        "secrets": [
            {"name": "DB", "valueFrom": f"{ACCOUNT_ARN}:parameter/legacy/pay/DB"},
            {"name": "TOKEN", "valueFrom": "/legacy/pay/TOKEN"},
        ],
    } | more


def running(box: InProcess, *containers: dict[str, Any], cluster: str = CLUSTER) -> None:
    service = {
        "serviceName": SERVICE,
        "clusterArn": f"arn:aws:ecs:eu-west-1:123456789012:cluster/{cluster}",
    }
    definition = {"family": "pay-task", "containerDefinitions": list(containers or [container()])}
    box.aws.existing_services[(cluster, SERVICE)] = (service, definition)


def gitlift(box: InProcess) -> str:
    path = box.git.path / ".gitlift"
    return path.read_text() if path.exists() else ""


def test_adopt_writes_the_names_that_differ_and_trusts_the_file(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    running(box)
    assert adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None) == 0
    err = capsys.readouterr().err
    assert "  task family pay-task, container web" in err
    assert "  log group   /ecs/pay" in err
    assert "  config      /legacy/pay: 2 keys" in err
    assert "git lift now ships payments-api to payments" in err
    assert "commit .gitlift, then: git lift status -e staging" in err
    # git lift reads it back: the adopted names are the target's
    target = box.reload().target()
    assert (target.cluster, target.ecs_service, target.task_family) == (
        CLUSTER,
        SERVICE,
        "pay-task",
    )
    assert (target.container, target.log_group, target.parameter_path) == (
        "web",
        "/ecs/pay",
        "/legacy/pay",
    )
    assert gitlift_digest(gitlift(box).encode()) in trust_file(box.ctx.repo).read_text()


def test_a_service_that_follows_git_lifts_names_needs_nothing_written(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    target = box.target()
    ours = container(
        target.container,
        logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": target.log_group}},
        secrets=[{"name": "A", "valueFrom": f"{target.parameter_path}/A"}],
    )
    box.aws.existing_services[(target.cluster, target.ecs_service)] = (
        {"serviceName": target.ecs_service, "clusterArn": f"arn:cluster/{target.cluster}"},
        {"family": target.task_family, "containerDefinitions": [ours]},
    )
    assert adopt.adopt(box.ctx, "staging", target.cluster, target.ecs_service, None) == 0
    assert "it follows git lift's own names: nothing to write" in capsys.readouterr().err
    assert gitlift(box) == ""


def test_a_service_that_is_not_there_is_named(box: InProcess) -> None:
    with pytest.raises(LiftError) as raised:
        adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None)
    assert SERVICE in raised.value.message and CLUSTER in raised.value.message
    assert gitlift(box) == ""


def test_several_essential_containers_need_the_one_named(box: InProcess) -> None:
    running(box, container("web"), container("worker"))
    with pytest.raises(ValidationError) as raised:
        adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None)
    assert raised.value.message == (
        "git lift ships one container, and this service has 2 essential ones (web, worker)"
    )
    assert raised.value.hint == "name the one git lift deploys: --container NAME"
    assert gitlift(box) == ""
    assert adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, "worker") == 0
    assert "container = worker" in gitlift(box)


def test_a_sidecar_that_is_not_essential_is_not_counted(box: InProcess) -> None:
    running(box, container("web"), container("log-router", essential=False, secrets=[]))
    assert adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None) == 0
    assert "container = web" in gitlift(box)


def test_a_container_that_is_not_there_lists_those_that_are(box: InProcess) -> None:
    running(box, container("web"), container("worker"))
    with pytest.raises(UsageError) as raised:
        adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, "api")
    assert raised.value.message == "the task definition has no container 'api'"
    assert raised.value.hint == "its containers: web, worker"


def test_a_secret_from_secrets_manager_is_refused(box: InProcess) -> None:
    secret = {"name": "KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:pay-AbC"}
    running(box, container(secrets=[secret]))
    with pytest.raises(ValidationError) as raised:
        adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None)
    assert raised.value.message == (
        "container web's secret KEY does not come from a Parameter Store path"
    )
    assert raised.value.hint == (
        "git lift reads config from one path (/ENV/SERVICE); move it there first"
    )
    assert gitlift(box) == ""


def test_secrets_from_several_paths_are_refused_naming_them(box: InProcess) -> None:
    secrets = [
        {"name": "A", "valueFrom": "/pay/A"},
        {"name": "B", "valueFrom": f"{ACCOUNT_ARN}:parameter/shared/B"},
    ]
    running(box, container(secrets=secrets))
    with pytest.raises(ValidationError) as raised:
        adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None)
    assert raised.value.message == "container web's secrets come from 2 paths (/pay, /shared)"
    assert (
        raised.value.hint == "git lift reads one path per service; move them under one path first"
    )


def test_a_service_without_secrets_or_awslogs_says_what_git_lift_cannot_do(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    running(box, container(logConfiguration={"logDriver": "splunk"}, secrets=[]))
    assert adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None) == 0
    err = capsys.readouterr().err
    assert "  log group   (not awslogs: git lift logs cannot read it)" in err
    assert "  config      (no secrets): 0 keys" in err
    assert "logGroup" not in gitlift(box) and "parameterPath" not in gitlift(box)


def test_adopt_without_a_terminal_or_yes_writes_nothing(tmp_path: Path) -> None:
    box = in_process(tmp_path)
    running(box)
    with pytest.raises(UsageError) as raised:
        adopt.adopt(box.ctx, "staging", CLUSTER, SERVICE, None)
    assert raised.value.message == (
        "writing .gitlift needs confirmation and there is no terminal to ask; nothing was written"
    )
    assert gitlift(box) == "" and not trust_file(box.ctx.repo).exists()
