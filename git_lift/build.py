"""Image builders behind one interface: docker (with a daemon), buildah, podman.

buildah runs daemonless and as root inside a container: `--isolation chroot`, vfs storage in a
root of git lift's own (`GIT_LIFT_BUILDAH_ROOT`, else a cache folder), so it never clashes
with storage that another tool set up with another driver. Passwords reach `login` on stdin.
"""

from __future__ import annotations

import os
import platform as host
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from git_lift import proc
from git_lift.errors import LiftError, UsageError
from git_lift.registry import RegistryAuth, is_loopback, parse_image

BUILDERS = ("auto", "docker", "buildah", "podman")
ROOT_VARIABLE = "GIT_LIFT_BUILDAH_ROOT"
NO_BUILDER_HINT = "install buildah (apt-get install buildah) or pass --image URI"
TAIL_LINES = 15
LOGIN_TIMEOUT = 120.0
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class Builder(ABC):
    """Builds an image from a Dockerfile and pushes it; one implementation per tool."""

    name: str

    def __init__(self, *, stream: bool = False) -> None:
        self.stream = stream  # let the tool's output through instead of capturing it

    @abstractmethod
    def build(
        self,
        context_dir: str,
        dockerfile: str,
        tag: str,
        build_args: Mapping[str, str],
        labels: Mapping[str, str],
    ) -> None:
        """Build `dockerfile` in `context_dir` as `tag` (a full `registry/repo:tag` name)."""

    @abstractmethod
    def push(self, tag: str, *, insecure_registry: bool, auth: RegistryAuth | None) -> str:
        """Push `tag` to its registry; return the pushed manifest digest (`sha256:...`)."""

    @abstractmethod
    def login(self, registry: str, username: str, password: str, *, insecure: bool = False) -> None:
        """Store credentials for `registry` where the tool keeps them; password over stdin."""

    def _run(self, args: Sequence[str], what: str, *, input_text: str | None = None) -> str:
        """Run a long step (build, push), streamed or captured; raise with its last lines."""
        if self.stream and input_text is None:
            result = proc.run_streaming(args)
            if result.returncode != 0:
                raise LiftError(f"{what} failed (exit {result.returncode}); its output is above")
            return ""
        result = proc.run(args, input_text=input_text, check=False)
        if result.returncode != 0:
            raise LiftError(f"{what} failed (exit {result.returncode}):\n{_tail(result)}")
        return result.stdout


class DockerBuilder(Builder):
    """docker talking to a daemon. Whether http is allowed is the daemon's setting (it trusts
    127.0.0.0/8 by default); `login` stores credentials in docker's config as `docker login`."""

    name = "docker"

    def build(
        self,
        context_dir: str,
        dockerfile: str,
        tag: str,
        build_args: Mapping[str, str],
        labels: Mapping[str, str],
    ) -> None:
        args = ["docker", "build", "--file", dockerfile, "--tag", tag]
        args += _pairs("--build-arg", build_args) + _pairs("--label", labels)
        self._run([*args, context_dir], f"docker build of {tag}")

    def push(self, tag: str, *, insecure_registry: bool, auth: RegistryAuth | None) -> str:
        registry = _registry_of(tag, insecure_registry)
        if auth is not None:
            self.login(registry, auth.username, auth.password, insecure=insecure_registry)
        output = proc.run(["docker", "push", tag], check=False)
        if output.returncode != 0:
            raise LiftError(f"docker push of {tag} failed:\n{_tail(output)}")
        found = re.search(r"digest: (sha256:[0-9a-f]{64})", output.stdout)
        if found:
            return found.group(1)
        return self._repo_digest(tag)

    def login(self, registry: str, username: str, password: str, *, insecure: bool = False) -> None:
        args = ["docker", "login", "--username", username, "--password-stdin", registry]
        _login(args, registry, password)

    def _repo_digest(self, tag: str) -> str:
        fmt = "{{range .RepoDigests}}{{println .}}{{end}}"
        inspected = proc.run(["docker", "image", "inspect", "--format", fmt, tag], check=False)
        repository = tag.rsplit(":", 1)[0] if "/" not in tag.rsplit(":", 1)[-1] else tag
        for line in inspected.stdout.splitlines():
            name, _, digest = line.strip().partition("@")
            if name == repository and DIGEST.fullmatch(digest):
                return digest
        raise LiftError(f"docker pushed {tag} but did not say which digest it has")


