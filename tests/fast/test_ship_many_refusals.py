"""`ship --all` and a monorepo's pushed release (flows/ship_many.py) in-process: one service
that cannot be planned stops them all before anything is built; failures are counted and named
beside what was released; and `status --all`'s word on whether HEAD has something to release."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from git_lift.errors import FAILED, OK, USAGE, UsageError
from git_lift.flows import ship_many
from git_lift.flows.release_plan import ReleasePlan
from git_lift.flows.ship_many import Planned, Shipped
from git_lift.flows.shipping import ShipRequest
from git_lift.options import Options
from tests.support.fakes import NEW_IMAGE, InProcess, in_process

MONOREPO = """[service "api"]
\tpath = api
[service "worker"]
\tpath = worker
"""


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(
        tmp_path,
        gitlift=MONOREPO,
        files={"api/env.sample": "A=1\n", "worker/env.sample": "B=1\n"},
        options=Options(yes=True),
    )


def services(box: InProcess) -> list[Any]:
    return sorted(box.ctx.settings.services.values(), key=lambda s: s.name)


def test_an_image_is_one_services_not_every_services(box: InProcess) -> None:
    with pytest.raises(UsageError) as raised:
        ship_many.ship_services(box.ctx, ShipRequest(env="staging", image=NEW_IMAGE), services(box))
    assert raised.value.message == "--image names one service's image, not every service's"
    assert raised.value.hint == "ship that service alone: git lift ship -s NAME --image URI"


def test_services_that_cannot_be_planned_stop_every_release(
    box: InProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = ship_many.ship_services(box.ctx, ShipRequest(env="staging"), services(box))
    assert shipped == Shipped(failed=["api", "worker"], code=FAILED)
    err = capsys.readouterr().err
    assert "error: api: staging lacks config that env.sample names: A; nothing was built" in err
    assert "hint: git lift config set -s api -e staging A=" in err
    assert "error: worker: staging lacks config that env.sample names: B; nothing was built" in err
    assert "nothing was released: api, worker cannot be released (see above)" in err
    for service in ("api", "worker"):
        target = box.ctx.target("staging", box.ctx.settings.services[service])
        assert box.aws.store.releases(target) == []


def test_each_plan_is_made_on_its_own_service(box: InProcess) -> None:
    planned = ship_many.plan_each(box.ctx, ShipRequest(env="staging"), services(box))
    assert [(p.service, p.ctx.options.service) for p in planned] == [
        ("api", "api"),
        ("worker", "worker"),
    ]
    assert all(p.plan is None and p.error is not None for p in planned)


def test_pending_says_why_head_cannot_be_released(box: InProcess) -> None:
    target = box.ctx.target("staging", box.ctx.settings.services["api"])
    assert ship_many.pending(box.ctx, target) == (
        "cannot be released: staging lacks config that env.sample names: A; nothing was built"
    )


def fake_plan() -> ReleasePlan:
    return cast(ReleasePlan, object())


def test_failed_releases_are_named_beside_those_released_with_the_first_failures_code(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = {"api": OK, "web": USAGE, "worker": FAILED}
    monkeypatch.setattr(ship_many, "execute", lambda ctx, plan: codes[ctx.options.service])
    ready = [
        Planned(box.ctx.on_service(name), name, plan=fake_plan())
        for name in ("api", "web", "worker")
    ]
    done = ship_many.release_all(ready, Shipped(skipped=["cron"]))
    assert done == Shipped(released=["api"], skipped=["cron"], failed=["web", "worker"], code=USAGE)
    err = capsys.readouterr().err
    assert "releasing api, web, worker; nothing to release: cron" in err
    assert "2 releases failed: web, worker; released: api" in err


def test_a_release_that_raises_is_reported_under_its_service(
    box: InProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(ctx: object, plan: object) -> int:
        raise UsageError("the lock is held by someone else", hint="git lift unlock")

    monkeypatch.setattr(ship_many, "execute", refused)
    ready = [Planned(box.ctx.on_service("api"), "api", plan=fake_plan())]
    done = ship_many.release_all(ready, Shipped())
    assert done == Shipped(failed=["api"], code=USAGE)
    err = capsys.readouterr().err
    assert "api: the lock is held by someone else" in err
    assert "1 release failed: api" in err and "released:" not in err


def test_bounded_answers_in_order_whatever_finishes_first() -> None:
    import time

    def slow_first(n: int) -> int:
        time.sleep(0.02 * (5 - n))
        return n * 10

    assert ship_many.bounded([1, 2, 3, 4, 5], slow_first) == [10, 20, 30, 40, 50]
    assert ship_many.bounded([7], lambda n: n) == [7]
