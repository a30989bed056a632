"""The config lock on the sandbox (issue 24): with `configLock = true` in the default branch's
.gitlift, config writes record keys, versions and salted hashes (no value) in a committed
config.ENV.lock; a release is refused when the store differs from the lock of the commit it
ships (a change made with plain SSM), naming the key; `git revert` of a lock change then
`config sync` puts the old value back through the masked diff and confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import client, put_config
from tests.support.release import gitlift, image, prepare

LOCKED = gitlift(staging="\tconfigLock = true\n")
BOTH_ENVS = ("staging", "production")
CONFIRMED = "\tconfigLock = true\n\tconfirm = true\n"


def value(key: str) -> str:
    answer = client("ssm").get_parameter(Name=f"/staging/payments-api/{key}", WithDecryption=True)
    return str(answer["Parameter"]["Value"])


def commit_lock(repo: GitRepo, message: str) -> None:
    repo.git("add", "config.staging.lock")
    repo.git("commit", "-q", "-m", message)
    repo.git("push", "-q", "origin", "main")


@pytest.fixture
def locked(aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """configLock on for staging, the lock of the store committed, and shipped once."""
    prepare(repo, monkeypatch, LOCKED, envs=("staging",))
    written = lift("config", "lock", "-e", "staging")
    assert written.returncode == 0, written.stderr
    commit_lock(repo, "Lock staging's config")
    shipped = lift("ship", "-e", "staging", "--image", image(1))
    assert shipped.returncode == 0, shipped.stderr
    return repo


def test_a_release_without_a_lock_is_refused_with_the_command_that_writes_it(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, LOCKED, envs=("staging",))
    refused = lift("ship", "-e", "staging", "--image", image(1))
    assert refused.returncode == 1
    assert "has no config.staging.lock; nothing was released" in refused.stderr
    assert "hint: write it: git lift config lock -e staging" in refused.stderr
    written = lift("config", "lock", "-e", "staging")
    assert written.returncode == 0, written.stderr
    # A new file: what it records is new, not "nothing changed".
    assert "config.staging.lock: 1 key of payments-api in staging; a new file" in written.stderr
    assert "nothing changed" not in written.stderr
    again = lift("config", "lock", "-e", "staging")
    assert "config.staging.lock: 1 key of payments-api in staging; nothing changed" in (
        again.stderr
    )
    text = (repo.path / "config.staging.lock").read_text()
    assert "DATABASE_URL 1 " in text and "postgres" not in text and "salt " in text


def test_set_updates_the_lock_and_the_release_ships_once_it_is_committed(
    locked: GitRepo, lift: Lift
) -> None:
    before = (locked.path / "config.staging.lock").read_text()
    written = lift("config", "set", "-e", "staging", "LOG_LEVEL=debug-s3cret")
    assert written.returncode == 0, written.stderr
    assert "config.staging.lock records LOG_LEVEL: commit it" in written.stderr
    after = (locked.path / "config.staging.lock").read_text()
    assert "LOG_LEVEL 1 " in after and "s3cret" not in after
    assert after.split("\n")[3] == before.split("\n")[3]  # the salt stays
    uncommitted = lift("ship", "-e", "staging", "--image", image(2))
    assert uncommitted.returncode == 1
    assert "LOG_LEVEL (added)" in uncommitted.stderr
    assert "hint: your work tree's config.staging.lock has these changes: commit it" in (
        uncommitted.stderr
    )
    commit_lock(locked, "Debug logs in staging")
    shipped = lift("ship", "-e", "staging", "--image", image(2))
    assert shipped.returncode == 0, shipped.stderr


def test_a_change_outside_git_lift_is_refused_naming_the_key_then_sync_puts_it_back(
    locked: GitRepo, lift: Lift
) -> None:
    revision = running_task_definition("staging")["revision"]
    put_config("staging", "payments-api", DATABASE_URL="postgres://sneaky-s3cret")  # plain SSM
    refused = lift("ship", "-e", "staging", "--image", image(2))
    assert refused.returncode == 1
    assert "error: config of payments-api in staging differs from config.staging.lock" in (
        refused.stderr
    )
    assert "DATABASE_URL (changed)" in refused.stderr and "nothing was released" in refused.stderr
    assert "hint: put back what the lock says: git lift config sync -e staging" in refused.stderr
    assert "s3cret" not in refused.stdout + refused.stderr
    assert running_task_definition("staging")["revision"] == revision  # nothing deployed
    synced = lift("config", "sync", "-e", "staging")
    assert synced.returncode == 0, synced.stderr
    assert "DATABASE_URL" in synced.stderr and "s3cret" not in synced.stderr + synced.stdout
    assert value("DATABASE_URL") == "postgres://staging-one"
    shipped = lift("ship", "-e", "staging", "--image", image(2))
    assert shipped.returncode == 0, shipped.stderr


def test_git_revert_of_a_lock_change_then_sync_restores_the_old_value(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(staging=CONFIRMED), envs=("staging",))
    yes = "--yes"  # staging asks for its name typed: no terminal here, so --yes
    assert lift("config", "set", "-e", "staging", "LOG_LEVEL=info", yes).returncode == 0
    commit_lock(repo, "Info logs")
    assert lift("config", "set", "-e", "staging", "LOG_LEVEL=debug", yes).returncode == 0
    commit_lock(repo, "Debug logs")
    assert lift("ship", "-e", "staging", "--image", image(2), yes).returncode == 0
    repo.git("revert", "--no-edit", "HEAD")
    repo.git("push", "-q", "origin", "main")
    refused = lift("ship", "-e", "staging", "--image", image(3), yes)
    assert refused.returncode == 1 and "LOG_LEVEL (changed)" in refused.stderr
    unconfirmed = lift("config", "sync", "-e", "staging")
    assert unconfirmed.returncode == 2 and "needs confirmation" in unconfirmed.stderr
    assert "~ LOG_LEVEL = ******** -> ********" in unconfirmed.stderr
    assert value("LOG_LEVEL") == "debug"
    synced = lift("config", "sync", "-e", "staging", yes)
    assert synced.returncode == 0, synced.stderr
    assert "LOG_LEVEL" in synced.stderr and "debug" not in synced.stderr
    assert value("LOG_LEVEL") == "info"
    assert repo.git("status", "--porcelain").stdout.strip() == ""  # the lock is not rewritten
    shipped = lift("ship", "-e", "staging", "--image", image(3), yes)
    assert shipped.returncode == 0, shipped.stderr


def test_a_damaged_lock_refuses_a_write_before_anything_is_written(
    locked: GitRepo, lift: Lift
) -> None:
    lock = locked.path / "config.staging.lock"
    lock.write_text(lock.read_text() + "<<<<<<< HEAD\n")  # a merge left half done
    refused = lift("config", "set", "-e", "staging", "DATABASE_URL=postgres://two")
    assert refused.returncode == 1
    assert "config.staging.lock cannot be read: line 6" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert "hint: take it back from git (git checkout -- config.staging.lock)" in refused.stderr
    assert value("DATABASE_URL") == "postgres://staging-one"


def test_off_by_default(aws: Any, repo: GitRepo, lift: Lift, monkeypatch: Any) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    assert lift("config", "set", "-e", "staging", "LOG_LEVEL=debug").returncode == 0
    assert not (repo.path / "config.staging.lock").exists()
    put_config("staging", "payments-api", LOG_LEVEL="trace")
    shipped = lift("ship", "-e", "staging", "--image", image(1))
    assert shipped.returncode == 0, shipped.stderr


def test_a_commits_gitlift_cannot_turn_the_lock_on(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: Any
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    repo.write(".gitlift", LOCKED)
    repo.commit("Lock staging (not pushed: the trusted .gitlift is origin's main)")
    assert lift("config", "set", "-e", "staging", "LOG_LEVEL=debug").returncode == 0
    assert not (repo.path / "config.staging.lock").exists()
    shipped = lift("ship", "-e", "staging", "--image", image(1))
    assert shipped.returncode == 0, shipped.stderr


def test_a_commits_gitlift_cannot_turn_the_lock_off(locked: GitRepo, lift: Lift) -> None:
    locked.write(".gitlift", gitlift(staging="\tconfigLock = false\n"))
    locked.commit("Unlock staging (not pushed)")
    put_config("staging", "payments-api", DATABASE_URL="postgres://outside")
    refused = lift("ship", "-e", "staging", "--image", image(2))
    assert refused.returncode == 1 and "DATABASE_URL (changed)" in refused.stderr


def test_each_service_of_a_monorepo_has_its_lock_in_its_folder(aws: Any, tmp_path: Path) -> None:
    policy = (
        '[service "api"]\n\tpath = .\n[service "worker"]\n\tpath = worker\n'
        '[env "staging"]\n\tref = refs/heads/main\n\tconfigLock = true\n'
    )
    repo = GitRepo.create(
        tmp_path / "platform",
        origin=tmp_path / "remote" / "platform.git",
        files={".gitlift": policy, "env.sample": "API_DB=x\n", "worker/env.sample": "QUEUE=x\n"},
    )
    lift = Lift(repo.path)
    inside = lift("config", "set", "-e", "staging", "QUEUE=jobs", cwd=repo.path / "worker")
    assert inside.returncode == 0, inside.stderr
    assert "worker/config.staging.lock: 1 key of worker in staging" in inside.stderr
    assert lift("config", "set", "-s", "api", "-e", "staging", "API_DB=db").returncode == 0
    assert "QUEUE 1 " in (repo.path / "worker" / "config.staging.lock").read_text()
    top = (repo.path / "config.staging.lock").read_text()
    assert "API_DB 1 " in top and "QUEUE" not in top


def test_a_promotion_checks_the_lock_of_the_commit_it_promotes(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(production="\tconfigLock = true\n"), envs=BOTH_ENVS)
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    unlocked = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert unlocked.returncode == 1 and "has no config.production.lock" in unlocked.stderr
    assert lift("config", "lock", "-e", "production").returncode == 0
    repo.git("add", "config.production.lock")
    repo.commit("Lock production's config")
    repo.git("push", "-q", "origin", "main")
    assert lift("ship", "-e", "staging", "--image", image(2)).returncode == 0
    put_config("production", "payments-api", DATABASE_URL="postgres://outside")
    refused = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert refused.returncode == 1 and "DATABASE_URL (changed)" in refused.stderr
    assert "config sync -e production" in refused.stderr
    assert lift("config", "sync", "-e", "production", "--yes").returncode == 0
    promoted = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert promoted.returncode == 0, promoted.stderr


def test_a_locked_value_parameter_store_lost_is_named_with_the_fix(
    locked: GitRepo, lift: Lift
) -> None:
    client("ssm").delete_parameter(Name="/staging/payments-api/DATABASE_URL")  # and its history
    put_config("staging", "payments-api", DATABASE_URL="postgres://recreated")  # v1 again
    refused = lift("ship", "-e", "staging", "--image", image(2))  # the value is judged
    assert refused.returncode == 1 and "DATABASE_URL (changed)" in refused.stderr
    synced = lift("config", "sync", "-e", "staging")
    assert synced.returncode == 1
    assert "the values config.staging.lock locks for DATABASE_URL are no longer in" in (
        synced.stderr
    )
    assert "hint: set them again: git lift config set -e staging DATABASE_URL=..." in (
        synced.stderr
    )
