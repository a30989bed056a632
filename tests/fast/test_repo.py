"""git_lift.repo on real repositories in temp folders: what git lift reads from git (files at
a commit, the default branch and its tip, staged files, dirty files), what it writes (tags,
notes) and the paths it refuses to follow out of the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from git_lift.errors import UsageError, ValidationError
from git_lift.repo import ConfigEntry, Repo, read_config_file, redact_url
from tests.support.helpers import ENV_SAMPLE, GitRepo, run

NOTES = "refs/notes/lift"


@pytest.fixture
def git(tmp_path: Path) -> GitRepo:
    return GitRepo.create(
        tmp_path / "payments-api", origin=tmp_path / "remote" / "payments-api.git"
    )


def repo_of(git: GitRepo) -> Repo:
    return Repo.discover(str(git.path))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:ghp_token@github.com/acme/api.git", "https://github.com/acme/api.git"),
        ("https://ghp_token@github.com/acme/api.git", "https://github.com/acme/api.git"),
        ("deploy:hunter2@git.example.com:acme/api.git", "git.example.com:acme/api.git"),
        ("git@github.com:acme/api.git", "git@github.com:acme/api.git"),
        ("ssh://git@host/acme/api.git", "ssh://host/acme/api.git"),
        ("/srv/git/api.git", "/srv/git/api.git"),
    ],
)
def test_remote_urls_lose_their_credentials(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_the_remote_url_git_lift_reads_is_redacted(git: GitRepo) -> None:
    git.git("remote", "add", "mirror", "https://bot:s3cret@example.com/acme/api.git")
    assert repo_of(git).remote_url("mirror") == "https://example.com/acme/api.git"
    assert repo_of(git).remote_url("nowhere") is None


def test_the_remote_url_is_read_after_insteadof_as_git_reads_it(git: GitRepo) -> None:
    """The service is named after the URL git uses: url.<base>.insteadOf applies, the longest
    prefix winning (as libgit2 applied it when pygit2 read it)."""
    git.git("config", "url.https://github.com/.insteadOf", "gh:")
    git.git("config", "url.https://github.com/acme-mirror/.insteadOf", "gh:acme/")
    git.git("remote", "add", "short", "gh:acme/api.git")
    assert repo_of(git).remote_url("short") == "https://github.com/acme-mirror/api.git"


def test_the_default_branch_is_what_origin_head_names(git: GitRepo) -> None:
    git.git("checkout", "-q", "-b", "trunk")
    git.git("push", "-q", "origin", "trunk")
    git.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert repo_of(git).default_branch() == "trunk"


def test_without_origin_head_main_or_master_is_the_default(tmp_path: Path) -> None:
    master = GitRepo.create(tmp_path / "old")
    master.git("branch", "-m", "main", "master")
    master.git("checkout", "-q", "-b", "feature")
    assert repo_of(master).default_branch() == "master"


def test_a_repository_without_commits_defaults_to_the_branch_head_will_be_born_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new"
    path.mkdir()
    run(["git", "init", "-q", "-b", "develop"], path)
    repo = Repo.discover(str(path))
    assert repo.default_branch() == "develop"
    assert repo.default_branch_tip() is None
    with pytest.raises(ValidationError, match="no commits yet"):
        repo.head_sha()


def test_the_default_branch_tip_is_the_remotes_not_a_local_commit_ahead(git: GitRepo) -> None:
    """The trusted release policy is .gitlift as the remote has it: a local commit cannot
    change it before it is pushed and reviewed."""
    pushed = git.head()
    git.write(".gitlift", '[env "production"]\n\tconfirm = false\n')
    git.commit("Loosen production")
    repo = repo_of(git)
    assert repo.default_branch_tip() == pushed
    assert repo.config_file_at(pushed, ".gitlift") == []
    assert repo.config_file_at(git.head(), ".gitlift") == [
        ConfigEntry("env.production.confirm", "false")
    ]


def test_a_file_is_read_as_committed_not_as_in_the_work_tree(git: GitRepo) -> None:
    first = git.head()
    git.write("env.sample", "CHANGED=1\n")
    repo = repo_of(git)
    assert repo.read_file_at(first, "env.sample") == ENV_SAMPLE
    assert repo.read_file_at(first, "no-such-file") is None
    assert repo.dirty_files() == ["env.sample"]


def test_untracked_files_do_not_make_the_tree_dirty(git: GitRepo) -> None:
    git.write("notes.txt", "scratch")
    assert repo_of(git).dirty_files() == []


def test_a_committed_symlink_is_not_read_through(git: GitRepo) -> None:
    os.symlink("/etc/passwd", git.path / "env.sample.link")
    git.commit("Add a link")
    with pytest.raises(ValidationError, match=r"env\.sample\.link is a symbolic link at"):
        repo_of(git).read_file_at(git.head(), "env.sample.link")


def test_a_malformed_committed_config_file_is_a_usage_error(git: GitRepo) -> None:
    git.write(".gitlift", '[env "production"\n confirm = \n')
    git.commit("Break .gitlift", verify=False)
    with pytest.raises(UsageError, match=r"\.gitlift at [0-9a-f]{12} is malformed"):
        repo_of(git).config_file_at(git.head(), ".gitlift")


def test_a_malformed_work_tree_config_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / ".gitlift"
    path.write_text('[env "staging"]\n\tref = refs/heads/main\n[broken\n')
    with pytest.raises(UsageError) as refused:
        read_config_file(path)
    assert refused.value.message.startswith(".gitlift is malformed at line 3")
    assert refused.value.hint == "fix it, then check it with: git config -f .gitlift --list"


@pytest.mark.parametrize("relative", ["../outside", "sub/../../outside", "/etc/passwd"])
def test_paths_out_of_the_work_tree_are_refused(git: GitRepo, relative: str) -> None:
    with pytest.raises(ValidationError, match="leads outside the repository"):
        repo_of(git).contained(relative)


def test_a_symlink_out_of_the_work_tree_is_refused_and_one_inside_followed(
    git: GitRepo, tmp_path: Path
) -> None:
    os.symlink(tmp_path, git.path / "escape")
    os.symlink("app.txt", git.path / "inside")
    repo = repo_of(git)
    with pytest.raises(ValidationError, match="escape/secret leads outside the repository"):
        repo.contained("escape/secret")
    assert repo.contained("inside") == git.path.resolve() / "app.txt"


def test_an_export_holds_the_commits_files_with_their_modes(git: GitRepo, tmp_path: Path) -> None:
    script = git.write("bin/run.sh", "#!/bin/sh\n")
    script.chmod(0o755)
    os.symlink("../app.txt", git.path / "bin" / "app")
    git.commit("Add a script")
    git.write("app.txt", "uncommitted\n")  # the work tree is not what ships

    out = tmp_path / "export"
    repo_of(git).export_tree(git.head(), out)

    assert (out / "app.txt").read_text() == "v1\n"
    assert os.stat(out / "bin" / "run.sh").st_mode & 0o777 == 0o755
    assert os.stat(out / "app.txt").st_mode & 0o777 == 0o644
    assert (out / "bin" / "app").read_text() == "v1\n"  # a link inside is kept


def test_an_export_with_a_link_out_of_the_tree_is_refused(git: GitRepo, tmp_path: Path) -> None:
    os.symlink("../../../../etc/hostname", git.path / "host")
    git.commit("Link out")
    with pytest.raises(ValidationError, match="host is a symbolic link out of the repository"):
        repo_of(git).export_tree(git.head(), tmp_path / "export")


def test_staged_files_are_read_from_the_index_git_commits(git: GitRepo, tmp_path: Path) -> None:
    git.write("env.sample", "STAGED=1\n")
    git.git("add", "env.sample")
    git.write("env.sample", "UNSTAGED=1\n")
    git.write("new.txt", "new\n")
    git.git("add", "new.txt")
    repo = repo_of(git)
    assert repo.read_staged_file("env.sample") == "STAGED=1\n"
    assert repo.read_staged_file("not-staged") is None
    assert repo.staged_paths() == ["env.sample", "new.txt"]


def test_git_index_file_is_honoured_as_in_a_commit_a_hook(
    git: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = git.path / ".git" / "other-index"
    git.write("env.sample", "FROM_OTHER_INDEX=1\n")
    git.git("add", "env.sample", env={"GIT_INDEX_FILE": str(index)})
    git.git("checkout", "--", "env.sample")
    monkeypatch.setenv("GIT_INDEX_FILE", str(index))
    assert repo_of(git).read_staged_file("env.sample") == "FROM_OTHER_INDEX=1\n"


def test_a_release_tag_is_annotated_with_its_message(git: GitRepo) -> None:
    repo_of(git).create_tag("lift/staging/api/1", git.head(), "release 1 of api\n")
    shown = git.git("tag", "-l", "--format=%(objecttype) %(contents)", "lift/staging/api/1")
    assert shown.stdout.strip() == "tag release 1 of api"


def test_notes_gain_a_line_per_entry(git: GitRepo) -> None:
    repo = repo_of(git)
    repo.append_note(NOTES, git.head(), "staging: release 1")
    repo.append_note(NOTES, git.head(), "production: release 1")
    shown = git.git("notes", f"--ref={NOTES}", "show", git.head()).stdout
    assert shown == "staging: release 1\nproduction: release 1\n"


def test_notes_from_another_clone_are_merged_not_replaced(git: GitRepo, tmp_path: Path) -> None:
    origin = tmp_path / "remote" / "payments-api.git"
    other = tmp_path / "other"
    run(["git", "clone", "-q", str(origin), str(other)], tmp_path)
    theirs = Repo.discover(str(other))
    theirs.append_note(NOTES, git.head(), "staging: release 1")
    assert theirs.push_refs([NOTES]) == {}

    ours = repo_of(git)
    ours.append_note(NOTES, git.head(), "production: release 1")
    assert ours.merge_remote_notes(NOTES)
    shown = git.git("notes", f"--ref={NOTES}", "show", git.head()).stdout
    assert sorted(shown.splitlines()) == ["production: release 1", "staging: release 1"]


def test_merging_notes_when_the_remote_has_none_says_so(git: GitRepo) -> None:
    assert not repo_of(git).merge_remote_notes(NOTES)


def test_a_push_the_remote_refuses_names_the_ref_and_why(git: GitRepo) -> None:
    repo = repo_of(git)
    repo.create_tag("v1", git.head(), "one")
    assert repo.push_refs(["refs/tags/v1"]) == {}
    git.git("tag", "-d", "v1")
    git.write("app.txt", "v2\n")
    git.commit("Second")
    repo.create_tag("v1", git.head(), "moved")
    refused = repo.push_refs(["refs/tags/v1"])
    assert list(refused) == ["refs/tags/v1"] and "rejected" in refused["refs/tags/v1"]


def test_a_push_to_nowhere_refuses_every_ref(git: GitRepo) -> None:
    refused = repo_of(git).push_refs(["refs/heads/main", "refs/tags/x"], remote="nowhere")
    assert set(refused) == {"refs/heads/main", "refs/tags/x"}


def test_revisions_resolve_to_commits_or_a_usage_error(git: GitRepo) -> None:
    repo = repo_of(git)
    repo.create_tag("v1", git.head(), "one")
    assert repo.resolve("v1") == repo.resolve("main") == git.head()
    assert repo.full_ref("v1") == "refs/tags/v1"
    assert repo.full_ref("main") == "refs/heads/main"
    assert repo.full_ref("nope") is None
    with pytest.raises(UsageError, match="unknown revision 'nope'"):
        repo.resolve("nope")


def test_history_between_commits(git: GitRepo) -> None:
    first = git.head()
    git.write("app.txt", "v2\n")
    git.commit("Change the app")
    git.write("env.sample", "ONLY=1\n")
    git.commit("Change the sample")
    repo = repo_of(git)
    assert repo.commits_between(first, git.head()) == 2
    assert repo.commits_between("nope", git.head()) is None
    assert [line.split(" ", 1)[1] for line in repo.oneline_log(first, "HEAD", ("env.sample",))] == [
        "Change the sample"
    ]
    assert repo.merge_base(first, git.head()) == first
    assert repo.merge_base("0" * 40, git.head()) is None
    assert repo.subject(git.head()) == "Change the sample"


def test_a_commit_released_elsewhere_is_fetched_from_origin(git: GitRepo, tmp_path: Path) -> None:
    origin = tmp_path / "remote" / "payments-api.git"
    other = GitRepo(tmp_path / "other")
    run(["git", "clone", "-q", str(origin), str(other.path)], tmp_path)
    other.write("app.txt", "from elsewhere\n")
    other.commit("Elsewhere")
    other.git("push", "-q", "origin", "HEAD:refs/heads/elsewhere")
    repo = repo_of(git)
    assert not repo.has_commit(other.head())
    assert repo.fetch_commit(other.head())
    assert repo.has_commit(other.head())
    assert not repo.fetch_commit("f" * 40)


def test_lift_entries_of_the_git_config_are_read(git: GitRepo) -> None:
    git.git("config", "lift.region", "eu-west-1")
    git.git("config", "user.name", "Someone")
    assert repo_of(git).config_entries("lift.") == [ConfigEntry("lift.region", "eu-west-1")]


def test_a_detached_head_has_no_branch(git: GitRepo) -> None:
    git.git("checkout", "-q", "--detach")
    repo = repo_of(git)
    assert repo.branch() is None and repo.head_ref() is None
    assert repo.head_sha() == git.head()


def test_on_a_branch_its_names_are_known(git: GitRepo) -> None:
    repo = repo_of(git)
    assert (repo.branch(), repo.head_ref()) == ("main", "refs/heads/main")


def test_outside_a_repository_the_error_says_how_to_get_one(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    with pytest.raises(UsageError) as refused:
        Repo.discover(str(lonely))
    assert refused.value.message == f"not a git repository (or any parent): {lonely}"


def test_a_bare_repository_has_no_work_tree_to_lift(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    run(["git", "init", "-q", "--bare", str(bare)], tmp_path)
    with pytest.raises(UsageError, match=r"no work tree \(bare\)"):
        _ = Repo.discover(str(bare)).workdir


def test_inside_a_hook_git_dir_names_the_repository(
    git: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = tmp_path / "linked"
    git.git("worktree", "add", "-q", str(linked), "-b", "feature")
    monkeypatch.setenv("GIT_DIR", str(git.path / ".git" / "worktrees" / "linked"))
    repo = Repo.discover(str(tmp_path))  # wherever the hook runs
    assert repo.workdir == linked.resolve()
    assert repo.common_dir == (git.path / ".git").resolve()  # hooks and config live there


def test_hooks_go_where_core_hookspath_says(git: GitRepo) -> None:
    assert repo_of(git).hooks_dir() == (git.path / ".git" / "hooks").resolve()
    git.git("config", "core.hooksPath", ".githooks")
    assert repo_of(git).hooks_dir() == (git.path / ".githooks").resolve()


def test_equal_files_have_equal_blob_ids_across_commits(git: GitRepo) -> None:
    first = git.head()
    git.write("app.txt", "v2\n")
    git.commit("App only")
    repo = repo_of(git)
    assert repo.blob_id_at(first, "env.sample") == repo.blob_id_at(git.head(), "env.sample")
    assert repo.blob_id_at(first, "app.txt") != repo.blob_id_at(git.head(), "app.txt")
    assert repo.blob_id_at(first, "absent") is None


def test_ignored_paths_follow_gitignore(git: GitRepo) -> None:
    git.write(".gitignore", ".env\n")
    repo = repo_of(git)
    assert repo.is_ignored(".env") and not repo.is_ignored("env.sample")


def test_the_deployer_is_named_as_a_commit_names_its_committer(git: GitRepo) -> None:
    """Name and email as git would record them on a commit (GIT_COMMITTER_* honoured),
    without the date git's ident ends with."""
    committed = git.git("log", "-1", "--format=%cn <%ce>").stdout.strip()
    assert repo_of(git).committer_name() == committed


