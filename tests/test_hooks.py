"""The installed hooks, fired by real `git commit` and `git push` to a bare remote, against
moto's server over HTTP: what they stop, what they let through, what they ask AWS."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import ENV_SAMPLE, GitRepo, Lift, run
from tests.support.hooks import (
    STAGING_KEYS,
    add_keys,
    commit,
    git_calls,
    git_logged,
    push,
    put,
    put_all,
    remote_has,
)


@pytest.fixture
def hooked(repo: GitRepo, lift: Lift) -> GitRepo:
    result = lift("hooks", "install")
    assert result.returncode == 0, result.stderr
    return repo


def test_done_when_a_new_key_is_refused_named_with_its_fix_then_commits(
    aws: Any, hooked: GitRepo, lift: Lift
) -> None:
    put_all(STAGING_KEYS)
    add_keys(hooked, "NEW_KEY")
    aws.reset_counts()
    refused = commit(hooked, "Add NEW_KEY")
    assert refused.returncode == 1
    assert (
        "error: staging: env.sample names keys missing from payments-api's config: NEW_KEY"
        in refused.stderr
    )
    assert (
        "hint: git lift config set -e staging NEW_KEY=...  (or: git lift config edit -e "
        "staging)" in refused.stderr
    )
    # Incremental and names only: one GetParameters (no decryption) for the one added key.
    assert aws.request_counts() == {"ssm.GetParameters": 1}
    assert hooked.git("diff", "--cached", "--name-only").stdout.strip() == "env.sample"

    assert lift("config", "set", "-e", "staging", "NEW_KEY=value").returncode == 0
    allowed = commit(hooked, "Add NEW_KEY")
    assert allowed.returncode == 0, allowed.stderr
    assert "staging: ok" in allowed.stderr


def test_a_commit_without_env_sample_makes_no_request_and_starts_no_python(
    aws: Any, hooked: GitRepo, tmp_path: Path
) -> None:
    trace = tmp_path / "trace"
    hooked.write("app.txt", "v2\n")
    hooked.git("add", "app.txt")
    aws.reset_counts()
    # If the shim started git-lift, this stand-in would leave a trace.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git-lift").write_text(f"#!/bin/sh\ntouch {trace}\nexit 1\n")
    (fake / "git-lift").chmod(0o755)
    result = commit(hooked, "Change the app", env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert not trace.exists()
    assert aws.request_counts() == {}


# What a hook with nothing to ask must not load (issue 22, hooks at the floor): AWS's
# libraries, pygit2 (with ssl), click, python-dotenv beyond its parser, dataclasses (with
# inspect and ast; its classes are made by exec: git_lift/records.py) and hashlib (OpenSSL).
HEAVY = (
    "boto3",
    "botocore",
    "troposphere",
    "moto",
    "pygit2",
    "click",
    "dotenv.main",
    "dataclasses",
    "hashlib",
)


@pytest.mark.parametrize(
    "case",
    [
        "nothing staged",
        "a changed value",
        "the shim's own line",
        "push of an unmapped branch",
        "push deleting",
        "push of app code only",
    ],
)
def test_the_hook_entry_with_nothing_to_ask_imports_no_heavy_library(
    aws: Any, repo: GitRepo, case: str
) -> None:
    if case in ("a changed value", "the shim's own line"):
        repo.write("env.sample", ENV_SAMPLE.replace("example", "another-example"))
        repo.git("add", "env.sample")
    if case == "push of app code only":
        repo.write("app.txt", "v2\n")
        repo.commit("Change the app", verify=False)
    sha, zero = repo.head(), "0" * 40
    remote_sha = repo.git("rev-parse", "origin/main").stdout.strip()
    argv, stdin = {
        "the shim's own line": (["hook", "pre-commit", "--"], ""),
        "push of an unmapped branch": (
            ["hook", "pre-push", "origin"],
            f"refs/heads/main {sha} refs/heads/feature {zero}\n",
        ),
        "push deleting": (
            ["hook", "pre-push", "origin"],
            f"(delete) {zero} refs/heads/main {sha}\n",
        ),
        "push of app code only": (
            ["hook", "pre-push", "--", "origin", "url"],
            f"refs/heads/main {sha} refs/heads/main {remote_sha}\n",
        ),
    }.get(case, (["hook", "pre-commit"], ""))
    code = (
        "import io, sys\nfrom git_lift.__main__ import main\n"
        f"sys.stdin = io.StringIO({stdin!r})\n"
        f"code = main({argv!r})\n"
        f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    aws.reset_counts()
    result = run([sys.executable, "-c", code], repo.path)
    assert result.stdout.strip().splitlines()[-1] == "0 []"
    assert aws.request_counts() == {}


def test_a_push_with_nothing_to_check_starts_four_git_processes(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    """Two environments on main, a push of app code, through the installed hook as git runs
    it: each process is a whole start of a program (issue 22). The shim starts none (no cat,
    no dirname), and git lift reads what both environments need once."""
    repo.write(".gitlift", "".join(f'[env "{e}"]\n\tref = refs/heads/main\n' for e in ENVS))
    repo.commit("Map main to two environments", verify=False)
    repo.git("push", "-q", "--no-verify", "origin", "main")
    assert lift("hooks", "install").returncode == 0
    base = repo.head()
    repo.write("app.txt", "v2\n")
    repo.commit("Change the app", verify=False)
    env, log = git_logged(tmp_path)
    aws.reset_counts()
    pushed = run(
        [str(repo.path / ".git" / "hooks" / "pre-push"), "origin", "url"],
        repo.path,
        input_text=f"refs/heads/main {repo.head()} refs/heads/main {base}\n",
        env=env,
    )
    assert "goes to qa; checked what it changes since" in pushed.stderr
    started = git_calls(log)
    assert sorted(started) == ["cat-file", "config", "for-each-ref", "merge-base"], started
    assert aws.request_counts() == {}


ENVS = ("staging", "qa")


def test_the_first_commit_of_a_fresh_repository(aws: Any, tmp_path: Path, lift: Lift) -> None:
    fresh = tmp_path / "fresh-api"
    fresh.mkdir()
    run(["git", "init", "-q", "-b", "main"], fresh)
    assert lift("hooks", "install", cwd=fresh).returncode == 0
    # set up in staging (a service not set up there yet gets a warning: test_first_hour.py)
    assert lift("env", "create", "-e", "staging", "--no-nat", "--yes", cwd=fresh).returncode == 0
    assert lift("service", "create", "-e", "staging", "--yes", cwd=fresh).returncode == 0
    (fresh / "env.sample").write_text("NEW_KEY=\n")
    run(["git", "add", "env.sample"], fresh)
    refused = run(["git", "commit", "-q", "-m", "First"], fresh, check=False)
    assert refused.returncode == 1
    assert (
        "staging: env.sample names keys missing from fresh-api's config: NEW_KEY" in refused.stderr
    )
    put("NEW_KEY", service="fresh-api")
    assert run(["git", "commit", "-q", "-m", "First"], fresh, check=False).returncode == 0


def test_commit_all_and_commit_path_check_the_index_git_commits(aws: Any, hooked: GitRepo) -> None:
    put_all(STAGING_KEYS)
    (hooked.path / "env.sample").write_text(ENV_SAMPLE + "FROM_WORK_TREE=x\n")  # not staged
    with_all = commit(hooked, "All", "-a")
    assert with_all.returncode == 1 and "FROM_WORK_TREE" in with_all.stderr
    with_path = commit(hooked, "Path", "env.sample")
    assert with_path.returncode == 1 and "FROM_WORK_TREE" in with_path.stderr
    # What is staged, not what is in the work tree, is what a plain commit checks.
    hooked.write("app.txt", "v2\n")
    hooked.git("add", "app.txt")
    assert commit(hooked, "Only the app").returncode == 0


def test_lint_problems_are_all_reported_with_lines_without_aws(
    hooked: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # no credentials at all
    broken = "API_TOKEN=again\n1BAD=x\nAWS_KEY=AKIAIOSFODNN7EXAMPLE\n"
    hooked.write("env.sample", ENV_SAMPLE + broken)
    hooked.git("add", "env.sample")
    result = commit(hooked, "Broken sample")
    assert result.returncode == 1
    assert "env.sample:3: API_TOKEN is defined again (first on line 2)" in result.stderr
    assert "env.sample:4: not a valid key name: it starts with a digit" in result.stderr
    assert "env.sample:5: AWS_KEY has a value that looks like an AWS access key id" in result.stderr


def test_without_credentials_the_commit_warns_and_goes_ahead_unless_strict(
    hooked: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    add_keys(hooked, "NEW_KEY")
    hooked.git("config", "lift.hooks.strict", "true")
    strict = commit(hooked, "Add NEW_KEY")
    assert strict.returncode == 1
    assert "error: staging: cannot check payments-api's config: no AWS credentials" in strict.stderr
    assert "lift.hooks.strict is true: the commit is refused" in strict.stderr

    hooked.git("config", "--unset", "lift.hooks.strict")
    lenient = commit(hooked, "Add NEW_KEY")
    assert lenient.returncode == 0
    assert (
        "warning: staging: cannot check payments-api's config: no AWS credentials" in lenient.stderr
    )
    assert "the commit goes ahead unchecked (lift.hooks.strict is not set)" in lenient.stderr


def test_no_network_is_reported_within_seconds(
    hooked: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    add_keys(hooked, "NEW_KEY")
    result = commit(hooked, "Add NEW_KEY")
    assert result.returncode == 0
    assert "cannot reach AWS" in result.stderr and "goes ahead unchecked" in result.stderr


def test_push_to_staging_with_a_key_missing_is_refused_then_goes_through(
    aws: Any, hooked: GitRepo, lift: Lift
) -> None:
    put("DATABASE_URL")  # API_TOKEN, already on the remote's env.sample, is not this push's
    hooked.write("app.txt", "v2\n")
    hooked.commit("Change the app")
    aws.reset_counts()
    app_only = push(hooked, "main")
    assert app_only.returncode == 0, app_only.stderr
    assert "goes to staging; checked what it changes since" in app_only.stderr
    assert aws.request_counts() == {}  # no env.sample changed: nothing to ask

    add_keys(hooked, "NEW_KEY")
    hooked.commit("Add NEW_KEY", verify=False)
    aws.reset_counts()
    refused = push(hooked, "main")
    assert refused.returncode != 0
    assert "main" in refused.stderr and "env.sample adds NEW_KEY" in refused.stderr
    assert (
        "error: staging: env.sample names keys missing from payments-api's config: "
        "NEW_KEY" in refused.stderr
    )
    assert aws.request_counts() == {"ssm.GetParameters": 1}  # the added key, names only
    assert hooked.git("rev-parse", "origin/main").stdout != hooked.head()

    assert lift("config", "set", "-e", "staging", "NEW_KEY=tok").returncode == 0
    allowed = push(hooked, "main")
    assert allowed.returncode == 0, allowed.stderr
    assert remote_has(hooked, "refs/heads/main")
    assert hooked.git("ls-remote", "origin", "main").stdout.split()[0] == hooked.head()


def test_the_env_sample_of_the_pushed_commit_is_checked_not_the_work_tree(
    aws: Any, hooked: GitRepo
) -> None:
    put_all(STAGING_KEYS)
    hooked.write("app.txt", "v2\n")
    hooked.commit("Change the app")
    hooked.write("env.sample", ENV_SAMPLE + "ONLY_IN_WORK_TREE=x\n")  # never committed
    result = push(hooked, "main")
    assert result.returncode == 0, result.stderr


@pytest.fixture
def fake_ship(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """`git-lift` on PATH with flows.ship_many.ship_services (what the hook releases with)
    replaced by a recorder of each service it is asked to release, whose exit code comes from
    FAKE_SHIP_CODE: the hook's contract with ship, without building images."""
    record = tmp_path / "shipped"
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    script = folder / "git-lift"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, types\n"
        "ship = types.ModuleType('git_lift.flows.ship_many')\n"
        "class Shipped:\n"
        "    def __init__(self, released=(), skipped=(), failed=(), code=0):\n"
        "        self.released, self.skipped = list(released), list(skipped)\n"
        "        self.failed, self.code = list(failed), code\n"
        "def ship_services(ctx, request, services):\n"
        "    code = int(os.environ.get('FAKE_SHIP_CODE', '0'))\n"
        f"    with open({str(record)!r}, 'a') as f:\n"
        "        for s in services:\n"
        "            pushed = request.confirmed_by_push\n"
        "            f.write(f'{s.name} {request.env} {request.ref} {pushed}\\n')\n"
        "    names = [s.name for s in services]\n"
        "    return Shipped(failed=names, code=code) if code else Shipped(released=names)\n"
        "ship.Shipped, ship.ship_services = Shipped, ship_services\n"
        "sys.modules['git_lift.flows.ship_many'] = ship\n"
        "from git_lift.__main__ import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}:{Path(sys.executable).parent}:/usr/bin:/bin"}, record


