"""`git lift init` in-process: what it writes in a new repository, that it never overwrites what
is there, env.sample from .env's names without their values, and `-s NAME --path DIR` adding a
service to a repository, refused where the folder or name is wrong."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from git_lift.commands import init
from git_lift.errors import UsageError
from git_lift.options import Options
from tests.support.fakes import InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, files={"app.txt": "v1\n"})  # no .gitlift, no env.sample


def config(box: InProcess, key: str) -> str:
    """A key of the .gitlift written, as git reads it ("" when it has none)."""
    return box.git.git("config", "-f", ".gitlift", "--get-all", key, check=False).stdout.strip()


def init_with(box: InProcess, *, service: str | None = None, cwd: str = "") -> InProcess:
    """The box as `git lift init [-s service]` in folder `cwd` sees it."""
    moved = box.reload(Options(service=service))
    moved.ctx = dataclasses.replace(moved.ctx, cwd=box.git.path / cwd)
    return moved


def test_a_new_repository_gets_gitlift_env_sample_and_hooks(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init.init(box.ctx) == 0
    assert config(box, "service.payments-api.path") == "."
    assert config(box, "env.staging.ref") == "refs/heads/main"
    assert config(box, "env.production.confirm") == "true"
    sample = (box.git.path / "env.sample").read_text()
    assert sample.startswith("# The config keys this service needs")
    hooks = box.git.path / ".git" / "hooks"
    assert (hooks / "pre-commit").exists() and (hooks / "pre-push").exists()
    err = capsys.readouterr().err
    assert ".gitlift: written (service payments-api; environments production, staging)" in err
    assert "there is no Dockerfile: `git lift ship` builds from it" in err
    assert "review and commit them: git add .gitlift env.sample" in err
    assert "then set it up: git lift setup -e staging" in err


def test_env_sample_gets_the_names_of_dot_env_never_its_values(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.git.write(".env", "DATABASE_URL=postgres://real-secret\nAPI_TOKEN=tok-live-123\n")
    init.init(box.ctx)
    sample = (box.git.path / "env.sample").read_text()
    assert "DATABASE_URL=\n" in sample and "API_TOKEN=\n" in sample
    assert "real-secret" not in sample and "tok-live-123" not in sample
    err = capsys.readouterr().err
    assert "env.sample: written with the 2 names in .env (not their values)" in err
    assert ".env holds values and git does not ignore it" in err
    assert "echo .env >> .gitignore" in err
    assert "real-secret" not in err


def test_an_ignored_dot_env_is_not_warned_about(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.git.write(".gitignore", ".env\n")
    box.git.write(".env", "API_TOKEN=x\n")
    init.init(box.ctx)
    assert "git does not ignore it" not in capsys.readouterr().err


def test_a_second_init_overwrites_nothing(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    init.init(box.ctx)
    mine = '[service "payments-api"]\n\tpath = .\n\tdockerfile = docker/Dockerfile\n'
    (box.git.path / ".gitlift").write_text(mine)
    (box.git.path / "env.sample").write_text("MY_KEY=example\n")
    capsys.readouterr()
    assert init.init(box.reload().ctx) == 0
    assert (box.git.path / ".gitlift").read_text() == mine
    assert (box.git.path / "env.sample").read_text() == "MY_KEY=example\n"
    err = capsys.readouterr().err
    assert ".gitlift: exists, left as it is" in err
    assert "env.sample: exists, left as it is" in err
    assert "review and commit" not in err  # nothing new to commit
    assert "there is no docker/Dockerfile" in err  # the kept .gitlift is the one read


def test_s_name_path_dir_adds_a_service_with_its_own_env_sample(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.git.write("worker/.env", "QUEUE_URL=sqs://real\n")
    assert init.init(init_with(box, service="worker").ctx, "worker") == 0
    assert config(box, "service.worker.path") == "worker"
    assert config(box, "service.payments-api.path") == ""  # no Dockerfile at the top
    assert config(box, "env.staging.ref") == "refs/heads/main"  # defaults, as no .gitlift was
    assert (box.git.path / "worker" / "env.sample").read_text().endswith("QUEUE_URL=\n")
    assert not (box.git.path / "env.sample").exists()
    err = capsys.readouterr().err
    assert ".gitlift: service worker added (path worker)" in err
    assert "git add .gitlift worker/env.sample" in err
    assert err.endswith("then set it up: git lift setup -e staging\n")  # its only service


def test_a_dockerfile_at_the_top_keeps_a_service_there_when_s_name_path_dir_adds_one(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found here: with no .gitlift yet, -s NAME was taken for the top's service too, and
    init failed with `unknown service 'worker'` before writing anything."""
    box.git.write("Dockerfile", "FROM scratch\n")
    box.git.write("worker/app.py", "")
    assert init.init(init_with(box, service="worker").ctx, "worker") == 0
    assert config(box, "service.payments-api.path") == "."
    assert config(box, "service.worker.path") == "worker"
    assert "then set it up: git lift setup -e staging -s worker" in capsys.readouterr().err


