"""The trust model, attacked the way an audit did (issue 8): someone with push rights to a
branch commits a hostile .gitlift, env.sample or symlink; the user then pushes, checks or ships.
Nothing in the commit may choose release policy, credentials, destinations, or paths outside
the repository; names are validated before any AWS request."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from git_lift.errors import ValidationError
from git_lift.repo import Repo
from tests.support.helpers import GitRepo, Lift, run
from tests.support.hooks import push, put_all, remote_has

HOSTILE_POLICY = (
    '[env "production"]\n\tref = refs/heads/*\n\tdeployOnPush = true\n'
    '[env "staging"]\n\tref = refs/heads/main\n'
)


def requests(aws: Any) -> dict[str, int]:
    return {k: v for k, v in aws.request_counts().items() if v}


def test_a_branch_cannot_release_itself_with_its_own_gitlift(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    assert lift("hooks", "install").returncode == 0
    repo.git("checkout", "-q", "-b", "untrusted")
    repo.write(".gitlift", HOSTILE_POLICY)
    repo.commit("Release every branch to production", verify=False)
    aws.reset_counts()
    result = push(repo, "untrusted")
    assert result.returncode == 0, result.stderr
    assert "maps production to refs/heads/*" in result.stderr and "ignored" in result.stderr
    assert "releasing" not in result.stderr
    counts = requests(aws)
    assert not any(action.startswith(("ecs.", "dynamodb.")) for action in counts), counts
    assert not remote_has(repo, "refs/tags/lift/*")
    # The work tree (on the branch) cannot make the branch ship to production either.
    shipped = lift("ship", "--ref", "untrusted")
    assert shipped.returncode == 2 and "maps to no environment" in shipped.stderr


def test_a_branch_cannot_remove_confirm_from_production(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    repo.write(".gitlift", '[env "production"]\n\tref = refs/tags/v*\n\tconfirm = false\n')
    repo.commit("No confirmation, please")
    result = lift("ship", "-e", "production", "--ref", "HEAD")
    # Not on the remote yet: the confirm environment's rule still applies.
    assert result.returncode == 1 and "only runs commits pushed to a branch" in result.stderr


def test_the_users_own_git_config_sets_release_policy(aws: Any, repo: GitRepo) -> None:
    repo.git("config", "lift.env.staging.ref", "refs/heads/develop")
    result = Lift(repo.path)("ship", "--ref", "main")  # main is no longer staging's
    assert result.returncode == 2 and "maps to no environment" in result.stderr


def test_the_users_own_release_policy_is_no_change_a_push_makes(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    """Your own `lift.env.*` holds with or without the pushed .gitlift: nothing to warn about
    (issue 18); a change the pushed file makes is still said."""
    production = '[env "production"]\n\tref = refs/tags/v*\n\tdeployOnPush = true\n'
    repo.write(".gitlift", '[env "staging"]\n\tref = refs/heads/main\n' + production)
    repo.commit("Declare staging and production")
    assert push(repo, "main").returncode == 0
    assert lift("hooks", "install").returncode == 0
    repo.git("config", "lift.env.production.requires", "staging")
    repo.write("app.txt", "v2\n")
    repo.commit("Change the app")
    quiet = push(repo, "main")
    assert quiet.returncode == 0, quiet.stderr
    assert "warning" not in quiet.stderr and "removes" not in quiet.stderr

    repo.write(".gitlift", '[env "staging"]\n\tref = refs/heads/develop\n' + production)
    repo.commit("Move staging")
    moved = push(repo, "main")
    assert "maps staging to refs/heads/develop (trusted: refs/heads/main)" in moved.stderr
    assert "production" not in moved.stderr


@pytest.mark.parametrize(
    ("gitlift", "message"),
    [
        ('[service "api"]\n\tpath = .\n\tcontext = ../../../home\n', "outside the repository"),
        ('[service "api"]\n\tpath = sub/../../etc\n', "outside the repository"),
        ('[service "api"]\n\tpath = .\n\tdockerfile = /etc/passwd\n', "outside the repository"),
        ('[service "api"]\n\tpath = .\n\tenvSample = ~/.aws/credentials\n', "outside the repo"),
        ('[service ".."]\n\tpath = .\n', "not a valid service name"),
        (f'[service "{"x" * 29}"]\n\tpath = .\n', "not a valid service name"),
        ('[env "staging/../production"]\n\tref = refs/heads/main\n', "not a valid environment"),
        ("[lift]\n\tpollInterval = -1\n", "lift.pollInterval = '-1' is not a number from"),
        ("[lift]\n\tregion = not-a-region!!\n", "is not an AWS region"),
        ("[lift]\n\tregoin = eu-west-1\n", "did you mean 'region'"),
        ('[env "staging"]\n\trefs = refs/heads/main\n', "did you mean 'ref'"),
        ('[service "api"]\n\tdockerfil = Dockerfile\n', "did you mean 'dockerfile'"),
        ("[include]\n\tpath = /etc/gitconfig\n", "unknown entry 'include.path'"),
    ],
)
def test_a_hostile_gitlift_is_refused_before_any_request(
    aws: Any, repo: GitRepo, lift: Lift, gitlift: str, message: str
) -> None:
    repo.write(".gitlift", gitlift)
    aws.reset_counts()
    result = lift("config", "check", "-e", "staging")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "hint: " in result.stderr
    assert requests(aws) == {}


def test_a_symlinked_env_sample_cannot_read_outside_the_repository(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    outside = tmp_path / "home" / "credentials"
    outside.write_text("S3NT1NEL_SECRET=S3NT1NEL-value\n")
    (repo.path / "env.sample").unlink()
    (repo.path / "env.sample").symlink_to(outside)
    result = lift("config", "check", "-e", "staging")
    assert result.returncode == 1 and "leads outside the repository" in result.stderr
    assert "S3NT1NEL" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ("staging/../production", ["config", "set", "-e", "{env}", "PROBE=x"]),
        ("a/b", ["config", "show", "-e", "{env}"]),
        ("*", ["config", "check", "-e", "{env}"]),
        ("..", ["ship", "-e", "{env}"]),
        ("Staging", ["status", "-e", "{env}"]),
    ],
)
def test_invalid_environment_names_are_refused_before_any_request(
    aws: Any, lift: Lift, env: str, args: list[str]
) -> None:
    aws.reset_counts()
    result = lift(*(arg.format(env=env) for arg in args))
    assert result.returncode == 2 and "is not a valid environment name" in result.stderr
    assert requests(aws) == {}


@pytest.mark.parametrize(
    "args",
    [
        ["config", "history", "../../production/payments-api/DATABASE_URL", "-e", "staging"],
        ["config", "get", "-e", "staging", "A/B"],
        ["config", "restore", "-e", "staging", "DATABASE_URL@1x"],
        ["config", "restore", "-e", "staging", "DATABASE_URL@0"],
        ["config", "restore", "-e", "staging", "A@B@1"],
    ],
)
def test_invalid_keys_are_refused_before_any_request(aws: Any, lift: Lift, args: list[str]) -> None:
    aws.reset_counts()
    result = lift(*args)
    assert result.returncode == 2 and result.stderr.startswith("error: "), result.stderr
    assert requests(aws) == {}


@pytest.mark.parametrize(
    ("key", "value"),
    [("registry", "evil.example.com"), ("kmsKey", "arn:aws:kms:eu-west-1:999999999999:key/x")],
)
def test_credentials_and_destinations_need_trust(
    aws: Any, repo: GitRepo, lift: Lift, key: str, value: str
) -> None:
    repo.write(".gitlift", f"[lift]\n\t{key} = {value}\n")
    aws.reset_counts()
    refused = lift("config", "set", "-e", "staging", "NEW=1")
    assert refused.returncode == 2 and f"lift.{key} = {value}" in refused.stderr
    assert "git lift trust" in refused.stderr and requests(aws) == {}
    # The user's own git config is theirs to set.
    repo.git("config", f"lift.{key}", value)
    assert lift("config", "show", "-e", "staging").returncode == 0
    repo.git("config", "--unset", f"lift.{key}")
    # Trusted after review: exactly that file, until it changes.
    no_terminal = lift("trust")
    assert no_terminal.returncode == 2 and "--yes" in no_terminal.stderr
    trusted = lift("trust", "--yes")
    assert trusted.returncode == 0 and f"lift.{key} = {value}" in trusted.stderr
    trust_file = repo.path / ".git" / "lift" / "trusted-gitlift"
    assert (trust_file.stat().st_mode & 0o777) == 0o600
    assert lift("config", "show", "-e", "staging").returncode == 0
    repo.write(".gitlift", f"[lift]\n\t{key} = {value}-changed\n")
    assert lift("config", "show", "-e", "staging").returncode == 2


def test_a_profile_in_gitlift_does_not_switch_credentials(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    repo.write(".gitlift", "[lift]\n\tprofile = prod-admin\n")
    result = lift("config", "show", "-e", "staging")
    assert result.returncode == 2 and "lift.profile = prod-admin" in result.stderr


def test_export_refuses_a_symlink_out_of_the_repository(repo: GitRepo, tmp_path: Path) -> None:
    """The build context is the commit's files: a committed link out of them is refused
    (it crashed with AbsoluteLinkError), one inside is kept."""
    (repo.path / "inside").symlink_to("app.txt")
    repo.commit("A link inside")
    Repo.discover(str(repo.path)).export_tree(repo.head(), tmp_path / "ok")
    assert os.readlink(tmp_path / "ok" / "inside") == "app.txt"
    for name, target in [("abs", "/"), ("up", "../../.."), ("dot", ".")]:
        (repo.path / name).symlink_to(target)
        (repo.path / "via").unlink(missing_ok=True)
        if name == "dot":  # resolves inside, yet `via/..` leaves: checked after resolving
            (repo.path / "via").symlink_to("dot/..")
        repo.commit(f"A link {name}")
        with pytest.raises(ValidationError, match="symbolic link out of the repository"):
            Repo.discover(str(repo.path)).export_tree(repo.head(), tmp_path / name)
        repo.git("rm", "-q", name, *(["via"] if name == "dot" else []))
        repo.commit(f"Remove {name}")


def test_a_committed_symlink_is_not_read_as_a_file(repo: GitRepo) -> None:
    (repo.path / "env.sample").unlink()
    (repo.path / "env.sample").symlink_to("/etc/passwd")
    repo.commit("Link env.sample out")
    with pytest.raises(ValidationError, match="is a symbolic link"):
        Repo.discover(str(repo.path)).read_file_at(repo.head(), "env.sample")


def test_push_to_another_remote_never_releases(aws: Any, repo: GitRepo, lift: Lift) -> None:
    put_all(["DATABASE_URL", "API_TOKEN"], env="production")
    assert lift("hooks", "install").returncode == 0
    fork = repo.path.parent / "fork.git"
    repo.git("init", "-q", "--bare", str(fork))
    repo.git("remote", "add", "my-fork", str(fork))
    repo.git("tag", "v2.0.0")
    aws.reset_counts()
    result = repo.git("push", "-q", "my-fork", "v2.0.0", check=False)
    assert result.returncode == 0, result.stderr
    assert "not released: releases happen only on pushes to origin" in result.stderr
    assert not any(action.startswith("ecs.") for action in requests(aws))


FEATURE_POLICY = (
    '[env "production"]\n\tref = refs/heads/feature/*\n\tdeployOnPush = true\n'
    "\tconfirm = false\n\tpinConfig = false\n"
)


def feature_clone(repo: GitRepo, tmp_path: Path) -> GitRepo:
    """What CI does: `git clone --depth 1 --branch feature/x`, of a feature branch whose
    .gitlift maps itself to production: no origin/HEAD, no main, no master."""
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.write(".gitlift", FEATURE_POLICY)
    repo.commit("Release this branch to production", verify=False)
    repo.git("push", "-q", "origin", "feature/x")
    origin = tmp_path / "remote" / "payments-api.git"
    clone = tmp_path / "ci" / "payments-api"
    url = f"file://{origin}"
    run(["git", "clone", "-q", "--depth", "1", "--branch", "feature/x", url, str(clone)], tmp_path)
    refs = run(["git", "for-each-ref", "--format=%(refname)"], clone).stdout.split()
    assert refs == ["refs/heads/feature/x", "refs/remotes/origin/feature/x"], refs
    return GitRepo(clone)


def git_counting(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that logs each command line, then runs the real git."""
    folder, log = tmp_path / "counting-git", tmp_path / "git-commands.log"
    folder.mkdir()
    shim = folder / "git"
    real = shutil.which("git")
    shim.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    shim.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, log


