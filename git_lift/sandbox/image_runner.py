"""Run a task's image for real in the sandbox: buildah, `--isolation chroot`.

The OCI runtime cannot run containers on these machines (no cgroup controllers); buildah's
chroot isolation can. Its storage is the one image builds use (`GIT_LIFT_BUILDAH_ROOT`, vfs).

Values never reach an argv: `buildah run --env NAME=VALUE` would show them in buildah's command
line, and buildah 1.28 has no env file and takes no value from its own environment or from
containers.conf at run time. So the environment is written to a 0600 file in a private (0700)
temporary folder, bind-mounted read-only into the container, and sourced by the image's own
/bin/sh before it runs the command. An image without /bin/sh can run only a task without
environment; with one, it is simulated (None). The shell stays the command's parent rather
than exec'ing it, so that a command killed by a signal exits 128+N as ECS reports it (buildah
reports every signal death as 1), and the command's stderr joins its stdout in order, as the
awslogs driver sends both to one stream.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from git_lift import proc
from git_lift.build import BuildahBuilder
from git_lift.errors import LiftError
from git_lift.registry import is_loopback, parse_image

log = logging.getLogger(__name__)

SHELL = "/bin/sh"
ENV_FILE = "/run/git-lift/environment"  # where the container sees the environment file
STOPPED = 137  # what ECS reports for a container stopped by SIGKILL
STOPPED_BY_SIGTERM = 143  # 128 + SIGTERM: how a container ends on StopTask's signal
PULL_TIMEOUT = 300.0
STEP_TIMEOUT = 60.0  # inspect, mount, rm: local bookkeeping
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # what a shell can export
# buildah's own last words on a non-zero exit, written to the same stderr as the command's:
# not the app's output.
BUILDAH_TRAILER = re.compile(r"(subprocess exited (with status \d+|on \w+)|Error: exit status \d+)")
# Go's names for this machine's architecture, as images record it.
GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def run_image(
    image: str,
    command: Sequence[str] | None,
    environment: Mapping[str, str],
    *,
    on_line: Callable[[str], None],
    timeout: float,
    stop: threading.Event | None = None,
) -> int | None:
    """Run `image`'s entrypoint with `command` (None: the image's CMD) and `environment`;
    each output line goes to on_line as it comes; returns the exit code, or None when the
    image cannot be run on this machine (then nothing was sent to on_line). `stop` set (the
    task's StopTask) ends the container as ECS does."""
    outcome = _run(image, command, environment, on_line, timeout, stop)
    if isinstance(outcome, str):
        log.debug("not running %s for real (its task is simulated): %s", image, outcome)
        return None
    return outcome


def _run(
    image: str,
    command: Sequence[str] | None,
    environment: Mapping[str, str],
    on_line: Callable[[str], None],
    timeout: float,
    stop: threading.Event | None = None,
) -> int | str:
    """The exit code, or why the image cannot run here."""
    try:
        registry = parse_image(image).registry
    except LiftError as exc:
        return exc.message
    if proc.which("buildah") is None:
        return "buildah is not installed"
    buildah = BuildahBuilder()
    with _working_container(buildah, image, insecure=is_loopback(registry)) as found:
        if isinstance(found, str):
            return found
        container, config = found
        argv = [*(config.get("Entrypoint") or []), *(command or [])]
        if command is None:
            argv += config.get("Cmd") or []
        if not argv:
            return "it has no ENTRYPOINT or CMD and the task gives no command"
        odd = sorted(name for name in environment if not NAME.fullmatch(name))
        if odd:
            return f"a shell cannot export {', '.join(odd)}"
        has_shell = _has_shell(buildah, container)
        if environment and not has_shell:
            return f"it has no {SHELL} to read the environment without argv"
        with _environment_file(environment) as env_file:
            args = [*buildah.global_args(), "run", "--isolation", "chroot"]
            if env_file is not None:
                args += ["--volume", f"{env_file}:{ENV_FILE}:ro"]
            args += [container, "--", *(_wrapped(argv, env_file) if has_shell else argv)]
            code = proc.run_lines(
                args, on_line=_without_trailer(on_line), timeout=timeout, stop=stop
            )
        if code is None and stop is not None and stop.is_set():
            return STOPPED_BY_SIGTERM
        if code is None:
            on_line(
                f"git lift sandbox: stopped the container after {timeout:g}s (SIGTERM, SIGKILL)"
            )
            return STOPPED
        return code


@contextmanager
def _working_container(
    buildah: BuildahBuilder, image: str, *, insecure: bool
) -> Iterator[tuple[str, dict[str, Any]] | str]:
    """A working container of `image` and its OCI config, removed afterwards; or why not.
    `insecure`: plain http, for a loopback registry (the sandbox's)."""
    name = f"git-lift-task-{uuid.uuid4().hex[:12]}"
    args = [*buildah.global_args(), "from", "--quiet", "--name", name, "--retry", "0"]
    if insecure:
        args.append("--tls-verify=false")
    try:  # removed even when the pull was cut off after it made the container
        pulled = _step([*args, f"docker://{image}"], PULL_TIMEOUT)
        if pulled is None or pulled.returncode != 0:
            yield f"buildah could not pull it: {_last_line(pulled)}"
            return
        oci = _oci_config(buildah, name)
        architecture, machine = oci.get("architecture", ""), platform.machine()
        if architecture != GOARCH.get(machine, machine):
            yield f"its architecture is {architecture or 'unknown'}, this machine's {machine}"
        else:
            yield name, dict(oci.get("config") or {})
    finally:
        _step([*buildah.global_args(), "rm", name])


def _oci_config(buildah: BuildahBuilder, container: str) -> dict[str, Any]:
    """The container's image config as OCI writes it (architecture, config.Entrypoint...)."""
    inspected = _step([*buildah.global_args(), "inspect", "--type", "container", container])
    try:
        return dict(json.loads(inspected.stdout)["OCIv1"]) if inspected else {}
    except (ValueError, KeyError, TypeError):
        return {}


def _has_shell(buildah: BuildahBuilder, container: str) -> bool:
    mounted = _step([*buildah.global_args(), "mount", container])
    if mounted is None or mounted.returncode != 0:
        return False
    try:
        root = mounted.stdout.strip()
        return os.path.lexists(os.path.join(root, SHELL.lstrip("/")))
    finally:
        _step([*buildah.global_args(), "umount", container])


def _step(args: Sequence[str], timeout: float = STEP_TIMEOUT) -> proc.Result | None:
    try:
        return proc.run(args, check=False, timeout=timeout)
    except LiftError as exc:
        log.debug("%s", exc.message)
        return None


def _last_line(result: proc.Result | None) -> str:
    if result is None:
        return "it did not finish in time"
    lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return lines[-1] if lines else f"exit {result.returncode}"


def _wrapped(argv: Sequence[str], env_file: str | None) -> list[str]:
    """`argv` run by the image's shell: the environment sourced first, stderr into stdout."""
    source = f"set -a; . {ENV_FILE}; set +a; " if env_file is not None else ""
    # `; exit $?`: a lone command would be exec'd by busybox's sh, losing the signal's code.
    return [SHELL, "-c", f'{source}"$@" 2>&1; exit $?', "git-lift-task", *argv]


@contextmanager
def _environment_file(environment: Mapping[str, str]) -> Iterator[str | None]:
    """`environment` as shell assignments in a 0600 file under a private folder; None when
    there is nothing to pass."""
    if not environment:
        yield None
        return
    folder = tempfile.mkdtemp(prefix="git-lift-task-")  # 0700
    try:
        path = os.path.join(folder, "environment")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.writelines(f"{name}={_quoted(value)}\n" for name, value in environment.items())
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _without_trailer(on_line: Callable[[str], None]) -> Callable[[str], None]:
    def forward(line: str) -> None:
        if not BUILDAH_TRAILER.fullmatch(line):
            on_line(line)

    return forward
