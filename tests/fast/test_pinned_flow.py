"""Pinned config (pinConfig): a release runs the values its ship checked, its snapshot can be
read back for `config restore --release`, and a rollback refuses a snapshot that may have aged
out. Parameter Store and Secrets Manager: the in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from git_lift.aws.secrets import LABEL_WINDOW, Pinned
from git_lift.aws.store import Release
from git_lift.errors import DeployFailed, LiftError
from git_lift.flows import pinned
from git_lift.flows.context import Context
from git_lift.target import Target
from tests.support.fakes import in_process


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    yield in_process(tmp_path).ctx


def production(ctx: Context) -> Target:
    return ctx.target("production")


def release(number: int, parts: list[Pinned]) -> Release:
    return Release(
        number,
        "production",
        "payments-api",
        "c0ffee" * 6 + "0000",
        "registry.example.com/payments-api@sha256:" + "1" * 64,
        "arn:task-definition/production-payments-api:1",
        "dev",
        1_700_000_000.0,
        pinned={part.arn: part.version for part in parts},
    )


def test_a_ship_pins_each_key_at_the_version_it_checked(ctx: Context) -> None:
    store = ctx.parameters(production(ctx))
    store.put("API_TOKEN", "checked", advanced=False)
    store.put("DATABASE_URL", "db", advanced=False)
    store.put("API_TOKEN", "changed after the check", advanced=False)  # version 2
    values = pinned.read_values(ctx, production(ctx), {"API_TOKEN": 1, "DATABASE_URL": 1})
    assert values == {"API_TOKEN": "checked", "DATABASE_URL": "db"}


def test_a_key_removed_while_shipping_fails_the_ship(ctx: Context) -> None:
    store = ctx.parameters(production(ctx))
    store.put("API_TOKEN", "t", advanced=False)
    store.put("DATABASE_URL", "d", advanced=False)
    store.delete(["DATABASE_URL"])
    with pytest.raises(DeployFailed) as failed:
        pinned.read_values(ctx, production(ctx), {"API_TOKEN": 1, "DATABASE_URL": 1})
    assert failed.value.message == (
        "config of payments-api in production changed while shipping: DATABASE_URL"
    )
    assert failed.value.hint == "ship again: git lift ship -e production"


def test_the_task_definition_references_each_key_of_the_pinned_version(ctx: Context) -> None:
    parts = pinned.pin(ctx, production(ctx), {"API_TOKEN": "t", "DATABASE_URL": "d"}, 1)
    [part] = parts
    assert part.keys == ("API_TOKEN", "DATABASE_URL")
    assert pinned.references(parts) == {
        "API_TOKEN": f"{part.arn}:API_TOKEN::{part.version}",
        "DATABASE_URL": f"{part.arn}:DATABASE_URL::{part.version}",
    }


def test_a_releases_values_are_read_back_from_its_own_snapshot(ctx: Context) -> None:
    first = pinned.pin(ctx, production(ctx), {"API_TOKEN": "one"}, 1)
    pinned.pin(ctx, production(ctx), {"API_TOKEN": "two", "NEW": "x"}, 2)
    assert pinned.values_of(ctx, release(1, first)) == {"API_TOKEN": "one"}


def test_an_unpinned_release_has_no_values_to_restore(ctx: Context) -> None:
    with pytest.raises(LiftError) as refused:
        pinned.values_of(ctx, release(4, []))
    assert refused.value.message == (
        "release 4 of payments-api in production did not pin its config (pinConfig was off), "
        "so its values were not kept"
    )
    assert refused.value.hint is not None
    assert "git lift config history -e production KEY" in refused.value.hint


def pin_releases(ctx: Context, last: int) -> dict[int, list[Pinned]]:
    return {
        n: pinned.pin(ctx, production(ctx), {"API_TOKEN": f"v{n}"}, n) for n in range(1, last + 1)
    }


def test_a_rollback_beyond_the_window_is_refused_with_the_way_back(ctx: Context) -> None:
    parts = pin_releases(ctx, LABEL_WINDOW + 1)
    pinned.require_kept(ctx, release(2, parts[2]))  # the oldest inside the window
    with pytest.raises(DeployFailed) as refused:
        pinned.require_kept(ctx, release(1, parts[1]))
    assert refused.value.message.startswith(
        "release 1's config snapshot is beyond the rollback window (the last 15 releases"
    )
    assert refused.value.hint is not None
    assert "git lift config restore -e production --release 1" in refused.value.hint
    assert "--ref c0ffeec0ffee" in refused.value.hint


def test_a_rolled_back_to_snapshot_stays_in_the_window_with_its_new_release(
    ctx: Context,
) -> None:
    parts = pin_releases(ctx, LABEL_WINDOW)
    rollback = LABEL_WINDOW + 1  # release 16 runs release 1's snapshot again
    pinned.relabel(ctx, release(1, parts[1]), rollback)
    pinned.pin(ctx, production(ctx), {"API_TOKEN": "later"}, rollback + 1)  # drops 1 and 2
    pinned.require_kept(ctx, release(1, parts[1]))
    with pytest.raises(DeployFailed):
        pinned.require_kept(ctx, release(2, parts[2]))
