"""How settings.build merges a .gitlift, the default branch's .gitlift, the user's git config,
GIT_LIFT_* variables and flags (DESIGN.md ".gitlift" and "Trust and security model"): which
layer wins, what a committed file may decide, and the error (and hint) each bad input gets.
In-process: settings.build is pure, the entries are what repo.py would read."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from git_lift import setting_table as table
from git_lift import settings
from git_lift.errors import UsageError
from git_lift.gitlift import Entry, sensitive_entries

Pairs = list[tuple[str, str]]


def build(
    gitlift: Pairs = (),  # type: ignore[assignment]
    *,
    repo: Pairs = (),  # type: ignore[assignment]
    environ: dict[str, str] | None = None,
    flags: dict[str, str | None] | None = None,
    policy: Pairs | None = None,
    trusted: bool = False,
    remote: str | None = "git@github.com:acme/payments-api.git",
    top: str = "payments-api",
) -> settings.Settings:
    """The work tree's .gitlift is, unless `policy` is given, also the default branch's."""
    return settings.build(
        gitlift=[Entry(k, v) for k, v in gitlift],
        policy=[Entry(k, v) for k, v in (gitlift if policy is None else policy)],
        repo_config=[Entry(k, v) for k, v in repo],
        environ=environ or {},
        flags=flags or {},
        remote_url=remote,
        top_folder=top,
        default_branch="main",
        gitlift_trusted=trusted,
    )


def refused(**kwargs: object) -> UsageError:
    with pytest.raises(UsageError) as err:
        build(**kwargs)  # type: ignore[arg-type]
    return err.value


# Precedence: flags > GIT_LIFT_* > the user's git config > .gitlift > defaults

LAYERS = ("gitlift", "repo", "environ", "flag")
REGION_OF = dict(zip(LAYERS, ("eu-west-1", "us-east-1", "eu-central-1", "ap-south-1"), strict=True))


def region_in(layers: tuple[str, ...]) -> settings.Settings:
    given_ = {layer: REGION_OF[layer] for layer in layers}
    return build(
        [("lift.region", given_["gitlift"])] if "gitlift" in given_ else [],
        repo=[("lift.region", given_["repo"])] if "repo" in given_ else [],
        environ={"GIT_LIFT_REGION": given_["environ"]} if "environ" in given_ else {},
        flags={"region": given_.get("flag")},
    )


@pytest.mark.parametrize(
    "layers", [c for n in range(1, 5) for c in combinations(LAYERS, n)], ids=" + ".join
)
def test_the_highest_layer_that_sets_the_region_wins(layers: tuple[str, ...]) -> None:
    s = region_in(layers)
    assert s.region == REGION_OF[layers[-1]]  # LAYERS is lowest first
    # and every environment without a region of its own uses it
    assert {env.aws.region for env in s.environments.values()} == {REGION_OF[layers[-1]]}


def test_aws_region_variables_are_the_default_below_every_git_lift_setting() -> None:
    aws = {"AWS_REGION": "sa-east-1", "AWS_DEFAULT_REGION": "ca-central-1"}
    assert build(environ=aws).region == "sa-east-1"
    assert build(environ={"AWS_DEFAULT_REGION": "ca-central-1"}).region == "ca-central-1"
    assert build([("lift.region", "eu-west-1")], environ=aws).region == "eu-west-1"
    assert build().region is None


def test_a_flag_left_unset_does_not_hide_the_layers_below() -> None:
    s = build(repo=[("lift.profile", "mine")], flags={"profile": None, "region": None})
    assert s.profile == "mine"


def test_an_environments_own_region_beats_the_shared_one_but_not_a_flag() -> None:
    gitlift = [
        ("lift.region", "eu-west-1"),
        ("env.staging.ref", "refs/heads/main"),
        ("env.staging.region", "us-west-2"),
    ]
    assert build(gitlift).environment("staging").aws.region == "us-west-2"
    mine = [("lift.env.staging.region", "eu-north-1")]
    assert build(gitlift, repo=mine).environment("staging").aws.region == "eu-north-1"
    flagged = build(gitlift, repo=mine, flags={"region": "ap-south-1"})
    assert flagged.environment("staging").aws.region == "ap-south-1"


def test_an_empty_value_in_your_git_config_unsets_the_committed_one() -> None:
    gitlift = [
        ("lift.region", "eu-west-1"),
        ("env.staging.ref", "refs/heads/main"),
        ("env.staging.region", "us-west-2"),
    ]
    s = build(gitlift, repo=[("lift.env.staging.region", "")])
    assert s.environment("staging").aws.region == "eu-west-1"


def test_the_last_of_repeated_one_value_keys_counts_as_in_git_config() -> None:
    s = build(repo=[("lift.env.staging.region", "us-east-1"), ("lift.env.staging.region", "")])
    assert s.environment("staging").aws.region is None


def test_defaults_without_any_setting() -> None:
    s = build()
    assert (s.builder, s.kms_key, s.push_tags, s.hooks_strict) == (
        "auto",
        "alias/aws/ssm",
        True,
        False,
    )
    assert (s.poll_interval, s.hooks_cache_ttl, s.profile, s.registry) == (1.0, 900.0, None, None)
    assert s.environment("staging").fail_fast_after == 3
    assert not s.environment("staging").pins_config
    assert s.environment("production").pins_config  # production confirms, so it pins


# Trust: what a committed .gitlift may set


TRUSTED_LIFT = [s for s in table.SETTINGS if s.section == "lift" and s.source == table.TRUSTED]
TRUSTED_ENV = [s for s in table.SETTINGS if s.section == "env" and s.source == table.TRUSTED]
VALID = {
    "rolearn": "arn:aws:iam::123456789012:role/deployer",
    "parameterpath": "/shared/api",
}


def test_the_settings_that_need_trust_are_credentials_and_destinations() -> None:
    """The README promises these need `git lift trust`; region and account do not."""
    assert {s.name for s in TRUSTED_LIFT} == {"lift.profile", "lift.registry", "lift.kmsKey"}
    assert {s.key for s in TRUSTED_ENV} == {
        "profile",
        "rolearn",
        "externalid",
        "registry",
        "cluster",
    }


@pytest.mark.parametrize("setting", TRUSTED_LIFT, ids=lambda s: s.name)
def test_an_untrusted_gitlift_cannot_set_a_credential_or_destination(
    setting: table.Setting[object],
) -> None:
    err = refused(gitlift=[(f"lift.{setting.key}", "evil")])
    assert f"{setting.name} = evil" in err.message
    assert "only once you trust it" in err.message
    assert err.hint and "git lift trust" in err.hint
    assert f"git config {setting.name} VALUE" in err.hint


@pytest.mark.parametrize("setting", TRUSTED_ENV, ids=lambda s: s.name)
def test_an_untrusted_gitlift_cannot_point_an_environment_elsewhere(
    setting: table.Setting[object],
) -> None:
    value = VALID.get(setting.key, "evil")
    err = refused(
        gitlift=[("env.staging.ref", "refs/heads/main"), (setting.spelled("staging"), value)]
    )
    assert f"lift.env.staging.{setting.key} = {value}" in err.message
    assert err.hint and f"git config lift.env.staging.{setting.key} VALUE" in err.hint


@pytest.mark.parametrize(
    "key", ["ecsservice", "taskfamily", "container", "loggroup", "parameterpath"]
)
def test_an_untrusted_gitlift_cannot_adopt_other_infrastructure(key: str) -> None:
    value = VALID.get(key, "theirs")
    err = refused(gitlift=[(f"target.staging/payments-api.{key}", value)])
    assert f"target.staging/payments-api.{key} = {value}" in err.message
    # the hint's command is the user's own git config's spelling
    assert err.hint and f"git config lift.target.staging/payments-api.{key} VALUE" in err.hint


def test_once_trusted_the_committed_credentials_are_used() -> None:
    gitlift = [
        ("lift.profile", "team"),
        ("lift.kmskey", "alias/team"),
        ("env.staging.ref", "refs/heads/main"),
        ("env.staging.rolearn", VALID["rolearn"]),
        ("target.staging/payments-api.ecsservice", "legacy-api"),
    ]
    s = build(gitlift, trusted=True)
    assert (s.profile, s.kms_key) == ("team", "alias/team")
    assert s.environment("staging").aws.role_arn == VALID["rolearn"]
    assert s.targets[("staging", "payments-api")].ecs_service == "legacy-api"


def test_what_you_set_yourself_needs_no_trust_and_wins() -> None:
    gitlift = [("lift.profile", "theirs"), ("env.staging.ref", "refs/heads/main")]
    gitlift += [("env.staging.profile", "theirs")]
    repo = [("lift.profile", "mine"), ("lift.env.staging.profile", "mine-staging")]
    s = build(gitlift, repo=repo)
    assert s.profile == "mine"
    assert s.environment("staging").aws.profile == "mine-staging"
    assert build([("lift.profile", "theirs")], flags={"profile": "flag"}).profile == "flag"


def test_region_account_and_ordinary_settings_need_no_trust() -> None:
    gitlift = [
        ("lift.region", "eu-west-1"),
        ("lift.builder", "podman"),
        ("lift.pushtags", "false"),
        ("lift.pollinterval", "2"),
        ("lift.hooks.strict", "true"),
        ("lift.hooks.cachettl", "0"),
        ("service.api.path", "api"),
        ("service.api.container", "web"),
        ("env.staging.ref", "refs/heads/main"),
        ("env.staging.account", "123456789012"),
        ("env.staging.failfast", "5"),
    ]
    s = build(gitlift)
    assert (s.region, s.builder, s.push_tags, s.poll_interval) == ("eu-west-1", "podman", False, 2)
    assert s.hooks_strict and s.hooks_cache_ttl == 0
    assert s.services["api"].container == "web"
    assert s.environment("staging").aws.account == "123456789012"
    assert s.environment("staging").fail_fast_after == 5


def test_the_refusal_names_four_settings_and_counts_the_rest() -> None:
    gitlift = [("env.staging.ref", "refs/heads/main")]
    gitlift += [(f"target.staging/s{n}.container", "c") for n in range(6)]
    err = refused(gitlift=gitlift)
    assert err.message.count(" = c") == 4 and "and 2 more" in err.message


def test_trust_shows_every_sensitive_setting_of_a_file() -> None:
    gitlift = [
        Entry("lift.region", "eu-west-1"),
        Entry("lift.registry", "registry.example:5000"),
        Entry("env.production.ref", "refs/tags/v*"),
        Entry("env.production.cluster", "shared"),
        Entry("target.production/api.loggroup", "/their/logs"),
    ]
    assert sensitive_entries(gitlift) == [
        ("lift.registry", "registry.example:5000"),
        ("lift.env.production.cluster", "shared"),
        ("target.production/api.loggroup", "/their/logs"),
    ]


# Release policy: only the default branch's .gitlift and the user's git config decide it

POLICY = [
    ("env.staging.ref", "refs/heads/main"),
    ("env.production.ref", "refs/tags/v*"),
    ("env.production.deployonpush", "true"),
    ("env.production.confirm", "true"),
    ("env.production.requires", "staging"),
]


def with_policy(worktree: Pairs, repo: Pairs = ()) -> settings.Settings:  # type: ignore[assignment]
    return build(worktree, policy=POLICY, repo=repo)


def test_a_branch_cannot_map_itself_to_an_environment() -> None:
    s = with_policy([("env.production.ref", "refs/heads/evil"), ("env.staging.ref", "*")])
    assert s.environments_for_ref("refs/heads/evil") == []
    assert s.environment("production").refs == ("refs/tags/v*",)
    assert s.environment("staging").refs == ("refs/heads/main",)


def test_a_branch_cannot_turn_on_deploy_on_push() -> None:
    s = with_policy([("env.staging.deployonpush", "true")])
    assert not s.environment("staging").deploy_on_push


def test_an_environment_only_the_work_tree_declares_releases_nothing() -> None:
    s = with_policy([("env.qa.ref", "refs/heads/*"), ("env.qa.deployonpush", "true")])
    qa = s.environment("qa")
    assert (qa.refs, qa.deploy_on_push) == ((), False)
    assert [e.name for e in s.environments_for_ref("refs/heads/feature")] == []


def test_a_branch_may_make_an_environment_stricter_never_looser() -> None:
    looser = with_policy(
        [
            ("env.production.confirm", "false"),
            ("env.production.pinconfig", "false"),
            ("env.production.requires", "qa"),
        ]
    ).environment("production")
    assert looser.confirm and looser.pins_config and looser.requires == "staging"
    stricter = with_policy(
        [
            ("env.staging.confirm", "true"),
            ("env.staging.pinconfig", "true"),
            ("env.staging.requires", "qa"),
        ]
    ).environment("staging")
    assert stricter.confirm and stricter.pins_config and stricter.requires == "qa"


def test_fail_fast_may_come_from_the_work_tree() -> None:
    s = with_policy([("env.staging.failfast", "7")])
    assert s.environment("staging").fail_fast_after == 7
    assert with_policy([]).environment("staging").fail_fast_after == 3


def test_your_own_git_config_sets_release_policy() -> None:
    mine = [("lift.env.staging.ref", "refs/heads/develop"), ("lift.env.qa.ref", "refs/heads/qa")]
    s = with_policy([], repo=mine)
    assert s.environment("staging").refs == ("refs/heads/develop",)
    assert [e.name for e in s.environments_for_ref("refs/heads/qa")] == ["qa"]
    # a key you do not set stays the trusted file's
    assert s.environment("production").confirm


@pytest.mark.parametrize(
    "mine",
    [
        [("lift.env.production.profile", "prod")],  # the README's own example
        [("lift.env.staging.confirm", "true")],
        [("lift.env.qa.ref", "refs/heads/qa")],
    ],
)
def test_your_own_environment_settings_keep_the_default_policy_without_gitlift(
    mine: Pairs,
) -> None:
    """Without environments in .gitlift the defaults are the policy: a setting of your own
    on one environment must not drop the other, nor production's mapping and confirm."""
    s = build(repo=mine)
    production, staging = s.environment("production"), s.environment("staging")
    assert production.refs == ("refs/tags/v*",) and production.confirm
    assert production.deploy_on_push
    assert staging.refs == ("refs/heads/main",)
    assert [e.name for e in s.environments_for_ref("refs/tags/v1.0.0")] == ["production"]


