"""The config plan a user confirms before anything is written, the task definition a release
registers, and the env.sample check (plan.py): the plan does exactly what it shows, values stay
masked unless asked for, and a new revision changes only the image and the secrets."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import plan

FEW = settings(max_examples=60, deadline=None)  # fast suite; 2 shared cores
configs = st.dictionaries(
    st.sampled_from(["A", "B", "C", "D", "E", "F"]), st.text(max_size=6), max_size=6
)


@FEW
@given(configs, configs)
def test_applying_a_plan_turns_the_current_config_into_the_desired_one(
    current: dict[str, str], desired: dict[str, str]
) -> None:
    p = plan.config_plan(current, desired)
    after = {k: v for k, v in current.items() if k not in p.removed}
    after.update(p.writes)
    assert after == desired
    # and it touches nothing that stays as it is
    assert set(p.touched) == {k for k in {*current, *desired} if current.get(k) != desired.get(k)}
    assert p.empty == (current == desired)


@FEW
@given(configs, configs)
def test_a_masked_plan_shows_every_touched_key_and_no_value(
    current: dict[str, str], desired: dict[str, str]
) -> None:
    p = plan.config_plan(current, desired)
    lines = plan.render_config_plan(p, show_values=False)
    assert [text.split()[1] for _, text in lines] == p.touched
    shapes = {
        "add": rf"\+ [A-F] = {re.escape(plan.MASK)}",
        "change": rf"~ [A-F] = {re.escape(plan.MASK)} -> {re.escape(plan.MASK)}",
        "remove": r"- [A-F]",
    }
    for kind, text in lines:
        assert re.fullmatch(shapes[kind], text), text


def test_a_plan_with_values_shows_them_quoted_old_and_new() -> None:
    p = plan.config_plan({"A": "old", "B": "gone"}, {"A": "new", "C": "it's"})
    assert plan.render_config_plan(p, show_values=True) == [
        ("change", "~ A = 'old' -> 'new'"),
        ("remove", "- B"),  # a removed key's value is never shown
        ("add", '+ C = "it\'s"'),
    ]
    masked = plan.render_config_plan(p, show_values=False)
    assert masked[0] == ("change", "~ A = ******** -> ********")


def test_a_value_that_changes_only_in_whitespace_is_a_change() -> None:
    p = plan.config_plan({"A": "x"}, {"A": "x "})
    assert p.changed == {"A": ("x", "x ")} and p.summary() == "1 changed"


@pytest.mark.parametrize(
    ("current", "desired", "summary"),
    [
        ({}, {}, "no changes"),
        ({"A": "1"}, {"A": "1"}, "no changes"),
        ({}, {"A": "1", "B": "2"}, "2 added"),
        ({"A": "1", "B": "2"}, {"A": "2", "C": "3"}, "1 added, 1 changed, 1 removed"),
        ({"A": "1"}, {}, "1 removed"),
    ],
)
def test_the_summary_counts_each_kind_of_change(
    current: dict[str, str], desired: dict[str, str], summary: str
) -> None:
    assert plan.config_plan(current, desired).summary() == summary


# env.sample against the store


def test_missing_keys_fail_the_check_extra_ones_do_not() -> None:
    check = plan.check_keys("staging", ["A", "B", "A"], {"B": 3, "C": 1})
    assert (check.missing, check.extra, check.ok) == (["A"], ["C"], False)
    assert plan.check_keys("staging", ["B"], {"B", "C"}).ok
    assert not plan.KeyCheck("staging", [], [], error="AccessDenied").ok


# The task definition a release registers


DEFINITION = {
    "family": "staging-api",
    "taskRoleArn": "arn:aws:iam::123456789012:role/lift-staging-api-task",
    "containerDefinitions": [
        {"name": "app", "image": "old:1", "secrets": [{"name": "A", "valueFrom": "arn:a"}]},
        {"name": "sidecar", "image": "proxy:1"},
    ],
    "cpu": "256",
    "memory": "512",
    "revision": 7,
    "status": "ACTIVE",
    "registeredAt": "2026-01-01",
    "pidMode": "",
    "volumes": [],
}


def test_registration_keeps_only_what_register_task_definition_accepts() -> None:
    request = plan.registration(DEFINITION)
    assert set(request) == {"family", "taskRoleArn", "containerDefinitions", "cpu", "memory"}
    assert request["containerDefinitions"] == DEFINITION["containerDefinitions"]


def test_a_new_revision_changes_the_service_containers_image_and_secrets_only() -> None:
    before = copy.deepcopy(DEFINITION)
    secrets = plan.secrets_for(["Z", "B"], {"B": "arn:b", "Z": "arn:z"})
    new = plan.with_image_and_secrets(DEFINITION, "app", "new:2", secrets)
    assert before == DEFINITION  # the described definition is not changed in place
    app, sidecar = new["containerDefinitions"]
    assert (app["image"], app["secrets"]) == (
        "new:2",
        [{"name": "B", "valueFrom": "arn:b"}, {"name": "Z", "valueFrom": "arn:z"}],
    )
    assert sidecar == DEFINITION["containerDefinitions"][1]
    assert {k: v for k, v in new.items() if k != "containerDefinitions"} == {
        k: v for k, v in DEFINITION.items() if k != "containerDefinitions"
    }
    assert plan.task_definition_changes(DEFINITION, new) == [
        ("change", "~ app image old:1"),
        ("change", "    -> new:2"),
        ("add", "+ secret B"),
        ("add", "+ secret Z"),
        ("remove", "- secret A"),
    ]


def test_a_single_container_is_the_service_container_whatever_its_name() -> None:
    one = {"containerDefinitions": [{"name": "web", "image": "old"}]}
    new = plan.with_image_and_secrets(one, "api", "new", [])
    assert new["containerDefinitions"] == [{"name": "web", "image": "new", "secrets": []}]


def test_no_container_of_that_name_among_several_is_an_error_naming_them() -> None:
    with pytest.raises(ValueError, match=r"no container named 'api' \(have: app, sidecar\)"):
        plan.with_image_and_secrets(DEFINITION, "api", "new", [])


def test_an_unchanged_revision_shows_no_changes_and_never_a_value() -> None:
    assert plan.task_definition_changes(DEFINITION, DEFINITION) == []
    secret = {"name": "A", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/s/a"}
    old = {"containerDefinitions": [{"name": "app", "image": "i", "secrets": []}]}
    new = {"containerDefinitions": [{"name": "app", "image": "i", "secrets": [secret]}]}
    assert plan.task_definition_changes(old, new) == [("add", "+ secret A")]
