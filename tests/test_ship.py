"""`git lift ship` end to end: real git, buildah building a real image, a real registry,
moto's server over HTTP, and the sandbox's ECS rollout simulator (moto does not roll out)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3

from git_lift import proc, registry
from git_lift.aws.store import Store
from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.ecs import (
    deploy_behind_git_lifts_back,
    running_task_definition,
    target,
)
from tests.support.helpers import GitRepo, Lift, run_in_terminal
from tests.support.image import layer_files, needs_buildah, needs_registry, shipped_tag

pytestmark = [needs_buildah, needs_registry]


def store() -> Store:
    return Store(boto3.client("dynamodb", region_name="eu-west-1"))


def break_next_release(repo: GitRepo) -> None:
    """Commit a release whose tasks crash at start (the sandbox's LIFT_SANDBOX_CRASH switch)."""
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/staging/payments-api/LIFT_SANDBOX_CRASH", Value="1", Type="SecureString"
    )
    repo.write("env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_CRASH=1\n")
    repo.commit("Break the service on purpose")


def built(stderr: str) -> bool:
    return any(line.startswith("building ") for line in stderr.splitlines())


def remote_tags(repo: GitRepo) -> list[str]:
    out = repo.git("ls-remote", "--tags", "origin").stdout
    return sorted(line.split("refs/tags/")[1] for line in out.splitlines() if "^{}" not in line)


