"""Which services a pushed branch's previews are for (issue 23): those whose build context,
Dockerfile or env.sample the push changes, against the remote's branch or, for a new branch,
its merge base with the default branch; and where a preview environment's keys are checked.
Real git in a temporary folder; no AWS."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.flows.preview_refs import changed_services, config_target, preview_environments
from git_lift.flows.pushed_refs import PushedRef
from git_lift.repo import ZERO_SHA
from tests.support.flows import context
from tests.support.helpers import GitRepo

pytestmark = pytest.mark.fast

GITLIFT = """[service "api"]
\tpath = api
[service "worker"]
\tpath = worker
[env "staging"]
\tref = refs/heads/main
[env "preview"]
\tref = refs/heads/feature/*
\tpreview = true
\tbase = staging
\tdeployOnPush = true
"""


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    made = GitRepo.create(
        tmp_path / "platform",
        origin=tmp_path / "remote" / "platform.git",
        files={
            ".gitlift": GITLIFT,
            "api/Dockerfile": "FROM scratch\n",
            "api/env.sample": "A=1\n",
            "worker/Dockerfile": "FROM scratch\n",
            "worker/env.sample": "Q=1\n",
            "README.md": "platform\n",
        },
    )
    made.git("push", "-q", "origin", "main")
    made.git("checkout", "-q", "-b", "feature/x")
    return made


def pushed(repo: GitRepo, remote_sha: str = ZERO_SHA) -> PushedRef:
    return PushedRef("refs/heads/feature/x", repo.head(), "refs/heads/feature/x", remote_sha)


def names(repo: GitRepo, ref: PushedRef) -> list[str]:
    return [s.name for s in changed_services(context(repo.path), ref, repo.head())]


def test_a_new_branch_previews_what_it_changes_since_the_default_branch(repo: GitRepo) -> None:
    repo.write("README.md", "platform, documented\n")
    repo.commit("Docs only")
    assert names(repo, pushed(repo)) == []  # nothing to preview
    repo.write("worker/job.py", "print('hi')\n")
    repo.commit("A worker change")
    assert names(repo, pushed(repo)) == ["worker"]


def test_a_later_push_previews_what_it_changes_since_the_remotes_branch(repo: GitRepo) -> None:
    repo.write("worker/job.py", "print('hi')\n")
    repo.commit("A worker change")
    first = repo.head()
    repo.write("api/env.sample", "A=1\nB=2\n")
    repo.commit("An api key")
    assert names(repo, pushed(repo, first)) == ["api"]


def test_a_preview_environments_keys_are_checked_in_its_base(repo: GitRepo) -> None:
    ctx = context(repo.path)
    ref = pushed(repo)
    deleted = PushedRef("(delete)", ZERO_SHA, "refs/heads/feature/x", repo.head())
    ((found_ref, env),) = preview_environments(ctx, [ref])
    assert found_ref == ref and env.name == "preview"
    assert preview_environments(ctx, [deleted])[0][1].name == "preview"
    other = PushedRef("refs/heads/topic", repo.head(), "refs/heads/topic", ZERO_SHA)
    assert preview_environments(ctx, [other]) == []
    checked = config_target(ctx, env, ctx.settings.services["api"])
    assert (checked.env, checked.parameter_path) == ("staging", "/staging/api")
