"""What a service's task role is given by git lift itself (templates/task_policies.py): ECS
Exec's channels when `ecs_exec` is on, each EFS volume mounted (written only when not
read-only), the config key decrypted through SSM alone, and the pinned-config secret's ARNs;
in the region's partition."""

from __future__ import annotations

import pytest

from git_lift import servicecfg
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target
from git_lift.templates import task_policies

ACCOUNT = "123456789012"
DATA = "fs-0123456789abcdef0"
LOGS = "fs-0123456789abcdef1"


def config(**fields: object) -> servicecfg.ServiceConfig:
    return servicecfg.parse({**servicecfg.default_document(False), **fields})


def target() -> Target:
    service = ServiceSettings("payments-api", ".", "Dockerfile", ".", "env.sample", "app")
    return Target(EnvironmentSettings("staging", ("refs/heads/main",)), service)


def test_a_service_without_exec_or_volumes_gets_nothing_of_git_lifts() -> None:
    assert task_policies.task_statements(config(ecs_exec=False), "eu-west-1", ACCOUNT) == []


def test_ecs_exec_opens_the_session_managers_channels_only() -> None:
    [statement] = task_policies.task_statements(config(ecs_exec=True), "eu-west-1", ACCOUNT)
    actions = statement["Action"]
    assert isinstance(actions, list) and all(a.startswith("ssmmessages:") for a in actions)
    assert len(actions) == 4


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("eu-west-1", "arn:aws:"),
        ("cn-north-1", "arn:aws-cn:"),
        ("us-gov-west-1", "arn:aws-us-gov:"),
    ],
)
def test_each_volume_is_mounted_and_written_only_when_not_read_only(
    region: str, prefix: str
) -> None:
    volumes = [
        {"file_system_id": DATA, "container_path": "/data"},
        {"file_system_id": LOGS, "container_path": "/logs", "read_only": True},
    ]
    found = task_policies.task_statements(config(ecs_exec=False, volumes=volumes), region, ACCOUNT)
    assert [(s["Action"], s["Resource"]) for s in found] == [
        (
            ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            f"{prefix}elasticfilesystem:{region}:{ACCOUNT}:file-system/{DATA}",
        ),
        (
            ["elasticfilesystem:ClientMount"],
            f"{prefix}elasticfilesystem:{region}:{ACCOUNT}:file-system/{LOGS}",
        ),
    ]


def test_the_config_key_is_decrypted_through_ssm_alone() -> None:
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    [statement] = task_policies.config_key("eu-west-1", key)
    assert (statement["Action"], statement["Resource"]) == ("kms:Decrypt", key)
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}
    }
    assert task_policies.config_key("eu-west-1", None) == []  # SSM's AWS managed key


def test_the_pinned_config_secret_matches_its_parts_and_no_longer_name() -> None:
    base, parts = task_policies.snapshot_arns(target(), "eu-west-1", ACCOUNT)
    prefix = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:lift/staging/payments-api"
    assert (base, parts) == (f"{prefix}-??????", f"{prefix}/*")