def test_your_own_settings_apply_on_top_of_the_defaults() -> None:
    s = build(repo=[("lift.env.production.profile", "prod"), ("lift.env.staging.confirm", "yes")])
    assert s.environment("production").aws.profile == "prod"
    assert s.environment("staging").confirm


def test_a_default_branch_gitlift_without_environments_keeps_the_defaults() -> None:
    s = build([("lift.region", "eu-west-1")], policy=[("lift.builder", "docker")])
    assert set(s.environments) == {"staging", "production"}
    assert s.environment("staging").refs == ("refs/heads/main",)


def test_policy_changes_say_what_a_proposed_gitlift_would_change() -> None:
    trusted = with_policy([])
    proposed = [
        Entry("env.staging.ref", "refs/heads/*"),
        Entry("env.production.ref", "refs/tags/v*"),
        Entry("env.production.deployonpush", "false"),
        Entry("env.production.pinconfig", "false"),
        Entry("env.qa.ref", "refs/heads/qa"),
        Entry("env.dev.failfast", "2"),  # declares nothing that releases
    ]
    assert trusted.policy_changes(proposed) == [  # by environment
        "sets production's deployOnPush to false",
        "removes production's confirm",
        "removes production's requires = staging",
        "turns production's pinConfig off",
        "declares qa with ref refs/heads/qa",
        "maps staging to refs/heads/* (trusted: refs/heads/main)",
    ]
    assert trusted.policy_changes(Entry(k, v) for k, v in POLICY) == []