def test_a_commit_is_on_a_remote_branch_only_once_pushed(git: GitRepo) -> None:
    repo = repo_of(git)
    assert repo.on_a_remote_branch(git.head())
    git.write("app.txt", "local\n")
    git.commit("Local only")
    assert not repo.on_a_remote_branch(git.head())


def test_config_entries_are_set_and_added_as_git_writes_them(git: GitRepo) -> None:
    path = git.path / ".gitlift"
    repo = repo_of(git)
    repo.set_config_entries(path, [("env.staging.ref", "refs/heads/main")])
    repo.set_config_entries(path, [("env.staging.ref", "refs/heads/develop")])
    repo.add_config_entries(path, [("env.staging.ref", "refs/heads/release")])
    assert read_config_file(path) == [
        ConfigEntry("env.staging.ref", "refs/heads/develop"),
        ConfigEntry("env.staging.ref", "refs/heads/release"),
    ]


def test_the_diff_to_head_is_the_uncommitted_change(git: GitRepo) -> None:
    git.write("app.txt", "v2\n")
    diff = repo_of(git).diff_to_head()
    assert "-v1" in diff and "+v2" in diff


def test_a_hook_lists_gitlift_with_the_config_as_each_is_read_alone(git: GitRepo) -> None:
    """One git process for both in a hook (issue 22): the same entries as `git config
    --list` and `git config --file .gitlift --list`, and what .gitlift includes in turn is
    left out, as --file leaves it."""
    other = git.path.parent / "other.cfg"
    other.write_text('[env "sneaky"]\n\tref = refs/heads/*\n')
    gitlift = git.write(
        ".gitlift",
        f'[env "staging"]\n\tref = refs/heads/main\n[include]\n\tpath = {other}\n'
        '[service "api"]\n\tpath = "a b"\n',
    )
    git.git("config", "lift.hooks.cacheTtl", "60")
    hook = Repo.discover(str(git.path), snapshot=True, with_config=".gitlift")
    plain = repo_of(git)
    assert (
        hook.config_file(gitlift)
        == plain.config_file(gitlift)
        == [
            ConfigEntry("env.staging.ref", "refs/heads/main"),
            ConfigEntry("include.path", str(other)),
            ConfigEntry("service.api.path", "a b"),
        ]
    )
    assert hook.config_entries("") == plain.config_entries("")
    assert hook.config_value("lift.hooks.cacheTtl") == "60"
    assert hook.config_entries("env.") == []  # .gitlift's are not the repository's


def test_a_hook_still_names_the_line_of_a_malformed_gitlift(git: GitRepo) -> None:
    gitlift = git.write(".gitlift", '[env "staging"]\n\tref = refs/heads/main\n[broken\n')
    hook = Repo.discover(str(git.path), snapshot=True, with_config=".gitlift")
    with pytest.raises(UsageError, match=r"\.gitlift is malformed at line 3"):
        hook.config_file(gitlift)
    assert hook.remote_url() is not None  # the repository's config is read all the same
