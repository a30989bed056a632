"""What every command starts from: which service the current folder means, which .gitlift is
trusted (the remote default branch's, or the exact file the user trusted), and environments
asked in parallel."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from git_lift.errors import UsageError, ValidationError
from git_lift.flows import context as context_module
from git_lift.flows.context import gitlift_digest, in_parallel, is_trusted, trust_file
from git_lift.gitlift import Entry
from git_lift.options import Options
from git_lift.repo import Repo
from tests.support.flows import context
from tests.support.helpers import GitRepo

MONOREPO = '[service "api"]\n\tpath = .\n[service "worker"]\n\tpath = worker\n'


@pytest.fixture
def monorepo(tmp_path: Path) -> GitRepo:
    return GitRepo.create(
        tmp_path / "platform",
        origin=tmp_path / "remote" / "platform.git",
        files={".gitlift": MONOREPO, "env.sample": "A=1\n", "worker/env.sample": "Q=1\n"},
    )


def test_the_folder_you_are_in_picks_the_service(monorepo: GitRepo) -> None:
    (monorepo.path / "worker" / "src").mkdir()
    assert context(monorepo.path / "worker" / "src").service().name == "worker"
    assert context(monorepo.path / "worker").relative_cwd() == "worker"
    assert context(monorepo.path).service().name == "api"  # the service at the root


def test_s_names_a_service_wherever_you_are(monorepo: GitRepo) -> None:
    ctx = context(monorepo.path / "worker", Options(service="api"))
    assert ctx.service().name == "api"
    assert [svc.name for svc in ctx.services(every=False)] == ["api"]


def test_an_unknown_service_lists_the_known_ones(monorepo: GitRepo) -> None:
    with pytest.raises(UsageError) as refused:
        context(monorepo.path, Options(service="web")).service()
    assert refused.value.message == "unknown service 'web' (known: api, worker)"


def test_at_the_top_of_several_services_every_service_is_meant(monorepo: GitRepo) -> None:
    top = context(monorepo.path)
    assert [svc.name for svc in top.services(every=False)] == ["api", "worker"]
    inside = context(monorepo.path / "worker")
    assert [svc.name for svc in inside.services(every=False)] == ["worker"]
    assert [svc.name for svc in inside.services(every=True)] == ["api", "worker"]


def test_fix_commands_name_the_service_only_when_there_are_several(
    monorepo: GitRepo, tmp_path: Path
) -> None:
    assert context(monorepo.path).service_flag("worker") == " -s worker"
    single = GitRepo.create(tmp_path / "single")
    assert context(single.path).service_flag("single") == ""


def test_each_service_reads_its_own_env_sample(monorepo: GitRepo) -> None:
    ctx = context(monorepo.path)
    worker = ctx.settings.service("worker")
    assert ctx.env_sample_path(worker) == monorepo.path.resolve() / "worker" / "env.sample"


def test_a_gitlift_that_links_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.gitlift"
    outside.write_text('[env "production"]\n\tconfirm = false\n')
    repo = GitRepo.create(tmp_path / "app")
    os.symlink(outside, repo.path / ".gitlift")
    with pytest.raises(ValidationError, match="leads outside the repository"):
        context_module.work_tree_gitlift(Repo.discover(str(repo.path)))


def test_no_gitlift_is_no_entries(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "app")
    assert context_module.work_tree_gitlift(Repo.discover(str(repo.path))) == ([], b"")


def test_the_release_policy_is_the_remote_default_branchs_gitlift(monorepo: GitRepo) -> None:
    """A .gitlift changed in the work tree, or committed and not pushed, is not the policy."""
    pushed = [Entry("service.api.path", "."), Entry("service.worker.path", "worker")]
    monorepo.write(".gitlift", MONOREPO + '[env "production"]\n\tconfirm = false\n')
    monorepo.commit("Not pushed yet")
    assert context_module.trusted_policy(Repo.discover(str(monorepo.path))) == pushed


def test_trust_is_for_exactly_the_bytes_that_were_trusted(monorepo: GitRepo) -> None:
    repo = Repo.discover(str(monorepo.path))
    _, raw = context_module.work_tree_gitlift(repo)
    assert not is_trusted(repo, raw)
    trust_file(repo).parent.mkdir(exist_ok=True)
    trust_file(repo).write_text(gitlift_digest(b"an older file") + "\n" + gitlift_digest(raw))
    assert is_trusted(repo, raw)
    assert not is_trusted(repo, raw + b"\n")  # one byte more is another file


def test_environments_are_asked_at_the_same_time_in_order() -> None:
    """Each call waits for all the others: run one after another, they would never meet."""
    items = list(range(8))
    meeting = threading.Barrier(len(items), timeout=10)

    def ask(n: int) -> int:
        meeting.wait()
        return n * n

    assert in_parallel(items, ask) == [n * n for n in items]


def test_parallel_work_of_nothing_is_nothing() -> None:
    assert in_parallel([], lambda n: n) == []