def test_a_single_branch_clone_does_not_take_its_branch_for_the_default(
    aws: Any, repo: GitRepo, tmp_path: Path
) -> None:
    clone = feature_clone(repo, tmp_path)
    counting, log = git_counting(tmp_path)
    aws.reset_counts()
    # git-lift itself: git puts its own exec-path first on PATH for the commands it runs.
    shipped = run(["git-lift", "ship", "--yes"], clone.path, env=counting, check=False)
    # The remote says main is the default branch: one ls-remote, asked once per command.
    assert shipped.returncode == 2, shipped.stderr
    assert "release policy is .gitlift on main" in shipped.stderr, shipped.stderr
    assert "git fetch --depth 1 origin main:refs/remotes/origin/main" in shipped.stderr
    assert log.read_text().count("ls-remote") == 1, log.read_text()
    assert not any(a.startswith(("ecs.", "dynamodb.")) for a in requests(aws))
    # Once main is here, its policy decides: the feature branch releases nowhere.
    clone.git("fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    shipped = Lift(clone.path)("ship", "--yes")
    assert shipped.returncode == 2 and "maps to no environment" in shipped.stderr
    assert not any(a.startswith(("ecs.", "dynamodb.")) for a in requests(aws))


def test_without_the_remote_the_default_branch_is_unknown_and_nothing_releases(
    aws: Any, repo: GitRepo, tmp_path: Path
) -> None:
    clone = feature_clone(repo, tmp_path)
    origin = tmp_path / "remote" / "payments-api.git"
    origin.rename(origin.with_name("gone.git"))
    aws.reset_counts()
    shipped = Lift(clone.path)("ship", "--yes", "-e", "production")
    assert shipped.returncode == 2, shipped.stderr
    assert "cannot tell the default branch" in shipped.stderr
    assert "git config lift.defaultBranch" in shipped.stderr
    assert not any(a.startswith(("ecs.", "dynamodb.")) for a in requests(aws))
    # The user's own git config names it.
    clone.git("config", "lift.defaultBranch", "main")
    shipped = Lift(clone.path)("ship", "--yes", "-e", "production")
    assert shipped.returncode == 2 and "release policy is .gitlift on main" in shipped.stderr


def test_the_pre_push_hook_of_a_single_branch_clone_releases_nothing(
    aws: Any, repo: GitRepo, tmp_path: Path
) -> None:
    clone = feature_clone(repo, tmp_path)
    assert Lift(clone.path)("hooks", "install").returncode == 0
    clone.write("app.txt", "v2\n")
    clone.commit("Change", verify=False)
    aws.reset_counts()
    result = push(clone, "feature/x")
    assert result.returncode == 0, result.stderr
    assert "releasing" not in result.stderr
    assert not any(a.startswith(("ecs.", "dynamodb.")) for a in requests(aws))


def git_bytes(repo: GitRepo, *args: str, data: bytes = b"") -> bytes:
    return subprocess.run(
        ["git", *args], cwd=repo.path, input=data, capture_output=True, check=True
    ).stdout


def hostile_commit(repo: GitRepo, name: bytes, mode: bytes, data: bytes | None) -> str:
    """HEAD's tree plus an entry git would never check out (a blob of `data`, or HEAD's tree
    again when None), written byte by byte: git mktree and pygit2 refuse such names, and
    fetch does not fsck what it receives by default."""
    head_tree = git_bytes(repo, "rev-parse", "HEAD^{tree}").decode().strip()
    if data is None:
        entry = head_tree
    else:
        entry = git_bytes(repo, "hash-object", "-w", "--stdin", data=data).decode().strip()
    raw = git_bytes(repo, "cat-file", "tree", head_tree)
    raw += b"%s %s\0%s" % (mode, name, bytes.fromhex(entry))
    args = ("hash-object", "-w", "-t", "tree", "--literally", "--stdin")
    tree = git_bytes(repo, *args, data=raw).decode().strip()
    return repo.git("commit-tree", tree, "-p", "HEAD", "-m", "Hostile").stdout.strip()


@pytest.mark.parametrize(
    ("name", "mode", "data", "shown"),
    [
        (b"../../../ESCAPED", b"100644", b"x\n", "../../../ESCAPED"),
        (b"ABSOLUTE", b"100644", b"x\n", None),  # replaced by an absolute path below
        (b"..", b"40000", None, ".."),
        (b".git", b"40000", None, ".git"),
        (b".GIT", b"40000", None, ".GIT"),
        (b"out", b"120000", b"../../..", "out"),
    ],
)
def test_export_refuses_hostile_tree_entries_before_writing_anything(
    repo: GitRepo, tmp_path: Path, name: bytes, mode: bytes, data: bytes | None, shown: str | None
) -> None:
    """A commit read directly (ship --ref, a pushed tag) may hold entries git refuses to check
    out: nothing of it is written, inside or outside the build folder."""
    outside = tmp_path / "absolute-target"
    if name == b"ABSOLUTE":
        name, shown = str(outside).encode(), str(outside)
    commit = hostile_commit(repo, name, mode, data)
    build = tmp_path / "deep" / "er" / "build"
    build.mkdir(parents=True)  # as ship's temporary folder
    before = sorted(p for p in tmp_path.rglob("*") if "payments-api" not in p.parts)
    with pytest.raises(ValidationError) as refused:
        Repo.discover(str(repo.path)).export_tree(commit, build / "tree")
    assert shown is not None and shown in refused.value.message
    after = sorted(p for p in tmp_path.rglob("*") if "payments-api" not in p.parts)
    assert after == before
    assert not outside.exists() and not any(p.name == "ESCAPED" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("args", "meant"),
    [
        (["ship", "-e", "prod"], "production"),
        (["ship", "-e", "Staging"], "staging"),
        (["status", "-e", "PRODUCTION"], "production"),
        (["config", "show", "-e", "stage"], "staging"),
        (["config", "set", "-e", "prod", "A=1"], "production"),
        (["config", "check", "-e", "stagin"], "staging"),
        (["logs", "-e", "prod"], "production"),
        (["promote", "--from", "staging", "--to", "prod"], "production"),
        (["diff", "prod@2", "staging"], "production@2"),
        (["env", "show", "-e", "Prod"], "production"),
    ],
)
def test_a_mistyped_environment_gets_a_did_you_mean(
    aws: Any, lift: Lift, args: list[str], meant: str
) -> None:
    aws.reset_counts()
    result = lift(*args)
    assert result.returncode == 2, result.stderr
    assert f"hint: did you mean {meant}?" in result.stderr, result.stderr
    assert "add it to .gitlift" not in result.stderr
    assert requests(aws) == {}