def test_a_second_service_is_added_to_an_existing_gitlift_without_rewriting_it(
    box: InProcess,
) -> None:
    init.init(box.ctx)
    before = (box.git.path / ".gitlift").read_text()
    box.git.write("worker/app.py", "")
    init.init(init_with(box, service="worker").ctx, "worker")
    after = (box.git.path / ".gitlift").read_text()
    assert after.startswith(before)
    assert config(box, "service.worker.path") == "worker"


def test_the_current_folder_is_the_service_folder_without_path(box: InProcess) -> None:
    box.git.write("jobs/app.py", "")
    init.init(init_with(box, service="jobs", cwd="jobs").ctx)
    assert config(box, "service.jobs.path") == "jobs"


def test_s_name_at_the_top_without_path_asks_which_folder(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        init.init(init_with(box, service="worker").ctx)
    assert raised.value.message == "say which folder service worker is in"
    assert raised.value.hint == "git lift init -s worker --path DIR"
    assert not (box.git.path / ".gitlift").exists()


def test_a_path_that_is_no_folder_or_outside_the_repository_writes_nothing(
    box: InProcess, tmp_path: Path
) -> None:
    with pytest.raises(UsageError) as missing:
        init.init(init_with(box, service="worker").ctx, "worker")
    assert missing.value.message == "--path worker is not a folder"
    assert missing.value.hint == "mkdir worker"
    with pytest.raises(UsageError) as outside:
        init.init(init_with(box, service="worker").ctx, str(tmp_path))
    assert outside.value.message == f"--path {tmp_path} is outside the repository"
    assert not (box.git.path / ".gitlift").exists()


def test_a_name_taken_by_a_service_elsewhere_is_refused(box: InProcess) -> None:
    box.git.write("worker/app.py", "")
    box.git.write("other/app.py", "")
    init.init(init_with(box, service="worker").ctx, "worker")
    before = (box.git.path / ".gitlift").read_text()
    with pytest.raises(UsageError) as raised:
        init.init(init_with(box, service="worker").ctx, "other")
    assert raised.value.message == "service worker exists (path worker)"
    assert raised.value.hint == "another name: git lift init -s NAME --path other"
    assert (box.git.path / ".gitlift").read_text() == before
    assert not (box.git.path / "other" / "env.sample").exists()


def test_init_in_a_folder_inside_a_service_is_refused_with_both_ways_out(box: InProcess) -> None:
    init.init(box.ctx)
    box.git.write("src/lib/x.py", "")
    with pytest.raises(UsageError) as raised:
        init.init(init_with(box, cwd="src/lib").ctx)
    assert raised.value.message == (
        "lib is inside service payments-api (path .), not a service of its own"
    )
    assert raised.value.hint is not None
    assert "git lift init -s lib --path src/lib" in raised.value.hint
    assert "run git lift init in the repository's top" in raised.value.hint
    assert not (box.git.path / "src" / "lib" / "env.sample").exists()


def test_one_name_in_dot_env_is_said_in_the_singular(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    box.git.write(".env", "DATABASE_URL=postgres://db\n")
    init.init(box.ctx)
    assert "env.sample: written with the 1 name in .env (not" in capsys.readouterr().err
