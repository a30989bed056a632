"""Rotation made visible (issue 24): a Secrets Manager secret env.sample refers to (a value
that is itself a secret's ARN) that rotated or changed after the running release shows in
`status` as drift, and `release-config` releases for it alone. Metadata only: DescribeSecret,
once per referenced secret, and nothing asked when env.sample refers to none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_lift import secret_refs, servicecfg
from git_lift.aws.secrets import SecretDates
from git_lift.aws.store import Release, ServiceDocument
from git_lift.commands import hook_checks, release_config, status
from git_lift.flows import iam_scope
from git_lift.flows.pushed_refs import PushedRef
from git_lift.options import Options
from git_lift.plan import secrets_for
from git_lift.repo import ZERO_SHA
from git_lift.target import Target
from git_lift.templates.iam_statements import policy
from tests.support.fakes import NEW_IMAGE, InProcess, in_process
from tests.support.iam_eval import permits
from tests.support.infra import policy_scope
from tests.support.records import record, runs

DB = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
ELSEWHERE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
SAMPLE = f"DATABASE_URL=postgres://localhost/dev\nDB_PASSWORD={DB}\n"
PATH = "/staging/payments-api"
HERE = ("eu-west-1", "123456789012")
DEPLOYED = 1_700_000_000.0 + 60  # release 1's deployed_at (tests/support/records.py)


def box_with_release(tmp_path: Path, sample: str = SAMPLE) -> InProcess:
    box = in_process(
        tmp_path,
        files={"env.sample": sample, "app.txt": "v1\n"},
        gitlift='[env "staging"]\n\tref = refs/heads/main\n\tregion = eu-west-1\n',
    )
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://s3cret")
    box.aws.ssm.put(f"{PATH}/DB_PASSWORD", DB)
    keys = ["DATABASE_URL", "DB_PASSWORD"]
    record(box, 1, image=NEW_IMAGE, revision=2, config_versions=dict.fromkeys(keys, 1))
    arn = runs(box, 2, NEW_IMAGE)
    container = box.aws.ecs_of(box.target()).definitions[arn]["containerDefinitions"][0]
    target = box.target()
    container["secrets"] = secrets_for(
        keys, {k: target.parameter_arn(k, "eu-west-1", "123456789012") for k in keys}
    )
    return box


def rotate(box: InProcess, after: float, *, by_rotation: bool = True) -> None:
    when = DEPLOYED + after
    box.aws.secrets.described[DB] = SecretDates(DB, when if by_rotation else None, when, "v-after")


def test_env_sample_arns_are_references_in_their_own_region() -> None:
    refs = secret_refs.from_sample(SAMPLE + f"OTHER={ELSEWHERE}\nPLAIN=arn-like-but-not\n")
    assert refs == {"DB_PASSWORD": DB, "OTHER": ELSEWHERE}
    assert secret_refs.for_environment(refs, "eu-west-1") == {"DB_PASSWORD": DB}
    assert secret_refs.for_environment(refs, None) == refs


def test_status_shows_a_secret_rotated_after_the_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)
    rotate(box, 2 * 3600 + 5)
    assert status.status(box.ctx, ("staging",)) == 0
    out = capsys.readouterr().out
    assert (
        "  drift     DB_PASSWORD rotated 2 h after release 1 "
        "(new tasks read it: git lift release-config -e staging)" in out
    )
    assert box.aws.secrets.describes == 1
    as_json = box.reload(Options(output="json"))
    status.status(as_json.ctx, ("staging",))
    [row] = json.loads(capsys.readouterr().out)
    assert row["rotated"] == ["DB_PASSWORD rotated 2 h after release 1"]


def test_a_secret_changed_before_the_release_is_no_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)
    rotate(box, -600)
    status.status(box.ctx, ("staging",))
    assert "rotated" not in capsys.readouterr().out


def test_a_new_value_put_by_hand_is_said_as_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)
    rotate(box, 3 * 86400, by_rotation=False)
    status.status(box.ctx, ("staging",))
    assert "DB_PASSWORD changed 3 d after release 1" in capsys.readouterr().out


def test_an_env_sample_without_references_asks_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path, "DATABASE_URL=x\nDB_PASSWORD=y\n")
    status.status(box.ctx, ("staging",))
    assert box.aws.secrets.describes == 0


def test_a_secret_that_cannot_be_described_is_said_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)  # nothing described: the fake says ResourceNotFound
    assert status.status(box.ctx, ("staging",)) == 0
    assert "DB_PASSWORD: secret not described" in capsys.readouterr().out


def test_release_config_releases_for_a_rotation_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)
    assert release_config.release_config(box.ctx, "staging") == 0
    assert "nothing to release" in capsys.readouterr().err  # nothing rotated yet
    rotate(box, 90 * 60)
    box.aws.fake_clock.now = DEPLOYED + 2 * 3600  # released half an hour after the rotation
    assert release_config.release_config(box.ctx, "staging") == 0
    said = capsys.readouterr().err
    assert "~ secret DB_PASSWORD rotated 90 min after release 1: new tasks read it again" in said
    newest = box.aws.store.releases(box.target())[0]
    assert newest.number == 2 and newest.config_changed == "DB_PASSWORD(rotated)"
    tag = box.git.git("tag", "-l", "--format=%(contents)", "lift/staging/payments-api/2").stdout
    assert "Config-Changed: DB_PASSWORD(rotated)" in tag
    status.status(box.ctx, ("staging",))
    out = capsys.readouterr().out
    assert "release 2" in out and "rotated" not in out  # its tasks read the new value


@pytest.mark.parametrize("audience", ["ci", "developer", "admin"])
def test_each_audience_describes_the_named_secrets_and_no_other(audience: str) -> None:
    with_refs = policy(
        audience, policy_scope("staging", ("payments-api",), *HERE, secret_refs=(DB,))
    )
    [grant] = [
        s
        for s in with_refs["Statement"]
        if "secretsmanager:DescribeSecret" in s["Action"] and s["Sid"] == "ConfigSecretDates"
    ]
    assert grant["Action"] == ["secretsmanager:DescribeSecret"] and grant["Resource"] == [DB]
    without = policy(audience, policy_scope("staging", ("payments-api",), *HERE))
    assert not [s for s in without["Statement"] if s["Sid"] == "ConfigSecretDates"]


def test_iam_policy_scopes_the_grant_to_env_sample_arns_in_the_environments_region(
    tmp_path: Path,
) -> None:
    box = box_with_release(tmp_path, SAMPLE + f"OTHER={ELSEWHERE}\n")
    scope = iam_scope.policy_scope(box.ctx, "staging", None)
    assert scope.secret_refs == (DB,)


def push_main(box: InProcess) -> int:
    return hook_checks.pre_push(box.ctx, [box.pushed()])


def test_the_pre_push_hook_says_a_rotation_and_the_command_that_picks_it_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)
    rotate(box, 3 * 3600)
    assert push_main(box) == 0  # a notice: the push goes on
    err = capsys.readouterr().err
    assert (
        "warning: git lift: staging: DB_PASSWORD rotated 3 h after release 1 "
        "(new tasks read it: git lift release-config -e staging)" in err
    )
    assert box.aws.secrets.describes == 1


def test_the_pre_push_hook_asks_nothing_without_a_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path, "DATABASE_URL=x\nDB_PASSWORD=y\n")
    assert push_main(box) == 0
    assert box.aws.secrets.describes == 0
    assert "rotated" not in capsys.readouterr().err


PROD_DB = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/db-XyZ123"


def with_service_config(box: InProcess, refs: object) -> None:
    doc = servicecfg.default_document(False) | {"secret_refs": refs}
    saved = ServiceDocument("staging", "payments-api", 1, doc, "Dana Dev", DEPLOYED)
    box.aws.store.save_service_document(box.target(), saved)


def test_the_service_config_names_a_secret_per_environment_and_wins_over_env_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)  # env.sample: DB_PASSWORD=DB
    with_service_config(box, {"DB_PASSWORD": PROD_DB})
    box.aws.secrets.described[PROD_DB] = SecretDates(PROD_DB, None, DEPLOYED + 7200, "v2")
    rotate(box, 3600)  # env.sample's secret, overridden here: not asked
    status.status(box.ctx, ("staging",))
    assert "DB_PASSWORD changed 2 h after release 1" in capsys.readouterr().out
    assert iam_scope.policy_scope(box.ctx, "staging", None).secret_refs == (DB, PROD_DB)


def test_secret_refs_in_the_service_config_are_checked_with_their_paths() -> None:
    doc = servicecfg.default_document(False) | {
        "secret_refs": {"DB_PASSWORD": "prod/db", "bad-key": DB, "OK": DB}
    }
    with pytest.raises(servicecfg.ServiceConfigError) as refused:
        servicecfg.parse(doc)
    assert refused.value.problems == [
        "$.secret_refs.DB_PASSWORD: must be a Secrets Manager secret's ARN "
        "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)",
        "$.secret_refs.bad-key: not a config key name ([A-Za-z_][A-Za-z0-9_]*)",
    ]
    fine = servicecfg.parse(servicecfg.default_document(False) | {"secret_refs": {"OK": DB}})
    assert fine.secret_refs == {"OK": DB}
    assert "secret_refs" not in servicecfg.default_document(False)  # left out when empty


def test_a_release_notes_awscurrent_and_a_tag_change_is_then_no_rotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path)
    box.aws.secrets.described[DB] = SecretDates(DB, None, DEPLOYED - 60, "v-one")
    box.aws.fake_clock.now = DEPLOYED + 3600
    assert release_config.release_config(box.ctx, "staging", force=True) == 0
    second = box.aws.store.releases(box.target())[0]
    assert second.number == 2 and second.secret_versions == {"DB_PASSWORD": "v-one"}
    tagged = second.deployed_at + 600  # a tag added: LastChangedDate moves, AWSCURRENT does not
    box.aws.secrets.described[DB] = SecretDates(DB, None, tagged, "v-one")
    capsys.readouterr()
    status.status(box.ctx, ("staging",))
    assert "changed" not in capsys.readouterr().out
    box.aws.secrets.described[DB] = SecretDates(DB, None, tagged, "v-two")  # a new value
    status.status(box.ctx, ("staging",))
    assert "DB_PASSWORD changed 10 min after release 2" in capsys.readouterr().out


# The service config's secret_refs at pre-push (issue 24): read for all of an environment's
# services in one table request, only where the push asks AWS about that environment anyway.


def push_as_hook(box: InProcess, base: str = ZERO_SHA) -> int:
    """pre_push in the hook's own context, whose config checks use the test's fakes."""
    hooked = box.ctx.in_hook()
    hooked.aws = box.aws
    pushed = PushedRef("refs/heads/main", box.ctx.repo.resolve("HEAD"), "refs/heads/main", base)
    return hook_checks.pre_push(hooked, [pushed])


def test_the_pre_push_hook_says_a_rotation_the_saved_service_config_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path, "DATABASE_URL=x\nDB_PASSWORD=y\n")  # no ARN in env.sample
    with_service_config(box, {"DB_PASSWORD": PROD_DB})
    box.aws.secrets.described[PROD_DB] = SecretDates(PROD_DB, DEPLOYED + 7200, None, "v2")
    assert push_as_hook(box) == 0
    assert (
        "warning: git lift: staging: DB_PASSWORD rotated 2 h after release 1 "
        "(new tasks read it: git lift release-config -e staging)" in capsys.readouterr().err
    )
    assert box.aws.store.batch_reads == 1 and box.aws.store.document_reads == 0


SERVICES = [f"svc-{n:02}" for n in range(8)]


def test_the_saved_configs_of_n_services_cost_one_table_request_not_n(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(
        tmp_path,
        gitlift="".join(f'[service "{s}"]\n\tpath = {s}\n' for s in SERVICES)
        + '[env "staging"]\n\tref = refs/heads/main\n\tregion = eu-west-1\n',
        files={f"{s}/env.sample": "DB_PASSWORD=y\n" for s in SERVICES},
    )
    head = box.ctx.repo.resolve("HEAD")
    for n, service in enumerate(SERVICES):
        target = box.ctx.target("staging", box.ctx.settings.services[service])
        box.aws.ssm.put(f"/staging/{service}/DB_PASSWORD", "pw")
        refs = {"DB_PASSWORD": PROD_DB} if n % 4 == 0 else {}  # svc-00 and svc-04 refer to one
        doc = servicecfg.default_document(False) | {"secret_refs": refs}
        saved = ServiceDocument("staging", service, 1, doc, "Dana Dev", DEPLOYED)
        box.aws.store.save_service_document(target, saved)
        box.aws.store.put_release(target, record_of(target, head))
    box.aws.secrets.described[PROD_DB] = SecretDates(PROD_DB, DEPLOYED + 600, None, "v2")
    assert push_as_hook(box) == 0
    said = capsys.readouterr().err
    assert said.count("DB_PASSWORD rotated 10 min after release 1") == 2, said
    assert "git lift release-config -s svc-04 -e staging" in said
    assert box.aws.store.batch_reads == 1  # one BatchGetItem for the eight services
    assert box.aws.store.document_reads == 0  # no config read one by one
    assert box.aws.secrets.describes == 2  # only where a config refers to a secret


def test_a_push_that_asks_aws_nothing_reads_no_saved_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = box_with_release(tmp_path, "DATABASE_URL=x\nDB_PASSWORD=y\n")
    with_service_config(box, {"DB_PASSWORD": PROD_DB})
    box.aws.secrets.described[PROD_DB] = SecretDates(PROD_DB, DEPLOYED + 7200, None, "v2")
    push_as_hook(box)
    box.git.write("app.txt", "v2\n")  # a push of code alone: env.sample unchanged
    box.git.commit("Change the app")
    box.aws.store.batch_reads = 0
    capsys.readouterr()
    assert push_as_hook(box, base=box.ctx.repo.resolve("HEAD~1")) == 0
    assert box.aws.store.batch_reads == 0 and "rotated" not in capsys.readouterr().err


def record_of(target: Target, commit: str) -> Release:
    return Release(1, "staging", target.name, commit, NEW_IMAGE, "arn:td", "Dana Dev", DEPLOYED)


@pytest.mark.parametrize("audience", ["ci", "developer", "admin"])
def test_each_audience_batch_reads_its_own_services_saved_configs_and_no_others(
    audience: str,
) -> None:
    document = policy(audience, policy_scope("staging", ("payments-api", "billing"), *HERE))
    table = "arn:aws:dynamodb:eu-west-1:123456789012:table/git-lift"
    own = ["service#staging#payments-api", "service#staging#billing"]
    assert permits(document, "dynamodb:BatchGetItem", table, dynamodb_LeadingKeys=own)
    theirs = [*own, "service#production#payments-api"]
    assert not permits(document, "dynamodb:BatchGetItem", table, dynamodb_LeadingKeys=theirs)