def test_your_own_policy_is_never_a_change_the_file_makes() -> None:
    mine = [("lift.env.staging.ref", "refs/heads/develop")]
    trusted = with_policy([], repo=mine)
    assert trusted.policy_changes(Entry(k, v) for k, v in POLICY) == []


@hypothesis_settings(max_examples=8, deadline=None)  # 8 combinations
@given(st.lists(st.sampled_from(["true", "false"]), min_size=3, max_size=3))
def test_no_work_tree_gitlift_loosens_production(values: list[str]) -> None:
    confirm, pin, deploy = values
    worktree = [
        ("env.production.confirm", confirm),
        ("env.production.pinconfig", pin),
        ("env.production.deployonpush", deploy),
        ("env.production.ref", "refs/heads/*"),
    ]
    prod = with_policy(worktree).environment("production")
    assert prod.confirm and prod.pins_config and prod.deploy_on_push
    assert prod.refs == ("refs/tags/v*",) and prod.requires == "staging"


# Services and paths


def test_a_services_files_follow_its_path_unless_named() -> None:
    s = build([("service.api.path", "services/api/"), ("service.api.dockerfile", "docker/Api")])
    api = s.services["api"]
    assert (api.path, api.context, api.env_sample) == (
        "services/api",
        "services/api",
        "services/api/env.sample",
    )
    assert (api.dockerfile, api.container) == ("docker/Api", "api")


