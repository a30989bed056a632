"""CloudFormation: stacks, change sets, stack events and outputs. Takes its client, `sleep`
and a clock (from the Aws factory, aws/factory.py).

Every stack change goes through a change set, so that what is shown and confirmed is exactly
what runs. Waiting is polling with backoff; paging is botocore's paginators; nothing here
prints.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from git_lift.aws.clients import translate_errors
from git_lift.errors import AwsError, LiftError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.literals import CapabilityType
    from mypy_boto3_cloudformation.type_defs import (
        CreateChangeSetInputTypeDef,
        DeleteStackInputTypeDef,
        StackEventTypeDef,
    )

# The stacks make roles with fixed names (`Target.role_name`, `Environment.cloudformation_role`):
# "If you have IAM resources with custom names, you must specify CAPABILITY_NAMED_IAM"
# (botocore's CreateChangeSet model, Capabilities).
CAPABILITIES: list[CapabilityType] = ["CAPABILITY_NAMED_IAM"]
SUCCESS = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
# A failed create leaves a stack that can only be deleted.
DEAD = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"})
# Resource events that only say a failure elsewhere stopped this resource.
_CANCELLED = ("Resource creation cancelled", "Resource update cancelled")
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
MIN_INTERVAL = 2.0
MAX_INTERVAL = 10.0


@dataclass(frozen=True)
class Change:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str = ""  # True | False | Conditional ("" when not a Modify)

    @property
    def kind(self) -> str:
        """What happens to the resource, in the words the plan shows."""
        if self.action == "Add":
            return "added"
        if self.action == "Remove":
            return "removed"
        if self.action == "Modify" and self.replacement == "True":
            return "replaced"
        if self.action == "Modify" and self.replacement == "Conditional":
            return "may be replaced"
        return "modified"


@dataclass(frozen=True)
class ChangeSet:
    id: str
    stack_name: str
    creates_stack: bool
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class StackEvent:
    id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str
    timestamp: datetime | None = None

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")


@dataclass(frozen=True)
class Stack:
    name: str
    id: str
    status: str
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    created: float | None = field(default=None, compare=False)  # CreationTime (epoch seconds)

    @property
    def settled(self) -> bool:
        return not self.status.endswith("_IN_PROGRESS")

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS

    @property
    def reviewing(self) -> bool:
        """A stack that a CREATE change set made and nobody executed: it has no resources."""
        return self.status == "REVIEW_IN_PROGRESS"


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    retained: bool = False  # its DeletionPolicy keeps it when the stack is deleted


# The DeletionPolicy values that leave a resource behind ("DeletionPolicy attribute", AWS
# CloudFormation User Guide): Snapshot keeps a snapshot, the others the resource itself.
KEPT_ON_DELETE = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})


def kept_on_delete(template: dict[str, object]) -> set[str]:
    """The logical ids whose DeletionPolicy keeps them when the stack goes."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return set()
    return {
        str(logical)
        for logical, body in resources.items()
        if isinstance(body, dict) and body.get("DeletionPolicy") in KEPT_ON_DELETE
    }


class StackFailed(LiftError):
    """A stack change ended in a state other than *_COMPLETE."""


def change_set_name(clock: Callable[[], float] = time.time) -> str:
    return time.strftime("git-lift-%Y%m%d-%H%M%S", time.gmtime(clock()))


def root_cause(events: list[StackEvent]) -> StackEvent | None:
    """The first failure (oldest first), not the cancellations it caused."""
    failures = [e for e in events if e.failed and e.reason]
    real = [e for e in failures if not e.reason.startswith(_CANCELLED)]
    found = real or failures
    return found[0] if found else None


