"""Shared fixtures: real git repositories in temp folders, a real moto server over HTTP, real
images (buildah, a local registry) and faults in front of the server. Helpers that are not
fixtures live in tests/support/; no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from git_lift.build import ROOT_VARIABLE
from git_lift.sandbox.local_registry import RegistryHandle, start_registry
from tests.support.accounts import GITLIFT
from tests.support.ecs import make_shippable
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import PLATFORM_GITLIFT, PLATFORM_SERVICES
from tests.support.image import HAVE_BUILDAH, HAVE_REGISTRY
from tests.support.proxy import FaultProxy
from tests.support.signal_guard import left_as_found

if TYPE_CHECKING:  # moto's server is imported by the tests that use it: the fast ones never do
    from git_lift.sandbox.server import SandboxServer

FAST = Path(__file__).resolve().parent / "fast"


# Fixtures that reach outside the process: a fast test may not use them.
OUT_OF_PROCESS = {
    "aws", "server", "session", "sandbox_server", "lift", "local_registry", "buildah_root",
    "fault_proxy", "shipping", "two_accounts", "platform",
}  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """An xdist worker ends without the interpreter's teardown once its session is over and
    its results are with the main process (which alone decides the exit code): freeing a
    worker's heap (moto, botocore's models, thousands of tests' objects) module by module
    took three of the in-process suite's thirty seconds, while the main process waited for
    the workers to exit (issue 19). Registered first, the handler runs after every other."""
    if hasattr(config, "workerinput"):
        atexit.register(_end_worker_at_once)


def _end_worker_at_once() -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """tests/fast/ is in-process by definition; files elsewhere opt in with
    `pytestmark = pytest.mark.fast` (`make test` runs and times them first)."""
    for item in items:
        if FAST in item.path.parents:
            item.add_marker(pytest.mark.fast)
        used = OUT_OF_PROCESS & set(getattr(item, "fixturenames", ()))
        if used and item.get_closest_marker("fast"):
            raise pytest.UsageError(
                f"{item.nodeid} is marked fast (in-process) but uses {', '.join(sorted(used))}: "
                "use the fakes (tests/support/fakes/), or move it out of the fast suite"
            )


@pytest.fixture(scope="session", autouse=True)
def botocore_data_read_once() -> Iterator[None]:
    """Each test has its own AWS_* variables (its own HOME), so git lift's shared_session makes
    a botocore session per test, and each session would parse the service models and the
    endpoints JSON anew: seconds of the in-process suite (issue 19). One loader per data path,
    shared by the sessions of this test process, reads each file once, as the clients of one
    session share it in git lift; what is loaded stays the same."""
    import botocore.session

    made: dict[str | None, Any] = {}
    create_loader = botocore.session.create_loader

    def shared_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in made:
            made[search_path_string] = create_loader(search_path_string)
        return made[search_path_string]

    patch = pytest.MonkeyPatch()
    patch.setattr(botocore.session, "create_loader", shared_loader)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def signals_left_as_found() -> Iterator[None]:
    """Fails the test that leaves SIGINT, SIGTERM or SIGHUP handled, ignored or blocked
    otherwise than it found them (tests/support/signal_guard.py)."""
    yield from left_as_found(pytest.fail)


FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pinned identity, no user or system config, no stray AWS configuration."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".state"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Dev")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "dev@example.com")
    for name in list(os.environ):
        if name.startswith(("AWS_", "GIT_LIFT_")) or name in {"GIT_DIR", "GIT_INDEX_FILE"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    from git_lift.sandbox.server import SandboxServer

    server = SandboxServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A clean moto server over real HTTP, with fake credentials exported for subprocesses."""
    sandbox_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox_server.url)
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    yield sandbox_server


@pytest.fixture
def server(sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox, for tests that talk to it directly (not through env vars)."""
    return sandbox_server


@pytest.fixture
def session(server: SandboxServer) -> boto3.session.Session:
    """A boto3 session with fake credentials, on a freshly reset sandbox."""
    server.reset()
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A service repository `payments-api` with a bare origin and one commit pushed."""
    return GitRepo.create(
        tmp_path / "payments-api", origin=tmp_path / "remote" / "payments-api.git"
    )


@pytest.fixture
def lift(repo: GitRepo) -> Lift:
    return Lift(repo.path)


@pytest.fixture(scope="session")
def buildah_storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One buildah storage root for the whole session: layers are reused between tests."""
    if not HAVE_BUILDAH:
        pytest.skip("buildah is not installed (apt-get install buildah)")
    return str(tmp_path_factory.mktemp("buildah"))


@pytest.fixture
def buildah_root(buildah_storage: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's buildah root, exported as GIT_LIFT_BUILDAH_ROOT for this test so that
    `detect_builder()` and `git lift` subprocesses use it (conftest clears GIT_LIFT_* first)."""
    monkeypatch.setenv(ROOT_VARIABLE, buildah_storage)
    return buildah_storage


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryHandle]:
    """A real registry on 127.0.0.1:<free port>, stopped at the end of the session."""
    if not HAVE_REGISTRY:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    with start_registry(str(tmp_path_factory.mktemp("registry"))) as handle:
        yield handle


@pytest.fixture
def shipping(
    aws: Any,
    repo: GitRepo,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> GitRepo:
    """A service ready to ship (see tests.support.ecs.make_shippable), pushed to its origin."""
    make_shippable(repo, local_registry.address, monkeypatch)
    repo.git("push", "-q", "origin", "main")
    return repo


@pytest.fixture
def shipping_tasks(
    aws: Any,
    repo: GitRepo,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> GitRepo:
    """As `shipping`, its ECS services placing and logging tasks as the service stack makes
    them (create_service's runs_tasks): for one-off tasks, release commands and jobs."""
    make_shippable(repo, local_registry.address, monkeypatch, runs_tasks=True)
    repo.git("push", "-q", "origin", "main")
    return repo


@pytest.fixture
def two_accounts(aws: Any, repo: GitRepo, lift: Lift) -> GitRepo:
    repo.write(".gitlift", GITLIFT)
    repo.commit("Production in its own account")
    repo.git("push", "-q", "origin", "main")
    assert lift("trust", "--yes").returncode == 0  # roleArn chooses credentials
    return repo


@pytest.fixture
def fault_proxy(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A proxy in front of the clean sandbox; AWS_ENDPOINT_URL points at the proxy."""
    proxy = FaultProxy(aws.url).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def platform(aws: Any, tmp_path: Path, lift: Lift) -> GitRepo:
    """Three services, each with two keys, and main mapped to staging and qa."""
    files = {".gitlift": PLATFORM_GITLIFT} | {
        f"{name}/env.sample": "BASE_A=x\nBASE_B=x\n" for name in PLATFORM_SERVICES
    }
    repo = GitRepo.create(
        tmp_path / "platform", origin=tmp_path / "remote" / "platform.git", files=files
    )
    assert lift("hooks", "install", cwd=repo.path).returncode == 0
    return repo