def test_a_service_section_name_is_spinal_cased() -> None:
    assert list(build([("service.PaymentsApi.path", ".")]).services) == ["payments-api"]


@pytest.mark.parametrize(
    "path", ["../x", "/etc", "~/x", "~", "a/../../b", "..", "a\\b", "x\0y", ""]
)
@pytest.mark.parametrize("key", ["path", "dockerfile", "context", "envsample"])
def test_a_service_path_outside_the_repository_is_refused(key: str, path: str) -> None:
    err = refused(gitlift=[(f"service.api.{key}", path)])
    assert f"service.api.{key} = {path!r}" in err.message
    assert err.hint in (
        "give a relative path",
        "give a path relative to the repository's top, inside it",
    )


def test_a_path_that_returns_inside_is_normalised() -> None:
    assert build([("service.api.path", "a/../b/./c")]).services["api"].path == "b/c"


def test_an_unknown_service_key_guesses_the_documented_spelling() -> None:
    err = refused(gitlift=[("service.api.dockerfle", "Dockerfile")])
    assert "unknown key in [service \"api\"]: 'dockerfle'" in err.message
    assert err.hint and err.hint.startswith("did you mean 'dockerfile'?")
    assert "envSample" in err.hint  # the documented camelCase, not git config's lower case


def test_without_a_service_section_the_name_comes_from_the_remote_then_the_folder() -> None:
    assert list(build(remote="https://host/acme/Billing.Worker.git").services) == ["billing-worker"]
    assert list(build(remote="git@host:acme/___.git", top="My App").services) == ["my-app"]
    err = refused(remote=None, top="___")
    assert "cannot infer the service name" in err.message
    assert err.hint == "name it in .gitlift: git config -f .gitlift service.NAME.path ."