def test_a_tag_on_a_pushed_commit_is_seen_checked_and_released(
    aws: Any, hooked: GitRepo, fake_ship: tuple[dict[str, str], Path]
) -> None:
    env, record = fake_ship
    put_all(STAGING_KEYS)
    put("DATABASE_URL", "production")
    hooked.git("tag", "-a", "v1.0", "-m", "Version 1.0")  # on a commit the remote already has
    refused = push(hooked, "v1.0", env=env)
    assert refused.returncode != 0
    assert "v1.0" in refused.stderr and "goes to production" in refused.stderr
    assert (
        "error: production: env.sample names keys missing from payments-api's config: "
        "API_TOKEN" in refused.stderr
    )
    assert not record.exists() and not remote_has(hooked, "refs/tags/v1.0")

    put("API_TOKEN", "production")
    released = push(hooked, "v1.0", env=env)
    assert released.returncode == 0, released.stderr
    sha = hooked.head()
    assert (
        f"releasing payments-api to production: commit {sha[:12]} (refs/tags/v1.0)"
        in released.stderr
    )
    assert record.read_text() == f"payments-api production {sha} True\n"
    assert remote_has(hooked, "refs/tags/v1.0")


def test_a_failed_release_stops_the_push_of_its_tag(
    aws: Any, hooked: GitRepo, fake_ship: tuple[dict[str, str], Path]
) -> None:
    env, record = fake_ship
    put_all(STAGING_KEYS, "production")
    hooked.git("tag", "v2.0")
    result = push(hooked, "v2.0", env={**env, "FAKE_SHIP_CODE": "1"})
    assert result.returncode != 0
    assert (
        "the release of payments-api to production failed, so the push is stopped" in result.stderr
    )
    assert record.exists() and not remote_has(hooked, "refs/tags/v2.0")


