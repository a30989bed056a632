"""templates/kept_revisions.py: which task definitions a stack update keeps as deployed (the
release's image alone sets them apart) and which it registers anew (anything else changed)."""

from __future__ import annotations

from typing import Any

from git_lift.templates.kept_revisions import keep_revisions, task_definition_title

RUNNING = "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-api:7"


def task_definition(image: str, cpu: str = "256") -> dict[str, Any]:
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Cpu": cpu,
            "ContainerDefinitions": [
                {"Name": "api", "Image": image},
                {"Name": "proxy", "Image": "envoy@sha256:1"},
            ],
        },
    }


def stack(definition: dict[str, Any], count: int) -> dict[str, Any]:
    return {
        "Resources": {
            "TaskDefinition": definition,
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {"TaskDefinition": {"Ref": "TaskDefinition"}, "DesiredCount": count},
            },
        },
        "Outputs": {"TaskDefinitionArn": {"Value": {"Ref": "TaskDefinition"}}},
    }


def test_a_count_change_keeps_the_deployed_definition_and_names_the_running_revision() -> None:
    deployed = stack(task_definition("api@sha256:old"), 1)
    rendered = stack(task_definition("api@sha256:released"), 3)
    kept = keep_revisions(rendered, deployed, {"TaskDefinition": RUNNING}, "api")
    assert kept["Resources"]["TaskDefinition"] == deployed["Resources"]["TaskDefinition"]
    service = kept["Resources"]["Service"]["Properties"]
    assert service == {"TaskDefinition": RUNNING, "DesiredCount": 3}
    assert kept["Outputs"]["TaskDefinitionArn"]["Value"] == RUNNING
    assert rendered["Resources"]["Service"]["Properties"]["TaskDefinition"] == {
        "Ref": "TaskDefinition"
    }  # the caller's document is left as it was


def test_any_other_change_to_the_definition_is_registered_as_before() -> None:
    deployed = stack(task_definition("api@sha256:old"), 1)
    with_memory = task_definition("api@sha256:old")
    with_memory["Properties"]["Memory"] = "1024"
    for changed in (task_definition("api@sha256:released", cpu="512"), with_memory):
        rendered = stack(changed, 1)
        assert keep_revisions(rendered, deployed, {"TaskDefinition": RUNNING}, "api") == rendered


def test_a_sidecars_image_is_not_the_releases() -> None:
    deployed = stack(task_definition("api@sha256:old"), 1)
    sidecar = task_definition("api@sha256:old")
    sidecar["Properties"]["ContainerDefinitions"][1]["Image"] = "envoy@sha256:2"
    rendered = stack(sidecar, 1)
    assert keep_revisions(rendered, deployed, {"TaskDefinition": RUNNING}, "api") == rendered


def test_a_process_new_to_the_stack_or_not_running_is_rendered() -> None:
    rendered = stack(task_definition("api@sha256:released"), 1)
    assert keep_revisions(rendered, {}, {"TaskDefinition": RUNNING}, "api") == rendered
    deployed = stack(task_definition("api@sha256:old"), 1)
    assert keep_revisions(rendered, deployed, {}, "api") == rendered


def test_each_process_has_its_own_logical_id() -> None:
    assert task_definition_title("web") == "TaskDefinition"
    assert task_definition_title("queue-consumer") == "QueueConsumerTaskDefinition"