class BuildahBuilder(Builder):
    """buildah, daemonless; vfs storage under a root of git lift's own."""

    name = "buildah"
    program = "buildah"

    def __init__(self, root: str | None = None, *, stream: bool = False) -> None:
        super().__init__(stream=stream)
        self.root = root or storage_root()

    def global_args(self) -> list[str]:
        return [
            self.program,
            "--root",
            os.path.join(self.root, "storage"),
            "--runroot",
            os.path.join(self.root, "run"),
            "--storage-driver",
            "vfs",
        ]

    def build_options(self) -> list[str]:
        return ["--isolation", "chroot", "--layers"]

    def build(
        self,
        context_dir: str,
        dockerfile: str,
        tag: str,
        build_args: Mapping[str, str],
        labels: Mapping[str, str],
    ) -> None:
        args = [*self.global_args(), "build", *self.build_options()]
        args += ["--file", dockerfile, "--tag", tag]
        args += _pairs("--build-arg", build_args) + _pairs("--label", labels)
        self._run([*args, context_dir], f"{self.program} build of {tag}")

    def push(self, tag: str, *, insecure_registry: bool, auth: RegistryAuth | None) -> str:
        registry = _registry_of(tag, insecure_registry)
        with _private_dir() as scratch:
            digest_file = os.path.join(scratch, "digest")
            args = [*self.global_args(), "push", "--digestfile", digest_file]
            if insecure_registry:
                args.append("--tls-verify=false")
            if auth is not None:
                auth_file = os.path.join(scratch, "auth.json")
                self._login(registry, auth.username, auth.password, insecure_registry, auth_file)
                args += ["--authfile", auth_file]
            self._run([*args, tag, f"docker://{tag}"], f"{self.program} push of {tag}")
            try:
                with open(digest_file, encoding="utf-8") as handle:
                    digest = handle.read().strip()
            except OSError as exc:
                raise LiftError(f"{self.program} pushed {tag} but wrote no digest") from exc
        if not DIGEST.fullmatch(digest):
            raise LiftError(f"{self.program} pushed {tag} but wrote an odd digest {digest!r}")
        return digest

    def login(self, registry: str, username: str, password: str, *, insecure: bool = False) -> None:
        self._login(registry, username, password, insecure, None)

    def _login(
        self,
        registry: str,
        username: str,
        password: str,
        insecure: bool,
        auth_file: str | None,
    ) -> None:
        args = [*self.global_args(), "login", "--username", username, "--password-stdin"]
        if insecure:
            args.append("--tls-verify=false")
        if auth_file:
            args += ["--authfile", auth_file]
        _login([*args, registry], registry, password)


class PodmanBuilder(BuildahBuilder):
    """podman shares buildah's code and flags but keeps its own configured storage."""

    name = "podman"
    program = "podman"

    def global_args(self) -> list[str]:
        return [self.program]

    def build_options(self) -> list[str]:
        return []


DAEMONLESS: dict[str, type[BuildahBuilder]] = {"buildah": BuildahBuilder, "podman": PodmanBuilder}


def storage_root() -> str:
    """Where buildah keeps git lift's images: `$GIT_LIFT_BUILDAH_ROOT`, else a cache folder."""
    configured = os.environ.get(ROOT_VARIABLE)
    if configured:
        return configured
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "git-lift", "buildah")


def docker_daemon_problem() -> str | None:
    """None when `docker info` reaches a daemon, else why not (first line of its complaint)."""
    if proc.which("docker") is None:
        return "not installed"
    try:
        info = ["docker", "info", "--format", "{{.ServerVersion}}"]
        result = proc.run(info, check=False, timeout=20)
    except LiftError as exc:
        return exc.message
    if result.returncode == 0:
        return None
    lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return f"no daemon answers ({lines[0]})" if lines else "no daemon answers"


def detect_builder(preference: str = "auto", *, stream: bool = False) -> Builder:
    """The builder to use: the one asked for, or docker with a daemon, else buildah, else podman."""
    if preference not in BUILDERS:
        raise UsageError(
            f"unknown builder {preference!r}",
            hint=f"choose one of {', '.join(BUILDERS)}: git config lift.builder buildah",
        )
    if preference == "docker":
        problem = docker_daemon_problem()
        if problem is None:
            return DockerBuilder(stream=stream)
        raise LiftError(
            f"cannot build with docker: {problem}",
            hint="start the docker daemon, or build with buildah: git config lift.builder buildah",
        )
    if preference in ("buildah", "podman"):
        if proc.which(preference) is None:
            raise LiftError(
                f"cannot build with {preference}: not installed",
                hint=f"install {preference} (apt-get install {preference}) or pass --image URI",
            )
        return DAEMONLESS[preference](stream=stream)
    problem = docker_daemon_problem()
    if problem is None:
        return DockerBuilder(stream=stream)
    for name, builder in DAEMONLESS.items():
        if proc.which(name) is not None:
            return builder(stream=stream)
    raise LiftError(
        f"no image builder found: docker ({problem}), buildah and podman (not installed)",
        hint=NO_BUILDER_HINT,
    )


def host_platform() -> str:
    """This machine's platform as --platform names it (`linux/amd64`, `linux/arm64`)."""
    machine = host.machine().lower()
    names = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    return f"linux/{names.get(machine, machine)}"


def _pairs(flag: str, values: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in values.items():
        if not key or "=" in key:
            raise UsageError(f"bad {flag} name {key!r}", hint=f"pass {flag} NAME=VALUE")
        args += [flag, f"{key}={value}"]
    return args


def _registry_of(tag: str, insecure: bool) -> str:
    registry = parse_image(tag).registry
    if insecure and not is_loopback(registry):
        raise UsageError(
            f"refusing to push {tag} over plain http: only a loopback registry may be insecure",
            hint="push to the registry's https address",
        )
    return registry


def _login(args: Sequence[str], registry: str, password: str) -> None:
    result = proc.run(args, input_text=password, check=False, timeout=LOGIN_TIMEOUT)
    if result.returncode != 0:
        raise LiftError(
            f"{args[0]} could not log in to {registry}:\n{_tail(result)}",
            hint=f"check the credentials for {registry}",
        )


def _tail(result: proc.Result) -> str:
    lines = (result.stdout.rstrip() + "\n" + result.stderr.rstrip()).strip().splitlines()
    return "\n".join(f"  {line}" for line in lines[-TAIL_LINES:]) or "  (no output)"


@contextmanager
def _private_dir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="git-lift-")  # mode 0700: may hold an auth file
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
