"""The one table of settings (setting_table.py) and the checks of values it gives every
setting: a path from a committed file never leaves the repository, every value check refuses
with an `error:` naming the setting as the user spells it, the defaults the README shows are
the ones git lift uses, and each setting has the variable the README names."""

from __future__ import annotations

import posixpath
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from git_lift import setting_table as table
from git_lift.errors import UsageError
from git_lift.gitlift import Entry, split_name
from git_lift.settings import build

path_parts = st.sampled_from(["a", "b", "..", ".", "", "~", "~x", "c d", "é"])


@settings(max_examples=100, deadline=None)  # fast suite; 2 shared cores
@given(st.lists(path_parts, min_size=1, max_size=6).map("/".join) | st.text(max_size=12))
@example("a/../../etc/passwd")
@example("/etc/passwd")
@example("./~/x")
def test_a_committed_path_either_stays_inside_the_repository_or_is_refused(value: str) -> None:
    try:
        normal = table.inside_repository("service.api.path", value)
    except UsageError as err:
        assert err.message.startswith(f"service.api.path = {value!r} is ")
        assert err.hint in (
            "give a relative path",
            "give a path relative to the repository's top, inside it",
        )
        return
    root = "/repo"
    joined = posixpath.normpath(posixpath.join(root, normal))
    assert joined == root or joined.startswith(root + "/")
    assert normal == posixpath.normpath(normal) and not normal.startswith("~")


@pytest.mark.parametrize("word", ["true", "YES", " on ", "1"])
def test_true_words(word: str) -> None:
    assert table.parse_bool("lift.pushTags", word) is True


@pytest.mark.parametrize("word", ["false", "No", "off", "0", ""])
def test_false_words_and_an_empty_value(word: str) -> None:
    """git config's own rule: `key =` with nothing after it is false."""
    assert table.parse_bool("lift.pushTags", word) is False


@pytest.mark.parametrize("word", ["2", "yess", "enabled", "t"])
def test_anything_else_is_not_a_boolean(word: str) -> None:
    with pytest.raises(UsageError) as err:
        table.parse_bool("lift.hooks.strict", word)
    assert err.value.message == f"lift.hooks.strict = {word!r} is not a boolean"
    assert err.value.hint == "set lift.hooks.strict to true or false in .gitlift"


@pytest.mark.parametrize("value", ["0.01", "60", "1e1", " 5 "])
def test_numbers_inside_the_range_are_read(value: str) -> None:
    assert table.parse_number("lift.pollInterval", value, 0.01, 60) == float(value)


@pytest.mark.parametrize("value", ["0.001", "61", "nan", "inf", "-inf", "", "ten", "1,5"])
def test_numbers_outside_the_range_or_not_numbers_are_refused(value: str) -> None:
    with pytest.raises(UsageError) as err:
        table.parse_number("lift.pollInterval", value, 0.01, 60)
    assert err.value.message == f"lift.pollInterval = {value!r} is not a number from 0.01 to 60"


def test_a_count_is_a_whole_number() -> None:
    assert table.FAIL_FAST.given({"failfast": "7"}, "qa") == 7
    assert isinstance(table.FAIL_FAST.given({"failfast": "7"}, "qa"), int)
    with pytest.raises(UsageError, match=r"env\.qa\.failFast = '1001'"):
        table.FAIL_FAST.given({"failfast": "1001"}, "qa")


@pytest.mark.parametrize(
    "region",
    [
        "eu-west-1",
        "us-gov-west-1",
        "cn-north-1",
        "ap-southeast-2",
        "us-isob-east-1",
        "me-central-1",
    ],
)
def test_aws_regions_are_accepted(region: str) -> None:
    assert table.check_region(region) == region


@pytest.mark.parametrize("region", ["EU-WEST-1", "eu-west", "euwest1", "eu-west-1a", "eu-west-123"])
def test_what_is_no_region_is_refused_with_an_example(region: str) -> None:
    with pytest.raises(UsageError) as err:
        table.check_region(region, "env.qa.region")
    assert err.value.message == f"env.qa.region = {region!r} is not an AWS region"
    assert err.value.hint == "name one like eu-west-1 or us-east-1"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("/a/b", "/a/b"),
        ("a/b/", "/a/b"),
        ("//a//", "/a"),
        ("/a.b_c-1", "/a.b_c-1"),
        ("/a b", None),
        ("/", None),
    ],
)
def test_a_parameter_path_is_slashed_and_checked(value: str, path: str | None) -> None:
    if path is None:
        with pytest.raises(UsageError, match="is not a Parameter Store path"):
            table.parameter_path(value)
    else:
        assert table.parameter_path(value) == path


@pytest.mark.parametrize(
    ("arn", "ok"),
    [
        ("arn:aws:iam::123456789012:role/deployer", True),
        ("arn:aws-cn:iam::123456789012:role/path/to/deployer", True),
        ("arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f-g_h", True),
        ("arn:aws:iam::12345678901:role/short-account", False),
        ("arn:aws:iam::123456789012:user/not-a-role", False),
        ("arn:aws:sts::123456789012:role/deployer", False),
        ("arn:aws:iam::123456789012:role/", False),
    ],
)
def test_role_arns(arn: str, ok: bool) -> None:
    assert bool(table.ROLE_ARN.fullmatch(arn)) == ok


# The table itself