def test_the_service_is_the_named_one_or_the_deepest_that_holds_the_folder() -> None:
    s = build(
        [
            ("service.root.path", "."),
            ("service.api.path", "apps/api"),
            ("service.ui.path", "apps/ui"),
        ]
    )
    assert s.service(None, "apps/api/src/deep").name == "api"
    assert s.service(None, "apps/ui").name == "ui"
    assert s.service(None, "apps").name == "root"
    assert s.service(None, ".").name == "root"
    assert s.service("ui", "apps/api").name == "ui"  # a name beats the folder
    with pytest.raises(UsageError, match=r"unknown service 'web' \(known: api, root, ui\)") as err:
        s.service("web")
    assert err.value.hint == 'add it to .gitlift: [service "NAME"] path = FOLDER'


def test_without_a_root_service_the_top_folder_is_ambiguous() -> None:
    s = build([("service.api.path", "api"), ("service.ui.path", "ui")])
    for folder in (".", "docs"):
        with pytest.raises(UsageError, match="several services: api, ui") as err:
            s.service(None, folder)
        assert err.value.hint == "name one with -s NAME, or run git lift inside its folder"


def test_a_folder_sharing_a_prefix_is_not_inside_the_service() -> None:
    s = build([("service.api.path", "api"), ("service.ui.path", "ui")])
    with pytest.raises(UsageError, match="several services"):
        s.service(None, "api-docs")


