"""The README's first command: the whole story on the sandbox, run as a user runs it."""

from __future__ import annotations

import os
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
    assert "payments-api is back on staging-payments-api:2" in out
    assert "v1.1.0 does not reach the remote" in out
    assert "refs/tags/v1.1.0" not in out.split("git ls-remote --tags origin v*")[-1]
    assert "drift     config changed since the release: +LIFT_SANDBOX_CRASH" in out


@pytest.mark.slow
def test_without_an_image_builder_the_demo_says_so_and_deploys_a_prebuilt_image(
    tmp_path: Path,
) -> None:
    # A PATH where buildah and podman do not exist (and docker, if any, has no daemon).
    hidden = {"buildah", "podman"}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            target = bin_dir / name
            if name not in hidden and not target.exists():
                target.symlink_to(Path(folder) / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_LIFT_"))}
    env.update({"PATH": str(bin_dir), "DEMO_DIR": str(tmp_path / "demo")})
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
    assert "no image builder (buildah, podman or docker with a daemon) is installed" in out
    assert "released payments-api" in out and "release 1 (lift/staging/payments-api/1)" in out
