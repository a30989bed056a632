"""`git lift trust` and the release gate that `promote` (and ship, and a pushed tag) pass through,
in-process (commands/trust.py, flows/trust_record.py, flows/gate.py, commands/promote.py): what
trust lists and records, and each way a gate or a promotion refuses before anything deploys."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.commands import promote, trust
from git_lift.errors import UsageError, ValidationError
from git_lift.flows.context import gitlift_digest, trust_file
from git_lift.flows.gate import gate, pushed_origin
from git_lift.options import Options
from tests.support.fakes import NEW_IMAGE, InProcess, in_process
from tests.support.records import record

GATED = """\
[env "staging"]
\tref = refs/heads/main
[env "qa"]
\tref = refs/heads/qa
[env "production"]
\tref = refs/tags/v*
\trequires = staging
"""
PROFILE = '[env "staging"]\n\tref = refs/heads/main\n\tprofile = acme-dev\n'


@pytest.fixture
def gated(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, gitlift=GATED, options=Options(yes=True))


def trusted_digests(box: InProcess) -> list[str]:
    path = trust_file(box.ctx.repo)
    return path.read_text().split() if path.exists() else []


# trust


def test_trust_without_a_gitlift_says_how_to_write_one(tmp_path: Path) -> None:
    box = in_process(tmp_path, options=Options(yes=True))
    with pytest.raises(UsageError) as raised:
        trust.trust(box.ctx)
    assert raised.value.message == "there is no .gitlift to trust"
    assert raised.value.hint == "git lift init writes one"
    assert trusted_digests(box) == []


def test_trust_lists_what_chooses_credentials_and_records_the_files_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = in_process(tmp_path, options=Options(yes=True))
    box.git.write(".gitlift", PROFILE)
    assert trust.trust(box.ctx) == 0
    err = capsys.readouterr().err
    assert "acme-dev" in err and "(none)" not in err
    digest = gitlift_digest(PROFILE.encode())
    assert f"trusted .gitlift ({digest[:12]})" in err
    assert trusted_digests(box) == [digest]
    assert trust_file(box.ctx.repo).stat().st_mode & 0o777 == 0o600


def test_a_gitlift_choosing_nothing_sensitive_says_none(
    gated: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    trust.trust(gated.ctx)
    assert "  (none)" in capsys.readouterr().err


def test_trusting_a_changed_file_keeps_the_earlier_digest_once(tmp_path: Path) -> None:
    box = in_process(tmp_path, options=Options(yes=True))
    box.git.write(".gitlift", PROFILE)
    trust.trust(box.ctx)
    trust.trust(box.ctx)
    changed = PROFILE.replace("acme-dev", "acme-prod")
    box.git.write(".gitlift", changed)
    trust.trust(box.ctx)
    assert trusted_digests(box) == [
        gitlift_digest(PROFILE.encode()),
        gitlift_digest(changed.encode()),
    ]


def test_trust_without_a_terminal_or_yes_trusts_nothing(tmp_path: Path) -> None:
    box = in_process(tmp_path)
    box.git.write(".gitlift", PROFILE)
    with pytest.raises(UsageError) as raised:
        trust.trust(box.ctx)
    assert raised.value.message == (
        "trusting .gitlift needs confirmation and there is no terminal to ask; nothing was trusted"
    )
    assert trusted_digests(box) == []


def test_trust_warns_that_a_policy_change_waits_for_the_default_branch(
    gated: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    gated.git.write(".gitlift", GATED.replace("\trequires = staging\n", ""))
    trust.trust(gated.ctx)
    warned = [line for line in capsys.readouterr().err.splitlines() if "release policy" in line]
    assert len(warned) == 1
    assert "production" in warned[0] and "once merged there, trusted or not" in warned[0]


# the gate


def test_a_commit_released_in_the_required_environment_passes(gated: InProcess) -> None:
    sha = record(gated, 1).commit
    assert gate(gated.ctx, gated.target("production"), sha, None) is None


def test_a_commit_not_released_where_required_is_refused_with_both_ways_on(
    gated: InProcess,
) -> None:
    sha = gated.ctx.repo.resolve("HEAD")
    with pytest.raises(ValidationError) as raised:
        gate(gated.ctx, gated.target("production"), sha, None)
    assert raised.value.message == (
        f"{sha[:12]} has no successful release in staging, which production requires"
    )
    assert raised.value.hint == (
        f"release it there first: git lift ship -e staging --ref {sha[:12]} "
        "(or record why not: --skip-gate REASON)"
    )


@pytest.mark.parametrize(
    "kind", [{"outcome": "failed"}, {"dirty": "d1ff"}], ids=["failed", "dirty build"]
)
def test_a_failed_or_dirty_release_does_not_open_the_gate(
    gated: InProcess, kind: dict[str, str]
) -> None:
    sha = record(gated, 1, **kind).commit
    with pytest.raises(ValidationError):
        gate(gated.ctx, gated.target("production"), sha, None)


def test_skipping_a_gate_needs_a_reason_and_says_it_skipped(
    gated: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    sha = gated.ctx.repo.resolve("HEAD")
    with pytest.raises(UsageError) as blank:
        gate(gated.ctx, gated.target("production"), sha, "   ")
    assert blank.value.message == "--skip-gate needs a reason"
    assert blank.value.hint == '--skip-gate "hotfix for #123"'
    assert gate(gated.ctx, gated.target("production"), sha, "hotfix for #9") == "hotfix for #9"
    assert "skipping the gate of production (staging first): hotfix for #9" in (
        capsys.readouterr().err
    )


def test_an_environment_without_a_gate_has_none_to_skip(gated: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        gate(gated.ctx, gated.target("qa"), gated.ctx.repo.resolve("HEAD"), "because")
    assert raised.value.message == "qa has no gate to skip"
    assert raised.value.hint == "leave out --skip-gate"


def test_a_pushed_tag_promotes_the_release_of_the_environment_before(gated: InProcess) -> None:
    sha = gated.ctx.repo.resolve("HEAD")
    assert pushed_origin(gated.ctx, gated.target("production"), sha) is None  # not yet released
    released = record(gated, 1, image=NEW_IMAGE)
    found = pushed_origin(gated.ctx, gated.target("production"), sha)
    assert found is not None and found.image == released.image
    # without a gate, staging is the one before; staging itself has none
    assert pushed_origin(gated.ctx, gated.target("qa"), sha) is not None
    assert pushed_origin(gated.ctx, gated.target("staging"), sha) is None


# promote


def test_promote_to_the_same_environment_is_refused(gated: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        promote.promote(gated.ctx, "staging", "staging", None, 60.0)
    assert raised.value.message == "--from and --to name the same environment"
    assert raised.value.hint == "git lift promote -h"


def test_promote_of_an_environment_without_a_release_says_how_to_list_them(
    gated: InProcess,
) -> None:
    with pytest.raises(ValidationError) as raised:
        promote.promote(gated.ctx, "staging", "production", None, 60.0)
    assert raised.value.message == "payments-api has no successful release yet in staging"
    assert raised.value.hint == "list them: git lift history -e staging"
    with pytest.raises(ValidationError) as numbered:
        record(gated, 1)
        promote.promote(gated.ctx, "staging", "production", 4, 60.0)
    assert numbered.value.message == "payments-api has no successful release 4 in staging"


def test_promote_from_an_environment_the_gate_does_not_name_still_needs_the_gate(
    gated: InProcess,
) -> None:
    sha = record(gated, 1, env="qa").commit
    with pytest.raises(ValidationError) as raised:
        promote.promote(gated.ctx, "qa", "production", None, 60.0)
    assert raised.value.message.startswith(f"{sha[:12]} has no successful release in staging")
    assert gated.aws.store.releases(gated.target("production")) == []
    assert gated.aws.ecs_of(gated.target("production")).deployed == []


def test_promote_refuses_while_the_target_lacks_config_env_sample_names(
    gated: InProcess,
) -> None:
    record(gated, 1)  # staging ran HEAD: the gate is open
    with pytest.raises(ValidationError) as raised:
        promote.promote(gated.ctx, "staging", "production", None, 60.0)
    assert raised.value.message == (
        "production lacks config that env.sample names: API_TOKEN, DATABASE_URL; "
        "nothing was promoted"
    )
    assert gated.aws.store.releases(gated.target("production")) == []
    assert gated.aws.ecs_of(gated.target("production")).deployed == []
