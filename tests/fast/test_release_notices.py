"""Release notices (issue 24): every release, rollback, failed or interrupted attempt and cancel
tells the environment's `notify` channels (a webhook, here a real HTTP server on 127.0.0.1;
SNS, here the fake) through the executor; a notice that cannot be told is one warning, never
a failed release; nothing secret is in it; ship shows the service's URL. In-process on the
fakes, the webhook over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from git_lift import servicecfg, webhook
from git_lift.aws.store import EnvironmentRecord, ServiceDocument
from git_lift.commands.cancel import cancel
from git_lift.commands.rollback import roll_back
from git_lift.errors import DeployFailed
from git_lift.flows import notices
from git_lift.flows.service_url import address
from git_lift.notice import duration
from git_lift.target import Environment
from tests.support.fakes import (
    ARN,
    OLD_IMAGE,
    FakeDeployment,
    World,
    behaves,
    in_process,
    ship,
    world,
)
from tests.support.records import runs
from tests.support.webhook import TOKEN, Hook, serving

TOPIC = "arn:aws:sns:eu-west-1:123456789012:releases"
DNS = "lift-staging-1234.eu-west-1.elb.amazonaws.com"


@pytest.fixture
def hook() -> Iterator[Hook]:
    with serving() as state:
        yield state


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


def told(tmp_path: Path, hook: Hook, tasks: str = "start", *channels: str) -> World:
    """A world on staging whose default branch's .gitlift notifies `channels` (default: the
    webhook and the topic), with the webhook's URL kept, the environment's record and a
    service config with a load balancer."""
    chosen = channels or ("webhook", TOPIC)
    w = world(
        tmp_path, tasks=behaves(tasks), policy=tuple(("env.staging.notify", c) for c in chosen)
    )
    parameter = Environment(w.target.environment).notify_webhook_parameter
    w.ctx.aws.notice_state.urls[parameter] = hook.url  # type: ignore[attr-defined]
    record = EnvironmentRecord(
        "staging", "eu-west-1", "123456789012", "lift-staging", {"certificate_arn": None},
        {"LoadBalancerDns": DNS}, "Dana", 0.0, "Dana", 0.0,
    )  # fmt: skip
    w.store.put_environment(record, create=True)
    document = servicecfg.default_document(False)
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 1, document, "Dana", 0.0)
    )
    return w


def published(w: World) -> list[tuple[str, str, str]]:
    return list(w.ctx.aws.notice_state.published)  # type: ignore[attr-defined]


def test_a_release_tells_the_webhook_and_the_topic_with_its_facts(
    tmp_path: Path, hook: Hook, capsys: pytest.CaptureFixture[str]
) -> None:
    w = told(tmp_path, hook)
    assert ship(w) == 0
    [body] = hook.bodies
    assert body["path"] == f"/services/{TOKEN}" and body["type"] == "application/json"
    facts = body["lift"]
    assert facts["event"] == "released" and facts["service"] == "payments-api"
    assert facts["environment"] == "staging" and facts["release"] == 1
    assert facts["who"] == "Test Dev" and isinstance(facts["seconds"], int)
    assert facts["url"] == f"http://{DNS}/"
    assert body["text"].startswith("payments-api release 1 in staging released: ")
    assert body["text"].endswith(f"by Test Dev, {facts['seconds']}s. http://{DNS}/")
    [(topic, subject, message)] = published(w)
    assert topic == TOPIC and subject == "git lift: payments-api release 1 in staging released"
    assert json.loads(message)["lift"] == facts
    err = capsys.readouterr().err
    assert f"payments-api in staging answers at http://{DNS}/" in err
    assert TOKEN not in err and TOKEN not in message  # the webhook's URL is never said


def test_a_failed_release_tells_that_it_failed(tmp_path: Path, hook: Hook) -> None:
    w = told(tmp_path, hook, "crash")
    with pytest.raises(DeployFailed):
        ship(w)
    [body] = hook.bodies
    assert body["lift"]["event"] == "failed" and body["lift"]["url"] is None
    assert "payments-api release 1 in staging failed and was rolled back" in body["text"]


def test_a_rollback_tells_it_rolled_back_and_to_which_release(tmp_path: Path, hook: Hook) -> None:
    w = told(tmp_path, hook)
    assert ship(w) == 0
    assert ship(w, image=OLD_IMAGE) == 0
    assert roll_back(w.ctx, w.target, None, 60.0) == 0
    last = hook.bodies[-1]
    assert last["lift"]["event"] == "rolled back" and last["lift"]["release"] == 3
    assert last["lift"]["rolled_back_from"] == 2
    assert "payments-api release 3 in staging rolled back (undoing release 2):" in last["text"]


def test_a_webhook_that_refuses_is_a_warning_and_the_release_stands(
    tmp_path: Path, hook: Hook, capsys: pytest.CaptureFixture[str]
) -> None:
    hook.status = 500
    w = told(tmp_path, hook)
    w.ctx.aws.notice_state.failing = True  # type: ignore[attr-defined]  # SNS refuses too
    assert ship(w) == 0
    assert w.store.releases(w.target)[0].released
    err = capsys.readouterr().err
    assert (
        "warning: could not notify the webhook of payments-api release 1 in staging released: "
        "the webhook at 127.0.0.1 answered HTTP 500"
    ) in err
    assert f"warning: could not notify {TOPIC} of payments-api release 1" in err
    assert TOKEN not in err


def test_a_webhook_that_never_answers_costs_its_timeout_only(
    tmp_path: Path, hook: Hook, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(webhook, "TIMEOUT", 0.1)
    hook.delay = 2.0
    w = told(tmp_path, hook, "start", "webhook")
    began = time.monotonic()
    assert ship(w) == 0
    assert time.monotonic() - began < 1.8
    assert "cannot reach the webhook at 127.0.0.1: no answer in 0.1s" in capsys.readouterr().err


def test_no_webhook_url_kept_is_a_warning_naming_the_command(
    tmp_path: Path, hook: Hook, capsys: pytest.CaptureFixture[str]
) -> None:
    w = told(tmp_path, hook, "start", "webhook")
    w.ctx.aws.notice_state.urls.clear()  # type: ignore[attr-defined]
    assert ship(w) == 0
    err = capsys.readouterr().err
    assert "no webhook URL in /lift.notices/staging/webhook" in err
    assert "hint: git lift notify set-webhook -e staging" in err


def test_without_notify_nothing_is_sent(tmp_path: Path, hook: Hook) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    assert ship(w) == 0
    assert hook.bodies == [] and published(w) == []


def test_a_webhook_url_in_clear_over_the_network_is_refused_naming_the_host_only() -> None:
    with pytest.raises(Exception) as refused:
        webhook.check_url(f"http://hooks.example.com/services/{TOKEN}")
    assert "http to hooks.example.com" in str(refused.value) and TOKEN not in str(refused.value)
    assert webhook.check_url("https://hooks.slack.com/x") == "https://hooks.slack.com/x"


def test_cancel_tells_who_cancelled_which_release(tmp_path: Path, hook: Hook) -> None:
    w = told(tmp_path, hook)
    notices.tell_cancelled(w.ctx, w.target, 4, 12.0)
    [body] = hook.bodies
    assert body["lift"]["event"] == "cancelled" and body["lift"]["release"] == 4
    assert body["text"].startswith("payments-api release 4 in staging was cancelled: by ")


def test_notify_names_the_webhook_or_a_standard_sns_topic() -> None:
    from git_lift import settings
    from git_lift.errors import UsageError
    from git_lift.gitlift import Entry

    def notify(value: str) -> tuple[str, ...]:
        entries = [Entry("env.staging.ref", "refs/heads/main"), Entry("env.staging.notify", value)]
        built = settings.build(
            gitlift=entries, policy=entries, repo_config=[], environ={}, flags={},
            remote_url=None, top_folder="payments-api", default_branch="main",
        )  # fmt: skip
        return built.environment("staging").notify

    assert notify(TOPIC) == (TOPIC,) and notify("webhook") == ("webhook",)
    for wrong in (
        "slack",
        "https://hooks.slack.com/x",
        TOPIC + ".fifo",
        TOPIC.replace("sns", "sqs"),
    ):
        with pytest.raises(UsageError) as refused:
            notify(wrong)
        assert refused.value.message == (
            f"env.staging.notify = {wrong!r} is neither webhook nor an SNS topic ARN"
        )


@pytest.mark.parametrize(
    ("http", "https", "url"),
    [
        ({}, False, f"http://{DNS}/"),
        ({"hostnames": ["*.example.com", "API.example.com"]}, True, "https://api.example.com/"),
        ({"path_patterns": ["/api/*", "/v2"]}, False, f"http://{DNS}/api/"),
        ({"internal": True}, False, "http://internal.elb/"),
        (None, False, None),  # a worker
    ],
)
def test_the_url_is_the_first_hostname_else_the_load_balancer_with_the_first_path(
    http: dict[str, Any] | None, https: bool, url: str | None
) -> None:
    doc = {} if http is None else {"http_interface": http}
    outputs = {"LoadBalancerDns": DNS, "InternalLoadBalancerDns": "internal.elb"}
    assert address(doc, outputs, https=https) == url


def test_durations_read_as_people_say_them() -> None:
    assert [duration(s) for s in (0.4, 59, 125, 3600 + 180)] == ["0s", "59s", "2m 05s", "1h 03m"]


def test_an_interrupted_release_tells_that_it_was_interrupted(tmp_path: Path, hook: Hook) -> None:
    w = told(tmp_path, hook, "hang")
    w.ecs.on_poll = lambda polls: os.kill(os.getpid(), signal.SIGINT) if polls == 3 else None
    with pytest.raises(KeyboardInterrupt):
        ship(w)
    [body] = hook.bodies
    assert body["lift"]["event"] == "interrupted" and body["lift"]["release"] == 1
    assert body["text"].startswith("payments-api release 1 in staging was interrupted:")


def test_git_lift_cancel_tells_the_release_it_cancelled(tmp_path: Path, hook: Hook) -> None:
    box = in_process(
        tmp_path, gitlift='[env "staging"]\n\tref = refs/heads/main\n\tnotify = webhook\n'
    )
    box.aws.notice_state.urls[Environment(box.target().environment).notify_webhook_parameter] = (
        hook.url
    )
    ecs = box.aws.ecs_of(box.target())
    old, new = runs(box, 1, OLD_IMAGE), ARN.format(2)
    ecs.definitions[new] = {**ecs.definitions[old], "taskDefinitionArn": new}
    ecs.deployments[0].status = "ACTIVE"
    ecs.deployments.append(FakeDeployment("ecs-svc/2", new))
    head = box.aws.store.head(box.target())
    head.n, head.owner, head.expires = 3, "ci@runner pid 1 (git lift ship)", 1e12
    head.previous, head.deploying = old, new
    assert cancel(box.ctx, "staging") == 0
    [body] = hook.bodies
    assert body["lift"]["event"] == "cancelled" and body["lift"]["release"] == 3


def test_a_release_tells_its_url_from_the_service_config_its_plan_read(
    tmp_path: Path, hook: Hook
) -> None:
    """The URL needs the service config: the one the plan read, not a second read of it."""
    w = told(tmp_path, hook)
    reads = []
    newest = w.store.service_document
    w.store.service_document = lambda *a, **k: reads.append(1) or newest(*a, **k)  # type: ignore[method-assign]
    assert ship(w) == 0
    assert hook.bodies[0]["lift"]["url"] == f"http://{DNS}/"
    assert len(reads) == 1