# Errors of bad input, each with its hint


@pytest.mark.parametrize(
    ("gitlift", "message", "hint"),
    [
        (
            [("deploy.target", "x")],
            ".gitlift has an unknown entry 'deploy.target'",
            'sections are [lift], [service "NAME"], [env "NAME"] and [target "ENV/NAME"]',
        ),
        ([("service.path", "x")], "unknown entry 'service.path'", "sections are"),
        (
            [("lift.regoin", "eu-west-1")],
            "unknown key in [lift]: 'regoin'",
            "did you mean 'region'?",
        ),
        (
            [("env.staging.deploy", "true")],
            "unknown key in [env \"staging\"]: 'deploy'",
            "known: account, base, cluster, configLock, confirm, deployOnPush, domain",
        ),
        (
            [("target.staging.ecsservice", "x")],
            '.gitlift has [target "staging"]',
            'name a target as [target "ENVIRONMENT/SERVICE"]',
        ),
        (
            [("env.Prod.ref", "refs/tags/v*")],
            "'Prod' is not a valid environment name",
            "lower-case",
        ),
        ([("service." + "s" * 29 + ".path", ".")], "is not a valid service name", "at most 28"),
        ([("lift.builder", "kaniko")], "lift.builder = 'kaniko' is not a builder", "auto, docker"),
        ([("lift.pushtags", "maybe")], "lift.pushTags = 'maybe' is not a boolean", "true or false"),
        ([("lift.region", "Europe")], "region = 'Europe' is not an AWS region", "eu-west-1"),
        (
            [("env.staging.ref", "x"), ("env.staging.account", "12345")],
            "env.staging.account = '12345' is not an AWS account id",
            "give the 12 digits",
        ),
        (
            [("env.staging.failfast", "0")],
            "env.staging.failFast = '0' is not a number from 1 to 1000",
            "in that range",
        ),
        (
            [("env.staging.requires", "Staging!")],
            "'Staging!' is not a valid environment name",
            "lower-case letters",
        ),
        (
            [("lift.pollinterval", "nan")],
            "lift.pollInterval = 'nan' is not a number from 0.01 to 60",
            "set lift.pollInterval to a number",
        ),
    ],
)
def test_each_bad_gitlift_is_an_error_with_its_hint(
    gitlift: Pairs, message: str, hint: str
) -> None:
    err = refused(gitlift=gitlift, trusted=True)
    assert message in err.message
    assert err.hint and hint in err.hint


def test_a_bad_role_arn_is_refused_even_when_trusted() -> None:
    err = refused(
        gitlift=[("env.staging.ref", "x"), ("env.staging.rolearn", "deployer")], trusted=True
    )
    assert "env.staging.roleArn = 'deployer' is not an IAM role ARN" in err.message
    assert err.hint == "arn:aws:iam::ACCOUNT:role/NAME"


def test_a_bad_parameter_path_names_the_shape_it_needs() -> None:
    gitlift = [("target.staging/payments-api.parameterpath", "/a b")]
    err = refused(gitlift=gitlift, trusted=True)
    assert "parameterPath = '/a b' is not a Parameter Store path" in err.message
    assert err.hint == "a path such as /staging/payments-api"


