"""Where the sandbox cannot run a task's image it says so by returning None, having sent no
output, so that the simulator decides the task as before (issue 20). The real runs, with
buildah and a registry, are in tests/test_image_runner.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from git_lift.sandbox.image_runner import run_image

IMAGE = f"127.0.0.1:5000/payments-api@sha256:{'a' * 64}"


def test_without_buildah_the_task_is_simulated_and_the_debug_log_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no buildah
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="git_lift.sandbox"):
        code = run_image(IMAGE, ["true"], {"A": "secret-value"}, on_line=lines.append, timeout=5)
    assert (code, lines) == (None, [])
    assert "buildah is not installed" in caplog.text and "secret-value" not in caplog.text


def test_a_name_that_is_no_image_reference_is_simulated(caplog: pytest.LogCaptureFixture) -> None:
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="git_lift.sandbox"):
        assert run_image("Not An Image!", None, {}, on_line=lines.append, timeout=5) is None
    assert lines == [] and "not an image reference" in caplog.text
