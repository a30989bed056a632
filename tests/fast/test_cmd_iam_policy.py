"""`git lift iam-policy` in-process, per audience: stdout is the JSON document alone (what a
user pipes to a file), stderr says what it is for and how to attach it, and the document names
only the chosen environment's resources, in the account the user means."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from git_lift.aws.identity import Identity, Keys
from git_lift.commands import iam_policy
from git_lift.errors import UsageError
from git_lift.options import Options
from tests.support.fakes import InProcess, in_process

CALLER = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123/alice"
ROLE = "arn:aws:iam::222222222222:role/lift-deployer"


class Sts:
    """What STS says of the caller: its account and ARN, in the region the client is for."""

    def __init__(self) -> None:
        self.meta = SimpleNamespace(region_name="eu-west-1")
        self.calls = 0

    def get_caller_identity(self) -> dict[str, str]:
        self.calls += 1
        return {"Account": "123456789012", "Arn": CALLER}


def on_sts(box: InProcess, monkeypatch: pytest.MonkeyPatch) -> Sts:
    sts = Sts()
    monkeypatch.setattr(box.aws, "identity", lambda env=None, *, before_role=False: Identity(sts))
    monkeypatch.setattr(box.aws, "keys", lambda env=None: Keys(None))  # SSM's managed key
    return sts


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def printed(
    box: InProcess, capsys: pytest.CaptureFixture[str], audience: str, account: str | None = None
) -> tuple[Any, str]:
    assert iam_policy.print_policy(box.ctx, "staging", audience, account) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err  # stdout is the document and nothing else


def resources(document: dict[str, Any]) -> list[str]:
    found = [s.get("Resource", []) for s in document["Statement"]]
    return [r for rs in found for r in (rs if isinstance(rs, list) else [rs])]


@pytest.mark.parametrize("audience", ["ci", "developer", "admin", "boundary"])
def test_each_audience_prints_a_policy_of_staging_alone(
    box: InProcess,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    audience: str,
) -> None:
    on_sts(box, monkeypatch)
    document, _ = printed(box, capsys, audience)
    assert document["Version"] == "2012-10-17" and document["Statement"]
    named = resources(document)
    assert any("staging" in r for r in named)
    assert not any("production" in r for r in named)
    arns = [r for r in named if r.startswith("arn:")]
    assert arns and all("123456789012" in r for r in arns)  # S3's name it in the bucket


def test_the_audiences_grant_more_from_ci_to_admin(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sts(box, monkeypatch)

    def actions(audience: str) -> set[str]:
        statements = printed(box, capsys, audience)[0]["Statement"]
        allowed = [s["Action"] for s in statements if s["Effect"] == "Allow"]
        return {a for acts in allowed for a in (acts if isinstance(acts, list) else [acts])}

    ci, developer, admin = actions("ci"), actions("developer"), actions("admin")
    assert ci < developer < admin
    assert "ssm:PutParameter" in developer - ci  # config set is a developer's, not CI's


def test_developer_is_told_where_service_stacks_change_and_how_to_get_the_boundary(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sts(box, monkeypatch)
    _, err = printed(box, capsys, "developer")
    assert (
        "IAM policy (developer) for payments-api in staging (eu-west-1, account 123456789012)"
        in err
    )
    assert "git lift iam-policy -e staging --for boundary" in err


def test_ci_is_not_told_about_the_stack_role(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sts(box, monkeypatch)
    _, err = printed(box, capsys, "ci")
    assert "IAM policy (ci) for payments-api in staging" in err
    assert "--for boundary" not in err


def test_the_boundary_says_how_to_create_it_and_how_to_update_it(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sts(box, monkeypatch)
    _, err = printed(box, capsys, "boundary")
    assert "aws iam create-policy --policy-name lift-staging-boundary" in err
    assert (
        "aws iam create-policy-version --policy-arn "
        "arn:aws:iam::123456789012:policy/lift-staging-boundary" in err
    )


def test_the_stack_roles_boundary_says_how_to_create_it_and_the_upgrade_order(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two boundaries (issue 21): each printed alone, each saying where the other is; the
    services' one says in which order an environment of the single boundary upgrades."""
    on_sts(box, monkeypatch)
    document, err = printed(box, capsys, "stack-boundary")
    assert "aws iam create-policy --policy-name lift-staging-boundary-cloudformation" in err
    assert "lift-staging-cloudformation" in err and "--for boundary" in err
    assert any("scheduler:CreateSchedule" in s["Action"] for s in document["Statement"])
    _, services = printed(box, capsys, "boundary")
    assert "--for stack-boundary" in services
    first = services.index("create the other first")
    assert first < services.index("env update") < services.index("create-policy-version")


def test_an_account_given_is_used_without_asking_sts(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sts = on_sts(box, monkeypatch)
    document, _ = printed(box, capsys, "ci", account="210987654321")
    assert sts.calls == 0
    arns = [r for r in resources(document) if r.startswith("arn:")]
    assert arns and all("210987654321" in r and "123456789012" not in r for r in arns)


def test_deployer_role_without_a_role_arn_is_refused_with_the_setting(
    box: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sts(box, monkeypatch)
    with pytest.raises(UsageError) as raised:
        iam_policy.print_policy(box.ctx, "staging", "deployer-role", None)
    assert "staging has no roleArn" in raised.value.message
    assert raised.value.hint == "git config lift.env.staging.roleArn arn:aws:iam::ACCOUNT:role/NAME"


def test_deployer_role_trusts_the_caller_by_default_or_the_principals_named(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    box.git.git("config", "lift.env.staging.roleArn", ROLE)
    box = box.reload(Options())
    on_sts(box, monkeypatch)
    assert iam_policy.print_policy(box.ctx, "staging", "deployer-role", None) == 0
    out, err = capsys.readouterr()
    trust = json.loads(out)["Statement"][0]
    assert trust["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root"]}
    assert "aws iam update-assume-role-policy --role-name lift-deployer" in err
    assert "(you); name others with --principal ARN" in err
    ci = "arn:aws:iam::333333333333:role/ci"
    iam_policy.print_policy(box.ctx, "staging", "deployer-role", None, (ci,))
    out, err = capsys.readouterr()
    assert json.loads(out)["Statement"][0]["Principal"] == {
        "AWS": ["arn:aws:iam::333333333333:root"]
    }
    assert "(you)" not in err


def test_task_prints_the_task_roles_statements_from_the_stored_service_config(
    box: InProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--for task`: git lift's statements then the service config's own, and a word on
    the managed policies, which are attached beside them."""
    from git_lift.aws.store import ServiceDocument
    from git_lift.servicecfg import default_document

    on_sts(box, monkeypatch)
    grant = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    managed = "arn:aws:iam::aws:policy/AmazonSESFullAccess"
    doc = {**default_document(False), "permissions": [grant], "managed_policies": [managed]}
    stored = ServiceDocument("staging", "payments-api", 1, doc, "Dana Dev", 1.0)
    box.aws.store.save_service_document(box.target(), stored)
    document, err = printed(box, capsys, "task")
    assert document["Statement"][-1] == grant
    assert "ssmmessages:OpenDataChannel" in json.dumps(document["Statement"][0])
    assert (
        "task role lift-staging-payments-api-task of payments-api in staging "
        "(eu-west-1, account 123456789012)" in err
    )
    assert f"also attached, within the same boundary: {managed}" in err
