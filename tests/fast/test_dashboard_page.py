"""The dashboard in-process: which environments it compares and in what order, what a cell
says of each state, and that every string from git or AWS lands on the page as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.aws.store import Release
from git_lift.errors import NotSetUp
from git_lift.flows import overview
from git_lift.flows.dashboard_page import SHOWN_COMMITS, age, page
from git_lift.flows.overview import Cell, Entry, Gap, Overview, pairs, promotion_order
from git_lift.settings import EnvironmentSettings
from tests.support.fakes import InProcess, in_process
from tests.support.records import record

HOSTILE = '<img src=x onerror="alert(1)"> & <script>'
NOW = 1_700_000_000.0


def envs(**requires: str | None) -> dict[str, EnvironmentSettings]:
    confirm = {"production", "prod-eu"}
    return {
        n: EnvironmentSettings(n, (), confirm=n in confirm, requires=r) for n, r in requires.items()
    }


@pytest.mark.parametrize(
    ("settings", "order", "compared"),
    [
        (  # nothing required: those without confirm first, then by name
            envs(production=None, staging=None),
            ["staging", "production"],
            [("staging", "production")],
        ),
        (  # a chain through `requires`, whatever the names
            envs(production="qa", qa="dev", dev=None),
            ["dev", "qa", "production"],
            [("dev", "qa"), ("qa", "production")],
        ),
        (  # two environments that require the same one are each compared with it
            envs(staging=None, production="staging", **{"prod-eu": "staging"}),
            ["staging", "prod-eu", "production"],
            [("staging", "prod-eu"), ("staging", "production")],
        ),
        (  # a circle of requires does not loop
            envs(a="b", b="a"),
            ["a", "b"],
            [("a", "b")],
        ),
    ],
)
def test_environments_are_shown_and_compared_in_promotion_order(
    settings: dict[str, EnvironmentSettings], order: list[str], compared: list[tuple[str, str]]
) -> None:
    assert promotion_order(settings) == order
    assert pairs(settings, order) == compared


def release(number: int, **more: object) -> Release:
    fields: dict[str, object] = {
        "env": "staging",
        "service": "api",
        "commit": "c" * 40,
        "image": "registry.example.com/api@sha256:" + "ab" * 32,
        "task_definition": "arn:td:1",
        "deployed_by": "Dana Dev <dana@example.com>",
        "deployed_at": NOW - 7200,
    } | more
    return Release(number=number, **fields)  # type: ignore[arg-type]


def view(cells: dict[tuple[str, str], Cell], **more: object) -> Overview:
    fields: dict[str, object] = {
        "repository": "shop",
        "environments": ["staging", "production"],
        "services": ["api"],
        "cells": cells,
        "timeline": [],
        "gaps": [],
        "generated_at": NOW,
    } | more
    return Overview(**fields)  # type: ignore[arg-type]


def test_every_string_from_git_or_aws_is_text_on_the_page() -> None:
    hostile = release(7, deployed_by=HOSTILE, gate_skipped=HOSTILE, promoted_from=HOSTILE)
    text = page(
        view(
            {
                ("api", "staging"): Cell("staging", "api", hostile, subject=HOSTILE),
                ("api", "production"): Cell("production", "api", error=HOSTILE),
            },
            repository=HOSTILE,
            timeline=[Entry(hostile, HOSTILE)],
            gaps=[Gap("api", "staging", "production", to_promote=[f"abc1234 {HOSTILE}"])],
        )
    )
    assert "<img" not in text and "<script" not in text and 'onerror="' not in text
    assert text.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;script&gt;") >= 6


def test_a_cell_says_what_runs_and_what_is_not_as_released() -> None:
    running = release(12, pinned={"arn": "v1"})
    failed = release(13, outcome="failed", deployed_at=NOW - 60)
    cells = {
        ("api", "staging"): Cell(
            "staging",
            "api",
            running,
            subject="Faster checkout",
            running=2,
            desired=2,
            rollout="COMPLETED",
            drift=["~DATABASE_URL", "+NEW_KEY"],
            attempt=failed,
        ),
        ("api", "production"): Cell("production", "api", missing="there is no ECS service"),
    }
    text = page(view(cells))
    staging = text.split('data-env="staging">')[1].split("</td>")[0]
    assert "release 12" in staging and "pinned config" in staging
    assert "cccccccccccc</code> Faster checkout" in staging
    assert "sha256:abababababab" in staging  # the digest, short
    assert "2 h ago" in staging and "Dana Dev<" in staging  # the name; the address in title
    assert "2/2 running &middot; COMPLETED" in staging
    assert "<code>~DATABASE_URL</code> <code>+NEW_KEY</code>" in staging  # names only
    assert "then release 13: failed, 1 min ago" in staging
    assert '<td class="cell warn" data-env="staging">' in text
    assert '<td class="cell idle" data-env="production"><p class="rel">not set up' in text


def test_a_long_gap_lists_the_first_commits_and_counts_the_rest() -> None:
    lines = [f"{n:07x} commit {n}" for n in range(SHOWN_COMMITS + 5)]
    text = page(view({}, services=[], gaps=[Gap("api", "staging", "production", lines)]))
    assert f"{SHOWN_COMMITS + 5} commits in staging, not yet in production" in text
    assert text.count("<li><code>") == SHOWN_COMMITS and "and 5 more" in text


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(3, "just now"), (42, "42 s ago"), (61, "1 min ago"), (7200, "2 h ago"), (90000, "1 d ago")],
)
def test_ages_are_said_in_the_unit_that_matters(seconds: float, said: str) -> None:
    assert age(seconds) == said


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path)


def test_the_timeline_marks_promotions_rollbacks_and_failures_newest_first(box: InProcess) -> None:
    record(box, 1)
    record(box, 2, outcome="failed", revision=2)
    record(box, 3, rolled_back_from=2)
    record(box, 1, env="production", promoted_from="staging@1")
    found = overview.overview(box.ctx)
    assert [(e.release.env, e.release.number) for e in found.timeline] == [
        ("staging", 3),
        ("staging", 2),
        ("staging", 1),
        ("production", 1),
    ]
    text = page(found)
    assert '<tr class="rollback" data-env="staging"' in text
    assert '<tr class="failed" data-env="staging"' in text
    assert "rollback of 2" in text


def test_an_environment_never_set_up_names_the_command_and_is_not_compared(
    box: InProcess,
) -> None:
    def missing(polls: int) -> None:
        raise NotSetUp("there is no ECS service payments-api in cluster lift-production")

    box.aws.ecs_of(box.target("production")).on_poll = missing
    found = overview.overview(box.ctx)
    text = page(found)
    production = text.split('data-env="production">')[1].split("</td>")[0]
    assert "not set up" in production and "lift-production" in production
    assert "set it up: <code>git lift setup -e production</code>" in production
    assert [g.note for g in found.gaps] == ["staging: no release yet"]
    assert '<h2>Releases</h2><p class="why">none yet</p>' in text
