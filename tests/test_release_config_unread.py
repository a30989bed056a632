"""`release-config` after `config set` of a key env.sample does not name (last trial's
finding): "nothing to release" alone left a newcomer wondering why the new key did not go
out. The tasks read env.sample's keys only, so it says which keys they never read, and how
to make them read one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.helpers import GitRepo, Lift
from tests.support.release import gitlift, image, prepare


def test_a_key_env_sample_does_not_name_is_said_unread(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    assert lift("ship", "-e", "staging", "--image", image(7)).returncode == 0
    assert lift("config", "set", "-e", "staging", "LOG_LEVEL=debug").returncode == 0
    result = lift("release-config", "-e", "staging", "--yes")
    assert result.returncode == 0, result.stderr
    assert "nothing to release: it runs release 1" in result.stderr
    assert (
        "warning: LOG_LEVEL: in payments-api's config in staging, but env.sample does not "
        "name it, so its tasks never read it\n"
        "hint: add it to env.sample, commit, then: git lift ship -e staging\n"
    ) in result.stderr


def test_config_set_of_a_key_env_sample_does_not_name_warns_and_still_sets_it(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    result = lift("config", "set", "-e", "staging", "LOG_LEVEL=debug", "API_TOKEN=x")
    assert result.returncode == 0, result.stderr
    assert (
        "warning: LOG_LEVEL: in payments-api's config in staging, but env.sample does not "
        "name it, so its tasks never read it\n"
        "hint: add it to env.sample, commit, then: git lift ship -e staging\n"
    ) in result.stderr
    assert "API_TOKEN:" not in result.stderr  # env.sample names it
    assert lift("config", "get", "-e", "staging", "LOG_LEVEL").stdout == "debug\n"
    named = lift("config", "set", "-e", "staging", "API_TOKEN=y")
    assert named.returncode == 0 and "warning" not in named.stderr
