"""AWS's limits, checked in the plan before anything changes (issue 17): names in Target,
the task definition's 64 KiB in the ship's plan, the release record's 400 KB item, the
template's 51,200-byte body. Fast: in-process, on the fakes of tests/support/fakes.py."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.errors import AwsError, LiftError, UsageError, ValidationError
from git_lift.flows.image import ImageSource
from git_lift.flows.infra_stack import StackChange, check_template_size
from git_lift.flows.ship_plan import execute, plan_ship
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Environment, Target
from git_lift.templates.service import service_template
from tests.support.fakes import ARN, NEW_IMAGE, world

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/

SHA = "c0ffee" + "0" * 34
REGION, ACCOUNT = "eu-west-1", "123456789012"
SERVICE = ServiceSettings("payments-api", ".", "Dockerfile", ".", "env.sample", "app")


def keys(count: int, length: int) -> dict[str, int]:
    """`count` keys of `length` characters, each at version 1."""
    return {f"K{n:05d}".ljust(length, "X"): 1 for n in range(count)}


@pytest.mark.parametrize("name", ["ssm-qa", "aws-prod"])
def test_an_environment_parameter_store_reserves_is_refused_naming_the_rule(name: str) -> None:
    with pytest.raises(UsageError) as refused:
        Environment(EnvironmentSettings(name, ("refs/heads/main",)))
    assert f"environment {name!r}: Parameter Store refuses parameter names" in refused.value.message
    assert f"(/{name}/...)" in refused.value.message
    assert refused.value.hint and "--resume" not in refused.value.hint
    assert "name the environment otherwise in .gitlift" in refused.value.hint
    with pytest.raises(UsageError):  # every service in it too: Target checks its environment
        Target(EnvironmentSettings(name, ("refs/heads/main",)), SERVICE)


def test_a_thousand_character_key_is_refused_before_any_write() -> None:
    target = Target(EnvironmentSettings("staging", ("refs/heads/main",)), SERVICE)
    key = "K" * 1000
    with pytest.raises(UsageError) as refused:
        target.check_keys([key, "FINE"])
    assert "(1000 characters)" in refused.value.message
    assert "caps a parameter's name, ARN included, at 1011" in refused.value.message
    # The longest key that fits: the ARN's longest prefix and `/staging/payments-api/` taken.
    fits = 1011 - len("arn:aws-us-gov:ssm:ap-southeast-2:123456789012:parameter")
    longest = fits - len("/staging/payments-api/")
    target.check_keys(["K" * longest])
    with pytest.raises(UsageError):
        target.check_keys(["K" * (longest + 1)])


def test_names_that_fit_are_accepted() -> None:
    target = Target(EnvironmentSettings("q" * 20, ("refs/heads/main",)), SERVICE)
    assert target.role_name("execution") == f"lift-{'q' * 20}-payments-api-execution"


def test_a_task_definition_over_64_kib_is_refused_in_the_plan_before_anything_is_built(
    tmp_path: Path,
) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    uri, _, digest = NEW_IMAGE.partition("@")
    source = ImageSource("given", uri, "", digest)
    with pytest.raises(ValidationError) as refused:
        plan_ship(w.ctx, w.target, SHA, source, keys(600, 24))
    message = refused.value.message
    assert message.startswith("the task definition of payments-api in staging would be ")
    assert "bytes, over ECS's 65,536-byte (64 KiB) limit; it has 600 secrets" in message
    size = int(message.split(" would be ")[1].split(" bytes")[0].replace(",", ""))
    assert 75_000 < size < 85_000
    assert refused.value.hint and "group related values into one key holding JSON" in (
        refused.value.hint
    )
    assert list(w.ecs.definitions) == [ARN.format(1)] and w.ecs.deployed == []
    assert w.store.releases(w.target) == [] and w.store.lock(w.target) is None


def test_a_task_definition_that_fits_is_planned(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    uri, _, digest = NEW_IMAGE.partition("@")
    plan = plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), keys(300, 24))
    assert ("add", "+ secret " + "K00000".ljust(24, "X")) in plan.changes


def test_with_pinned_config_the_plan_counts_the_snapshot_references_longer_names(
    tmp_path: Path,
) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")
    uri, _, digest = NEW_IMAGE.partition("@")
    source = ImageSource("given", uri, "", digest)
    plan_ship(w.ctx, w.target, SHA, source, keys(350, 24))  # parameter ARNs: it fits
    pinned = dataclasses.replace(
        w.target, environment=dataclasses.replace(w.target.environment, pin_config=True)
    )
    with pytest.raises(ValidationError, match="over ECS's 65,536-byte"):
        plan_ship(w.ctx, pinned, SHA, source, keys(350, 24))


def service_template_with(count: int, length: int) -> str:
    """The service stack's template (the defaults) with `count` env.sample keys."""
    target = Target(EnvironmentSettings("staging", ("refs/heads/main",)), SERVICE)
    secrets = {key: target.parameter_arn(key, REGION, ACCOUNT) for key in keys(count, length)}
    template = service_template(
        target,
        servicecfg.parse(servicecfg.default_document(False)),
        image="public.ecr.aws/nginx/nginx:stable-alpine",
        secrets=secrets,
        region=REGION,
        account_id=ACCOUNT,
        kms_key_arn=None,
    )
    return json.dumps(template.to_dict(), separators=(",", ":"))


