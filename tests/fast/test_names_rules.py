"""Names a user types (environments, services, keys) and every AWS name Target derives from
them: a valid name never yields a name AWS refuses (limits.py cites each limit), an invalid one
is refused with the rule, and a key argument is never quoted back (it may be a value)."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import limits, names
from git_lift.errors import UsageError
from git_lift.settings import EnvironmentAws, EnvironmentSettings, ServiceSettings, TargetOverrides
from git_lift.target import LONGEST_PLACE, Environment, Target, arn

env_names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True).filter(
    lambda n: "--" not in n and not n.startswith(limits.PARAMETER_RESERVED)
)
service_names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,26}[a-z0-9])?", fullmatch=True).filter(
    lambda n: "--" not in n
)
FEW = settings(max_examples=40, deadline=None)  # fast suite; 2 shared cores
LONGEST_ENV = "e" * names.ENV_MAX
LONGEST_SERVICE = "s" * names.SERVICE_MAX


def target(env: str = "staging", service: str = "payments-api", **overrides: str) -> Target:
    svc = ServiceSettings(service, ".", "Dockerfile", ".", "env.sample", service)
    return Target(EnvironmentSettings(env, ("refs/heads/main",)), svc, TargetOverrides(**overrides))


def every_name(t: Target) -> list[tuple[str, int]]:
    """Each name derived for a target, with the most characters AWS allows it."""
    e = t.environment_names
    return [
        (t.stack, limits.STACK_NAME),
        (e.stack, limits.STACK_NAME),
        (t.cluster, limits.ECS_NAME),
        (t.ecs_service, limits.ECS_NAME),
        (t.task_family, limits.ECS_NAME),
        (t.role_name("execution"), limits.ROLE_NAME),
        (t.role_name("task"), limits.ROLE_NAME),
        (e.cloudformation_role, limits.ROLE_NAME),
        (e.boundary_policy, limits.POLICY_NAME),
        (t.log_group, limits.LOG_GROUP_NAME),
        (t.snapshot_secret(99), limits.SECRET_NAME),
        (t.scaling_policy, limits.SCALING_POLICY_NAME),
        (t.ecr_repository, limits.REPOSITORY_NAME),
        (e.template_bucket(*LONGEST_PLACE), limits.BUCKET_NAME),
    ]


# Valid names: every derived name fits


def test_the_longest_names_allowed_derive_names_aws_accepts() -> None:
    t = target(LONGEST_ENV, LONGEST_SERVICE)
    assert [(n, len(n)) for n, most in every_name(t) if len(n) > most] == []
    # the role names are what sets the limits: the execution role is exactly 64 characters
    assert len(t.role_name("execution")) == limits.ROLE_NAME


@FEW
@given(env_names, service_names)
def test_every_valid_pair_of_names_builds_a_target_whose_names_fit(env: str, service: str) -> None:
    t = target(env, service)
    assert all(len(n) <= most for n, most in every_name(t))
    # the template bucket is a valid S3 name: lower case, digits, hyphens, 3 to 63
    bucket = t.environment_names.template_bucket(*LONGEST_PLACE)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket)


@FEW
@given(env_names, service_names)
def test_the_longest_key_any_name_allows_fits_parameter_store(env: str, service: str) -> None:
    t = target(env, service)
    arn_prefix = "arn:aws-us-gov:ssm:ap-southeast-2:123456789012:parameter"
    assert len(arn_prefix + t.parameter_name("K" * names.KEY_MAX)) <= limits.PARAMETER_NAME
    t.check_keys(["K" * names.KEY_MAX])  # no error: it fits


def test_a_key_one_character_too_long_for_its_path_is_refused_naming_the_limit() -> None:
    t = target(LONGEST_ENV, LONGEST_SERVICE)
    fits = limits.PARAMETER_NAME - limits.PARAMETER_ARN_PREFIX - len(t.parameter_name(""))
    t.check_keys(["K" * fits])
    with pytest.raises(UsageError) as err:
        t.check_keys(["K" * (fits + 1), "SHORT"])
    assert f"({fits + 1} characters)" in err.value.message
    assert f"a key may have {fits} characters" in err.value.message
    assert "nothing was written" in err.value.message and "SHORT" not in err.value.message
    assert err.value.hint == "use a shorter key name"


def test_an_adopted_parameter_path_too_long_for_any_key_is_refused_when_built() -> None:
    with pytest.raises(UsageError, match="a parameter's name") as err:
        target(parameter_path="/" + "p" * 960)
    assert "AWS allows" in err.value.message
    assert err.value.hint == "use shorter environment and service names in .gitlift"


@FEW
@given(env_names, service_names)
def test_the_environments_role_pattern_matches_each_service_role_not_its_own(
    env: str, service: str
) -> None:
    t = target(env, service)
    e = t.environment_names
    for kind in ("task", "execution"):
        assert fnmatch.fnmatchcase(t.role_name(kind), e.service_roles(kind))
        # CloudFormation's role is no service role, so a policy on service roles skips it
        assert not fnmatch.fnmatchcase(e.cloudformation_role, e.service_roles(kind))
    assert t.task_family.startswith(e.task_family_prefix)
    assert t.log_group.startswith(e.log_group_prefix)
    assert t.snapshot_secret(3).startswith(e.snapshot_secret_prefix)
    assert t.parameter_path.startswith(e.parameter_path + "/")


@FEW
@given(st.tuples(env_names, service_names), st.tuples(env_names, service_names))
def test_two_targets_never_share_a_tag_record_or_cache_file(
    one: tuple[str, str], other: tuple[str, str]
) -> None:
    """`a-b`/`c` and `a`/`b-c` must stay apart: these are keyed by a separator no name holds."""
    if one == other:
        return
    a, b = target(*one), target(*other)
    assert a.release_tag(1) != b.release_tag(1)
    assert a.release_key != b.release_key and a.service_key != b.service_key
    assert a.lease_key != b.lease_key
    assert a.names_file != b.names_file
    assert a.private_file("config-edit", ".env") != b.private_file("config-edit", ".env")
    assert a.parameter_path != b.parameter_path and a.log_group != b.log_group


def test_a_kept_edit_is_never_another_targets() -> None:
    """Environment `eu` with service `prod-api` and environment `eu-prod` with service `api`:
    resuming or undoing one's edit must not find the other's file (and write its values)."""
    one, other = target("eu", "prod-api"), target("eu-prod", "api")
    for kind, suffix in (("config-edit", ".env"), ("config-undo", ".env"), ("unrecorded", ".json")):
        assert one.private_file(kind, suffix) != other.private_file(kind, suffix)
    # the journals are found by a glob on one target's name: it matches none of the other's
    journal = other.private_file("config-apply", ".123.json")
    assert not fnmatch.fnmatchcase(journal, one.private_file("config-apply", ".*.json"))


def test_release_tags_are_numbered_under_the_prefix() -> None:
    t = target()
    assert t.release_tag(7) == t.release_tag_prefix + "7"
    assert t.release_tag_prefix.endswith("/")
    assert t.snapshot_secret() != t.snapshot_secret(2)
    assert t.release_config_prefix(12) < t.release_config_prefix(100)  # sorts by number


# Adopted infrastructure


def test_adopted_names_replace_the_conventions() -> None:
    t = target(
        ecs_service="legacy",
        task_family="legacy-task",
        container="web",
        log_group="/ecs/legacy",
        parameter_path="/legacy/api",
    )
    assert (t.ecs_service, t.task_family, t.container, t.log_group) == (
        "legacy",
        "legacy-task",
        "web",
        "/ecs/legacy",
    )
    assert t.parameter_name("DB") == "/legacy/api/DB"
    assert t.parameter_arn("DB", "eu-west-1", "123456789012").endswith(":parameter/legacy/api/DB")
    assert t.parameter_prefix_arn("eu-west-1", "123456789012").endswith(":parameter/legacy/api/")
    # what git lift owns keeps its conventional name
    assert (t.stack, t.role_name("task")) == (
        "lift-staging-payments-api",
        "lift-staging-payments-api-task",
    )


def test_an_adopted_cluster_is_the_environments_and_every_targets() -> None:
    env = EnvironmentSettings("staging", (), aws=EnvironmentAws(cluster="shared-cluster"))
    assert Environment(env).cluster == "shared-cluster"
    svc = ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "api")
    assert Target(env, svc).cluster == "shared-cluster"
    assert Environment(EnvironmentSettings("staging", ())).cluster == "lift-staging"


# ARNs


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_arns_name_the_partition_of_the_region(region: str, partition: str) -> None:
    assert arn("ssm", region, "123456789012", "parameter/a") == (
        f"arn:{partition}:ssm:{region}:123456789012:parameter/a"
    )
    # IAM is global: no region; S3 bucket names are global: neither region nor account
    assert (
        arn("iam", region, "123456789012", "role/r") == f"arn:{partition}:iam::123456789012:role/r"
    )
    assert arn("s3", region, "123456789012", "bucket") == f"arn:{partition}:s3:::bucket"


# Reserved parameter prefixes


@FEW
@given(env_names, st.sampled_from(["aws", "ssm", "AWS"]))
def test_a_reserved_environment_is_refused_with_a_suggestion_that_works(
    rest: str, reserved: str
) -> None:
    name = f"{reserved.lower()}-{rest}"[: names.ENV_MAX].rstrip("-")
    with pytest.raises(UsageError) as err:
        Environment(EnvironmentSettings(names.environment(name), ()))
    assert 'begin with "aws" or "ssm"' in err.value.message
    suggested = re.search(r"\(e\.g\. ([^)]+)\)", err.value.hint or "")
    assert suggested, err.value.hint
    Environment(EnvironmentSettings(names.environment(suggested.group(1)), ()))  # is accepted


# Validating what the user types


@pytest.mark.parametrize(
    "name",
    ["", "-qa", "qa-", "QA", "q a", "qa--1", "../x", "a/b", "*", "qa.1", "é", "e" * 21, "qa\n"],
)
def test_an_invalid_environment_name_is_refused_with_the_rule(name: str) -> None:
    with pytest.raises(UsageError, match="is not a valid environment name") as err:
        names.environment(name)
    assert err.value.hint == (
        "use lower-case letters, digits and single hyphens, at most 20 characters "
        "(staging, production, qa-1)"
    )


@pytest.mark.parametrize("name", ["a", "qa-1", "0", "e" * 20, "a-b-c"])
def test_valid_environment_names_are_returned_as_they_are(name: str) -> None:
    assert names.environment(name) == name


def test_service_names_may_be_longer_than_environment_names() -> None:
    assert names.service("s" * 28) == "s" * 28
    with pytest.raises(UsageError, match="is not a valid service name") as err:
        names.service("s" * 29)
    assert err.value.hint and "at most 28 characters" in err.value.hint
    assert '[service "NAME"] path = .' in err.value.hint


def test_a_long_bad_name_is_shortened_in_the_message() -> None:
    with pytest.raises(UsageError) as err:
        names.environment("x" * 5000 + "!")
    assert len(err.value.message) < 120 and "..." in err.value.message


@pytest.mark.parametrize("bad", ["API_TOKEN=hunter2secret", "1KEY", "KEY-NAME", "", "K" * 10_000])
def test_a_bad_key_argument_is_refused_without_quoting_it(bad: str) -> None:
    with pytest.raises(UsageError) as err:
        names.keys(["GOOD", bad])
    assert err.value.message == (
        "argument 2 is not a valid key name (not shown: it may hold a value)"
    )
    assert err.value.hint == "keys look like DATABASE_URL: [A-Za-z_][A-Za-z0-9_]*"
    if bad:
        assert bad not in f"{err.value.message} {err.value.hint}"


def test_a_key_at_the_longest_length_is_valid_and_one_more_is_not() -> None:
    assert names.is_key("K" * names.KEY_MAX)
    assert not names.is_key("K" * (names.KEY_MAX + 1))
    assert names.key("_private") == "_private"


@pytest.mark.parametrize(
    ("spec", "expected"), [("DB@1", ("DB", 1)), ("DB_URL@9999999999", ("DB_URL", 9999999999))]
)
def test_key_at_version_reads_one_key_and_a_positive_version(
    spec: str, expected: tuple[str, int]
) -> None:
    assert names.key_at_version(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "DB",
        "DB@",
        "DB@0",
        "DB@01",
        "DB@-1",
        "DB@1@2",
        "@1",
        "1DB@1",
        "DB@1.0",
        "DB@12345678901",
        "TOKEN=s3cret@1",
    ],
)
def test_key_at_version_refuses_anything_else_without_quoting_it(spec: str) -> None:
    with pytest.raises(UsageError) as err:
        names.key_at_version(spec)
    assert err.value.message == "the argument is not KEY@VERSION (not shown: it may hold a value)"
    assert err.value.hint == "see versions with: git lift config history KEY -e ENV"


@FEW
@given(st.lists(st.from_regex(r"[A-Z]{1,8}", fullmatch=True), max_size=40), st.integers(1, 20))
def test_listed_shows_a_short_list_whole_and_counts_the_rest_of_a_long_one(
    items: list[str], limit: int
) -> None:
    shown = names.listed(items, limit)
    if len(items) <= limit:
        assert shown == ", ".join(items)
    else:
        assert shown == f"{', '.join(items[:limit])} and {len(items) - limit} more"
    assignments = names.fix_assignments(items, limit)
    assert assignments.count("=...") == min(len(items), limit)
    assert (f"({len(items) - limit} more)" in assignments) == (len(items) > limit)
