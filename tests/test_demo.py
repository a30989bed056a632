"""The README's first command: the whole story on the sandbox, run as a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("buildah") is None or shutil.which("docker-registry") is None,
    reason="the demo builds with buildah and pushes to Debian's docker-registry",
)
def test_demo_tells_the_whole_story_and_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_LIFT_"))}
    result = subprocess.run(
        ["bash", str(ROOT / "demo" / "run.sh")],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**env, "DEMO_DIR": str(tmp_path / "demo")},
        timeout=300,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-4000:]
    assert "This is NOT AWS" in out
    assert "env.sample names keys missing from payments-api's config: PAYMENT_PROVIDER_KEY" in out
    assert "released payments-api" in out and "release 1 (lift/staging/payments-api/1)" in out
    assert "release 1 (lift/production/payments-api/1)" in out and "[new tag]         v1.0.0" in out
    assert "payments-api is back on staging-payments-api:4" in out  # :5 never ran (migration)
    assert "v1.1.0 does not reach the remote" in out
    assert "refs/tags/v1.1.0" not in out.split("git ls-remote --tags origin v*")[-1]
    assert "drift     config changed since the release: +LIFT_SANDBOX_CRASH" in out
    # The release phase and a one-off task (issue 20), run for real in the image by buildah.
    one_off, _, rest = out.partition("# A one-off task")[2].partition("# The release phase")
    assert re.search(r"^\s*31$", one_off, re.M)  # wc -c of staging's DATABASE_URL, in the task
    passing, _, failing = rest.partition("# A failing migration")
    assert "migrated" in passing and "released payments-api" in passing
    assert "column currency already exists" in failing and "nothing was deployed" in failing
    assert "release command failed" in out.split("git lift history -e staging")[-1]
    # A canary an alarm rolls back (issue 21): the shift, the alarm, the way back, exit 1.
    canary = out.partition("# A canary release that an alarm rolls back")[2]
    canary = canary.partition("# What runs where")[0]
    assert "canary 10%: baking 10 min, 2 alarms green" in canary
    assert "ECS deployment alarms: lift-staging-payments-api-5xx-rate in ALARM state." in canary
    assert "was rolled back: a deployment alarm fired while it took traffic" in canary
    assert "(exit code 1)" in canary
    after = canary.partition("$ git lift status -e staging")[2].partition("alarm switch off")[0]
    assert "rollout COMPLETED" in after and "+LIFT_SANDBOX_ALARM" in after
    # Processes (issue 21): a worker and web shipped together, each shown by status.
    worker = out.partition("# A worker beside web")[2].partition("# What runs where")[0]
    assert "~ process worker: staging-payments-api_worker:1 -> the same image and config" in worker
    assert "error: ship --process worker: a release is the whole service" in worker
    assert re.search(r"process   worker  1/1 running, rollout COMPLETED, runs \S+_worker:2", worker)
    # Previews (issue 23): the feature branch's push makes one, its deletion deletes it.
    previews = out.partition("# Previews:")[2]
    assert "git lift: preview payments-api--checkout of feature/checkout (" in previews
    assert "/checkout/" in previews
    shown = previews.partition("$ git lift status -e preview")[2].partition("$ git push")[0]
    assert "preview: payments-api--checkout  release 1" in shown
    assert "  preview   of feature/checkout" in shown
    assert re.search(r"process   worker  1/1 running, rollout COMPLETED", shown)
    assert "feature/checkout is deleted: so are its previews payments-api--checkout" in previews
    assert "no previews" in previews.split("git lift preview list")[-1]


FAILING_APT = """#!/bin/sh
echo "apt-get $*" >> "$APT_LOG"
echo "E: Unable to locate package buildah" >&2
exit 100
"""


@pytest.mark.slow
def test_without_buildah_and_a_registry_the_demo_says_so_at_start_and_end(
    tmp_path: Path,
) -> None:
    # A PATH without buildah, podman and docker-registry (docker, if any, has no daemon), and an
    # apt-get that cannot install them: as root the demo tries it, and goes on without images.
    hidden = {"buildah", "podman", "docker-registry", "registry", "apt-get"}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            target = bin_dir / name
            if name not in hidden and not target.exists():
                target.symlink_to(Path(folder) / name)
    apt = bin_dir / "apt-get"
    apt.write_text(FAILING_APT)
    apt.chmod(0o755)
    apt_log = tmp_path / "apt.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_LIFT_"))}
    env.update({"PATH": str(bin_dir), "DEMO_DIR": str(tmp_path / "demo"), "APT_LOG": str(apt_log)})
    result = subprocess.run(
        ["bash", str(ROOT / "demo" / "run.sh")],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        timeout=300,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-4000:]
    lacking = (
        "no image builder (buildah, podman or docker with a daemon) is installed"
        " and no docker-registry is installed"
    )
    enable = "demo: to include it: " + ("" if os.geteuid() == 0 else "sudo ")
    enable += "apt-get install buildah docker-registry busybox-static"
    before, _, after = out.partition("Start the sandbox")
    assert f"demo: skipping the image part (build, push, release by tag): {lacking}." in before
    assert enable in before
    assert f"demo: skipped the image part (build, push, release by tag): {lacking}." in after
    assert enable in after.split("What runs where")[-1]
    if os.geteuid() == 0:
        assert (
            f"demo: {lacking}; installing them: "
            "apt-get install -y buildah docker-registry busybox-static" in out
        )
        assert (
            "apt-get install -y -qq buildah docker-registry busybox-static" in apt_log.read_text()
        )
    assert "released payments-api" in out and "release 1 (lift/staging/payments-api/1)" in out
