from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from git_lift import proc
from git_lift.build import (
    NO_BUILDER_HINT,
    BuildahBuilder,
    DockerBuilder,
    PodmanBuilder,
    detect_builder,
    host_platform,
)
from git_lift.errors import LiftError, UsageError
from git_lift.registry import RegistryAuth, image_config, manifest_digest
from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.image import layer_files, needs_buildah, needs_registry, write_scratch_context

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
SOURCE = "https://git.example.com/acme/payments-api"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


# -- real buildah, real registry --------------------------------------------------------------


@needs_buildah
@needs_registry
def test_build_and_push_then_read_the_image_back(
    tmp_path: Path,
    buildah_root: str,
    local_registry: RegistryHandle,
) -> None:
    context, dockerfile = write_scratch_context(
        tmp_path / "ctx",
        {"hello.txt": "hello from git lift\n"},
        ("ARG GREETING=hi", "ENV GREETING=$GREETING"),
    )
    builder = detect_builder("buildah")
    assert isinstance(builder, BuildahBuilder) and builder.root == buildah_root
    registry = local_registry.address
    tag = f"{registry}/acme/payments-api:{SHA}"
    labels = {"org.opencontainers.image.revision": SHA, "org.opencontainers.image.source": SOURCE}

    builder.build(context, dockerfile, tag, {"GREETING": "yo"}, labels)
    digest = builder.push(tag, insecure_registry=True, auth=None)

    assert DIGEST.match(digest)
    assert manifest_digest(registry, "acme/payments-api", SHA, insecure=True) == digest
    config = image_config(registry, "acme/payments-api", digest, insecure=True)
    assert config is not None
    assert labels.items() <= config["config"]["Labels"].items()
    assert "GREETING=yo" in config["config"]["Env"]
    files = layer_files(registry, "acme/payments-api", digest)
    assert files["hello.txt"] == b"hello from git lift\n"
    assert os.path.isdir(os.path.join(buildah_root, "storage"))


@needs_buildah
@needs_registry
def test_push_with_credentials_sends_the_password_on_stdin(
    tmp_path: Path,
    buildah_root: str,
    local_registry: RegistryHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[list[str], str | None]] = []
    real_run = proc.run

    def spy(args: Sequence[str], **kwargs: object) -> proc.Result:
        input_text = kwargs.get("input_text")
        calls.append((list(args), input_text if isinstance(input_text, str) else None))
        return real_run(args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(proc, "run", spy)
    context, dockerfile = write_scratch_context(tmp_path / "ctx", {"app.txt": "v2\n"})
    builder = BuildahBuilder(buildah_root)
    tag = f"{local_registry.address}/acme/auth-test:v2"
    builder.build(context, dockerfile, tag, {}, {})
    # This registry asks for no credentials, so any pair logs in: the point is how they travel.
    digest = builder.push(tag, insecure_registry=True, auth=RegistryAuth("AWS", "hunter2-secret"))

    assert manifest_digest(local_registry.address, "acme/auth-test", "v2", insecure=True) == digest
    logins = [(args, stdin) for args, stdin in calls if "login" in args]
    assert len(logins) == 1 and logins[0][1] == "hunter2-secret"
    assert all("hunter2-secret" not in " ".join(args) for args, _ in calls)
    auth_file = logins[0][0][logins[0][0].index("--authfile") + 1]
    assert not os.path.exists(auth_file), "the temporary auth file must be removed"


@needs_buildah
def test_build_failure_shows_the_last_lines(tmp_path: Path, buildah_root: str) -> None:
    context, dockerfile = write_scratch_context(tmp_path / "ctx", {}, ("COPY missing.txt /",))
    with pytest.raises(LiftError) as caught:
        BuildahBuilder(buildah_root).build(context, dockerfile, "localhost/broken:1", {}, {})
    assert "buildah build of localhost/broken:1 failed" in caught.value.message
    assert "missing.txt" in caught.value.message


@needs_buildah
def test_streamed_build_failure_points_at_the_output(
    tmp_path: Path,
    buildah_root: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    context, dockerfile = write_scratch_context(tmp_path / "ctx", {}, ("COPY missing.txt /",))
    with pytest.raises(LiftError, match="its output is above"):
        BuildahBuilder(buildah_root, stream=True).build(
            context, dockerfile, "localhost/broken:2", {}, {}
        )
    streamed = capfd.readouterr()
    assert "missing.txt" in streamed.out + streamed.err


def test_plain_http_push_to_a_remote_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="only a loopback registry may be insecure"):
        BuildahBuilder(str(tmp_path)).push(
            "123.dkr.ecr.eu-west-1.amazonaws.com/api:v1", insecure_registry=True, auth=None
        )


def test_bad_build_arg_name_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="bad --build-arg name"):
        BuildahBuilder(str(tmp_path)).build(str(tmp_path), "Dockerfile", "x:1", {"A=B": "c"}, {})


# -- choosing a builder, with fake tools on an otherwise empty PATH ---------------------------


def fake_tools(folder: Path, scripts: Mapping[str, str]) -> None:
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)


