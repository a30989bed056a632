"""Releases people hear about (issue 24), as a user runs them in the sandbox: freeze windows
refuse a release unless --skip-gate (recorded in the tag); the webhook's URL is kept from
stdin, never from an argument, and told of each release over real HTTP on 127.0.0.1, the
SNS topic too (moto); a webhook that fails is a warning; ship, status and `git lift open`
say where the service answers."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config
from tests.support.release import ACCOUNT, REGION, gitlift, image, prepare
from tests.support.webhook import TOKEN, Hook, serving

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:releases"


def window_around_now() -> str:
    """A freeze window from an hour ago to an hour from now, in UTC."""
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    return f"{start:%a %H:%M}-{end:%a %H:%M} UTC"


@pytest.fixture
def hook() -> Iterator[Hook]:
    with serving() as state:
        yield state


def tag_body(repo: GitRepo, tag: str) -> str:
    return repo.git("tag", "-l", "--format=%(contents)", tag).stdout


def test_a_frozen_environment_refuses_a_release_unless_a_reason_is_recorded(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = window_around_now()
    prepare(repo, monkeypatch, gitlift(staging=f"\tfreeze = {window}\n"), envs=("staging",))
    refused = lift("ship", "-e", "staging", "--image", image(1))
    assert refused.returncode == 1
    until = window.split("-")[1]
    assert f"error: staging is frozen until {until} (freeze = {window})" in refused.stderr
    sha = repo.head()[:12]
    assert (
        "hint: release after the window, or record why now with --skip-gate REASON "
        f"(git lift ship -e staging --ref {sha} --skip-gate REASON)"
    ) in refused.stderr
    assert not repo.git("tag", "-l", "lift/staging/*").stdout
    skipped = lift("ship", "-e", "staging", "--image", image(1), "--skip-gate", "fix for #9")
    assert skipped.returncode == 0, skipped.stderr
    assert f"skipping the gate of staging (frozen until {until}): fix for #9" in skipped.stderr
    assert "Gate-Skipped: fix for #9" in tag_body(repo, "lift/staging/payments-api/1")


def test_a_freeze_a_branch_adds_does_not_hold_and_a_bad_one_is_an_error(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    repo.write(".gitlift", gitlift(staging=f"\tfreeze = {window_around_now()}\n"))
    repo.commit("Freeze staging (not on the default branch yet)")
    result = lift("ship", "-e", "staging", "--image", image(2))
    assert result.returncode == 0, result.stderr
    repo.write(".gitlift", gitlift(staging="\tfreeze = Fri 16:00-Mon 8h Europe/Paris\n"))
    bad = lift("ship", "-e", "staging", "--image", image(3))
    assert bad.returncode == 2
    assert "error: env.staging.freeze = 'Fri 16:00-Mon 8h Europe/Paris' is not DAY" in bad.stderr
    assert 'hint: write it as "Fri 16:00-Mon 08:00 Europe/Paris"' in bad.stderr


@pytest.fixture
def notifying(aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """staging notifies the webhook and TOPIC (whose messages moto keeps: `sent`)."""
    notify = f"\tnotify = webhook\n\tnotify = {TOPIC}\n"
    prepare(repo, monkeypatch, gitlift(staging=notify), envs=("staging",))
    boto3.client("sns", region_name=REGION).create_topic(Name="releases")
    return repo


def sent(topic: str = TOPIC) -> list[tuple[str, str]]:
    """(subject, message) of each notification the topic sent (moto keeps them)."""
    found = sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications
    return [(subject, message) for _, message, subject, _, _ in found]


def test_a_release_is_told_to_the_webhook_and_the_topic(
    notifying: GitRepo, lift: Lift, hook: Hook
) -> None:
    in_argv = lift("notify", "set-webhook", "-e", "staging", hook.url)
    assert in_argv.returncode == 2  # never in an argument: it would be in the shell's history
    assert "error: the webhook URL is never an argument" in in_argv.stderr
    assert TOKEN not in in_argv.stderr
    kept = lift("notify", "set-webhook", "-e", "staging", input_text=hook.url + "\n")
    assert kept.returncode == 0, kept.stderr
    assert "kept the webhook URL of staging in /lift.notices/staging/webhook" in kept.stderr
    assert TOKEN not in kept.stderr + kept.stdout
    shipped = lift("ship", "-e", "staging", "--image", image(5))
    assert shipped.returncode == 0, shipped.stderr
    [body] = hook.bodies
    facts = body["lift"]
    assert (facts["event"], facts["release"], facts["environment"]) == ("released", 1, "staging")
    assert facts["subject"] == "Release policy" and facts["commit"] == notifying.head()
    assert body["text"].startswith('payments-api release 1 in staging released: "Release policy"')
    [(subject, message)] = sent()
    assert subject == "git lift: payments-api release 1 in staging released"
    assert json.loads(message)["lift"] == facts
    assert TOKEN not in shipped.stderr + shipped.stdout + message
    test = lift("notify", "test", "-e", "staging")
    assert test.returncode == 0, test.stderr
    assert "told 2 of 2 channels" in test.stderr
    assert hook.bodies[-1]["lift"]["event"] == "test"


def test_a_webhook_that_fails_is_a_warning_and_the_release_stands(
    notifying: GitRepo, lift: Lift, hook: Hook
) -> None:
    hook.status = 404
    lift("notify", "set-webhook", "-e", "staging", input_text=hook.url + "\n")
    shipped = lift("ship", "-e", "staging", "--image", image(6))
    assert shipped.returncode == 0, shipped.stderr
    assert (
        "warning: could not notify the webhook of payments-api release 1 in staging released: "
        "the webhook at 127.0.0.1 answered HTTP 404"
    ) in shipped.stderr
    assert "released payments-api" in shipped.stderr and len(sent()) == 1
    test = lift("notify", "test", "-e", "staging")
    assert test.returncode == 1
    assert "error: 1 channel of staging missed the test notice" in test.stderr


def test_newcomer_mistakes_with_notify_are_one_error_and_a_hint(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    none = lift("notify", "test", "-e", "staging")
    assert none.returncode == 2
    assert "error: staging has no notify channel" in none.stderr
    assert "hint: on the default branch: git config -f .gitlift --add env.staging.notify" in (
        none.stderr
    )
    clear = lift(
        "notify", "set-webhook", "-e", "staging",
        input_text=f"http://hooks.example.com/services/{TOKEN}\n",
    )  # fmt: skip
    assert clear.returncode == 2
    assert "error: the webhook URL is http to hooks.example.com" in clear.stderr
    assert TOKEN not in clear.stderr
    repo.write(".gitlift", gitlift(staging="\tnotify = slack\n"))
    bad = lift("status", "-e", "staging")
    assert bad.returncode == 2
    assert "error: env.staging.notify = 'slack' is neither webhook nor an SNS topic ARN" in (
        bad.stderr
    )


def test_an_empty_webhook_url_on_stdin_says_it_was_empty_not_that_none_came(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    for given in ("\n", ""):  # `echo "" |`, and a closed stdin: at once, not after 20 s
        empty = lift("notify", "set-webhook", "-e", "staging", input_text=given)
        assert empty.returncode == 2
        assert "error: the webhook URL read from stdin is empty; nothing was written" in (
            empty.stderr
        )
        assert "within 20s" not in empty.stderr
        assert 'hint: pipe it in: printf %s "$WEBHOOK_URL"' in empty.stderr


def test_ship_status_and_open_say_where_the_service_answers(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="x")
    repo.write("env.sample", "DATABASE_URL=\n")
    repo.commit("Config")
    assert lift("service", "create", "-e", "staging", "--yes").returncode == 0
    before = lift("status", "-e", "staging").stdout
    assert "no release yet" in before and "  url       http://" in before
    shipped = lift("ship", "-e", "staging", "--yes", "--image", image(8))
    assert shipped.returncode == 0, shipped.stderr
    [line] = [ln for ln in shipped.stderr.splitlines() if "answers at" in ln]
    url = line.split("answers at ")[1]
    assert url.startswith("http://") and url.endswith("/")
    status = lift("status", "-e", "staging")
    assert f"  url       {url}" in status.stdout
    as_json = json.loads(lift("status", "-e", "staging", "--output", "json").stdout)
    assert as_json[0]["url"] == url
    printed = lift("open", "-e", "staging")  # no terminal, no BROWSER: printed only
    assert printed.returncode == 0 and printed.stdout == url + "\n"
    browser = tmp_path / "browser"
    opened = tmp_path / "opened"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    result = lift("open", "-e", "staging", env={"BROWSER": str(browser)})
    assert result.returncode == 0, result.stderr
    assert opened.read_text() == url


def test_promote_into_a_frozen_environment_needs_a_recorded_reason(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = gitlift(production=f"\tfreeze = {window_around_now()}\n")
    prepare(repo, monkeypatch, policy, envs=("staging", "production"))
    assert lift("ship", "-e", "staging", "--image", image(7)).returncode == 0
    promote = ("promote", "--from", "staging", "--to", "production", "--yes")
    refused = lift(*promote)
    assert refused.returncode == 1 and "error: production is frozen until" in refused.stderr
    passed = lift(*promote, "--skip-gate", "incident 42")
    assert passed.returncode == 0, passed.stderr
    body = tag_body(repo, "lift/production/payments-api/1")
    assert "Gate-Skipped: incident 42" in body and "Promoted-From: staging@1" in body
    again = lift("ship", "-e", "production", "--image", image(8), "--yes", "--skip-gate", "x")
    assert again.returncode == 0, again.stderr
    rollback = lift("rollback", "-e", "production")  # how a frozen environment is mended
    assert rollback.returncode == 0, rollback.stderr
    assert "rolled back" in rollback.stderr and "frozen" not in rollback.stderr
