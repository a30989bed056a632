"""`git lift dashboard` against the sandbox: two services in staging and production, with a
promotion, a rollback and a failed release. The page is written with --html for CI and served
on loopback, and read by a real headless browser (Debian's chromium)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import struct
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.ecs import create_service
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config

SERVICES = ("api", "billing")
ENVS = ("staging", "production")
SECRET = "pg-pass-5ecret-9f8e7d"  # a value in the store: never on the page
HOSTILE = 'api: show "<script>" in reviews as text & speed up checkout'
GITLIFT = "".join(f'[service "{name}"]\n\tpath = {name}\n' for name in SERVICES) + (
    '[env "production"]\n\tref = refs/tags/v*\n\tconfirm = true\n\trequires = staging\n'
    '[env "staging"]\n\tref = refs/heads/main\n'
)
CHROMIUM = shutil.which("chromium")
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
# Read at import: each test's environment is cleared of GIT_LIFT_* (conftest.isolated_git).
UPDATE_SCREENSHOT = bool(os.environ.get("GIT_LIFT_UPDATE_SCREENSHOT"))


def image(service: str, n: int) -> str:
    return f"registry.example.com/{service}@sha256:{hashlib.sha256(bytes([n])).hexdigest()}"


@pytest.fixture
def shop(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """api and billing released to staging and promoted to production; then in staging api
    ships a commit with a hostile subject, billing one it rolls back, then a failed one."""
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    files = {".gitlift": GITLIFT} | {f"{s}/env.sample": "DATABASE_URL=x\n" for s in SERVICES}
    repo = GitRepo.create(tmp_path / "shop", origin=tmp_path / "remote" / "shop.git", files=files)
    for env in ENVS:
        for service in SERVICES:
            create_service(env, service, desired=1)
            put_config(env, service, DATABASE_URL=f"postgres://app:{SECRET}@{env}-db/{service}")
    lift = Lift(repo.path)

    def ok(*args: str) -> None:
        result = lift(*args)
        assert result.returncode == 0, result.stderr

    for n, service in enumerate(SERVICES, 1):
        ok("ship", "-s", service, "-e", "staging", "--image", image(service, n))
        ok("promote", "-s", service, "--from", "staging", "--to", "production", "--yes")
    repo.write("api/app.txt", "faster\n")
    repo.commit(HOSTILE)
    repo.git("push", "-q", "origin", "main")
    ok("ship", "-s", "api", "-e", "staging", "--image", image("api", 3))
    repo.write("billing/app.txt", "EUR\n")
    repo.commit("billing: invoices in EUR")
    repo.git("push", "-q", "origin", "main")
    ok("ship", "-s", "billing", "-e", "staging", "--image", image("billing", 4))
    ok("rollback", "-s", "billing", "-e", "staging")
    put_config("staging", "billing", LIFT_SANDBOX_CRASH="1")  # its tasks exit 1 at start
    repo.write("billing/env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_CRASH=0\n")
    repo.commit("billing: retry webhooks")
    repo.git("push", "-q", "origin", "main")
    failed = lift("ship", "-s", "billing", "-e", "staging", "--image", image("billing", 5))
    assert failed.returncode == 1, failed.stderr
    return repo


def test_the_page_for_ci_reads_each_thing_once_and_shows_no_value(
    aws: Any, shop: GitRepo, tmp_path: Path
) -> None:
    page = tmp_path / "public" / "index.html"
    page.parent.mkdir()
    aws.reset_counts()
    result = Lift(shop.path)("dashboard", "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert f"wrote {page}: 2 services, 2 environments" in result.stderr
    # One release listing, one DescribeServices, one task definition and one name listing per
    # service and environment: what `status` reads, and nothing twice.
    targets = len(SERVICES) * len(ENVS)
    assert aws.request_counts() == {
        "dynamodb.Query": targets,
        "ecs.DescribeServices": targets,
        "ecs.DescribeTaskDefinition": targets,
        "ssm.DescribeParameters": targets,
    }
    text = page.read_text()
    assert SECRET not in text and "postgres://" not in text
    assert "<script" not in text  # the subject is text, not markup
    assert "show &quot;&lt;script&gt;&quot; in reviews as text &amp; speed up" in text
    assert "connect-src" not in text and "default-src 'none'" in text  # nothing fetched
    assert oct(page.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_page_written_where_no_folder_is_names_the_fix(aws: Any, shop: GitRepo) -> None:
    result = Lift(shop.path)("dashboard", "--html", "no/such/folder/index.html")
    assert result.returncode == 1
    assert "error: cannot write no/such/folder/index.html" in result.stderr
    assert "hint: " in result.stderr and "mkdir -p no/such/folder" in result.stderr


class Served:
    """`git lift dashboard` running in its own session, as in a terminal."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            # -q: the address is printed all the same. git itself dies of a Ctrl-C (test_logs).
            ["git-lift", "dashboard", "-q"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = re.fullmatch(r"dashboard at (http://127\.0\.0\.1:\d+/)\n", first)
        assert found, first + self.process.communicate()[1]
        self.url = found.group(1)

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a terminal sends it to the foreground group."""
        os.killpg(self.process.pid, signal.SIGINT)
        printed, said = self.process.communicate(timeout=30)
        return self.process.returncode, printed + said


def fetch(url: str, method: str = "GET", host: str | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method=method)
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers)


def chromium(*args: str, profile: Path) -> str:
    """Debian's chromium, headless, kept off the network but for the page it is given."""
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    result = subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: .ci/run installs Debian's chromium")
def test_a_browser_shows_every_service_in_every_environment_from_the_loopback_server(
    shop: GitRepo, tmp_path: Path
) -> None:
    served = Served(shop.path)
    try:
        status, headers = fetch(served.url)
        assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
        assert fetch(served.url, method="POST")[0] == 501  # read-only: GET and nothing else
        assert fetch(served.url + "releases")[0] == 404
        # A page on loopback is still in reach of a site whose name resolves to 127.0.0.1
        # (DNS rebinding): another Host is refused.
        assert fetch(served.url, host="evil.example.com")[0] == 421
        dom = chromium("--dump-dom", served.url, profile=tmp_path / "profile")
        shot = tmp_path / "dashboard.png"
        chromium(
            "--window-size=1280,1180",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            served.url,
            profile=tmp_path / "profile",
        )
    finally:
        code, said = served.stop()
    assert (code, said) == (0, "")  # Ctrl-C stops it quietly

    for service in SERVICES:
        row = re.search(rf'<tr data-service="{service}">(.*?)</tr>', dom, re.S)
        assert row, dom
        cells = re.findall(r'<td class="cell (\w+)" data-env="(\w+)">', row.group(1))
        assert [env for _, env in cells] == ["staging", "production"]  # promotion order
    billing = re.search(r'<tr data-service="billing">.*?data-env="staging">(.*?)</td>', dom, re.S)
    assert billing and "release 3" in billing.group(1)  # the rollback runs, not the failure
    assert "then release 4: failed" in billing.group(1)
    events = re.findall(r'<tr class="(\w+)" data-env="(\w+)" data-service="(\w+)">', dom)
    kinds = sorted(set(events))
    assert ("failed", "staging", "billing") in kinds
    assert ("rollback", "staging", "billing") in kinds
    assert ("promotion", "production", "api") in kinds
    assert ("promotion", "production", "billing") in kinds
    gap = re.search(r'data-service="api" data-from="staging" data-to="production">(.*?)</div>', dom)
    assert gap and 'show "&lt;script&gt;" in reviews' in gap.group(1)  # text, escaped
    assert "1 commit in staging, not yet in production" in gap.group(1)
    in_step = 'data-service="billing" data-from="staging" data-to="production"><h3>'
    assert in_step in dom and "in step" in dom.split(in_step)[1].split("</div>")[0]
    assert SECRET not in dom and "<script" not in dom

    width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # the PNG's IHDR
    assert (width, height) == (1280, 1180)
    if UPDATE_SCREENSHOT:  # the README's picture
        shutil.copyfile(shot, SCREENSHOT)