def test_a_branch_and_a_tag_in_one_push_check_both_environments(
    aws: Any, hooked: GitRepo, fake_ship: tuple[dict[str, str], Path]
) -> None:
    env, record = fake_ship
    add_keys(hooked, "NEW_KEY")
    hooked.commit("Add NEW_KEY", verify=False)
    hooked.git("tag", "v3.0")
    result = push(hooked, "main", "v3.0", env=env)
    assert result.returncode != 0
    missing = "env.sample names keys missing from payments-api's config:"
    # the branch: the key its commits add; the release tag: everything env.sample names
    assert f"error: staging: {missing} NEW_KEY\n" in result.stderr
    assert f"error: production: {missing} API_TOKEN, DATABASE_URL, NEW_KEY" in result.stderr
    assert not record.exists()


def test_without_credentials_a_confirm_environment_fails_closed_others_go_ahead(
    hooked: GitRepo, monkeypatch: pytest.MonkeyPatch, fake_ship: tuple[dict[str, str], Path]
) -> None:
    env, record = fake_ship
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    add_keys(hooked, "NEW_KEY")  # a key to ask about
    hooked.commit("Add NEW_KEY", verify=False)
    staging = push(hooked, "main", env=env)
    assert staging.returncode == 0, staging.stderr
    assert (
        "warning: staging: cannot check payments-api's config: no AWS credentials" in staging.stderr
    )
    assert "the push goes ahead unchecked" in staging.stderr

    hooked.git("tag", "v1.0")
    production = push(hooked, "v1.0", env=env)
    assert production.returncode != 0
    assert (
        "error: production: cannot check payments-api's config: no AWS credentials"
        in production.stderr
    )
    assert (
        "production has confirm = true: a push that cannot be verified is refused"
        in production.stderr
    )
    assert not record.exists() and not remote_has(hooked, "refs/tags/v1.0")


