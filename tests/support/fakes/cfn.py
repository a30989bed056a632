"""CloudFormation and the templates bucket in memory. A change set's changes come from
comparing the templates' resources; executing it settles at once, as `outcome` says (a test
sets `fail_next` to a reason to make the next change fail and roll back). A deletion settles
at once too (`fail_delete`: logical ids whose next deletion fails, with the reason). `discard`,
`delete_and_wait` and `wait` are the real ones, over the faked calls."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from git_lift.aws.cfn import (
    Change,
    ChangeSet,
    CloudFormation,
    Stack,
    StackEvent,
    StackResource,
    kept_on_delete,
)
from git_lift.aws.templates_bucket import TemplatesBucket, url
from git_lift.errors import AwsError
from tests.support.fakes.client import NoClient


@dataclass
class FakeStack:
    name: str
    id: str
    status: str
    template: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    events: list[StackEvent] = field(default_factory=list)  # newest first, as AWS lists them

    def frozen(self) -> Stack:
        return Stack(self.name, self.id, self.status, self.reason, dict(self.outputs))


def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template.get("Resources", {}))


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = resources(old), resources(new)
    changes = [Change("Add", k, after[k]["Type"]) for k in sorted(after.keys() - before.keys())]
    changes += [Change("Remove", k, before[k]["Type"]) for k in sorted(before.keys() - after)]
    changes += [
        Change("Modify", k, after[k]["Type"], "False")
        for k in sorted(before.keys() & after.keys())
        if before[k] != after[k]
    ]
    return changes


class FakeCloudFormation(CloudFormation):
    INHERITED = ("discard", "delete_and_wait", "wait")

    def __init__(
        self, sleep: Callable[[float], None], clock: Callable[[], float], region: str = "eu-west-1"
    ) -> None:
        super().__init__(NoClient("cloudformation"), sleep, clock)  # type: ignore[arg-type]
        self._region = region
        self.stacks: dict[str, FakeStack] = {}  # by name; deleted ones are dropped
        self.deleted: dict[str, FakeStack] = {}  # by id: DELETE_COMPLETE, as AWS keeps them
        self.change_sets: dict[str, tuple[str, dict[str, Any], list[Change]]] = {}
        self.outputs: dict[str, dict[str, str]] = {}  # outputs a stack gets when it is created
        self.fail_next: str | None = None  # the reason the next executed change fails with
        # logical id -> the reason deleting that resource fails with (DELETE_FAILED), once
        self.fail_delete: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []  # each create_change_set's arguments

    @property
    def region(self) -> str:
        return self._region

    def _find(self, name: str) -> FakeStack | None:
        live = next((s for s in self.stacks.values() if name in (s.name, s.id)), None)
        return live or self.deleted.get(name)  # a deleted stack answers by its id only

    def stack(self, name: str) -> Stack | None:
        found = self._find(name)
        return found.frozen() if found else None

    def create_change_set(
        self,
        stack_name: str,
        body: str,
        *,
        create: bool,
        tags: dict[str, str],
        timeout: float,
        role_arn: str | None = None,
        template_url: str | None = None,
    ) -> ChangeSet:
        self.requests.append(
            {"stack": stack_name, "create": create, "tags": tags, "role_arn": role_arn}
        )
        existing = self._find(stack_name)
        if create and existing is not None:
            raise AwsError(f"CloudFormation refused the change to {stack_name}: already exists")
        if not create and (existing is None or existing.status == "REVIEW_IN_PROGRESS"):
            raise AwsError(f"CloudFormation refused the change to {stack_name}: no such stack")
        if existing is None:
            stack_id = f"arn:aws:cloudformation:{self._region}:123456789012:stack/{stack_name}/"
            existing = FakeStack(
                stack_name, stack_id + str(len(self.requests)), "REVIEW_IN_PROGRESS"
            )
            self.stacks[stack_name] = existing
        template = json.loads(body)
        changes = diff(existing.template, template)
        change_set_id = f"{existing.id}/change-set-{len(self.requests)}"
        if not changes and not create:
            return ChangeSet(change_set_id, stack_name, create)
        self.change_sets[change_set_id] = (stack_name, template, changes)
        return ChangeSet(change_set_id, stack_name, create, changes)

    def delete_change_set(self, change_set_id: str) -> None:
        self.change_sets.pop(change_set_id, None)

    def execute(self, change_set: ChangeSet) -> None:
        name, template, changes = self.change_sets.pop(change_set.id)
        stack = self.stacks[name]
        verb = "CREATE" if change_set.creates_stack else "UPDATE"
        reason, self.fail_next = self.fail_next, None
        for n, change in enumerate(changes):
            why = reason if reason is not None and n == 0 else ""  # one root cause
            status = f"{verb}_FAILED" if why else f"{verb}_COMPLETE"
            self._event(stack, change.logical_id, change.resource_type, status, why)
        if reason is not None:
            stack.status = "ROLLBACK_COMPLETE" if verb == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
            stack.reason = reason
        else:
            stack.status, stack.template = f"{verb}_COMPLETE", template
            stack.outputs = self.outputs.get(name, stack.outputs)
        self._event(stack, name, "AWS::CloudFormation::Stack", stack.status, "")

    def _event(self, stack: FakeStack, logical: str, kind: str, status: str, why: str) -> None:
        event = StackEvent(
            f"{stack.name}-event-{len(stack.events) + 1}", logical, kind, status, why
        )
        stack.events.insert(0, event)

    def delete_stack(self, stack_id: str, *, role_arn: str | None = None) -> None:
        found = self._find(stack_id)
        if found is None:
            return
        if found.status == "REVIEW_IN_PROGRESS" or not found.template:
            del self.stacks[found.name]
            return
        self._event(found, found.name, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "")
        failing = {
            k: self.fail_delete.pop(k)
            for k in list(self.fail_delete)
            if k in resources(found.template)
        }
        for logical, body in sorted(resources(found.template).items()):
            why = failing.get(logical, "")
            kept = logical in kept_on_delete(found.template)
            status = "DELETE_FAILED" if why else "DELETE_SKIPPED" if kept else "DELETE_COMPLETE"
            self._event(found, logical, body["Type"], status, why)
        if failing:
            found.status, found.reason = (
                "DELETE_FAILED",
                "The following resource(s) failed to delete: " + ", ".join(sorted(failing)),
            )
            self._event(found, found.name, "AWS::CloudFormation::Stack", found.status, found.reason)
            return
        found.status = "DELETE_COMPLETE"
        self._event(found, found.name, "AWS::CloudFormation::Stack", found.status, "")
        del self.stacks[found.name]
        self.deleted[found.id] = found

    def resources(self, stack_name: str) -> list[StackResource]:
        found = self._find(stack_name)
        template = found.template if found else {}
        kept = kept_on_delete(template)
        return [
            StackResource(k, f"{k}-physical", body["Type"], "CREATE_COMPLETE", k in kept)
            for k, body in sorted(resources(template).items())
        ]

    def template(self, stack_name: str) -> dict[str, object]:
        found = self._find(stack_name)
        return dict(found.template) if found else {}

    def stack_names(self, prefix: str) -> list[str]:
        return sorted(name for name in self.stacks if name.startswith(prefix))

    def latest_event_ids(self, stack_name: str) -> list[str]:
        found = self._find(stack_name)
        return [e.id for e in found.events] if found else []

    def events_since(self, stack_name: str, seen: set[str]) -> list[StackEvent]:
        found = self._find(stack_name)
        fresh = []
        for event in found.events if found else []:
            if event.id in seen:
                break
            fresh.append(event)
        return fresh[::-1]


class FakeTemplatesBucket(TemplatesBucket):
    """Objects live in `objects` while CloudFormation needs them; `uploads` keeps every key."""

    def __init__(self, objects: dict[str, str], bucket: str, region: str = "eu-west-1") -> None:
        super().__init__(NoClient("s3"), bucket)
        self.objects = objects
        self.region = region
        self.uploads: list[str] = []

    @contextlib.contextmanager
    def uploaded(self, stack: str, body: str) -> Iterator[str]:
        key = f"{stack}/{len(self.uploads) + 1:032x}.json"
        self.objects[key] = body
        self.uploads.append(key)
        try:
            yield url(self.bucket, self.region, key)
        finally:
            self.objects.pop(key, None)
