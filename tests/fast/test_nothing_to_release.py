""" "Nothing to release" (issue 22): a ship whose image digest, task definition and config are
the running release's says so and does nothing (exit 0, no deployment, no release number, no
record), unless forced. On the fakes, through the real plan and executor."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakes import NEW, OLD_IMAGE, behaves, ship, world


def test_the_same_image_again_is_nothing_to_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w) == 0
    capsys.readouterr()
    assert ship(w) == 0
    said = capsys.readouterr().err
    assert (
        "payments-api in staging: nothing to release: it runs release 1 (c0ffee000000) with this "
        "image, task definition and config; --force releases it again" in said
    )
    assert "released" not in said and "deploying" not in said
    assert [r.number for r in w.store.releases(w.target)] == [1]
    assert w.store.head(w.target).n == 1  # no release number taken
    assert w.ecs.deployed == [NEW] and w.store.lock(w.target) is None
    assert list(w.repo.tags) == ["lift/staging/payments-api/1"]


def test_force_releases_it_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w) == 0
    assert ship(w, force=True) == 0
    assert "released payments-api c0ffee000000 to staging: release 2" in capsys.readouterr().err
    assert [r.number for r in w.store.releases(w.target)] == [2, 1]


def test_another_image_is_something_to_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w) == 0
    assert ship(w, image=OLD_IMAGE) == 0
    said = capsys.readouterr().err
    assert "nothing to release" not in said and "release 2" in said


def test_what_runs_without_a_release_record_is_something_to_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fake service runs revision 1, which no release recorded: git lift cannot tell what
    # its config was, so the first ship always releases, whatever the image.
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w, image=OLD_IMAGE) == 0
    assert "release 1" in capsys.readouterr().err
