"""Config changes in-process, through the fake Parameter Store (the pattern for flow tests:
a real repository and Context, FakeAws, and assertions on what the user reads and what AWS
was asked): a masked diff, a version conflict, nothing written on refusal, a cut mid-write."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.aws.ssm import Parameter
from git_lift.commands import config
from git_lift.errors import Conflict, LiftError, Unreachable, UsageError
from git_lift.flows import config_apply, config_state
from git_lift.options import Options
from tests.support.fakes import InProcess, in_process

PATH = "/staging/payments-api"


def base(box: InProcess, env: str = "staging") -> dict[str, Parameter]:
    """What a command reads before the user decides."""
    return box.aws.parameters(box.target(env)).read()


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    box = in_process(tmp_path)
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "postgres://old-secret")
    return box


def test_apply_shows_a_masked_diff_writes_and_frees_the_lease(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    desired = {"DATABASE_URL": "postgres://new-secret", "API_TOKEN": "tok-123"}
    assert config_apply.apply(box.ctx, box.target(), base(box), desired) == 0
    said = capsys.readouterr().err
    assert "DATABASE_URL" in said and "API_TOKEN" in said
    assert "secret" not in said and "tok-123" not in said  # values stay masked
    assert box.aws.ssm.values(PATH) == desired
    assert box.aws.ssm.writes() == ["PutParameter", "PutParameter"]
    assert box.aws.store.leases == {}


def test_a_key_changed_since_it_was_read_is_a_conflict_and_nothing_is_written(
    box: InProcess,
) -> None:
    seen = base(box)
    box.aws.ssm.put(f"{PATH}/DATABASE_URL", "postgres://theirs")  # another writer, meanwhile
    with pytest.raises(Conflict) as raised:
        config_apply.apply(box.ctx, box.target(), seen, {"DATABASE_URL": "postgres://mine"})
    assert "changed in staging since you started: DATABASE_URL" in raised.value.message
    assert "nothing was written" in raised.value.message
    assert box.aws.ssm.writes() == []
    assert box.aws.ssm.values(PATH) == {"DATABASE_URL": "postgres://theirs"}
    # the edit is kept for --resume, against the version seen now
    assert config_state.read_pending(box.ctx, box.target()) is not None


def test_a_confirm_environment_without_a_terminal_or_yes_writes_nothing(
    box: InProcess,
) -> None:
    production = box.target("production")
    with pytest.raises(UsageError) as raised:
        config_apply.apply(box.ctx, production, base(box, "production"), {"API_TOKEN": "p"})
    assert "needs confirmation and there is no terminal" in raised.value.message
    assert box.aws.ssm.writes() == []
    assert box.aws.store.leases == {}


def test_a_network_cut_mid_write_says_what_was_written_and_what_may_have_been(
    box: InProcess,
) -> None:
    puts = 0

    def cut_second_put(action: str) -> None:
        nonlocal puts
        if action == "PutParameter":
            puts += 1
            if puts == 2:
                raise Unreachable("could not reach AWS")

    box.aws.ssm.before = cut_second_put
    desired = {"A_KEY": "1", "B_KEY": "2", "C_KEY": "3", "DATABASE_URL": "postgres://old-secret"}
    with pytest.raises(LiftError) as raised:
        config_apply.apply(box.ctx, box.target(), base(box), desired)
    assert "written: A_KEY; unknown: B_KEY (AWS may have applied it); not written: C_KEY" in (
        raised.value.message
    )
    assert box.aws.ssm.values(PATH) == {"A_KEY": "1", "DATABASE_URL": "postgres://old-secret"}
    assert box.aws.store.leases == {}


def test_config_set_with_yes_writes_production_in_one_request_per_key(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command in-process: the Context `git lift config set --yes` builds, on FakeAws."""
    yes = box.reload(Options(yes=True))
    code = config.set_values(
        yes.ctx, "production", ["API_TOKEN=prod-tok"], advanced=False, show_values=False
    )
    assert code == 0
    assert box.aws.ssm.values("/production/payments-api") == {"API_TOKEN": "prod-tok"}
    # the read, the version re-check under the writers' lease, the write
    assert box.aws.ssm.counts() == {"GetParameters": 2, "PutParameter": 1}
    assert "prod-tok" not in capsys.readouterr().err
