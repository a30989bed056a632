"""The config lock file (git_lift/lockfile.py, issue 24): no value in it, a salt of its own,
read back as written, and a damaged file refused with the way back."""

from __future__ import annotations

import pytest

from git_lift.errors import ValidationError
from git_lift.lockfile import Lock, differences, lock_path


def test_a_lock_holds_versions_and_salted_hashes_never_a_value() -> None:
    lock = Lock()
    lock.put("DATABASE_URL", 3, "postgres://s3cret")
    text = lock.render("payments-api in staging")
    assert "s3cret" not in text and "DATABASE_URL 3 " in text
    again = Lock.parse(text, "config.staging.lock")
    assert again == lock
    assert again.holds("DATABASE_URL", "postgres://s3cret")
    assert not again.holds("DATABASE_URL", "postgres://other")


def test_the_same_value_hashes_differently_under_another_salt_or_key() -> None:
    one, two = Lock(), Lock()
    assert one.salt != two.salt
    assert one.digest("A", "true") != two.digest("A", "true")
    assert one.digest("A", "true") != one.digest("B", "true")


def test_differences_name_changed_added_and_removed_keys() -> None:
    lock = Lock()
    lock.put("KEPT", 1, "x")
    lock.put("MOVED", 2, "y")
    lock.put("GONE", 1, "z")
    found = differences(lock, {"KEPT": 1, "MOVED": 3, "NEW": 1})
    assert found == {"GONE": "removed", "MOVED": "changed", "NEW": "added"}


@pytest.mark.parametrize(
    "text",
    [
        "KEY 1 " + "a" * 64 + "\n",  # no salt
        "salt " + "0" * 32 + "\n<<<<<<< HEAD\n",  # a merge conflict
        "salt " + "0" * 32 + "\nKEY one " + "a" * 64 + "\n",
    ],
)
def test_a_damaged_lock_is_refused_with_the_way_back(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Lock.parse(text, "config.staging.lock")
    assert "config.staging.lock cannot be read" in refused.value.message
    assert refused.value.hint and "git checkout -- config.staging.lock" in refused.value.hint


def test_the_lock_lives_in_the_services_folder() -> None:
    assert lock_path(".", "staging") == "config.staging.lock"
    assert lock_path("services/api", "production") == "services/api/config.production.lock"
