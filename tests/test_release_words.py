"""What status, ship and promote say about a release (issue 18): what runs after a ship that
did not wait, which config keys a pinned ship carries, and refusals that say what did not
happen."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config
from tests.support.release import gitlift, image, prepare


def settle(env: str) -> None:
    """Drive the rollout simulator (it moves on DescribeServices) until ECS reports COMPLETED."""
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    for _ in range(40):
        [service] = ecs.describe_services(cluster=f"lift-{env}", services=["payments-api"])[
            "services"
        ]
        primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
        if primary and primary[0].get("rolloutState") == "COMPLETED":
            return
    raise AssertionError("the rollout never completed")


def test_status_after_a_ship_that_did_not_wait_says_what_runs(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    repo.write("app.txt", "v2\n")
    repo.commit("Second change")
    started = lift("ship", "-e", "staging", "--image", image(2), "--no-wait")
    assert started.returncode == 0, started.stderr
    settle("staging")
    shown = lift("status", "-e", "staging").stdout
    head = shown.splitlines()[0]
    assert "release 2" in head and "Second change" in head, shown
    assert "unverified" in shown and "ECS reports COMPLETED" in shown
    assert "not deployed yet" not in shown and "WARNING" not in shown


def test_status_of_a_pinned_release_without_drift_promises_nothing_below(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(staging="\tpinConfig = true\n"), envs=("staging",))
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    shown = lift("status", "-e", "staging").stdout
    assert "pinned" in shown and "the changes below" not in shown, shown
    put_config("staging", "payments-api", DATABASE_URL="postgres://two")
    drifted = lift("status", "-e", "staging").stdout
    assert "the changes below" in drifted and "~DATABASE_URL" in drifted, drifted


def test_a_pinned_ship_names_the_keys_whose_values_change(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(staging="\tpinConfig = true\n"), envs=("staging",))
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://two")
    again = lift("ship", "-e", "staging", "--image", image(1))
    assert again.returncode == 0, again.stderr
    assert "same image and secrets" not in again.stderr
    assert "~ config DATABASE_URL: a new value (v1 -> v2)" in again.stderr, again.stderr
    assert "postgres://" not in again.stderr
    unchanged = lift("ship", "-e", "staging", "--image", image(1))
    assert unchanged.returncode == 0 and "nothing to release: it runs release 2" in unchanged.stderr
    forced = lift("ship", "-e", "staging", "--image", image(1), "--force")
    assert "(same image, secrets and config: a fresh deployment)" in forced.stderr


def test_a_promotion_refused_for_missing_config_says_nothing_was_promoted(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging", "production"))
    put_config("staging", "payments-api", NEW_KEY="x")
    repo.write("env.sample", "DATABASE_URL=x\nNEW_KEY=x\n")
    repo.commit("Need NEW_KEY")
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    refused = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert refused.returncode == 1
    assert "production lacks config that env.sample names: NEW_KEY" in refused.stderr
    assert "nothing was built" not in refused.stderr
    assert "nothing was promoted" in refused.stderr
