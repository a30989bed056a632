"""The sandbox runs a task's real image (issue 20): buildah with chroot isolation, pulling from a
real local registry. The command gets its environment without any value in a process's argv,
its output streams line by line, its exit code comes back, a deadline stops it, and an image
this machine cannot run is left to the simulator (None)."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from git_lift import proc
from git_lift.build import BuildahBuilder
from git_lift.sandbox.image_runner import run_image
from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.image import busybox_image, needs_buildah, needs_busybox, needs_registry

pytestmark = [needs_buildah, needs_registry, needs_busybox]

SECRET = "postgres://app:s3cr3t-sentinel-7f1c@db/payments"
MIGRATE = "#!/bin/sh\necho migrating\necho 'migrated'\n"


@pytest.fixture(scope="module")
def app_image(
    tmp_path_factory: pytest.TempPathFactory, local_registry: RegistryHandle, buildah_storage: str
) -> str:
    """A busybox image whose ENTRYPOINT and CMD say what they are given."""
    return busybox_image(
        tmp_path_factory.mktemp("app"),
        local_registry.address,
        "runner/app",
        "v1",
        buildah_root=buildah_storage,
        files={"migrate.sh": MIGRATE},
        extra_lines=(
            'ENTRYPOINT ["/bin/echo", "entrypoint:"]',
            'CMD ["the", "image\'s", "cmd"]',
        ),
    )


@pytest.fixture(scope="module")
def shell_image(
    tmp_path_factory: pytest.TempPathFactory, local_registry: RegistryHandle, buildah_storage: str
) -> str:
    """A busybox image as the demo's: no ENTRYPOINT, a CMD that sleeps like a server."""
    return busybox_image(
        tmp_path_factory.mktemp("shell"),
        local_registry.address,
        "runner/shell",
        "v1",
        buildah_root=buildah_storage,
        extra_lines=('CMD ["sleep", "3600"]', "ENV LOG_LEVEL=from-image"),
    )


@pytest.fixture(scope="module")
def sleeper_image(
    tmp_path_factory: pytest.TempPathFactory, local_registry: RegistryHandle, buildah_storage: str
) -> str:
    """An image whose CMD sleeps, of its own: the test that stops it looks for its containers."""
    return busybox_image(
        tmp_path_factory.mktemp("sleeper"),
        local_registry.address,
        "runner/sleeper",
        "v1",
        buildah_root=buildah_storage,
        files={"sleeper.txt": "sleeps\n"},
        extra_lines=('CMD ["sleep", "3601"]',),
    )


def run(
    image: str, command: list[str] | None, env: dict[str, str], timeout: float = 120
) -> tuple[int | None, list[str]]:
    lines: list[str] = []
    return run_image(image, command, env, on_line=lines.append, timeout=timeout), lines


def cmdlines() -> list[bytes]:
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(path.read_bytes())
        except OSError:
            continue  # gone meanwhile
    return found