def test_deleting_remote_refs_and_unmapped_branches_ask_nothing(aws: Any, hooked: GitRepo) -> None:
    hooked.git("push", "-q", "--no-verify", "origin", "main:refs/heads/old", "main:refs/tags/v0.9")
    hooked.git("checkout", "-q", "-b", "feature")
    hooked.write("app.txt", "feature\n")
    hooked.commit("Feature")
    aws.reset_counts()
    result = push(hooked, "feature", ":refs/heads/old", ":refs/tags/v0.9")
    assert result.returncode == 0, result.stderr
    assert aws.request_counts() == {}
    assert not remote_has(hooked, "refs/tags/v0.9")


def test_skip_variable_and_no_verify_skip_the_checks(aws: Any, hooked: GitRepo) -> None:
    add_keys(hooked, "NEW_KEY")
    assert commit(hooked, "Skip", env={"GIT_LIFT_SKIP_HOOKS": "1"}).returncode == 0
    assert push(hooked, "main", env={"GIT_LIFT_SKIP_HOOKS": "1"}).returncode == 0
    add_keys(hooked, "OTHER_KEY")
    assert commit(hooked, "No verify", "--no-verify").returncode == 0


def test_from_a_subfolder_and_a_linked_worktree(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    put_all(STAGING_KEYS)
    (repo.path / "src").mkdir()
    assert lift("hooks", "install", cwd=repo.path / "src").returncode == 0
    add_keys(repo, "NEW_KEY")
    refused = commit(repo, "From src", cwd=repo.path / "src")
    assert refused.returncode == 1 and "NEW_KEY" in refused.stderr
    repo.git("reset", "-q")

    worktree = tmp_path / "feature-tree"
    repo.git("worktree", "add", "-q", "-b", "feature", str(worktree))
    from_worktree = lift("hooks", "install", cwd=worktree)  # the hooks all worktrees share
    assert f"pre-commit: updated {repo.path}/.git/hooks/pre-commit" in from_worktree.stderr
    (worktree / "env.sample").write_text(ENV_SAMPLE + "FEATURE_KEY=x\n")
    run(["git", "add", "env.sample"], worktree)
    # A feature branch maps to no environment: it is checked where it lands (the default branch).
    in_worktree = commit(repo, "In the worktree", cwd=worktree)
    assert in_worktree.returncode == 1
    assert (
        "staging: env.sample names keys missing from payments-api's config: FEATURE_KEY"
        in in_worktree.stderr
    )
    put("FEATURE_KEY")
    assert commit(repo, "In the worktree", cwd=worktree).returncode == 0
    pushed = push(repo, "feature:main", cwd=worktree)
    assert pushed.returncode == 0, pushed.stderr
    assert "main (" in pushed.stderr and "goes to staging" in pushed.stderr


MULTI_GITLIFT = """\
[service "api"]
\tpath = api
[service "worker"]
\tpath = worker
\tenvSample = worker/config.sample
"""


def test_multi_service_repo_checks_each_service_against_its_own_path(
    aws: Any, tmp_path: Path, lift: Lift
) -> None:
    repo = GitRepo.create(
        tmp_path / "platform",
        origin=tmp_path / "remote" / "platform.git",
        files={
            ".gitlift": MULTI_GITLIFT,
            "api/env.sample": "API_DB=x\n",
            "worker/config.sample": "QUEUE_URL=x\n",
        },
    )
    assert lift("hooks", "install", cwd=repo.path).returncode == 0
    put("API_DB", service="api")
    put("QUEUE_URL", service="worker")
    add_keys(repo, "API_KEY", path="api/env.sample")
    add_keys(repo, "WORKER_KEY", path="worker/config.sample")
    result = commit(repo, "Both", cwd=repo.path / "api")
    assert result.returncode == 1
    assert "staging: api/env.sample names keys missing from api's config: API_KEY" in result.stderr
    assert "git lift config set -s api -e staging API_KEY=..." in result.stderr
    assert (
        "staging: worker/config.sample names keys missing from worker's config: WORKER_KEY"
        in result.stderr
    )
    put("API_KEY", service="api")
    put("WORKER_KEY", service="worker")
    assert commit(repo, "Both", cwd=repo.path / "api").returncode == 0

    add_keys(repo, "LATE_KEY", path="worker/config.sample")
    repo.commit("Late key", verify=False)
    pushed = push(repo, "main")
    assert pushed.returncode != 0
    assert "worker/config.sample names keys missing from worker's config: LATE_KEY" in pushed.stderr
    assert "missing from api's config" not in pushed.stderr


def test_pushed_refs_are_parsed_as_git_gives_them() -> None:
    from git_lift.flows.pushed_refs import PushedRef, framework_pushed, parse_pushed

    sha = "a" * 40
    zero = "0" * 40
    pushed = parse_pushed(
        f"refs/heads/main {sha} refs/heads/main {zero}\n\n(delete) {zero} refs/tags/v1 {sha}\n"
    )
    assert pushed == [
        PushedRef("refs/heads/main", sha, "refs/heads/main", zero),
        PushedRef("(delete)", zero, "refs/tags/v1", sha),
    ]
    assert [ref.deleted for ref in pushed] == [False, True]
    assert framework_pushed(
        {
            "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
            "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/x",
            "PRE_COMMIT_TO_REF": sha,
            "PRE_COMMIT_FROM_REF": zero,
        }
    ) == [PushedRef("refs/heads/x", sha, "refs/heads/main", zero)]
    assert framework_pushed({}) == []