def test_every_setting_from_git_config_has_one_distinct_variable() -> None:
    variables = [s.variable for s in table.SETTINGS if s.variable]
    assert len(variables) == len(set(variables))
    assert all(re.fullmatch(r"GIT_LIFT_[A-Z_]+", v) for v in variables)
    assert table.HOOKS_CACHE_TTL.variable == "GIT_LIFT_HOOKS_CACHE_TTL"
    assert table.KMS_KEY.variable == "GIT_LIFT_KMS_KEY"
    # per-environment, per-service and per-target settings have none: a variable names no env
    assert all(
        s.variable is None for s in table.SETTINGS if s.section in ("env", "service", "target")
    )


def test_every_lift_setting_is_read_from_its_variable() -> None:
    """A variable the README lists that build ignored would be a setting that silently does
    nothing (issue 18); each is given a value its check accepts and differs from the default."""
    values = {
        "lift.region": ("eu-north-1", "region"),
        "lift.profile": ("ci", "profile"),
        "lift.builder": ("buildah", "builder"),
        "lift.registry": ("registry.example:5000", "registry"),
        "lift.kmsKey": ("alias/ci", "kms_key"),
        "lift.pushTags": ("false", "push_tags"),
        "lift.pollInterval": ("0.25", "poll_interval"),
        "lift.hooks.strict": ("true", "hooks_strict"),
        "lift.hooks.cacheTtl": ("60", "hooks_cache_ttl"),
    }
    # lift.defaultBranch is read from your own git config alone (repo.default_branch).
    lift_settings = {s.name for s in table.SETTINGS if s.section == "lift" and s.variable}
    assert lift_settings == set(values)
    for setting in table.SETTINGS:
        if setting.section != "lift" or not setting.variable:
            continue
        raw, attribute = values[setting.name]
        made = build_with(environ={setting.variable or "": raw})
        assert getattr(made, attribute) == setting.check(setting.name, raw) != setting.default


def build_with(environ: dict[str, str]) -> object:
    return build(
        gitlift=[],
        policy=[],
        repo_config=[],
        environ=environ,
        flags={},
        remote_url=None,
        top_folder="app",
        default_branch="main",
    )


def test_the_readme_table_has_a_row_per_setting_with_its_source() -> None:
    rows = table.readme_table().splitlines()[2:]
    assert len(rows) == len(table.SETTINGS)
    for row, setting in zip(rows, table.SETTINGS, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[4] == setting.source
        if setting.source != table.VARIABLE:
            assert cells[0] == f"`{setting.name}`"


def test_what_needs_trust_in_the_table_is_what_a_committed_file_cannot_set() -> None:
    accepted = {"lift.region": "eu-west-1", "lift.builder": "docker", "lift.pushTags": "true"}
    accepted |= {"lift.pollInterval": "1", "lift.hooks.strict": "no", "lift.hooks.cacheTtl": "5"}
    for setting in table.SETTINGS:
        if setting.section != "lift":
            continue
        entry = [Entry(setting.name.lower(), accepted.get(setting.name, "x"))]
        try:
            build(
                gitlift=entry, policy=[], repo_config=[], environ={}, flags={},
                remote_url=None, top_folder="app", default_branch="main",
            )  # fmt: skip
        except UsageError as err:
            if setting.source == table.OWN:  # never from a committed file, trusted or not
                assert "only your own git config can" in err.message
                continue
            assert setting.source == table.TRUSTED, f"{setting.name}: {err.message}"
            assert "only once you trust it" in err.message
        else:
            assert setting.source not in (table.TRUSTED, table.OWN), setting.name


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("lift.region", ("lift", None, "region")),
        ("lift.hooks.cacheTtl", ("lift", "hooks", "cachettl")),
        ("env.qa-1.deployOnPush", ("env", "qa-1", "deployonpush")),
        ("target.staging/api.logGroup", ("target", "staging/api", "loggroup")),
        ("lift.env.eu.west.region", ("lift", "env.eu.west", "region")),
    ],
)
def test_config_names_split_as_git_config_does(
    name: str, parts: tuple[str, str | None, str]
) -> None:
    """The subsection is everything between the first and the last dot; the key's case is
    git config's (lower) while the subsection keeps its own."""
    assert split_name(name) == parts


def test_a_misspelt_key_is_guessed_in_the_documented_spelling() -> None:
    err = table.unknown_key("key in [lift]:", "hooks.cachetl", table.LIFT_KEYS)
    assert err.message == ".gitlift has an unknown key in [lift]: 'hooks.cachetl'"
    assert err.hint and err.hint.startswith("did you mean 'hooks.cacheTtl'? known: ")
    nothing_close = table.unknown_key("key in [lift]:", "zzzz", table.LIFT_KEYS, "your git config")
    assert nothing_close.message.startswith("your git config has")
    assert nothing_close.hint and nothing_close.hint.startswith("known: ")


def test_an_unknown_variable_is_guessed_or_explained() -> None:
    err = table.unknown_variable("GIT_LIFT_PUSHTAGS")
    assert err.message == "GIT_LIFT_PUSHTAGS is not a git lift setting"
    assert (
        err.hint
        == "did you mean GIT_LIFT_PUSH_TAGS? unset it, or see the settings in git lift's README"
    )
    far = table.unknown_variable("GIT_LIFT_" + "Z" * 30)
    assert far.hint == "unset it, or see the settings in git lift's README"
