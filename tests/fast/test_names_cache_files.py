"""The names cache (`.git/lift/names/`): what a store held, names and versions only, trusted
for a TTL, forgotten when a key is removed, and scoped to the AWS account and region asked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from git_lift.flows.names_cache import NamesCache, scope
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)
WORKER = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("worker", "worker", "Dockerfile", "worker", "worker/env.sample", "worker"),
)
T0 = 1_700_000_000.0
SCOPE = "0123456789abcdef"


def cache(tmp_path: Path, now: float) -> NamesCache:
    return NamesCache(tmp_path, SCOPE, clock=now)


def test_keys_seen_within_the_ttl_are_trusted_and_older_ones_are_not(tmp_path: Path) -> None:
    cache(tmp_path, T0).record(API, {"OLD": 1})
    cache(tmp_path, T0 + 50).record(API, {"NEW": 3})
    later = cache(tmp_path, T0 + 100)
    assert later.fresh(API, ttl=60) == {"NEW": 3}
    assert later.fresh(API, ttl=100) == {"OLD": 1, "NEW": 3}  # the edge counts as fresh


def test_a_key_seen_in_the_future_is_not_trusted(tmp_path: Path) -> None:
    """A clock set back (or a file copied from another machine) must not make a key fresh
    for ever."""
    cache(tmp_path, T0 + 3600).record(API, {"KEY": 1})
    assert cache(tmp_path, T0).fresh(API, ttl=86_400) == {}


def test_a_removed_key_is_forgotten_at_once(tmp_path: Path) -> None:
    names = cache(tmp_path, T0)
    names.record(API, {"A": 1, "B": 2})
    names.record(API, {}, absent=["A"])
    assert names.fresh(API, ttl=60) == {"B": 2}


def test_a_whole_listing_replaces_what_was_known(tmp_path: Path) -> None:
    names = cache(tmp_path, T0)
    names.record(API, {"A": 1, "B": 2})
    names.record(API, {"B": 3}, complete=True)
    assert names.fresh(API, ttl=60) == {"B": 3}


def test_a_partial_answer_adds_to_what_was_known(tmp_path: Path) -> None:
    names = cache(tmp_path, T0)
    names.record(API, {"A": 1})
    names.record(API, {"B": 1})
    assert names.fresh(API, ttl=60) == {"A": 1, "B": 1}


def test_services_and_scopes_do_not_share_names(tmp_path: Path) -> None:
    cache(tmp_path, T0).record(API, {"A": 1})
    assert cache(tmp_path, T0).fresh(WORKER, ttl=60) == {}
    assert NamesCache(tmp_path, "another-account", clock=T0).fresh(API, ttl=60) == {}


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"version": 99, "keys": {"A": [1, T0]}}),
        json.dumps([1, 2]),
        json.dumps({"version": 1, "keys": ["A"]}),
    ],
)
def test_a_damaged_or_foreign_file_is_an_empty_cache(tmp_path: Path, text: str) -> None:
    names = cache(tmp_path, T0)
    names.path(API).parent.mkdir(parents=True)
    names.path(API).write_text(text)
    assert names.fresh(API, ttl=60) == {}


def test_malformed_entries_are_skipped_and_the_rest_trusted(tmp_path: Path) -> None:
    names = cache(tmp_path, T0)
    names.path(API).parent.mkdir(parents=True)
    keys = {"GOOD": [2, T0], "SHORT": [2], "TEXT": "2"}
    names.path(API).write_text(json.dumps({"version": 1, "keys": keys}))
    assert names.fresh(API, ttl=60) == {"GOOD": 2}


def test_a_cache_that_cannot_be_written_is_only_slower(tmp_path: Path) -> None:
    (tmp_path / "names").write_text("a file where the folder should be")
    names = cache(tmp_path, T0)
    names.record(API, {"A": 1})  # no error
    assert names.fresh(API, ttl=60) == {}


def test_the_cache_folder_is_private_and_no_partial_file_is_left(tmp_path: Path) -> None:
    names = cache(tmp_path, T0)
    names.record(API, {"A": 1})
    assert os.stat(names.folder).st_mode & 0o777 == 0o700
    assert [p.name for p in names.folder.iterdir()] == ["staging.api.json"]


def test_the_scope_follows_region_profile_endpoint_and_key_but_never_shows_them() -> None:
    base = scope("eu-west-1", "dev", {"AWS_ACCESS_KEY_ID": "AKIASECRETKEYID"})
    others = {
        scope("us-east-1", "dev", {"AWS_ACCESS_KEY_ID": "AKIASECRETKEYID"}),
        scope("eu-west-1", "prod", {"AWS_ACCESS_KEY_ID": "AKIASECRETKEYID"}),
        scope("eu-west-1", "dev", {"AWS_ACCESS_KEY_ID": "AKIAOTHER"}),
        scope(
            "eu-west-1",
            "dev",
            {"AWS_ACCESS_KEY_ID": "AKIASECRETKEYID", "AWS_ENDPOINT_URL": "http://x"},
        ),
    }
    assert base not in others and len(others) == 4
    assert "AKIA" not in base and "dev" not in base and len(base) == 16


def test_the_profile_flag_wins_over_aws_profile() -> None:
    assert scope(None, "dev", {"AWS_PROFILE": "prod"}) == scope(None, "dev", {})
    assert scope(None, None, {"AWS_PROFILE": "prod"}) == scope(None, "prod", {})
