"""Hostile input carrying a secret never comes back out: not in a message, a git object, a
file under .git/ (except the private 0600 resume file), a release tag or an image label.

Each test puts a sentinel secret where a user's secret could land by mistake (a malformed
line, a broken import file, env.sample, the origin URL, a forged --image) and runs the real
CLI against the sandbox's moto server over HTTP.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from git_lift import registry
from git_lift.aws.store import Release
from git_lift.errors import ValidationError
from git_lift.flows.release import tag_message
from git_lift.repo import redact_url
from git_lift.sandbox.local_registry import RegistryHandle
from tests.support.ecs import make_shippable
from tests.support.helpers import GitRepo, Lift, editor_script
from tests.support.image import needs_buildah, needs_registry, shipped_tag

SENTINEL = "S3NT1NEL-7c1e93f0b2d84a5e"
DIGEST = "sha256:" + "a" * 64


def leaks(repo: GitRepo, result: subprocess.CompletedProcess[str], *allowed: str) -> list[str]:
    """Where the sentinel shows: the output, git's objects, or a file under .git/ other than
    `allowed` ones and the 0600 files under .git/lift/ (an unfinished edit kept for --resume)."""
    found = ["output"] if SENTINEL in result.stdout + result.stderr else []
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=repo.path,
        capture_output=True,
        check=True,
    ).stdout
    if SENTINEL.encode() in objects:
        found.append("git objects")
    git_dir = repo.path / ".git"
    for path in git_dir.rglob("*"):
        relative = str(path.relative_to(repo.path))
        if not path.is_file() or relative in allowed or SENTINEL.encode() not in path.read_bytes():
            continue
        private = stat.S_IMODE(path.stat().st_mode) == 0o600
        if not (private and git_dir / "lift" in path.parents):
            found.append(relative)
    return found


# -- config: malformed lines name the file, the line and the key -----------------------------


def test_a_malformed_edit_and_its_resume_never_echo_the_value(
    aws: Any, lift: Lift, repo: GitRepo, tmp_path: Path
) -> None:
    editor = editor_script(
        tmp_path,
        f'echo \'GOOD=1\' >> "$file"\necho \'API_TOKEN="{SENTINEL}\' >> "$file"',
    )
    result = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": editor})
    assert result.returncode == 1
    assert "the value of API_TOKEN cannot be read" in result.stderr
    assert leaks(repo, result) == []
    [kept] = (repo.path / ".git" / "lift").glob("config-edit-*")
    assert SENTINEL in kept.read_text()  # kept for --resume, readable by its owner only

    resumed = lift("config", "edit", "-e", "staging", "--resume", env={"GIT_EDITOR": "true"})
    assert resumed.returncode == 1
    assert "the value of API_TOKEN cannot be read" in resumed.stderr
    assert leaks(repo, resumed) == []


@pytest.mark.parametrize(
    ("name", "text", "shown"),
    [
        ("in.env", f"A=1\nAPI_TOKEN='{SENTINEL}' oops\n", "in.env:2: not a KEY=value line"),
        ("in.env", f"A=1\n{SENTINEL}\n", "in.env:2: not a KEY=value line (no '=')"),
        ("in.env", f"{SENTINEL}=x\n", "in.env:1: not a valid key name"),
        ("in.json", f'{{"A": "1",\n "{SENTINEL}": "x"}}', "in.json:2: not a valid key name"),
        (
            "in.json",
            f'{{"API_TOKEN": "{SENTINEL}",\n "API_TOKEN": "{SENTINEL}"}}',
            "in.json:2: API_TOKEN is defined again (first on line 1)",
        ),
        ("in.json", f'{{"A": ["{SENTINEL}"]}}', "in.json:1: A: expected a string, got array"),
    ],
)
def test_a_broken_import_file_never_echoes_the_value(
    aws: Any, lift: Lift, repo: GitRepo, tmp_path: Path, name: str, text: str, shown: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    fmt = ["--format", "json"] if name.endswith(".json") else []
    result = lift("config", "import", "-e", "staging", *fmt, str(path))
    assert result.returncode == 1
    assert f"{path.parent}/{shown}" in result.stderr and "hint: fix the file" in result.stderr
    assert leaks(repo, result) == []


def test_a_malformed_env_sample_never_echoes_the_value(aws: Any, lift: Lift, repo: GitRepo) -> None:
    repo.write("env.sample", f'DATABASE_URL=x\nAPI_TOKEN="{SENTINEL}\n')
    result = lift("config", "check", "-e", "staging")
    assert result.returncode == 1
    assert "env.sample:2: not a KEY=value line: the value of API_TOKEN" in result.stderr
    assert leaks(repo, result) == []


def test_a_value_given_without_its_key_is_not_echoed(aws: Any, lift: Lift, repo: GitRepo) -> None:
    aws.reset_counts()
    result = lift("config", "set", "-e", "staging", "A=1", SENTINEL)
    assert result.returncode == 2
    assert "argument 2: not a valid key name, nor KEY=VALUE" in result.stderr
    assert leaks(repo, result) == [] and aws.request_counts() == {}


@pytest.mark.parametrize(
    "command",
    [["get"], ["unset"], ["history"], ["restore"], ["history", "--show-values"], ["import"]],
)
def test_a_key_argument_holding_a_value_is_not_echoed(
    aws: Any, lift: Lift, repo: GitRepo, command: list[str]
) -> None:
    aws.reset_counts()
    result = lift("config", command[0], "-e", "staging", f"API_TOKEN={SENTINEL}", *command[1:])
    assert result.returncode == 2, result.stderr
    assert "not shown: it may hold a value" in result.stderr
    assert leaks(repo, result) == [] and aws.request_counts() == {}


# -- the origin URL's credentials --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"https://gitlab-ci-token:{SENTINEL}@host/g/r.git", "https://host/g/r.git"),
        (f"https://{SENTINEL}@github.com/acme/api.git", "https://github.com/acme/api.git"),
        (f"ssh://git:{SENTINEL}@host:2222/acme/api.git", "ssh://host:2222/acme/api.git"),
        (f"deploy:{SENTINEL}@host:acme/api.git", "host:acme/api.git"),
        ("git@github.com:acme/api.git", "git@github.com:acme/api.git"),
        ("https://host/acme/api.git", "https://host/acme/api.git"),
        ("/srv/git/api.git", "/srv/git/api.git"),
    ],
)
def test_redact_url_drops_credentials_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@needs_buildah
@needs_registry
def test_ship_neither_prints_nor_labels_the_origin_token(
    aws: Any,
    repo: GitRepo,
    lift: Lift,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_shippable(repo, local_registry.address, monkeypatch)
    # Port 9 refuses at once: the release tag's push fails fast, as on a CI runner offline.
    origin = f"https://gitlab-ci-token:{SENTINEL}@127.0.0.1:9/g/payments-api.git"
    repo.git("remote", "set-url", "origin", origin)
    result = lift("ship", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert "released payments-api" in result.stderr  # the service is still named after origin
    assert leaks(repo, result, ".git/config") == []  # .git/config: the user's own remote
    address = local_registry.address
    digest = registry.manifest_digest(
        address, "payments-api", shipped_tag(repo.path), insecure=True
    )
    assert digest is not None
    config = registry.image_config(address, "payments-api", digest, insecure=True)
    assert config is not None
    labels = config["config"]["Labels"]
    assert labels["org.opencontainers.image.source"] == "https://127.0.0.1:9/g/payments-api.git"
    assert SENTINEL not in json.dumps(config)


# -- --image and the release tag's trailers ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("ship", "-e", "staging", "--yes"),
        ("service", "update", "-e", "staging", "--yes"),
    ],
)
@pytest.mark.parametrize(
    "image",
    [
        f"registry.example.com/api@{DIGEST}\nRolled-Back-From: 7",
        f"registry.example.com/api:v1\nDeployed-By: {SENTINEL}",
        "registry.example.com/api",  # neither tag nor digest: which image would run?
        "registry.example.com/api@sha256:abc",
        "registry.example.com/API:v1",
        "not an image",
    ],
)
def test_a_bad_image_is_refused_before_any_request(
    aws: Any, lift: Lift, repo: GitRepo, args: tuple[str, ...], image: str
) -> None:
    aws.reset_counts()
    result = lift(*args, "--image", image)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and "\nhint: " in result.stderr
    assert "--image" in result.stderr or "not an image reference" in result.stderr
    assert aws.request_counts() == {}
    assert repo.git("tag", "-l").stdout == ""


@pytest.mark.parametrize(
    "forged",
    [
        {"image": f"r.example.com/api@{DIGEST}\nRolled-Back-From: 7"},
        {"task_definition": "arn:aws:ecs:eu-west-1:1:task-definition/x:1\rImage: evil"},
        {"deployed_by": "Dev\nRolled-Back-From: 3"},
        {"config_versions": {"A\nImage: evil": 1}},
    ],
)
def test_release_trailers_refuse_a_line_break(forged: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "number": 2,
        "env": "staging",
        "service": "api",
        "commit": "0" * 40,
        "image": f"r.example.com/api@{DIGEST}",
        "task_definition": "arn:aws:ecs:eu-west-1:1:task-definition/staging-api:2",
        "deployed_by": "Dev",
        "deployed_at": 0.0,
    }
    assert "Rolled-Back-From" not in tag_message(Release(**fields))
    with pytest.raises(ValidationError, match="is not one line of text"):
        tag_message(Release(**(fields | forged)))


def test_a_webhook_url_never_comes_back_out(
    aws: Any, lift: Lift, repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: the webhook's URL holds its token; neither keeping it, nor a release whose
    notice cannot reach it, nor a test notice says it or writes it anywhere."""
    from tests.support.release import gitlift, image, prepare

    prepare(repo, monkeypatch, gitlift(staging="\tnotify = webhook\n"), envs=("staging",))
    url = f"https://127.0.0.1:1/services/{SENTINEL}"  # nothing listens: the notice fails
    kept = lift("notify", "set-webhook", "-e", "staging", input_text=url + "\n")
    assert kept.returncode == 0 and leaks(repo, kept) == []
    shipped = lift("ship", "-e", "staging", "--image", image(9))
    assert shipped.returncode == 0, shipped.stderr
    assert "warning: could not notify the webhook" in shipped.stderr
    assert leaks(repo, shipped) == []
    tested = lift("notify", "test", "-e", "staging")
    assert tested.returncode == 1 and leaks(repo, tested) == []
