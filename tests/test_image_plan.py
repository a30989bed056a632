"""A ship's plan only reads: without a registry of its own, a service whose ECR repository
does not exist yet is planned as "built next" and the repository is created by the build,
after any confirmation, never by the plan."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from git_lift.flows.image import find_image
from tests.support.fakes import world

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def test_planning_a_build_creates_no_ecr_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    w = world(tmp_path, tasks=lambda arn: "start")
    with mock_aws():
        source = find_image(w.ctx, w.target, "c0ffee", "linux/amd64")
        assert (source.kind, source.shown) == ("build", "a new ECR repository:c0ffee (built next)")
        ecr = boto3.client("ecr", region_name="eu-west-1")
        assert ecr.describe_repositories()["repositories"] == []
