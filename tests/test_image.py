"""Where images go: ECR by default (repository created on first ship, login token decoded
for the builder's stdin), any OCI registry with lift.registry."""

from __future__ import annotations

from typing import Any

import boto3

from git_lift.flows.context import load
from git_lift.flows.image import destination
from git_lift.options import Options
from tests.support.helpers import GitRepo


def test_without_lift_registry_images_go_to_ecr_with_immutable_scanned_tags(
    aws: Any, repo: GitRepo, monkeypatch: Any
) -> None:
    monkeypatch.chdir(repo.path)
    ctx = load(Options())
    uri, auth = destination(ctx, ctx.target("staging"), create=True)
    assert uri == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api"
    assert auth is not None and auth.username == "AWS" and auth.password
    described = boto3.client("ecr", region_name="eu-west-1").describe_repositories()
    [repository] = described["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    again, _ = destination(ctx, ctx.target("staging"), create=True)  # the second finds it
    assert again == uri


def test_lift_registry_needs_no_aws_call(aws: Any, repo: GitRepo, monkeypatch: Any) -> None:
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("GIT_LIFT_REGISTRY", "127.0.0.1:5000")
    aws.reset_counts()
    ctx = load(Options())
    uri, auth = destination(ctx, ctx.target("staging"), create=True)
    assert (uri, auth) == ("127.0.0.1:5000/payments-api", None)
    assert aws.request_counts() == {}
