"""The hooks act on the same Target as every command (issue 18): names `git lift adopt`
recorded (here a parameter path) hold for the pre-commit and pre-push checks too."""

from __future__ import annotations

from typing import Any

import boto3

from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import add_keys, commit, push

ADOPTED = "/legacy/api"


def put_adopted(*keys: str) -> None:
    ssm = boto3.client("ssm", region_name="eu-west-1")
    for key in keys:
        ssm.put_parameter(Name=f"{ADOPTED}/{key}", Value="v", Type="SecureString", Overwrite=True)


def test_the_hooks_check_an_adopted_parameter_path(aws: Any, repo: GitRepo, lift: Lift) -> None:
    repo.git("config", "lift.target.staging/payments-api.parameterPath", ADOPTED)
    assert lift("hooks", "install").returncode == 0
    put_adopted("DATABASE_URL", "API_TOKEN", "NEW_KEY")  # nothing under /staging/payments-api
    add_keys(repo, "NEW_KEY")
    committed = commit(repo, "Add NEW_KEY")
    assert committed.returncode == 0, committed.stderr
    assert "staging: ok" in committed.stderr

    add_keys(repo, "LATE_KEY")
    repo.commit("Add LATE_KEY", verify=False)
    refused = push(repo, "main")
    assert refused.returncode != 0
    assert "env.sample names keys missing from payments-api's config: LATE_KEY" in refused.stderr
    put_adopted("LATE_KEY")
    pushed = push(repo, "main")
    assert pushed.returncode == 0, pushed.stderr