class CloudFormation:
    def __init__(
        self,
        client: CloudFormationClient,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._clock = clock

    @property
    def region(self) -> str:
        return str(self._client.meta.region_name)

    def stack(self, name: str) -> Stack | None:
        with translate_errors(f"describing stack {name}"):
            try:
                answer = self._client.describe_stacks(StackName=name)
            except self._client.exceptions.ClientError as exc:
                if "does not exist" in str(exc):
                    return None
                raise
        raw = answer["Stacks"][0]
        return Stack(
            name=str(raw["StackName"]),
            id=str(raw["StackId"]),
            status=str(raw["StackStatus"]),
            reason=str(raw.get("StackStatusReason", "") or ""),
            outputs={
                str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in raw.get("Outputs") or []
            },
            created=raw["CreationTime"].timestamp() if raw.get("CreationTime") else None,
        )

    # Change sets ------------------------------------------------------------------------------

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
        """Create a change set and wait until CloudFormation has computed it. With `role_arn`,
        CloudFormation carries it out (and every later operation on the stack) with that role
        instead of the caller's rights; `template_url` (the body uploaded to S3) replaces the
        body in the request when it is too large.

        An update that changes nothing gives an empty ChangeSet (already deleted)."""
        request: CreateChangeSetInputTypeDef = {
            "StackName": stack_name,
            "ChangeSetName": change_set_name(),
            "ChangeSetType": "CREATE" if create else "UPDATE",
            "Capabilities": CAPABILITIES,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if template_url:
            request["TemplateURL"] = template_url
        else:
            request["TemplateBody"] = body
        if role_arn:
            request["RoleARN"] = role_arn
        with translate_errors(f"creating a change set for {stack_name}"):
            answer = self._client.create_change_set(**request)
        change_set_id = str(answer["Id"])
        status, reason = self._wait_for_change_set(change_set_id, timeout)
        computed = ChangeSet(change_set_id, stack_name, create)
        if status == "FAILED" and any(text in reason for text in _NO_CHANGES):
            self.discard(computed)
            return computed
        if status != "CREATE_COMPLETE":
            self.discard(computed)
            raise AwsError(f"CloudFormation refused the change to {stack_name}: {reason}")
        return ChangeSet(change_set_id, stack_name, create, list(self._changes(change_set_id)))

    def _wait_for_change_set(self, change_set_id: str, timeout: float) -> tuple[str, str]:
        deadline = self._clock() + timeout
        interval = MIN_INTERVAL / 2
        while True:
            with translate_errors("describing a change set"):
                answer = self._client.describe_change_set(ChangeSetName=change_set_id)
            status = str(answer.get("Status", ""))
            if status in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED"):
                return status, str(answer.get("StatusReason", "") or "")
            if self._clock() >= deadline:
                raise AwsError(f"CloudFormation did not compute the change set in {timeout:.0f}s")
            self._sleep(interval)
            interval = min(MAX_INTERVAL, interval * 1.5)

    def _changes(self, change_set_id: str) -> Iterator[Change]:
        pages = self._client.get_paginator("describe_change_set").paginate(
            ChangeSetName=change_set_id
        )
        with translate_errors("reading a change set"):
            for page in pages:
                for item in page.get("Changes", []):
                    rc = item.get("ResourceChange", {})
                    yield Change(
                        action=str(rc.get("Action", "")),
                        logical_id=str(rc.get("LogicalResourceId", "")),
                        resource_type=str(rc.get("ResourceType", "")),
                        replacement=str(rc.get("Replacement", "") or ""),
                    )

    def delete_change_set(self, change_set_id: str) -> None:
        with translate_errors("deleting a change set"):
            self._client.delete_change_set(ChangeSetName=change_set_id)

    def discard(self, change_set: ChangeSet) -> None:
        """Leave nothing behind of a change set that will not run: a CREATE change set made
        its stack (REVIEW_IN_PROGRESS, no resources), which would block the next create."""
        self.delete_change_set(change_set.id)
        if change_set.creates_stack:
            stack = self.stack(change_set.stack_name)
            if stack is not None and stack.reviewing:
                self.delete_stack(stack.id)

    def execute(self, change_set: ChangeSet) -> None:
        with translate_errors(f"executing the change set of {change_set.stack_name}"):
            self._client.execute_change_set(ChangeSetName=change_set.id)

    # Deleting ---------------------------------------------------------------------------------

    def delete_stack(self, stack_id: str, *, role_arn: str | None = None) -> None:
        """Ask CloudFormation to delete a stack, by id so that a newer namesake is safe; with
        `role_arn`, CloudFormation deletes its resources with that role. A stack in
        DELETE_FAILED is deleted again: what failed before is tried again."""
        request: DeleteStackInputTypeDef = {"StackName": stack_id}
        if role_arn:
            request["RoleARN"] = role_arn
        with translate_errors(f"deleting stack {stack_id}"):
            self._client.delete_stack(**request)

    def resources(self, stack_name: str) -> list[StackResource]:
        """The stack's resources as it has them now (ListStackResources, paged), each marked
        `retained` when the template's DeletionPolicy keeps it."""
        kept = kept_on_delete(self.template(stack_name))
        found: list[StackResource] = []
        pages = self._client.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        with translate_errors(f"listing the resources of {stack_name}"):
            for page in pages:
                for raw in page.get("StackResourceSummaries", []):
                    logical = str(raw.get("LogicalResourceId", ""))
                    found.append(
                        StackResource(
                            logical,
                            str(raw.get("PhysicalResourceId", "") or ""),
                            str(raw.get("ResourceType", "")),
                            str(raw.get("ResourceStatus", "")),
                            retained=logical in kept,
                        )
                    )
        return sorted(found, key=lambda r: r.logical_id)

    def template(self, stack_name: str) -> dict[str, object]:
        """The template the stack runs now (GetTemplate answers JSON as text or parsed)."""
        with translate_errors(f"reading the template of {stack_name}"):
            body = self._client.get_template(StackName=stack_name).get("TemplateBody", "")
        if isinstance(body, str):
            try:
                parsed = json.loads(body) if body else {}
            except ValueError:  # YAML: git lift writes JSON, so not one of its stacks
                return {}
            return parsed if isinstance(parsed, dict) else {}
        return dict(body)

    def stack_names(self, prefix: str) -> list[str]:
        """The names of stacks that start with `prefix` and are not deleted (ListStacks also
        lists deleted stacks for 90 days: DELETE_COMPLETE)."""
        pages = self._client.get_paginator("list_stacks").paginate()
        names: set[str] = set()
        with translate_errors("listing stacks"):
            for page in pages:
                for summary in page.get("StackSummaries", []):
                    name = str(summary.get("StackName", ""))
                    deleted = summary.get("StackStatus") == "DELETE_COMPLETE"
                    if name.startswith(prefix) and not deleted:
                        names.add(name)
        return sorted(names)

    def delete_and_wait(self, stack: Stack, timeout: float) -> None:
        """Delete the stack and wait until it is gone (its id then answers DELETE_COMPLETE)."""
        self.delete_stack(stack.id)
        deadline = self._clock() + timeout
        interval = MIN_INTERVAL / 2
        while True:
            current = self.stack(stack.id)
            if current is None or current.status == "DELETE_COMPLETE":
                return
            if current.status == "DELETE_FAILED":
                raise StackFailed(f"could not delete stack {stack.name}: {current.reason}")
            if self._clock() >= deadline:
                raise AwsError(
                    f"stopped waiting for stack {stack.name} to be deleted after {timeout:.0f}s",
                    hint=f"watch it: aws cloudformation describe-stacks --stack-name {stack.id}",
                )
            self._sleep(interval)
            interval = min(MAX_INTERVAL, interval * 1.5)

    # Events -----------------------------------------------------------------------------------

    def latest_event_ids(self, stack_name: str) -> list[str]:
        """The newest events' ids (one page): what `events_since` should treat as history."""
        with translate_errors(f"reading the events of {stack_name}"):
            page = self._client.describe_stack_events(StackName=stack_name)
        return [str(raw["EventId"]) for raw in page.get("StackEvents", [])]

    def events_since(self, stack_name: str, seen: set[str]) -> list[StackEvent]:
        """Events not in `seen`, oldest first; pages stop at the first event already seen."""
        fresh: list[StackEvent] = []
        pages = self._client.get_paginator("describe_stack_events").paginate(StackName=stack_name)
        with translate_errors(f"reading the events of {stack_name}"):
            for page in pages:
                for raw in page.get("StackEvents", []):
                    if str(raw["EventId"]) in seen:
                        return fresh[::-1]
                    fresh.append(_event(raw))
        return fresh[::-1]

    def wait(
        self,
        stack_name: str,
        seen: set[str],
        on_event: Callable[[StackEvent], None],
        timeout: float,
    ) -> tuple[Stack, list[StackEvent]]:
        """Poll until the stack settles; report each new event once. Returns the stack and
        every event of this change (oldest first). Raises AwsError on timeout."""
        deadline = self._clock() + timeout
        interval = MIN_INTERVAL
        events: list[StackEvent] = []
        while True:
            fresh = self.events_since(stack_name, seen)
            for event in fresh:
                seen.add(event.id)
                events.append(event)
                on_event(event)
            stack = self.stack(stack_name)
            if stack is None:
                raise StackFailed(f"stack {stack_name} disappeared while changing")
            if stack.settled:
                for event in self.events_since(stack_name, seen):  # the last ones, if any
                    seen.add(event.id)
                    events.append(event)
                    on_event(event)
                return stack, events
            if self._clock() >= deadline:
                raise AwsError(
                    f"stopped waiting for {stack_name} after {timeout:.0f}s "
                    f"({stack.status}); CloudFormation goes on",
                    hint=f"watch it: aws cloudformation describe-stacks --stack-name {stack_name}",
                )
            interval = MIN_INTERVAL if fresh else min(MAX_INTERVAL, interval * 1.5)
            self._sleep(min(interval, max(0.0, deadline - self._clock())))


def _event(raw: StackEventTypeDef) -> StackEvent:
    return StackEvent(
        id=str(raw["EventId"]),
        logical_id=str(raw.get("LogicalResourceId", "")),
        resource_type=str(raw.get("ResourceType", "")),
        status=str(raw.get("ResourceStatus", "")),
        reason=str(raw.get("ResourceStatusReason", "") or ""),
        timestamp=raw.get("Timestamp"),
    )
