"""A preview environment declared only in the work tree's .gitlift (newcomer trial): the
release policy, previews included, is the default branch's committed .gitlift (README
"Trust"), so git lift does not run it as one, and every command naming it says why and what
makes it one, instead of "not a preview environment" or "set it up"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.helpers import GitRepo, Lift

COMMITTED = """[lift]
\tregion = eu-west-1
[env "production"]
\tref = refs/tags/v*
[env "staging"]
\tref = refs/heads/main
"""
PREVIEW = """[env "preview"]
\tref = refs/heads/feature/*
\tpreview = true
\tbase = staging
"""


@pytest.fixture
def proposed(aws: Any, repo: GitRepo) -> GitRepo:
    repo.write(".gitlift", COMMITTED)
    repo.commit("Ship with git lift")
    repo.git("push", "-q", "origin", "main")
    repo.write(".gitlift", COMMITTED + PREVIEW)  # not committed
    return repo


@pytest.mark.parametrize(
    "argv",
    [
        ["preview", "list", "-e", "preview"],
        ["preview", "list"],
        ["status", "-e", "preview"],
        ["open", "-e", "preview"],
        ["config", "show", "-e", "preview"],
        ["status", "-e", "preview", "--preview", "feature/x"],
    ],
)
def test_a_preview_environment_only_in_the_work_tree_names_the_default_branch(
    proposed: GitRepo, lift: Lift, argv: list[str]
) -> None:
    result = lift(*argv)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "error: the working tree's .gitlift makes preview a preview environment (of "
        "staging), but .gitlift on main does not, and git lift reads the release policy "
        "from main as the remote has it",
        "hint: commit .gitlift and push it to main",
    ]


def test_a_trusted_environment_is_not_refused_for_the_work_trees_proposal(
    proposed: GitRepo, lift: Lift
) -> None:
    # staging made a preview in the work tree alone: staging still works as it is trusted
    proposed.write(".gitlift", COMMITTED + "\tpreview = true\n\tbase = production\n")
    result = lift("preview", "list", "-e", "staging")
    assert result.returncode == 2
    assert "but .gitlift on main does not" in result.stderr
    assert "hint: commit .gitlift and push it to main" in result.stderr


def test_committed_but_not_pushed_is_still_not_trusted(proposed: GitRepo, lift: Lift) -> None:
    proposed.commit("A preview environment")  # on main, not pushed: origin/main lacks it
    result = lift("preview", "list", "-e", "preview")
    assert result.returncode == 2
    assert "hint: commit .gitlift and push it to main" in result.stderr
