"""`--process P` naming no process of the service config (last trial's finding): `scale`,
`run` and `logs` refuse it in the same words, with the processes there are and the one
command that adds a process (`scale` said "the service config" and a hint without -e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.aws.store import ServiceDocument
from git_lift.commands import infra_service
from git_lift.errors import UsageError
from git_lift.flows.process_run import process_target
from git_lift.options import Options
from tests.support.fakes import InProcess, in_process

WORKER = {"worker": {"command": ["bin/worker"]}}


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    made = in_process(tmp_path, options=Options(yes=True))
    target = made.target()
    doc = {**servicecfg.default_document(False), "processes": WORKER}
    made.aws.store.save_service_document(
        target, ServiceDocument("staging", target.name, 1, doc, "Dana Dev", 1_700_000_000.0)
    )
    return made


def test_scale_run_and_logs_refuse_an_unknown_process_alike(box: InProcess) -> None:
    refusals = []
    with pytest.raises(UsageError) as scaled:
        infra_service.scale(
            box.ctx,
            "staging",
            infra_service.DeployOptions(timeout=60.0),
            desired=3,
            low=None,
            high=None,
            process="wroker",
        )
    refusals.append(scaled.value)
    with pytest.raises(UsageError) as run:
        process_target(box.ctx, box.target(), "wroker")
    refusals.append(run.value)
    for refused in refusals:
        assert refused.message == (
            "payments-api in staging has no process 'wroker' (its processes: web, worker)"
        )
        assert refused.hint == (
            "name one of them, or add it to processes: git lift service edit -e staging"
        )
