"""Sidecars at release time (issue 21), on the fakes: ship copies the running task definition
with the app's new image, keeps every sidecar, gives each the image the service config pins
(a changed one is a line of the plan's diff), and points a sidecar's secrets at this release's
references, as the app's."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from git_lift.aws.store import ServiceDocument
from git_lift.errors import ValidationError
from git_lift.flows.image import ImageSource
from git_lift.flows.ship_plan import execute, plan_ship
from git_lift.plan import with_image_and_secrets
from git_lift.servicecfg import default_document
from tests.support.fakes import NEW, NEW_IMAGE, OLD, OLD_IMAGE, World, behaves, definition, world
from tests.support.fakes.world import SHA

pytestmark = pytest.mark.fast

PROXY_OLD = "public.ecr.aws/envoyproxy/envoy@sha256:" + "a" * 64
PROXY_NEW = "public.ecr.aws/envoyproxy/envoy@sha256:" + "b" * 64
WAITS = [{"containerName": "proxy", "condition": "HEALTHY"}]


def running_with_proxy(w: World) -> None:
    current = definition(OLD, OLD_IMAGE)
    current["containerDefinitions"][0]["dependsOn"] = WAITS
    proxy = {"name": "proxy", "image": PROXY_OLD, "essential": True, "cpu": 64}
    current["containerDefinitions"].append(proxy)
    w.ecs.definitions[OLD] = current


def configured(w: World, image: str, secrets: tuple[str, ...] = ()) -> None:
    doc = {
        **default_document(False),
        "sidecars": [{"name": "proxy", "image": image, "cpu": 64, "secrets": [*secrets]}],
        "depends_on": [{"container": "proxy"}],
    }
    w.store.save_service_document(
        w.target, ServiceDocument("staging", "payments-api", 1, doc, "me", 0.0)
    )


def planned(w: World, keys: dict[str, int] | None = None) -> Any:
    uri, _, digest = NEW_IMAGE.partition("@")
    return plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), keys or {})


def test_ship_keeps_the_sidecar_and_gives_it_the_configs_pinned_image(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running_with_proxy(w)
    configured(w, PROXY_NEW)
    plan = planned(w)
    assert ("change", f"~ proxy image {PROXY_OLD}") in plan.changes
    assert ("change", f"    -> {PROXY_NEW}") in plan.changes
    assert execute(w.ctx, plan) == 0
    app, proxy = w.ecs.definitions[NEW]["containerDefinitions"]
    assert app["image"] == NEW_IMAGE and app["dependsOn"] == WAITS
    assert proxy == {"name": "proxy", "image": PROXY_NEW, "essential": True, "cpu": 64}


def test_an_unchanged_sidecar_is_no_line_of_the_diff(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running_with_proxy(w)
    configured(w, PROXY_OLD)
    assert not any("proxy" in line for _, line in planned(w).changes)


def test_a_sidecars_secrets_follow_the_releases_references() -> None:
    current = definition(OLD, OLD_IMAGE)
    old = [{"name": "API_KEY", "valueFrom": "arn:...:secret:snapshot-1:API_KEY::v1"}]
    current["containerDefinitions"].append({"name": "proxy", "image": PROXY_OLD, "secrets": old})
    before = copy.deepcopy(current)
    new = [
        {"name": "API_KEY", "valueFrom": "arn:...:secret:snapshot-2:API_KEY::v2"},
        {"name": "DATABASE_URL", "valueFrom": "arn:...:secret:snapshot-2:DATABASE_URL::v2"},
    ]
    shipped = with_image_and_secrets(current, "payments-api", NEW_IMAGE, new)
    app, proxy = shipped["containerDefinitions"]
    assert app["secrets"] == new
    assert proxy["secrets"] == [new[0]]  # its own key only, at this release's reference
    assert current == before  # a copy


def test_a_sidecar_secret_env_sample_no_longer_names_stops_the_ship_first(tmp_path: Path) -> None:
    w = world(tmp_path, tasks=behaves("start"))
    running_with_proxy(w)
    configured(w, PROXY_NEW, secrets=("API_KEY",))
    with pytest.raises(ValidationError) as refused:
        planned(w, {"DATABASE_URL": 1})
    assert "sidecars.proxy.secrets: API_KEY is not in env.sample" in refused.value.message
    assert w.ecs.deployed == [] and len(w.ecs.definitions) == 1  # nothing registered