NO_DAEMON = (
    'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2\nexit 1\n'
)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_no_builder_at_all(bin_dir: Path) -> None:
    with pytest.raises(LiftError, match="no image builder found: docker \\(not installed\\)") as e:
        detect_builder()
    assert e.value.hint == NO_BUILDER_HINT


@pytest.mark.parametrize("name", ["buildah", "podman"])
def test_asked_for_builder_not_installed(bin_dir: Path, name: str) -> None:
    with pytest.raises(LiftError, match=f"cannot build with {name}: not installed") as caught:
        detect_builder(name)
    assert caught.value.hint is not None and f"apt-get install {name}" in caught.value.hint


def test_unknown_builder_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown builder 'kaniko'"):
        detect_builder("kaniko")


def test_docker_without_daemon_falls_back_to_buildah(bin_dir: Path) -> None:
    fake_tools(bin_dir, {"docker": NO_DAEMON, "buildah": "exit 0\n", "podman": "exit 0\n"})
    assert type(detect_builder()) is BuildahBuilder
    with pytest.raises(LiftError, match="cannot build with docker: no daemon answers") as caught:
        detect_builder("docker")
    assert "Cannot connect to the Docker daemon" in caught.value.message
    assert caught.value.hint is not None and "start the docker daemon" in caught.value.hint


def test_podman_is_the_last_resort(bin_dir: Path) -> None:
    fake_tools(bin_dir, {"docker": NO_DAEMON, "podman": "exit 0\n"})
    assert type(detect_builder()) is PodmanBuilder


def test_docker_with_a_daemon_builds_and_pushes(bin_dir: Path, tmp_path: Path) -> None:
    log, stdin = tmp_path / "docker.log", tmp_path / "stdin"
    digest = "sha256:" + "ab" * 32
    fake_tools(
        bin_dir,
        {
            "buildah": "exit 0\n",
            "docker": f"""echo "$@" >> {log}
case "$1" in
  info) echo 27.1.1 ;;
  login) /bin/cat > {stdin} ;;
  push) echo "The push refers to repository [127.0.0.1:5000/api]"
        echo "v1: digest: {digest} size: 528" ;;
esac
""",
        },
    )
    builder = detect_builder()
    assert isinstance(builder, DockerBuilder)
    builder.build("/ctx", "/ctx/Dockerfile", "127.0.0.1:5000/api:v1", {"A": "1"}, {"l": "x y"})
    pushed = builder.push(
        "127.0.0.1:5000/api:v1", insecure_registry=True, auth=RegistryAuth("u", "pw")
    )
    assert pushed == digest
    assert stdin.read_text() == "pw"
    lines = log.read_text().splitlines()
    assert "build --file /ctx/Dockerfile --tag 127.0.0.1:5000/api:v1 --build-arg A=1" in lines[1]
    assert lines[1].endswith("--label l=x y /ctx")
    assert lines[2] == "login --username u --password-stdin 127.0.0.1:5000"
    assert lines[3] == "push 127.0.0.1:5000/api:v1"


def test_docker_digest_falls_back_to_repo_digests(bin_dir: Path) -> None:
    digest = "sha256:" + "cd" * 32
    fake_tools(
        bin_dir,
        {
            "docker": f"""case "$1" in
  info) echo 27.1.1 ;;
  push) echo "v1: Pushed" ;;
  image) echo "127.0.0.1:5000/other@sha256:{"00" * 32}"
         echo "127.0.0.1:5000/api@{digest}" ;;
esac
"""
        },
    )
    builder = detect_builder("docker")
    assert builder.push("127.0.0.1:5000/api:v1", insecure_registry=True, auth=None) == digest


def test_buildah_root_defaults_to_a_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_LIFT_BUILDAH_ROOT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builder = BuildahBuilder()
    assert builder.root == str(tmp_path / "cache" / "git-lift" / "buildah")
    assert builder.global_args()[1:3] == ["--root", f"{builder.root}/storage"]
    assert "vfs" in builder.global_args() and "chroot" in builder.build_options()


@pytest.mark.parametrize("tool", ["docker", "buildah"])
def test_the_build_is_for_the_platform_asked(bin_dir: Path, tmp_path: Path, tool: str) -> None:
    """cpu_architecture ARM64: `--platform linux/arm64`, whatever this machine is."""
    log = tmp_path / "build.log"
    script = f'echo "$@" >> {log}\ncase "$1" in info) echo 27.1.1 ;; esac\n'
    fake_tools(bin_dir, {"docker": script if tool == "docker" else NO_DAEMON, "buildah": script})
    builder = detect_builder(tool)
    builder.build("/ctx", "/ctx/Dockerfile", "127.0.0.1:5000/api:v1-arm64", {}, {}, "linux/arm64")
    built = [line for line in log.read_text().splitlines() if " --tag " in line]
    assert (
        len(built) == 1 and "--tag 127.0.0.1:5000/api:v1-arm64 --platform linux/arm64" in built[0]
    )


def test_host_platform_names_this_machine_as_platform_flags_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import platform

    for machine, expected in [
        ("x86_64", "linux/amd64"),
        ("aarch64", "linux/arm64"),
        ("arm64", "linux/arm64"),
    ]:
        monkeypatch.setattr(platform, "machine", lambda m=machine: m)
        assert host_platform() == expected