def test_ship_builds_pushes_deploys_by_digest_waits_and_records(
    shipping: GitRepo, lift: Lift, local_registry: RegistryHandle
) -> None:
    sha = shipping.head()
    result = lift("ship", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert "building" in result.stderr and "2/2 running" in result.stderr
    assert "released payments-api" in result.stderr and "release 1" in result.stderr
    assert "secret" not in result.stdout + result.stderr.replace("+ secret DATABASE_URL", "")
    tag = shipped_tag(shipping.path)  # named after what it is built from, not the commit
    digest = registry.manifest_digest(local_registry.address, "payments-api", tag, insecure=True)
    config = registry.image_config(local_registry.address, "payments-api", digest, insecure=True)
    assert config is not None
    tree = shipping.git("rev-parse", "HEAD^{tree}").stdout.strip()
    assert config["config"]["Labels"]["dev.git-lift.tree"] == tree
    assert "org.opencontainers.image.revision" not in config["config"]["Labels"]
    container = running_task_definition("staging")["containerDefinitions"][0]
    assert container["image"] == f"{local_registry.address}/payments-api@{digest}"
    assert container["secrets"] == [
        {
            "name": "DATABASE_URL",
            "valueFrom": (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/DATABASE_URL"
            ),
        }
    ]
    tag = "lift/staging/payments-api/1"
    assert shipping.git("rev-list", "-n1", tag).stdout.strip() == sha
    body = shipping.git("tag", "-l", "--format=%(contents)", tag).stdout
    assert body.startswith("Release 1 of payments-api to staging")
    assert f"Image: {local_registry.address}/payments-api@{digest}" in body
    assert "Config-Versions: DATABASE_URL=1" in body and "Deployed-By: Test Dev" in body
    assert "postgres://secret" not in body
    assert tag in remote_tags(shipping)
    [release] = store().releases(target())
    assert (release.number, release.commit) == (1, sha)


def test_second_ship_of_a_commit_reuses_its_image(shipping: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    again = lift("ship", "-e", "staging", "--force")  # forced: nothing changed (see below)
    assert again.returncode == 0, again.stderr
    assert "exists" in again.stderr and not built(again.stderr)
    assert "release 2" in again.stderr


def test_a_commit_that_changes_nothing_built_is_nothing_to_release(
    shipping: GitRepo, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    running = running_task_definition("staging")["taskDefinitionArn"]
    shipping.git("commit", "-q", "--allow-empty", "-m", "Another commit, the same tree")
    again = lift("ship", "-e", "staging")
    assert again.returncode == 0, again.stderr
    assert "exists" in again.stderr and not built(again.stderr)  # the tree's image, reused
    assert (
        "payments-api in staging: nothing to release: it runs release 1" in again.stderr
        and "--force releases it again" in again.stderr
    )
    assert "deploying" not in again.stderr and "released" not in again.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == running
    assert [r.number for r in store().releases(target())] == [1]
    assert shipping.git("tag", "-l", "lift/*").stdout.split() == ["lift/staging/payments-api/1"]
    shipping.write("app.txt", "v2\n")
    shipping.commit("A change the image holds")
    changed = lift("ship", "-e", "staging")
    assert changed.returncode == 0, changed.stderr
    assert built(changed.stderr) and "release 2" in changed.stderr


def test_a_broken_release_is_rolled_back_exits_1_and_is_not_tagged(
    shipping: GitRepo, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    good = running_task_definition("staging")["taskDefinitionArn"]
    break_next_release(shipping)
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1
    assert "Essential container in task exited" in result.stderr
    assert "ECS is rolling back" in result.stderr
    assert result.stderr.rstrip().splitlines()[-2].startswith("error: ")
    assert "released" not in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == good
    assert shipping.git("tag", "-l", "lift/*").stdout.split() == ["lift/staging/payments-api/1"]
    assert store().lock(target()) is None
    history = lift("history", "-e", "staging").stdout.splitlines()
    assert history[0].split()[0] == "2" and history[0].endswith("(failed)")
    assert "release 1" in lift("status", "-e", "staging").stdout


def test_without_the_circuit_breaker_rollback_ship_rolls_back_itself(
    aws: Any, shipping: GitRepo, lift: Lift
) -> None:
    ecs = boto3.client("ecs", region_name="eu-west-1")
    ecs.update_service(
        cluster="lift-staging",
        service="payments-api",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
    )
    before = running_task_definition("staging")["taskDefinitionArn"]
    break_next_release(shipping)
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1
    assert "rolling back to" in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == before


def test_timeout_rolls_back(shipping: GitRepo, lift: Lift) -> None:
    # The smallest timeout there is (0 is refused) allows two polls, time for a healthy
    # sandbox rollout to complete. Crashing tasks without a circuit breaker are replaced for
    # ever, as ECS does: only the timeout ends this deployment.
    boto3.client("ecs", region_name="eu-west-1").update_service(
        cluster="lift-staging",
        service="payments-api",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}},
    )
    before = running_task_definition("staging")["taskDefinitionArn"]
    shipping.write(".gitlift", '[env "staging"]\n\tfailFast = 1000\n')  # fail fast waits less
    break_next_release(shipping)
    result = lift("ship", "-e", "staging", "--timeout", "1")
    assert result.returncode == 1
    assert "timed out" in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == before


def test_missing_config_stops_before_any_build(
    shipping: GitRepo, lift: Lift, local_registry: RegistryHandle
) -> None:
    shipping.write("env.sample", "DATABASE_URL=x\nNEW_KEY=example\n")
    shipping.commit("Need a new key")
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1
    assert (
        "NEW_KEY" in result.stderr and "git lift config set -e staging NEW_KEY=..." in result.stderr
    )
    assert not built(result.stderr)
    assert (
        registry.manifest_digest(
            local_registry.address, "payments-api", shipped_tag(shipping.path), insecure=True
        )
        is None
    )


def test_dirty_tree_is_refused(shipping: GitRepo, lift: Lift) -> None:
    shipping.write("app.txt", "uncommitted\n")
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1 and "uncommitted changes: app.txt" in result.stderr
    assert "hint: commit or stash" in result.stderr


def test_lock_contention_between_two_ships(shipping: GitRepo, lift: Lift) -> None:
    store().begin_release(target(), "alice@laptop", ttl=600)
    blocked = lift("ship", "-e", "staging")
    assert blocked.returncode == 1
    assert "being deployed by alice@laptop" in blocked.stderr
    assert "git lift unlock -e staging" in blocked.stderr
    live = lift("unlock", "-e", "staging")  # unexpired, held elsewhere: may be running
    assert live.returncode == 1 and "unlock -e staging --force" in live.stderr
    assert lift("unlock", "-e", "staging", "--force").returncode == 0
    assert lift("ship", "-e", "staging").returncode == 0


def test_ctrl_c_while_waiting_releases_the_lock(shipping: GitRepo, lift: Lift) -> None:
    env = {**os.environ, "GIT_LIFT_POLL_INTERVAL": "1"}
    process = subprocess.Popen(
        ["git-lift", "ship", "-e", "staging"],
        cwd=lift.cwd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith("deploying"):
            break
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)
    rest = process.stderr.read()
    process.wait(timeout=30)
    assert process.returncode == 130, "".join(lines) + rest
    assert "the lock is released" in rest
    assert store().lock(target()) is None


def test_production_needs_a_pushed_commit_and_confirmation(shipping: GitRepo, lift: Lift) -> None:
    unconfirmed = lift("ship", "-e", "production")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    shipping.write("app.txt", "v2\n")
    shipping.commit("Not pushed yet")
    unpushed = lift("ship", "-e", "production", "--yes")
    assert unpushed.returncode == 1 and "not on a remote branch" in unpushed.stderr
    assert "hint: git push origin HEAD" in unpushed.stderr


def test_status_shows_the_release_undeployed_commits_and_config_drift(
    shipping: GitRepo, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    shipping.write("app.txt", "v2\n")
    shipping.commit("Second change")
    lift("config", "set", "-e", "staging", "DATABASE_URL=postgres://rotated")
    result = lift("status", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert "release 1" in result.stdout and "Add Dockerfile" in result.stdout
    assert "1 commit not deployed yet" in result.stdout
    assert "config changed since the release: ~DATABASE_URL" in result.stdout
    history = lift("history", "-e", "staging")
    assert history.stdout.split()[0] == "1"


def test_rollback_redeploys_an_earlier_release(shipping: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    first = running_task_definition("staging")["taskDefinitionArn"]
    shipping.write("app.txt", "v2\n")
    shipping.commit("v2")
    assert lift("ship", "-e", "staging").returncode == 0
    result = lift("rollback", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == first
    body = shipping.git("tag", "-l", "--format=%(contents)", "lift/staging/payments-api/3").stdout
    assert "Rolled-Back-From: 2" in body


def test_image_built_elsewhere_is_deployed_by_digest(
    shipping: GitRepo, lift: Lift, local_registry: RegistryHandle
) -> None:
    assert lift("ship", "-e", "staging").returncode == 0  # pushes tree-<hash>
    uri = f"{local_registry.address}/payments-api:{shipped_tag(shipping.path)}"
    result = lift("ship", "-e", "staging", "--image", uri, "--force")  # it runs already
    assert result.returncode == 0, result.stderr
    assert not built(result.stderr) and "release 2" in result.stderr
    assert "@sha256:" in running_task_definition("staging")["containerDefinitions"][0]["image"]


def test_no_wait_starts_the_deployment_and_records_nothing(shipping: GitRepo, lift: Lift) -> None:
    result = lift("ship", "-e", "staging", "--no-wait")
    assert result.returncode == 0, result.stderr
    assert "not waiting" in result.stderr
    assert shipping.git("tag", "-l", "lift/*").stdout == ""


def test_detached_head_needs_an_environment(shipping: GitRepo, lift: Lift) -> None:
    shipping.git("checkout", "-q", "--detach")
    result = lift("ship")
    assert result.returncode == 2
    assert "detached HEAD" in result.stderr and "git lift ship -e staging" in result.stderr


def test_a_branch_that_maps_to_no_environment(shipping: GitRepo, lift: Lift) -> None:
    shipping.git("checkout", "-q", "-b", "feature/x")
    result = lift("ship")
    assert result.returncode == 2
    assert "refs/heads/feature/x maps to no environment" in result.stderr


def test_a_repository_without_commits(aws: Any, tmp_path: Path) -> None:
    empty = tmp_path / "fresh"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    result = Lift(empty)("ship", "-e", "staging")
    assert result.returncode == 1
    assert "no commits yet" in result.stderr and "hint: " in result.stderr


def test_on_a_terminal_the_progress_line_is_rewritten_in_place(shipping: GitRepo) -> None:
    code, shown = run_in_terminal(["git", "lift", "ship", "-e", "staging"], shipping.path, [])
    assert code == 0, shown
    assert "\r\x1b[K  staging-payments-api:2: 2/2 running, 0 pending (COMPLETED)" in shown
    # events still get lines of their own above it
    assert "\r\x1b[K  event: (service payments-api) has reached a steady state." in shown
    assert "released payments-api" in shown


def test_production_from_a_repository_without_a_remote(shipping: GitRepo, lift: Lift) -> None:
    shipping.git("remote", "remove", "origin")
    result = lift("ship", "-e", "production", "--yes")
    assert result.returncode == 1
    assert "has no remote" in result.stderr and "hint: git remote add origin" in result.stderr


def test_a_named_ref_ships_that_commit_whatever_the_work_tree_holds(
    shipping: GitRepo, lift: Lift, local_registry: RegistryHandle
) -> None:
    shipping.write("Dockerfile", "FROM scratch\nCOPY . /src/\n")  # the whole context
    shipping.commit("Ship the whole folder")
    sha = shipping.head()
    shipping.write("app.txt", "work in progress\n")  # uncommitted: not part of the image
    shipping.write("notes.txt", "untracked\n")  # untracked: not part of the image either
    result = lift("ship", "-e", "staging", "--ref", "main", "--build-arg", "FLAVOUR=plain")
    assert result.returncode == 0, result.stderr
    tag = shipped_tag(shipping.path, sha, {"FLAVOUR": "plain"})  # args are part of the image
    digest = registry.manifest_digest(local_registry.address, "payments-api", tag, insecure=True)
    assert digest is not None
    files = layer_files(local_registry.address, "payments-api", digest)
    assert files["src/app.txt"] == b"v1\n" and "src/notes.txt" not in files
    bad = lift("ship", "-e", "staging", "--ref", "main", "--build-arg", "NOVALUE")
    assert bad.returncode == 2 and "is not K=V" in bad.stderr


def test_when_the_rollback_fails_too_ship_says_the_service_may_be_down(
    shipping: GitRepo, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging").returncode == 0  # release 1 needs DATABASE_URL
    boto3.client("ecs", region_name="eu-west-1").update_service(
        cluster="lift-staging",
        service="payments-api",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
    )
    ssm = boto3.client("ssm", region_name="eu-west-1")
    ssm.delete_parameter(Name="/staging/payments-api/DATABASE_URL")  # release 1 cannot start now
    ssm.put_parameter(
        Name="/staging/payments-api/LIFT_SANDBOX_CRASH", Value="1", Type="SecureString"
    )
    shipping.write("env.sample", "LIFT_SANDBOX_CRASH=1\n")
    shipping.commit("Crash, and drop DATABASE_URL")
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1
    assert "invalid ssm parameters" in result.stderr  # why the old revision could not start
    assert "did not finish either" in result.stderr
    assert "may be down" in result.stderr


def test_two_ships_at_once_the_second_is_refused_with_who_holds_the_lock(
    shipping: GitRepo, lift: Lift
) -> None:
    slow = {**os.environ, "GIT_LIFT_POLL_INTERVAL": "1"}
    first = subprocess.Popen(
        ["git", "lift", "ship", "-e", "staging"],
        cwd=lift.cwd,
        env=slow,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert first.stderr is not None
    for line in first.stderr:
        if line.startswith("deploying"):
            break
    # Held in its wait (the git-lift process its lock names, under git), the first ship
    # cannot finish before the second asks for the lock, however loaded the machine is.
    held = store().lock(target())
    assert held is not None
    holder = proc.holder_pid(held.owner)
    assert holder is not None
    os.kill(holder, signal.SIGSTOP)
    try:
        second = lift("ship", "-e", "staging")
    finally:
        os.kill(holder, signal.SIGCONT)
    rest = first.stderr.read()
    assert first.wait(timeout=60) == 0, rest
    assert second.returncode == 1
    assert "payments-api in staging is being deployed by" in second.stderr
    assert "git lift unlock -e staging" in second.stderr
    assert "released payments-api" in rest
    assert lift("ship", "-e", "staging").returncode == 0  # free again once the first is done


def test_production_on_a_terminal_asks_for_its_name(shipping: GitRepo) -> None:
    prompt = "Type the environment's name (production)"
    code, shown = run_in_terminal(
        ["git", "lift", "ship", "-e", "production"], shipping.path, [(prompt, "staging")]
    )
    assert code == 1 and "not confirmed; nothing was deployed" in shown
    assert "building" not in shown
    code, shown = run_in_terminal(
        ["git", "lift", "ship", "-e", "production"], shipping.path, [(prompt, "production")]
    )
    assert code == 0, shown
    assert "About to ship payments-api" in shown and "release 1" in shown


def test_production_shows_the_plan_and_its_diff_before_asking_for_its_name(
    shipping: GitRepo,
) -> None:
    prompt = "Type the environment's name (production)"
    code, shown = run_in_terminal(
        ["git", "lift", "ship", "-e", "production"], shipping.path, [(prompt, "no")]
    )
    assert code == 1 and "not confirmed; nothing was deployed" in shown
    asked = shown.index(prompt)
    diff = shown.index("~ payments-api image public.ecr.aws/lift/placeholder:latest")
    assert diff < shown.index("+ secret DATABASE_URL") < asked
    assert shown.index("(built next)") < shown.index("About to ship payments-api") < asked
    assert "building" not in shown


def test_a_dirty_build_is_recorded_as_dirty_and_never_tagged(shipping: GitRepo, lift: Lift) -> None:
    shipping.write("app.txt", "uncommitted\n")
    result = lift("ship", "-e", "staging", "--allow-dirty")
    assert result.returncode == 0, result.stderr
    [release] = store().releases(target())
    assert release.dirty is not None and len(release.dirty) == 12
    assert f"release 1 (dirty build {release.dirty}, not tagged)" in result.stderr
    assert shipping.git("tag", "-l", "lift/*").stdout == ""
    assert lift("history", "-e", "staging").stdout.rstrip().endswith(f"(dirty {release.dirty})")
    shown = lift("status", "-e", "staging").stdout
    assert f"release 1  {shipping.head()[:12]}-dirty-{release.dirty}" in shown
    assert json.loads(lift("status", "-e", "staging", "--output", "json").stdout)[0]["dirty"] == (
        release.dirty
    )


def test_build_args_are_part_of_the_image(shipping: GitRepo, lift: Lift) -> None:
    plain = lift("ship", "-e", "staging", "--build-arg", "FLAVOUR=plain")
    assert plain.returncode == 0 and built(plain.stderr)
    other = lift("ship", "-e", "staging", "--build-arg", "FLAVOUR=spicy")
    assert other.returncode == 0, other.stderr
    assert built(other.stderr) and "not rebuilding" not in other.stderr
    again = lift("ship", "-e", "staging", "--build-arg", "FLAVOUR=plain")
    assert again.returncode == 0 and not built(again.stderr) and "exists" in again.stderr
    tags = {
        line.split(":")[-1].split()[0]
        for line in (plain.stderr + other.stderr).splitlines()
        if line.startswith("pushing ")
    }
    assert tags == {
        shipped_tag(shipping.path, build_args={"FLAVOUR": flavour})
        for flavour in ("plain", "spicy")
    }


def test_a_missing_ecs_service_stops_the_ship_before_any_build(
    shipping: GitRepo, lift: Lift, local_registry: RegistryHandle
) -> None:
    boto3.client("ecs", region_name="eu-west-1").delete_service(
        cluster="lift-staging", service="payments-api", force=True
    )
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1
    assert "there is no ECS service payments-api in cluster lift-staging" in result.stderr
    assert "hint: set it up: git lift setup -e staging" in result.stderr
    assert not built(result.stderr)
    assert (
        registry.manifest_digest(
            local_registry.address, "payments-api", shipped_tag(shipping.path), insecure=True
        )
        is None
    )


def test_status_says_when_ecs_runs_an_image_no_release_recorded(
    shipping: GitRepo, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    definition = running_task_definition("staging")
    container = {
        **definition["containerDefinitions"][0],
        "image": "elsewhere/api@sha256:" + "0" * 64,
    }
    deploy_behind_git_lifts_back("staging", container)
    shown = lift("status", "-e", "staging").stdout
    expected = "running an image no release recorded: elsewhere/api@sha256:" + "0" * 64
    assert "release 1" in shown and expected in shown
    [row] = json.loads(lift("status", "-e", "staging", "--output", "json").stdout)
    assert row["mismatch"] == expected and row["running_image"].startswith("elsewhere/api@")
