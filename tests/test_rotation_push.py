"""Rotation at `git push` on the sandbox (issue 24): a secret a saved service config names
(`secret_refs`) that changed after the running release is said by the installed pre-push
hook, and the saved configs of all of an environment's services cost one DynamoDB request
(BatchGetItem), not one each. 20 services in 3 environments, as a monorepo would have."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3

from git_lift.aws.store import Release, ServiceDocument, Store
from git_lift.servicecfg import default_document
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import add_keys, push, put_all
from tests.support.infra import target

SERVICES = [f"svc-{n:02}" for n in range(20)]
ENVS = ("qa", "staging", "production")
GITLIFT = "".join(f'[service "{s}"]\n\tpath = {s}\n' for s in SERVICES) + "".join(
    f'[env "{env}"]\n\tref = refs/heads/main\n' for env in ENVS
)
REFERRING = "svc-07"  # the one service whose config names a secret, in every environment


def test_a_push_says_a_secret_the_saved_config_names_for_one_request_per_environment(
    aws: Any, tmp_path: Path, lift: Lift
) -> None:
    files = {".gitlift": GITLIFT} | {f"{s}/env.sample": "DB_PASSWORD=y\n" for s in SERVICES}
    repo = GitRepo.create(tmp_path / "mono", origin=tmp_path / "remote" / "mono.git", files=files)
    assert lift("hooks", "install", cwd=repo.path).returncode == 0
    store = Store(boto3.client("dynamodb", region_name="eu-west-1"))
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    deployed = time.time() - 2 * 3600 - 60  # each secret is made now: 2 h after its release
    for env in ENVS:
        arn = secrets.create_secret(Name=f"{env}/db", SecretString="pw-s3cret")["ARN"]
        put_all(["LOG_LEVEL"], env, "svc-03")  # the key this push adds: set
        for service in SERVICES:
            refs = {"DB_PASSWORD": arn} if service == REFERRING else {}
            doc = default_document(False) | {"secret_refs": refs}
            saved = ServiceDocument(env, service, 1, doc, "Dana Dev", deployed)
            store.save_service_document(target(env, service), saved)
        release = Release(1, env, REFERRING, repo.head(), "img", "td", "Dana Dev", deployed)
        store.put_release(target(env, REFERRING), release)

    add_keys(repo, "LOG_LEVEL", path="svc-03/env.sample")  # a push that asks AWS: a key added
    repo.commit("Log level", verify=False)
    aws.reset_counts()
    pushed = push(repo, "main")
    assert pushed.returncode == 0, pushed.stderr
    for env in ENVS:
        assert (
            f"warning: git lift: {env}: DB_PASSWORD changed 2 h after release 1 (new tasks "
            f"read it: git lift release-config -s {REFERRING} -e {env})" in pushed.stderr
        )
    assert "s3cret" not in pushed.stderr
    # Per environment: the added key (names only), the 20 saved configs' secret_refs at once,
    # then the one referring service's releases and its secret's dates; its secret changed
    # after the release, so when its tasks started (a stack update may have restarted them).
    assert aws.request_counts() == {
        "ssm.GetParameters": 3,
        "dynamodb.BatchGetItem": 3,
        "dynamodb.Query": 3,
        "secretsmanager.DescribeSecret": 3,
        "ecs.DescribeServices": 3,
    }

    repo.write("svc-03/app.txt", "v2\n")  # code alone: nothing asked, the saved configs unread
    repo.commit("Change the app")
    aws.reset_counts()
    assert push(repo, "main").returncode == 0
    assert aws.request_counts() == {}
