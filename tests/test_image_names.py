"""Images named before tree tags (issue 22): an image named after its commit
(`<service>:<sha>`) is what its release ran, pinned by digest, so it still rolls back and
promotes once ships name images after their trees."""

from __future__ import annotations

from pathlib import Path

from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry, scratch_image, shipped_tag

pytestmark = [needs_buildah, needs_registry]


def running_image(env: str) -> str:
    return str(running_task_definition(env)["containerDefinitions"][0]["image"])


def test_an_image_named_after_its_commit_still_rolls_back_and_promotes(
    shipping: GitRepo,
    lift: Lift,
    local_registry: RegistryHandle,
    buildah_root: str,
    tmp_path: Path,
) -> None:
    sha, address = shipping.head(), local_registry.address
    old = scratch_image(
        tmp_path / "before",
        address,
        "payments-api",
        sha,  # as ships named images before: after the commit, which the label names too
        buildah_root=buildah_root,
        files={"app.txt": f"built before ({tmp_path.name})\n"},
        labels={"org.opencontainers.image.revision": sha},
    )
    released = lift("ship", "-e", "staging", "--image", f"{address}/payments-api:{sha}")
    assert released.returncode == 0, released.stderr
    assert running_image("staging") == f"{address}/payments-api@{old}"

    shipping.write("app.txt", f"v2 ({tmp_path.name})\n")
    shipping.commit("A new version, named after its tree")
    shipped = lift("ship", "-e", "staging")
    assert shipped.returncode == 0, shipped.stderr
    assert f"pushing {address}/payments-api:{shipped_tag(shipping.path)}" in shipped.stderr
    assert running_image("staging") != f"{address}/payments-api@{old}"

    back = lift("rollback", "-e", "staging")
    assert back.returncode == 0, back.stderr
    assert running_image("staging") == f"{address}/payments-api@{old}"

    promoted = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert promoted.returncode == 0, promoted.stderr
    assert running_image("production") == f"{address}/payments-api@{old}"
