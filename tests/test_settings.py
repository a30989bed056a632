from __future__ import annotations

from typing import Any

import pytest

from git_lift import settings
from git_lift.errors import UsageError
from git_lift.gitlift import Entry

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def build(
    gitlift: list[tuple[str, str]] = (),
    repo: list[tuple[str, str]] = (),  # type: ignore[assignment]
    environ: dict[str, str] | None = None,
    flags: dict[str, str | None] | None = None,
    remote: str | None = "git@github.com:acme/payments-api.git",
    policy: list[tuple[str, str]] | None = None,
    trusted: bool = True,
) -> settings.Settings:
    """`policy` (the default branch's .gitlift) is the work tree's unless given."""
    return settings.build(
        gitlift=[Entry(k, v) for k, v in gitlift],
        policy=[Entry(k, v) for k, v in (gitlift if policy is None else policy)],
        gitlift_trusted=trusted,
        repo_config=[Entry(k, v) for k, v in repo],
        environ=environ or {},
        flags=flags or {},
        remote_url=remote,
        top_folder="Folder_Name",
        default_branch="main",
    )


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:acme/payments-api.git", "payments-api"),
        ("https://github.com/acme/PaymentsAPI.git", "payments-api"),
        ("ssh://git@host/acme/Billing_Worker", "billing-worker"),
        (None, "folder-name"),
    ],
)
def test_service_name_is_inferred_from_remote_then_folder(
    remote: str | None, expected: str
) -> None:
    assert list(build(remote=remote).services) == [expected]


def test_defaults_map_default_branch_to_staging_and_v_tags_to_production() -> None:
    s = build()
    assert [e.name for e in s.environments_for_ref("refs/heads/main")] == ["staging"]
    production = s.environments_for_ref("refs/tags/v1.2.0")
    assert [e.name for e in production] == ["production"]
    assert production[0].deploy_on_push and production[0].confirm
    assert s.environments_for_ref("refs/heads/feature") == []
    assert s.kms_key == "alias/aws/ssm" and s.push_tags


def test_precedence_flags_over_env_over_repo_config_over_gitlift() -> None:
    gitlift = [
        ("lift.region", "eu-west-1"),
        ("lift.builder", "buildah"),
        ("lift.kmskey", "alias/a"),
    ]
    repo = [("lift.region", "us-east-1"), ("lift.builder", "podman")]
    s = build(gitlift, repo, environ={"GIT_LIFT_REGION": "eu-central-1"}, flags={"region": None})
    assert (s.region, s.builder, s.kms_key) == ("eu-central-1", "podman", "alias/a")
    assert build(gitlift, repo, flags={"region": "ap-south-1"}).region == "ap-south-1"


def test_environments_and_services_from_gitlift() -> None:
    s = build(
        [
            ("service.api.path", "services/api"),
            ("service.worker.path", "services/worker"),
            ("service.worker.envsample", "services/worker/.env.sample"),
            ("env.staging.ref", "refs/heads/main"),
            ("env.staging.ref", "refs/heads/release/*"),
            ("env.production.ref", "refs/tags/v*"),
            ("env.production.confirm", "true"),
            ("lift.hooks.strict", "yes"),
        ]
    )
    assert s.services["api"].env_sample == "services/api/env.sample"
    assert s.services["worker"].env_sample == "services/worker/.env.sample"
    assert s.services["api"].dockerfile == "services/api/Dockerfile"
    assert [e.name for e in s.environments_for_ref("refs/heads/release/2.0")] == ["staging"]
    assert s.environment("production").confirm and not s.environment("production").deploy_on_push
    assert s.hooks_strict
    assert s.service(None, "services/worker/src").name == "worker"
    with pytest.raises(UsageError, match="several services"):
        s.service(None, ".")
    assert s.service("api").name == "api"


def test_bad_values_are_usage_errors_naming_the_fix() -> None:
    with pytest.raises(UsageError, match="unknown environment 'prod'") as err:
        build().environment("prod")
    assert err.value.hint and "git config -f .gitlift" in err.value.hint
    with pytest.raises(UsageError, match="not a boolean"):
        build([("env.production.ref", "refs/tags/v*"), ("env.production.confirm", "maybe")])
    with pytest.raises(UsageError, match="unknown entry"):
        build([("deploy.target", "x")])
    with pytest.raises(UsageError, match="outside the repository"):
        build([("service.api.path", "../elsewhere")])


def test_every_setting_has_the_variable_the_table_names() -> None:
    """GIT_LIFT_HOOKS_CACHE_TTL=0 turns the cache off; it used to be ignored (issue 18)."""
    assert build(environ={"GIT_LIFT_HOOKS_CACHE_TTL": "0"}).hooks_cache_ttl == 0
    assert build().hooks_cache_ttl == 900
    assert build(environ={"GIT_LIFT_HOOKS_STRICT": "true"}).hooks_strict
    assert build(environ={"GIT_LIFT_PUSH_TAGS": "false"}).push_tags is False
    assert build(environ={"GIT_LIFT_KMS_KEY": "alias/mine"}).kms_key == "alias/mine"
    assert build(environ={"GIT_LIFT_POLL_INTERVAL": "0.5"}).poll_interval == 0.5
    with pytest.raises(UsageError, match=r"lift\.hooks\.cacheTtl = '-1' is not a number"):
        build(environ={"GIT_LIFT_HOOKS_CACHE_TTL": "-1"})


@pytest.mark.parametrize(
    ("where", "message", "guess"),
    [
        ({"environ": {"GIT_LIFT_REGOIN": "us-east-1"}}, "GIT_LIFT_REGOIN", "GIT_LIFT_REGION"),
        ({"environ": {"GIT_LIFT_HOOKS_CACHETTL": "0"}}, "GIT_LIFT_HOOKS_CACHETTL", "CACHE_TTL"),
        ({"repo": [("lift.regoin", "us-east-1")]}, "lift.regoin", "'lift.region'"),
        ({"repo": [("lift.env.production.requirs", "staging")]}, "requirs", "'requires'"),
    ],
)
def test_a_misspelt_setting_is_an_error_with_a_guess(
    where: dict[str, Any], message: str, guess: str
) -> None:
    with pytest.raises(UsageError, match=message) as err:
        build(**where)
    assert err.value.hint and guess in err.value.hint


def test_variables_that_are_no_setting_are_known() -> None:
    known = build(environ={"GIT_LIFT_SKIP_HOOKS": "1", "GIT_LIFT_BUILDAH_ROOT": "/tmp/b"})
    assert known.region is None


def test_only_your_own_git_config_names_the_default_branch() -> None:
    """The default branch says whose .gitlift holds the release policy: a commit naming it
    would choose its own policy (issue 17)."""
    with pytest.raises(UsageError, match=r"cannot set lift\.defaultbranch") as err:
        build([("lift.defaultBranch", "feature/x")])
    assert err.value.hint and "git config lift.defaultbranch feature/x" in err.value.hint
    assert build(repo=[("lift.defaultBranch", "main")]).environment("staging")
    assert "GIT_LIFT_DEFAULT_BRANCH" not in settings.VARIABLES
