"""`service delete` under faults: the network cut while it waits, `kill -9` while it waits, and
a second delete and a ship racing it. Each says what was and was not done and how to finish,
and what it leaves (a lock, a stack being deleted) the next command finishes, with a word."""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
from typing import Any

import pytest

from tests.support.ecs import store, target
from tests.support.helpers import Lift
from tests.support.infra import client, put_config
from tests.support.proxy import Fault, FaultProxy, wait_until

AGAIN = "git lift service delete -e staging -s payments-api"
HOLDER = f"{getpass.getuser()}@{socket.gethostname()} pid "


@pytest.fixture
def service(fault_proxy: FaultProxy, lift: Lift) -> FaultProxy:
    """payments-api in staging, created through the proxy (no faults yet)."""
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr
    return fault_proxy


def stack_gone() -> bool:
    summaries = client("cloudformation").list_stacks()["StackSummaries"]
    return all(
        s["StackStatus"] == "DELETE_COMPLETE"
        for s in summaries
        if s["StackName"] == "lift-staging-payments-api"
    )


def start_delete(lift: Lift) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["git-lift", "service", "delete", "-e", "staging", "--yes"],
        cwd=lift.cwd,
        env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def test_a_network_cut_while_waiting_says_cloudformation_goes_on_and_the_rerun_finishes(
    service: FaultProxy, lift: Lift
) -> None:
    # The events read before DeleteStack passes; the network goes with the next one.
    service.add(Fault("cut", action="DescribeStackEvents", after=1, sticky=True))
    cut = lift("service", "delete", "-e", "staging", "--yes", env={"AWS_MAX_ATTEMPTS": "1"})
    assert cut.returncode == 1, cut.stderr
    told = cut.stderr
    assert "deleting stack lift-staging-payments-api" in told
    assert "error: the connection to AWS was cut before it answered" in told
    going_on = "CloudFormation goes on deleting lift-staging-payments-api"
    assert f"hint: {going_on}; see it finish with: {AGAIN}" in told
    assert "could not release the deploy lock of payments-api in staging" in told
    assert "git lift unlock -e staging -s payments-api" in told

    service.clear()
    assert store().lock(target()) is not None  # said above, with the command that removes it
    again = lift("service", "delete", "-e", "staging", "--yes")
    assert again.returncode == 0, again.stderr
    assert f"took over the deploy lock of payments-api in staging from {HOLDER}" in again.stderr
    assert "payments-api has no stack in staging: nothing to delete" in again.stderr
    assert store().lock(target()) is None and stack_gone()


def test_kill_9_while_waiting_leaves_a_lock_the_next_command_takes_over(
    service: FaultProxy, lift: Lift
) -> None:
    stalled = service.add(Fault("stall", action="DescribeStackEvents", after=1))
    deleting = start_delete(lift)
    assert wait_until(lambda: stalled.hits > 0)
    # The lock is held while CloudFormation deletes: a second delete and a ship are refused.
    second = lift("service", "delete", "-e", "staging", "--yes")
    assert second.returncode == 1
    assert f"payments-api in staging is being deleted by {HOLDER}{deleting.pid} " in second.stderr
    shipped = lift(
        "ship", "-e", "staging", "--yes", "--image", "registry.example.com/a@sha256:" + "a" * 64
    )
    # moto's DeleteStack deletes at once: the ship finds no service before it asks for the
    # lock (on AWS, the lock refuses it while the service drains).
    assert shipped.returncode == 1
    assert "there is no ECS service payments-api in cluster lift-staging" in shipped.stderr

    os.killpg(deleting.pid, signal.SIGKILL)
    deleting.wait(timeout=30)
    service.clear()
    held = store().lock(target())
    assert held is not None and held.owner.startswith(f"{HOLDER}{deleting.pid} ")
    after = lift("service", "delete", "-e", "staging", "--yes")
    assert after.returncode == 0, after.stderr
    assert f"from {HOLDER}{deleting.pid} " in after.stderr
    assert "whose process is gone; CloudFormation goes on with any deletion it started" in (
        after.stderr
    )
    assert store().lock(target()) is None and stack_gone()


def test_a_ship_holding_the_lock_is_named_and_nothing_is_deleted(
    service: FaultProxy, lift: Lift, aws: Any
) -> None:
    releases = store()
    releases.begin_release(target(), f"{HOLDER}1 (abc123)", 600)
    refused = lift("service", "delete", "-e", "staging", "--yes")
    assert refused.returncode == 1
    assert f"payments-api in staging is being deployed by {HOLDER}1 (abc123)" in refused.stderr
    assert not stack_gone()
    assert "cloudformation.DeleteStack" not in aws.request_counts()
