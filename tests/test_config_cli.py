"""`git lift config ...` run through git as a subprocess against moto's server over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.helpers import GitRepo, Lift, as_a_shell_starts_it, editor_script
from tests.support.signal_guard import sigint_in_this_process


def ssm() -> Any:
    return boto3.client("ssm", region_name="eu-west-1")


def put(key: str, value: str, env: str = "staging") -> None:
    ssm().put_parameter(
        Name=f"/{env}/payments-api/{key}", Value=value, Type="SecureString", Overwrite=True
    )


def stored(env: str = "staging") -> dict[str, str]:
    params = ssm().get_parameters_by_path(Path=f"/{env}/payments-api", WithDecryption=True)
    return {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in params["Parameters"]}


def test_edit_shows_a_masked_diff_applies_and_check_passes(
    aws: Any, lift: Lift, repo: GitRepo, tmp_path: Path
) -> None:
    put("DATABASE_URL", "postgres://old-secret")
    editor = editor_script(
        tmp_path,
        (
            "sed -i 's|^DATABASE_URL=.*|DATABASE_URL=postgres://new-secret|' \"$file\"\n"
            "sed -i 's|^# API_TOKEN=|API_TOKEN=tok-secret|' \"$file\""
        ),
    )
    result = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": editor})
    assert result.returncode == 0, result.stderr
    assert "~ DATABASE_URL = ******** -> ********" in result.stderr
    assert "+ API_TOKEN = ********" in result.stderr
    assert "secret" not in result.stdout + result.stderr
    assert stored() == {"DATABASE_URL": "postgres://new-secret", "API_TOKEN": "tok-secret"}
    assert lift("config", "check").returncode == 1  # production still lacks both keys
    check = lift("config", "check", "-e", "staging")
    assert check.returncode == 0, check.stderr
    assert "staging: ok" in check.stderr


def test_editor_file_has_placeholders_is_private_and_is_removed(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    record = tmp_path / "record"
    editor = editor_script(
        tmp_path,
        (
            f'echo "$file" > {record}\n'
            f'stat -c %a "$file" >> {record}\n'
            f'stat -c %a "$(dirname "$file")" >> {record}\n'
            f'cat "$file" >> {record}'
        ),
    )
    result = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": editor})
    assert result.returncode == 0
    assert "no changes" in result.stderr
    path, file_mode, folder_mode, *content = record.read_text().splitlines()
    assert (file_mode, folder_mode) == ("600", "700")
    assert "# DATABASE_URL=" in content and "# API_TOKEN=" in content
    assert not Path(path).exists() and not Path(path).parent.exists()


def test_concurrent_change_between_read_and_write_writes_nothing_and_resume_reapplies(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    put("DATABASE_URL", "one")
    put("API_TOKEN", "tok")
    # While the editor is open, a teammate changes DATABASE_URL.
    teammate = (
        "python - <<'PY'\nimport boto3\nboto3.client('ssm', region_name='eu-west-1').put_parameter("
        "Name='/staging/payments-api/DATABASE_URL', Value='theirs', Type='SecureString', "
        "Overwrite=True)\nPY"
    )
    editor = editor_script(
        tmp_path, teammate + "\nsed -i 's|^DATABASE_URL=.*|DATABASE_URL=mine|' \"$file\""
    )
    result = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": editor})
    assert result.returncode == 1
    assert "changed in staging since you started: DATABASE_URL" in result.stderr
    assert "--resume" in result.stderr
    assert stored()["DATABASE_URL"] == "theirs"
    [resume_file] = (lift.cwd / ".git" / "lift").glob("config-edit-*")
    assert oct(resume_file.stat().st_mode & 0o777) == "0o600"
    keep = editor_script(tmp_path, ":")
    resumed = lift("config", "edit", "-e", "staging", "--resume", env={"GIT_EDITOR": keep})
    assert resumed.returncode == 0, resumed.stderr
    assert stored() == {"DATABASE_URL": "mine", "API_TOKEN": "tok"}
    assert not resume_file.exists()


# A worker ignoring SIGINT (`make test &` from a script) once handed that to git-lift and its
# editor: exit 0 after the editor's 30 s. git-lift is started as a shell would, whatever it has.
@pytest.mark.parametrize(
    "worker", [{}, {"ignored": True, "blocked": True}], ids=["as-started", "worker-deaf"]
)
def test_ctrl_c_in_the_editor_removes_the_file_and_exits_130(
    aws: Any, lift: Lift, tmp_path: Path, worker: dict[str, bool]
) -> None:
    put("DATABASE_URL", "top-secret")
    record = tmp_path / "record"
    # The editor says where the file is (atomically, so the test never reads half a line),
    # then waits as a person in an editor does.
    editor = editor_script(
        tmp_path, f'echo "$file" > {record}.tmp\nmv {record}.tmp {record}\nexec sleep 30'
    )
    # git-lift itself, not through git: a terminal's Ctrl-C would also stop the git wrapper,
    # and it is git-lift's own exit code and cleanup that are under test. Its output goes to
    # a file: a pipe would also wait for the editor, which is not what is measured here.
    errors = tmp_path / "stderr"
    with errors.open("w") as stderr_file, sigint_in_this_process(**worker):
        process = subprocess.Popen(
            ["git-lift", "config", "edit", "-e", "staging"],
            cwd=lift.cwd,
            env={**os.environ, "GIT_EDITOR": editor},
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,
            start_new_session=True,
            preexec_fn=as_a_shell_starts_it,
        )
    deadline = time.monotonic() + 60
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    edit_file = Path(record.read_text().strip())
    assert edit_file.is_file()
    try:
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        process.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # nothing of the test outlives it
    stderr = errors.read_text()
    assert process.returncode == 130
    assert "interrupted" in stderr and "top-secret" not in stderr
    assert not edit_file.exists() and not edit_file.parent.exists()


def test_editor_failure_changes_nothing(aws: Any, lift: Lift, tmp_path: Path) -> None:
    put("DATABASE_URL", "one")
    editor = editor_script(tmp_path, "echo 'DATABASE_URL=two' > \"$file\"\nexit 3")
    result = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": editor})
    assert result.returncode == 1
    assert "exited with code 3" in result.stderr
    assert stored() == {"DATABASE_URL": "one"}


def test_malformed_edit_is_kept_for_resume(aws: Any, lift: Lift, tmp_path: Path) -> None:
    editor = editor_script(
        tmp_path, "echo 'this is not a pair' >> \"$file\"\necho 'GOOD=1' >> \"$file\""
    )
    result = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": editor})
    assert result.returncode == 1
    assert "not a KEY=value line" in result.stderr and "--resume" in result.stderr
    fix = editor_script(tmp_path, "sed -i '/this is not a pair/d' \"$file\"")
    resumed = lift("config", "edit", "-e", "staging", "--resume", env={"GIT_EDITOR": fix})
    assert resumed.returncode == 0, resumed.stderr
    assert stored() == {"GOOD": "1"}


def test_production_needs_typed_name_or_yes(aws: Any, lift: Lift) -> None:
    refused = lift("config", "set", "-e", "production", "API_TOKEN=x")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert stored("production") == {}
    assert lift("config", "set", "-e", "production", "API_TOKEN=x", "--yes").returncode == 0
    assert stored("production") == {"API_TOKEN": "x"}


def test_set_unset_show_get_export_import_history_restore(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    assert lift("config", "set", "-e", "staging", "A=1", "B=two words").returncode == 0
    assert lift("config", "set", "-e", "staging", "A=2").returncode == 0
    shown = lift("config", "show", "-e", "staging")
    assert shown.stdout.splitlines() == ["A=********  (v2)", "B=********  (v1)"]
    assert lift("config", "get", "-e", "staging", "B").stdout == "two words\n"
    exported = json.loads(lift("config", "export", "-e", "staging", "--format", "json").stdout)
    assert exported == {"A": "2", "B": "two words"}
    history = lift("config", "history", "-e", "staging", "A").stdout.splitlines()
    assert [line.split()[0] for line in history] == ["A@2", "A@1"]
    assert lift("config", "restore", "-e", "staging", "A@1").returncode == 0
    assert stored()["A"] == "1"
    assert lift("config", "unset", "-e", "staging", "B").returncode == 0
    dotenv = tmp_path / "in.env"
    dotenv.write_text("C='x y'\nD=4\n")
    assert lift("config", "import", "-e", "staging", str(dotenv)).returncode == 0
    assert stored() == {"A": "1", "C": "x y", "D": "4"}
    out = lift("config", "exec", "-e", "staging", "--", "sh", "-c", 'echo "$C/$D"')
    assert out.stdout == "x y/4\n"


def test_check_reports_missing_and_extra_together_as_json(aws: Any, lift: Lift) -> None:
    put("DATABASE_URL", "x")
    put("OLD_FLAG", "1")
    result = lift("config", "check", "-e", "staging", "--output", "json")
    assert result.returncode == 1
    [report] = json.loads(result.stdout)
    assert report["missing"] == ["API_TOKEN"] and report["extra"] == ["OLD_FLAG"]
    text = lift("config", "check", "-e", "staging")
    assert "git lift config set -e staging API_TOKEN=..." in text.stderr
    assert "OLD_FLAG" in text.stderr and "warning:" in text.stderr


def test_diff_between_environments(aws: Any, lift: Lift) -> None:
    put("SHARED", "1")
    put("SHARED", "1", env="production")
    put("ONLY_STAGING", "1")
    result = lift("config", "diff", "-e", "staging", "-e", "production")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["< ONLY_STAGING  (only in staging)"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["config", "set", "-e", "staging", "1BAD=x"], 2, "not a valid key name"),
        (["config", "show", "-e", "prod"], 2, "unknown environment 'prod'"),
        (["config", "set", "-e", "staging", "BIG=" + "x" * 4097], 1, "BIG (4097 bytes)"),
        (["config", "set", "-e", "staging", "EMPTY="], 1, "empty value"),
        (["config", "restore", "-e", "staging", "A@one"], 2, "KEY@VERSION"),
        (["config", "nonsense"], 2, "error: no such command 'nonsense'"),
    ],
)
def test_bad_input_gets_error_hint_and_exit_code(
    aws: Any, lift: Lift, args: list[str], code: int, message: str
) -> None:
    result = lift(*args)
    assert result.returncode == code
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and message in result.stderr
    assert any(line.startswith("hint: ") for line in lines)
    assert stored() == {}


def test_large_value_fits_the_advanced_tier(aws: Any, lift: Lift) -> None:
    result = lift("config", "set", "-e", "staging", "BIG=" + "x" * 5000, "--tier", "advanced")
    assert result.returncode == 0, result.stderr
    assert len(stored()["BIG"]) == 5000


def test_missing_credentials(lift: Lift, tmp_path: Path) -> None:
    result = lift("config", "show", "-e", "staging", env={"AWS_DEFAULT_REGION": "eu-west-1"})
    assert result.returncode == 1
    assert result.stderr.startswith("error: no AWS credentials found")
    assert "hint:" in result.stderr and "Traceback" not in result.stderr


def test_outside_a_repository_and_without_commits(tmp_path: Path) -> None:
    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    result = Lift(elsewhere)("config", "show", "-e", "staging")
    assert result.returncode == 2 and "not a git repository" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    (empty / ".gitlift").write_text("[lift\n\tregion = eu-west-1\n")
    bad = Lift(empty)("config", "show", "-e", "staging")
    assert bad.returncode == 2 and ".gitlift is malformed" in bad.stderr and "line 1" in bad.stderr


def test_works_from_a_subfolder_of_a_multi_service_repo(aws: Any, tmp_path: Path) -> None:
    repo = GitRepo.create(
        tmp_path / "mono",
        files={
            ".gitlift": (
                '[service "api"]\n\tpath = services/api\n'
                '[service "worker"]\n\tpath = services/worker\n'
            ),
            "services/api/env.sample": "API_ONLY=x\n",
            "services/worker/env.sample": "QUEUE=x\n",
        },
    )
    Lift(repo.path / "services" / "worker")("config", "set", "-e", "staging", "QUEUE=q")
    queue = ssm().get_parameter(Name="/staging/worker/QUEUE", WithDecryption=True)
    assert queue["Parameter"]["Value"] == "q"
    at_root = Lift(repo.path)("config", "show", "-e", "staging")  # one service: which?
    assert at_root.returncode == 2 and "-s NAME" in at_root.stderr
    every = Lift(repo.path)("config", "check", "-e", "staging")  # at the top: all of them
    assert every.returncode == 1 and "missing from api's config: API_ONLY" in every.stderr
    ok = Lift(repo.path)("config", "check", "-e", "staging", "-s", "worker")
    assert ok.returncode == 0, ok.stderr


def test_partial_failure_names_written_and_unwritten_keys_and_keeps_the_rest(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    # A real Parameter Store refusal: a parameter at its 100-version limit whose oldest
    # version carries a label cannot take a 101st version (ParameterMaxVersionLimitExceeded).
    for n in range(100):
        put("ZZ_FULL", f"v{n}")
    ssm().label_parameter_version(
        Name="/staging/payments-api/ZZ_FULL", ParameterVersion=1, Labels=["pinned"]
    )
    result = lift("config", "set", "-e", "staging", "AA_FIRST=1", "ZZ_FULL=new")
    assert result.returncode == 1
    assert "written: AA_FIRST; not written: ZZ_FULL" in result.stderr
    assert "--resume" in result.stderr
    assert stored()["AA_FIRST"] == "1" and stored()["ZZ_FULL"] == "v99"
    [kept_file] = (lift.cwd / ".git" / "lift").glob("config-edit-*")
    kept = kept_file.read_text()
    assert "ZZ_FULL=new" in kept and "AA_FIRST" not in kept


def test_throttling_is_retried_and_persistent_throttling_is_a_clear_error(
    aws: Any, lift: Lift
) -> None:
    put("DATABASE_URL", "x")
    aws.throttle("ssm.GetParametersByPath", 2)
    aws.reset_counts()
    shown = lift("config", "show", "-e", "staging", "--show-values")  # values: by path
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("DATABASE_URL=")
    assert aws.request_counts()["ssm.GetParametersByPath"] == 3  # two refused, one answered
    aws.throttle("ssm.GetParametersByPath", 100)
    refused = lift(
        "config", "show", "-e", "staging", "--show-values", env={"AWS_MAX_ATTEMPTS": "2"}
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: AWS kept throttling while reading")
    assert "hint: wait a minute" in refused.stderr and "Traceback" not in refused.stderr


def test_a_malformed_env_sample_is_reported_with_its_lines(
    aws: Any, lift: Lift, repo: GitRepo
) -> None:
    repo.write("env.sample", "GOOD=1\nthis line is wrong\n2BAD=x\n")
    result = lift("config", "check", "-e", "staging")
    assert result.returncode == 1
    assert "env.sample:2: not a KEY=value line" in result.stderr
    assert "env.sample:3: not a valid key name: it starts with a digit" in result.stderr
    assert "hint: " in result.stderr


def test_set_reads_only_the_keys_it_changes(aws: Any, lift: Lift) -> None:
    for n in range(25):
        put(f"KEY_{n:02}", "x")
    aws.reset_counts()
    assert lift("config", "set", "-e", "staging", "KEY_07=y").returncode == 0
    # the value before (to diff), its version again just before writing, the write
    counts = aws.request_counts()
    assert {k: n for k, n in counts.items() if k.startswith("ssm.")} == {
        "ssm.GetParameters": 2,
        "ssm.PutParameter": 1,
    }
    # and the writers' lease around the re-check and the write: taken, then dropped
    assert counts["dynamodb.DeleteItem"] == 1 and counts["dynamodb.PutItem"] >= 1
    assert stored()["KEY_07"] == "y" and stored()["KEY_08"] == "x"


def test_edit_reads_back_any_value_unchanged(aws: Any, lift: Lift, tmp_path: Path) -> None:
    put("A_PATH", "C:\\dir\\")  # a trailing backslash, before a quoted value
    put("B_NOTE", "it's 'quoted'")
    put("C_PEM", "-----BEGIN KEY-----\nabc\\\n-----END KEY-----\\")
    result = lift(
        "config", "edit", "-e", "staging", env={"GIT_EDITOR": editor_script(tmp_path, ":")}
    )
    assert result.returncode == 0, result.stderr
    assert "no changes" in result.stderr


def test_input_refused_before_any_write_is_said_and_not_kept(aws: Any, lift: Lift) -> None:
    refusals = [
        (["-e", "staging", "BIG=" + "x" * 5000], "value too large for Parameter Store"),
        (["-e", "staging", "EMPTY="], "Parameter Store cannot hold an empty value: EMPTY"),
        (["-e", "production", "NOT_CONFIRMED=1"], "needs confirmation"),
    ]
    for args, refusal in refusals:
        result = lift("config", "set", *args)
        assert result.returncode in (1, 2) and refusal in result.stderr, result.stderr
        assert "nothing was written" in result.stderr
        assert "--resume" not in result.stderr
    later = lift("config", "set", "-e", "staging", "OK=1")
    assert later.returncode == 0, later.stderr
    assert "unfinished edit" not in later.stderr
    assert not list((lift.cwd / ".git" / "lift").glob("config-edit-*"))
    opened = lift("config", "edit", "-e", "staging", env={"GIT_EDITOR": "true"})
    assert opened.returncode == 0, opened.stderr
    assert stored() == {"OK": "1"}