def test_the_service_stack_refuses_a_task_definition_over_64_kib_before_any_change_set() -> None:
    with pytest.raises(ValidationError) as refused:
        service_template_with(600, 24)
    assert "over ECS's 65,536-byte (64 KiB) limit; it has 600 secrets" in refused.value.message
    assert len(service_template_with(400, 24)) > 51_200  # fits ECS, not a TemplateBody


def test_a_record_aws_refuses_is_kept_private_and_whole(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=lambda arn: "start")

    def refused(*_: object) -> None:
        raise AwsError("Item size has exceeded the maximum allowed size")

    w.store.finish_release = refused  # type: ignore[method-assign]
    uri, _, digest = NEW_IMAGE.partition("@")
    plan = plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), keys(20, 24))
    with pytest.raises(LiftError, match="is running in staging but could not be recorded"):
        execute(w.ctx, plan)
    folder = w.repo.git_dir / "lift"
    kept = folder / "unrecorded-staging.payments-api.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert json.loads(kept.read_text())["config_versions"] == keys(20, 24)
    assert [p.name for p in folder.iterdir()] == [kept.name]  # no partial file left


def change(body: str, bucket: str | None) -> StackChange:
    environment = EnvironmentSettings("staging", ("refs/heads/main",))
    return StackChange("lift-staging-payments-api", body, {}, environment, bucket=bucket)


def test_a_template_over_51200_bytes_goes_through_s3_or_is_refused_saying_why() -> None:
    assert check_template_size(change("x" * 51_200, None)) is False  # in the request
    assert check_template_size(change("x" * 51_201, "lift-staging-cfn-1-eu-west-1")) is True
    with pytest.raises(ValidationError) as no_bucket:  # an environment made before the bucket
        check_template_size(change(service_template_with(400, 24), None))
    assert "over the 51,200 bytes CloudFormation takes in a request" in no_bucket.value.message
    assert "environment staging has no template bucket" in no_bucket.value.message
    assert no_bucket.value.hint and no_bucket.value.hint.endswith("git lift env update -e staging")
    with pytest.raises(ValidationError) as too_big:
        check_template_size(change("x" * (1024 * 1024 + 1), "lift-staging-cfn-1-eu-west-1"))
    assert "over the 1,048,576 bytes (1 MB) CloudFormation reads from S3" in too_big.value.message
    assert too_big.value.hint and too_big.value.hint.startswith("shrink it")
