"""A stack update keeps each task definition a change leaves as it was; pure.

The stack renders each process's task definition with the image the process runs now (so that
an infrastructure change never rolls the code back), but a release moves that image outside
CloudFormation. Rendered again after a release, the task definition differs from the stack's
by its image alone, and CloudFormation replaces it (AWS::ECS::TaskDefinition: every property
but Tags is "Update requires: Replacement", AWS CloudFormation User Guide), which registers a
new revision and points the ECS service at it: a new deployment of a process whose count
alone changed. So where the task definition is the stack's own but for its image, the stack
keeps its deployed one as it is (nothing registered), and what ran it (the ECS service, the
jobs' schedules, the output) names the revision the process runs, the release's: a count
change then asks UpdateService for the revision that already runs, which ECS does not deploy
again (a new deployment needs a new task definition or forceNewDeployment: ECS API Reference,
UpdateService). Where anything else in it changed, the new one is registered as before.
"""

from __future__ import annotations

import copy
from typing import Any

from git_lift import processcfg
from git_lift.target import WEB


def task_definition_title(process: str) -> str:
    """The logical ID of a process's task definition in the service stack."""
    return (
        "TaskDefinition"
        if process == WEB
        else f"{processcfg.logical_prefix(process)}TaskDefinition"
    )


def keep_revisions(
    document: dict[str, Any],
    deployed: dict[str, Any],
    running: dict[str, str],
    container: str,
) -> dict[str, Any]:
    """`document` with each task definition in `running` (logical ID -> the revision ARN its
    process runs) that differs from `deployed`'s by `container`'s image alone kept as
    deployed, and every Ref to it naming the running revision."""
    kept = copy.deepcopy(document)
    resources = kept.get("Resources", {})
    before = deployed.get("Resources", {})
    for title, arn in running.items():
        new, old = resources.get(title), before.get(title)
        if not isinstance(new, dict) or not isinstance(old, dict):
            continue
        if _without_image(new, container) != _without_image(old, container):
            continue
        resources[title] = copy.deepcopy(old)
        for name, resource in resources.items():
            if name != title:
                resources[name] = _named(resource, title, arn)
        if "Outputs" in kept:
            kept["Outputs"] = _named(kept["Outputs"], title, arn)
    return kept


def _without_image(resource: dict[str, Any], container: str) -> dict[str, Any]:
    bare = copy.deepcopy(resource)
    for definition in bare.get("Properties", {}).get("ContainerDefinitions", []):
        if definition.get("Name") == container:
            definition.pop("Image", None)
    return bare


def _named(value: Any, title: str, arn: str) -> Any:
    """`value` with each {"Ref": title} replaced by `arn`."""
    if value == {"Ref": title}:
        return arn
    if isinstance(value, dict):
        return {k: _named(v, title, arn) for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v, title, arn) for v in value]
    return value
