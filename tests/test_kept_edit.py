"""A kept edit's file round-trips its versions, and `--resume` tells conflicts from keys it may
still write (in-process: no AWS needed for this logic)."""

from __future__ import annotations

import pytest

from git_lift.aws.ssm import Parameter
from git_lift.flows.config_apply import conflicts
from git_lift.flows.config_state import Changes

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def test_a_kept_edit_keeps_the_versions_of_the_keys_it_still_changes() -> None:
    kept = Changes({"A": "1 two", "B": "x"}, {"C"}, {"A": 3, "B": 0, "C": 7, "GONE": 2})
    again = Changes.parse(kept.render())
    assert again == Changes({"A": "1 two", "B": "x"}, {"C"}, {"A": 3, "B": 0, "C": 7})
    later = again.then(Changes({"A": "new"}, set(), {"A": 5})).without(["B"])
    assert Changes.parse(later.render()) == Changes({"A": "new"}, {"C"}, {"A": 5, "C": 7})


def test_only_keys_moved_to_another_value_are_conflicts() -> None:
    kept = Changes({"SAME": "s", "MOVED": "mine", "LANDED": "l", "OLD": "o"}, {"RM", "RM_GONE"})
    kept.versions = {"SAME": 2, "MOVED": 2, "LANDED": 0, "RM": 1, "RM_GONE": 1}
    base = {
        "SAME": Parameter("SAME", "before", 2),
        "MOVED": Parameter("MOVED", "theirs", 3),
        "LANDED": Parameter("LANDED", "l", 1),  # the lost answer's write: already there
        "OLD": Parameter("OLD", "z", 9),  # kept by an older version: no version to compare
        "RM": Parameter("RM", "changed", 2),
    }
    assert conflicts(kept, base) == ["MOVED", "RM"]