@pytest.mark.parametrize(
    ("repo", "message", "hint"),
    [
        (
            [("lift.env.staging.flavour", "x")],
            "your git config has an unknown key in lift.env.staging: 'flavour'",
            "known:",
        ),
        (
            [("lift.target.staging/api.image", "x")],
            "your git config has an unknown key in lift.target.staging/api: 'image'",
            "known: container",
        ),
        (
            [("lift.hooks.stict", "1")],
            "your git config has an unknown setting 'lift.hooks.stict'",
            "did you mean 'lift.hooks.strict'?",
        ),
        ([("lift.env.Bad.ref", "x")], "'Bad' is not a valid environment name", "lower-case"),
    ],
)
def test_each_bad_git_config_entry_is_an_error_with_its_hint(
    repo: Pairs, message: str, hint: str
) -> None:
    err = refused(repo=repo)
    assert message in err.message
    assert err.hint and hint in err.hint


def test_git_config_outside_the_lift_section_is_ignored() -> None:
    assert build(repo=[("user.name", "Ada"), ("core.editor", "vi")]).region is None


def test_an_environment_name_asked_for_is_checked_before_it_is_looked_up() -> None:
    s = build()
    with pytest.raises(UsageError, match=r"'\.\./x' is not a valid environment name"):
        s.environment("../x")
    with pytest.raises(
        UsageError, match=r"unknown environment 'qa' \(known: production, staging\)"
    ) as err:
        s.environment("qa")
    assert (
        err.value.hint == "add it to .gitlift: git config -f .gitlift env.qa.ref refs/heads/BRANCH"
    )


def test_ref_patterns_are_case_sensitive_globs() -> None:
    s = build([("env.staging.ref", "refs/heads/release/*"), ("env.staging.ref", "refs/heads/main")])
    staging = s.environment("staging")
    assert staging.matches("refs/heads/release/1.2") and staging.matches("refs/heads/main")
    assert not staging.matches("refs/heads/Main") and not staging.matches("refs/heads/mainline")


folders = st.lists(st.sampled_from(["apps", "api", "ui", "src", "lib"]), min_size=1, max_size=3)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.lists(folders, min_size=2, max_size=4, unique_by=tuple), folders)
def test_the_service_chosen_by_folder_is_the_deepest_that_holds_it(
    service_paths: list[list[str]], here: list[str]
) -> None:
    paths = ["/".join(p) for p in service_paths]
    s = build([(f"service.s{n}.path", path) for n, path in enumerate(paths)])
    cwd = "/".join(here)
    holding = [p for p in paths if cwd == p or cwd.startswith(p + "/")]
    if not holding:
        with pytest.raises(UsageError, match="several services"):
            s.service(None, cwd)
        return
    chosen = s.service(None, cwd)
    assert chosen.path == max(holding, key=lambda p: p.count("/"))


@pytest.mark.parametrize(
    ("confirm", "pin", "pins"),
    [
        ("false", None, False),
        ("true", None, True),
        ("true", "false", False),
        ("false", "true", True),
    ],
)
def test_config_is_pinned_where_confirm_is_unless_pin_config_says_otherwise(
    confirm: str, pin: str | None, pins: bool
) -> None:
    gitlift = [("env.qa.ref", "refs/heads/qa"), ("env.qa.confirm", confirm)]
    gitlift += [("env.qa.pinconfig", pin)] if pin is not None else []
    assert build(gitlift).environment("qa").pins_config is pins


# configlock (issue 24): configLock is the trusted policy's alone.
@pytest.mark.parametrize(("trusted", "proposed"), [("true", "false"), ("false", "true")])
def test_configlock_comes_from_the_default_branch_only(trusted: str, proposed: str) -> None:
    s = build(
        [("env.staging.configlock", proposed)],
        policy=[*POLICY, ("env.staging.configlock", trusted)],
    )
    assert s.environment("staging").config_lock is (trusted == "true")
    proposal = [Entry(k, v) for k, v in POLICY] + [Entry("env.staging.configlock", proposed)]
    assert s.policy_changes(proposal) == [f"sets staging's configLock to {proposed}"]


def test_configlock_is_off_by_default_and_in_an_environment_only_a_commit_declares() -> None:
    s = build([("env.qa.ref", "refs/heads/qa"), ("env.qa.configlock", "true")], policy=POLICY)
    assert not s.environment("staging").config_lock and not s.environment("qa").config_lock
