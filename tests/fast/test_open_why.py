"""`git lift open -e ENV` without a URL (last trial's finding): before setup it said "the
environment or the service is not set up, or the service has no http_interface" and pointed
at `status`; now it says which, and names the fix: setup, or an http_interface."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import servicecfg
from git_lift.aws.store import EnvironmentRecord, ServiceDocument
from git_lift.commands.notify import open_url
from git_lift.errors import LiftError, NotSetUp
from tests.support.fakes import InProcess, in_process


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def created(box: InProcess) -> None:
    record = EnvironmentRecord(
        "staging", "eu-west-1", "123456789012", "lift-staging", {}, {}, "dev", 0.0, "dev", 0.0
    )
    box.aws.store.put_environment(record, create=True)


def saved(box: InProcess, doc: dict[str, object]) -> None:
    target = box.target()
    box.aws.store.save_service_document(
        target, ServiceDocument("staging", target.name, 1, doc, "Dana Dev", 1_700_000_000.0)
    )


def test_before_setup_open_names_setup(box: InProcess) -> None:
    with pytest.raises(NotSetUp) as refused:
        open_url(box.ctx, "staging")
    assert refused.value.message == "payments-api is not set up in staging: it has no URL yet"
    assert refused.value.hint == "set it up: git lift setup -e staging"
    created(box)  # the environment alone: the service is still to set up
    with pytest.raises(NotSetUp):
        open_url(box.ctx, "staging")


def test_a_worker_has_no_url_and_says_why(box: InProcess) -> None:
    created(box)
    doc = servicecfg.default_document(False)
    doc.pop("http_interface", None)
    saved(box, doc)
    with pytest.raises(LiftError) as refused:
        open_url(box.ctx, "staging")
    assert refused.value.message == (
        "payments-api in staging has no URL: its service config has no http_interface (a worker)"
    )
    assert refused.value.hint == "give it one: git lift service edit -e staging"