def test_the_images_command_runs_with_its_environment_and_no_value_in_any_argv(
    shell_image: str, buildah_root: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the environment file goes
    seen: list[str] = []
    argv_leaks: list[bytes] = []
    env_files: list[tuple[int, int]] = []

    def on_line(line: str) -> None:
        seen.append(line)
        if line == "ready":  # the command runs: look at every process and the file it reads
            argv_leaks.extend(c for c in cmdlines() if SECRET.encode() in c)
            for folder in scratch.glob("git-lift-task-*"):
                file = folder / "environment"
                env_files.append((folder.stat().st_mode & 0o777, file.stat().st_mode & 0o777))

    script = (
        'echo "url=$DATABASE_URL"; echo "level=$LOG_LEVEL"; echo "odd=$ODD"; echo ready; sleep 1'
    )
    odd = 'it\'s "$HOME" \\n `x`\nline two'  # quotes, expansions, a real newline: all literal
    env = {"DATABASE_URL": SECRET, "LOG_LEVEL": "debug", "ODD": odd}
    code = run_image(shell_image, ["sh", "-c", script], env, on_line=on_line, timeout=120)
    assert code == 0
    assert seen == [f"url={SECRET}", "level=debug", *f"odd={odd}".splitlines(), "ready"]
    assert argv_leaks == []
    assert env_files == [(0o700, 0o600)]
    assert list(scratch.iterdir()) == []  # the file went with the task


def test_the_exit_code_comes_back_and_the_images_entrypoint_and_cmd_are_kept(
    app_image: str, buildah_root: str
) -> None:
    assert run(app_image, None, {}) == (0, ["entrypoint: the image's cmd"])
    assert run(app_image, ["given", "words"], {}) == (0, ["entrypoint: given words"])
    assert run(app_image, ["$LOG_LEVEL"], {}) == (
        0,
        ["entrypoint: $LOG_LEVEL"],
    )  # no shell expansion


def test_a_failing_command_returns_its_code_and_its_output_but_no_buildah_chatter(
    shell_image: str, buildah_root: str
) -> None:
    code, lines = run(
        shell_image, ["sh", "-c", "echo partial; echo 'no such table' >&2; exit 3"], {}
    )
    assert (code, lines) == (3, ["partial", "no such table"])
    code, lines = run(shell_image, ["/bin/migrate.sh"], {})
    assert code == 127 and lines and "migrate.sh" in lines[0]  # the shell's "not found"
    code, lines = run(shell_image, ["sh", "-c", "kill -9 $$"], {})
    assert code == 137  # killed by a signal: 128+N, as ECS reports it (buildah alone says 1)


def test_the_tasks_variables_override_the_images(shell_image: str, buildah_root: str) -> None:
    echo = ["sh", "-c", 'echo "$LOG_LEVEL"']
    assert run(shell_image, echo, {}) == (0, ["from-image"])
    assert run(shell_image, echo, {"LOG_LEVEL": "from-task"}) == (0, ["from-task"])


def test_output_lines_stream_in_order_as_they_are_written(
    shell_image: str, buildah_root: str
) -> None:
    start = time.monotonic()
    stamped: list[tuple[str, float]] = []
    script = "echo one; echo two >&2; sleep 2; echo three"
    code = run_image(
        shell_image,
        ["sh", "-c", script],
        {},
        on_line=lambda line: stamped.append((line, time.monotonic() - start)),
        timeout=120,
    )
    assert code == 0
    assert [line for line, _ in stamped] == ["one", "two", "three"]
    assert stamped[2][1] - stamped[1][1] > 1.5  # "two" came while the command still slept


def test_the_deadline_stops_the_container_and_says_so(
    sleeper_image: str, buildah_root: str
) -> None:
    start = time.monotonic()
    code, lines = run(sleeper_image, None, {}, timeout=3)  # the image's CMD sleeps an hour
    assert code == 137
    assert lines == ["git lift sandbox: stopped the container after 3s (SIGTERM, SIGKILL)"]
    assert time.monotonic() - start < 60
    assert not any(b"sleep\x003601" in c for c in cmdlines())  # nothing of it goes on running
    listed = [*BuildahBuilder(buildah_root).global_args(), "containers", "--quiet"]
    assert proc.run([*listed, "--filter", f"ancestor={sleeper_image}"]).stdout.strip() == ""


def test_a_stopped_task_ends_its_container_at_once(sleeper_image: str, buildah_root: str) -> None:
    # Found on a terminal: Ctrl-C on `git lift run` stopped the task, but its container slept on.
    stop, lines = threading.Event(), []

    def said(line: str) -> None:
        lines.append(line)
        stop.set()  # StopTask as soon as the command is under way

    start = time.monotonic()
    code = run_image(
        sleeper_image,
        ["sh", "-c", "echo started; sleep 3602"],
        {},
        on_line=said,
        timeout=300,
        stop=stop,
    )
    assert (code, lines) == (143, ["started"])
    assert time.monotonic() - start < 60
    assert not any(b"sleep\x003602" in c for c in cmdlines())


def test_an_image_that_cannot_be_pulled_or_run_here_is_left_to_the_simulator(
    tmp_path: Path,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = f"{local_registry.address}/runner/missing@sha256:{'0' * 64}"
    assert run(missing, ["true"], {}) == (None, [])
    assert run("public.ecr.aws/docker/library/busybox:latest", ["true"], {}) == (None, [])
    other = "arm64" if os.uname().machine == "x86_64" else "amd64"
    assert run(foreign_image(tmp_path, local_registry.address, buildah_root, other), [], {}) == (
        None,
        [],
    )
    monkeypatch.setenv("PATH", str(tmp_path))  # no buildah on PATH
    assert run(missing, ["true"], {}) == (None, [])


def foreign_image(folder: Path, registry: str, root: str, arch: str) -> str:
    """An image built for another architecture (COPY only: nothing of it runs at build)."""
    (folder / "app.txt").write_text("other\n")
    (folder / "Dockerfile").write_text('FROM scratch\nCOPY app.txt /app.txt\nCMD ["/app"]\n')
    builder = BuildahBuilder(root)
    uri = f"{registry}/runner/foreign:{arch}"
    build = [*builder.global_args(), "build", "--isolation", "chroot", "--arch", arch]
    proc.run([*build, "--tag", uri, str(folder)])
    return f"{registry}/runner/foreign@{builder.push(uri, insecure_registry=True, auth=None)}"
