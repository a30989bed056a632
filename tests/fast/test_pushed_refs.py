"""What the pre-push hook reads from git (or the pre-commit framework): new branches, deleted
refs, tags, zero shas; and which release tag wins when one push sends several."""

from __future__ import annotations

import pytest

from git_lift.errors import UsageError
from git_lift.flows.pushed_refs import (
    PushedRef,
    PushTarget,
    framework_pushed,
    newest_per_environment,
    parse_pushed,
)
from git_lift.repo import ZERO_SHA
from git_lift.settings import EnvironmentSettings

A, B = "a" * 40, "b" * 40
PRODUCTION = EnvironmentSettings("production", ("refs/tags/v*",))
STAGING = EnvironmentSettings("staging", ("refs/heads/main",))


def test_each_line_git_gives_is_one_ref_and_blank_lines_are_skipped() -> None:
    text = (
        f"refs/heads/main {A} refs/heads/main {B}\n"
        "\n"
        f"refs/tags/v1.2.0 {A} refs/tags/v1.2.0 {ZERO_SHA}\n"
    )
    main, tag = parse_pushed(text)
    assert main == PushedRef("refs/heads/main", A, "refs/heads/main", B)
    assert (main.short, main.deleted) == ("main", False)
    assert (tag.short, tag.remote_sha, tag.deleted) == ("v1.2.0", ZERO_SHA, False)  # new tag


def test_a_deleted_ref_has_the_zero_sha_as_its_local_sha() -> None:
    [gone] = parse_pushed(f"(delete) {ZERO_SHA} refs/heads/old-feature {A}\n")
    assert gone.deleted and gone.short == "old-feature"


def test_a_local_ref_with_spaces_keeps_the_three_fields_after_it() -> None:
    """git names the local side as the user wrote it (`HEAD~1`, `my branch`): only the last
    three fields are split off."""
    [ref] = parse_pushed(f"weird name {A} refs/heads/main {B}")
    assert ref.local_ref == "weird name" and ref.local_sha == A


@pytest.mark.parametrize("line", ["refs/heads/main", f"refs/heads/main {A} refs/heads/main"])
def test_a_line_git_would_never_give_is_a_usage_error_that_quotes_it(line: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_pushed(line + "\n")
    assert refused.value.message == f"unexpected pre-push input: {line!r}"


def test_no_input_is_no_refs() -> None:
    assert parse_pushed("") == [] and parse_pushed("\n\n") == []


def test_the_frameworks_variables_make_one_ref() -> None:
    environ = {
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_TO_REF": A,
        "PRE_COMMIT_FROM_REF": B,
    }
    assert framework_pushed(environ) == [PushedRef("refs/heads/main", A, "refs/heads/main", B)]


def test_a_framework_push_of_a_new_branch_has_no_remote_sha() -> None:
    """Without PRE_COMMIT_FROM_REF the remote had nothing: the zero sha, as git says it."""
    environ = {"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/topic", "PRE_COMMIT_TO_REF": A}
    [ref] = framework_pushed(environ)
    assert ref.remote_sha == ZERO_SHA and ref.local_sha == A and ref.local_ref == A


@pytest.mark.parametrize(
    "environ",
    [{}, {"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}, {"PRE_COMMIT_TO_REF": A}],
)
def test_without_both_a_remote_and_a_local_side_the_framework_pushed_nothing(
    environ: dict[str, str],
) -> None:
    assert framework_pushed(environ) == []


def tag(name: str, env: EnvironmentSettings = PRODUCTION) -> PushTarget:
    return (PushedRef(f"refs/tags/{name}", A, f"refs/tags/{name}", ZERO_SHA), env, A)


def test_version_tags_compare_as_numbers_not_text(capsys: pytest.CaptureFixture[str]) -> None:
    [chosen] = newest_per_environment([tag("v1.10.0"), tag("v1.9.0"), tag("v1.2")])
    assert chosen[0].short == "v1.10.0"
    said = capsys.readouterr().err
    assert "v1.9.0 is not released to production: v1.10.0 is newer" in said
    assert "v1.2 is not released to production" in said


def test_names_that_are_no_versions_lose_to_versions_and_keep_gits_order() -> None:
    [chosen] = newest_per_environment([tag("v2"), tag("hotfix"), tag("2.0.1")])
    assert chosen[0].short == "2.0.1"
    [last] = newest_per_environment([tag("beta"), tag("alpha")])
    assert last[0].short == "alpha"  # git's order: the last one given


def test_each_environment_keeps_its_own_newest_release() -> None:
    chosen = newest_per_environment([tag("v3", STAGING), tag("v1"), tag("v2", STAGING), tag("v4")])
    assert sorted((env.name, ref.short) for ref, env, _ in chosen) == [
        ("production", "v4"),
        ("staging", "v3"),
    ]
