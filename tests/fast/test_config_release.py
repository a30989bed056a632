"""A config change goes live without a code change (issue 24): `release-config -e ENV` and
`config set --release` release the running image with the store's config, through ship's
plan, gate and confirmation, recorded with the keys that changed and never a value. On the
fakes, through the real plan and executor."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.commands import config, release_config, status
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.options import Options
from git_lift.plan import secrets_for
from tests.support.fakes import ARN, NEW_IMAGE, OLD_IMAGE, InProcess, in_process
from tests.support.records import record, runs

PATH = "/staging/payments-api"
PINNED = '[env "staging"]\n\tref = refs/heads/main\n\tpinConfig = true\n\tconfirm = true\n'


def running_release(box: InProcess, **more: object) -> None:
    """Release 1 of HEAD runs NEW_IMAGE with both keys at version 1."""
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://one-s3cret")
    box.aws.ssm.put(f"{PATH}/API_TOKEN", "tok-s3cret")
    record(
        box,
        1,
        image=NEW_IMAGE,
        revision=2,
        config_versions={"DATABASE_URL": 1, "API_TOKEN": 1},
        **more,  # type: ignore[arg-type]
    )
    arn = runs(box, 2, NEW_IMAGE)
    # ...registered by a ship: its container names each key's parameter.
    target, keys = box.target(), ["API_TOKEN", "DATABASE_URL"]
    container = box.aws.ecs_of(target).definitions[arn]["containerDefinitions"][0]
    container["secrets"] = secrets_for(
        keys, {k: target.parameter_arn(k, "eu-west-1", "123456789012") for k in keys}
    )


def test_a_changed_key_is_released_with_the_running_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)
    running_release(box)
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "pg://two-s3cret")
    assert release_config.release_config(box.ctx, "staging") == 0
    newest = box.aws.store.releases(box.target())[0]
    assert newest.number == 2 and newest.image == NEW_IMAGE  # nothing built, nothing copied
    assert newest.commit == box.ctx.repo.resolve("HEAD")
    assert newest.config_versions == {"DATABASE_URL": 2, "API_TOKEN": 1}
    assert newest.config_changed == "DATABASE_URL"
    ecs = box.aws.ecs_of(box.target())
    assert ecs.deployed == [ARN.format(3)]  # a new revision: a fresh deployment
    tag = box.git.git("tag", "-l", "--format=%(contents)", "lift/staging/payments-api/2").stdout
    assert "Config-Changed: DATABASE_URL" in tag
    said = capsys.readouterr().err
    assert "~ config DATABASE_URL: a new value (v1 -> v2)" in said
    assert "with the image of release 1" in said and "release 2" in said
    assert "s3cret" not in said + tag
    status.history(box.ctx, "staging")
    assert "(config: DATABASE_URL)" in capsys.readouterr().out.splitlines()[0]


def test_nothing_changed_is_said_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)
    running_release(box)
    assert release_config.release_config(box.ctx, "staging") == 0
    assert "nothing to release: it runs release 1" in capsys.readouterr().err
    assert [r.number for r in box.aws.store.releases(box.target())] == [1]
    assert box.aws.ecs_of(box.target()).deployed == []
    assert release_config.release_config(box.ctx, "staging", force=True) == 0
    assert box.aws.store.releases(box.target())[0].config_changed == "-"


def test_without_a_recorded_release_it_says_to_ship(tmp_path: Path) -> None:
    box = in_process(tmp_path)
    runs(box, 1, OLD_IMAGE)
    with pytest.raises(LiftError) as refused:
        release_config.release_config(box.ctx, "staging")
    assert "no image to release the config with; nothing was deployed" in refused.value.message
    assert refused.value.hint == "ship the code with its config: git lift ship -e staging"


def test_a_key_env_sample_names_but_the_store_lacks_is_refused(tmp_path: Path) -> None:
    box = in_process(tmp_path)
    running_release(box)
    box.aws.ssm.params.pop(f"{PATH}/API_TOKEN")
    with pytest.raises(ValidationError) as refused:
        release_config.release_config(box.ctx, "staging")
    assert "lacks config that env.sample names: API_TOKEN; nothing was deployed" in str(
        refused.value.message
    )
    assert box.aws.ecs_of(box.target()).deployed == []


def test_pinned_config_is_snapshotted_anew_after_a_typed_confirmation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, gitlift=PINNED)
    running_release(box, pinned={"arn:old": "v-old"})
    box.aws.ssm.put(f"{PATH}/API_TOKEN", "tok-two-s3cret")
    with pytest.raises(UsageError) as unconfirmed:  # no terminal here: --yes is needed
        release_config.release_config(box.ctx, "staging")
    assert "releasing config to staging needs confirmation" in unconfirmed.value.message
    assert box.aws.ecs_of(box.target()).deployed == []
    yes = box.reload(Options(yes=True))
    assert release_config.release_config(yes.ctx, "staging") == 0
    newest = box.aws.store.releases(box.target())[0]
    assert newest.config_changed == "API_TOKEN" and newest.pinned
    ((arn, version),) = newest.pinned.items()
    assert box.aws.secrets.by_arn(arn).bodies[version] == (
        '{"API_TOKEN": "tok-two-s3cret", "DATABASE_URL": "pg://one-s3cret"}'
    )


def test_config_set_release_writes_then_releases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)
    running_release(box)
    code = config.set_values(
        box.ctx,
        "staging",
        ["API_TOKEN=tok-new-s3cret"],
        advanced=False,
        show_values=False,
        release=True,
    )
    assert code == 0
    newest = box.aws.store.releases(box.target())[0]
    assert newest.number == 2 and newest.config_changed == "API_TOKEN"
    assert box.aws.ssm.values(PATH)["API_TOKEN"] == "tok-new-s3cret"
    assert "s3cret" not in capsys.readouterr().err


def test_config_import_release_writes_then_releases_and_a_refused_write_releases_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path)
    running_release(box)
    bad = tmp_path / "bad.env"
    bad.write_text("not a line\n")
    with pytest.raises(ValidationError):
        config.import_values(
            box.ctx, "staging", str(bad), None, replace=False, advanced=False, release=True
        )
    assert [r.number for r in box.aws.store.releases(box.target())] == [1]
    good = tmp_path / "good.env"
    good.write_text("DATABASE_URL=pg://three-s3cret\n")
    code = config.import_values(
        box.ctx, "staging", str(good), None, replace=False, advanced=False, release=True
    )
    assert code == 0
    assert box.aws.store.releases(box.target())[0].config_changed == "DATABASE_URL"
