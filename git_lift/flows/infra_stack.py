"""Change a stack the way `env` and `service` do: change set -> show -> confirm -> execute ->
stream events until the stack settles -> the failing resource's reason when it failed."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from git_lift import limits, ui
from git_lift.aws.cfn import (
    DEAD,
    ChangeSet,
    CloudFormation,
    Stack,
    StackEvent,
    StackFailed,
    root_cause,
)
from git_lift.errors import LiftError, ValidationError
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import Context
from git_lift.settings import EnvironmentSettings
from git_lift.target import PREFIX

CHANGE_SET_TIMEOUT = 10 * 60
DEFAULT_TIMEOUT = 45 * 60
# An update whose rollback failed: settled, yet no change set can update it.
STUCK = "UPDATE_ROLLBACK_FAILED"

# How each kind of change is drawn, in the order the plan lists them.
_KINDS = {
    "added": ("+", "add"),
    "modified": ("~", "change"),
    "may be replaced": ("?", "change"),
    "replaced": ("-/+", "remove"),
    "removed": ("-", "remove"),
}
_SUMMARY_WORDS = {
    "added": "to add",
    "modified": "to modify",
    "may be replaced": "may be replaced",
    "replaced": "to replace",
    "removed": "to remove",
}


@dataclass(frozen=True)
class StackChange:
    name: str
    body: str
    tags: dict[str, str]
    environment: EnvironmentSettings  # whose `confirm` setting applies
    timeout: float = DEFAULT_TIMEOUT
    role_arn: str | None = None  # the role CloudFormation changes it with; None: the caller's
    # The environment's template bucket, for a template over the TemplateBody limit (None:
    # the environment stack itself, or an environment made before it had one).
    bucket: str | None = None


def render_changes(change_set: ChangeSet) -> list[tuple[str, str]]:
    """The plan's lines, each with its colour kind; pure."""
    width = max((len(c.logical_id) for c in change_set.changes), default=0)
    lines: list[tuple[str, str]] = []
    for kind, (symbol, colour) in _KINDS.items():
        for change in sorted(change_set.changes, key=lambda c: c.logical_id):
            if change.kind == kind:
                note = f"  ({kind})" if kind in ("replaced", "may be replaced") else ""
                text = f"{symbol:>3} {change.logical_id:<{width}}  {change.resource_type}{note}"
                lines.append((colour, text))
    return lines


def summary(change_set: ChangeSet) -> str:
    counts = {kind: sum(c.kind == kind for c in change_set.changes) for kind in _KINDS}
    return ", ".join(f"{n} {_SUMMARY_WORDS[kind]}" for kind, n in counts.items() if n)


def confirm_change(ctx: Context, environment: EnvironmentSettings, stack: str) -> None:
    """Infrastructure changes never proceed unasked: without a terminal they need --yes."""
    confirm(
        ctx,
        environment.name,
        typed=environment.confirm,
        what=f"changing stack {stack}",
        refused=f"{stack} was not changed",
        question=f"Apply these changes to {stack}?",
        unattended=False,
    )


def current_stack(cfn: CloudFormation, name: str) -> Stack | None:
    """The stack, or None when there is none to update. A stack that an unexecuted CREATE
    change set left (REVIEW_IN_PROGRESS, no resources) is deleted first: a new CREATE change
    set next to it would never settle."""
    stack = cfn.stack(name)
    if stack is None:
        return None
    if stack.reviewing:
        ui.info(
            f"stack {name} is {stack.status}: a change set created it and was never executed, "
            "so it has no resources; deleting it to create it anew"
        )
        cfn.delete_and_wait(stack, CHANGE_SET_TIMEOUT)
        return None
    if stack.status in DEAD:
        raise LiftError(
            f"stack {name} is {stack.status}: its creation failed and it can only be deleted",
            hint=f"delete it, then run the command again: "
            f"aws cloudformation delete-stack --stack-name {name}",
        )
    if stack.status == STUCK:
        raise LiftError(f"stack {name} is {STUCK}", hint=continue_rollback_hint(name))
    if not stack.settled:
        raise LiftError(
            f"stack {name} is busy ({stack.status})",
            hint=f"wait for it: aws cloudformation wait stack-update-complete --stack-name {name}",
        )
    return stack


def change_stack(
    ctx: Context,
    cfn: CloudFormation,
    change: StackChange,
    *,
    save: Callable[[], None] | None = None,
) -> Stack | None:
    """Create or update the stack; `save` runs after the confirmation, before anything changes
    (a refusal there deletes the change set, and the stack a CREATE one made). Returns the
    settled stack (None: no stack and nothing to create)."""
    through_s3 = check_template_size(change)
    existing = current_stack(cfn, change.name)
    verb = "create" if existing is None else "update"
    ui.info(f"computing the change set to {verb} stack {change.name}")
    with template_url(ctx, change, through_s3) as url:
        change_set = cfn.create_change_set(
            change.name,
            change.body,
            create=existing is None,
            tags=change.tags,
            timeout=CHANGE_SET_TIMEOUT,
            role_arn=change.role_arn,
            template_url=url,
        )
    if change_set.empty:
        ui.info(f"no changes to stack {change.name}")
        if save is not None:
            confirm_change(ctx, change.environment, change.name)
            save()
        return existing
    ui.info(f"Changes to stack {change.name} ({summary(change_set)}):")
    ui.diff_lines(render_changes(change_set))
    try:
        confirm_change(ctx, change.environment, change.name)
        if save is not None:
            save()
    except BaseException:
        cfn.discard(change_set)
        raise
    return execute_and_watch(cfn, change_set, change.timeout)


def check_template_size(change: StackChange) -> bool:
    """Whether the template must go through S3 (over CloudFormation's TemplateBody limit);
    refused before anything changes when it cannot go at all."""
    size = len(change.body.encode())
    if size <= limits.TEMPLATE_BODY:
        return False
    what = f"the template of stack {change.name} is {size:,} bytes"
    if size > limits.TEMPLATE_URL:
        raise ValidationError(
            f"{what}, over the {limits.TEMPLATE_URL:,} bytes (1 MB) CloudFormation reads from "
            "S3; nothing was changed",
            hint="shrink it: name fewer keys in env.sample (each is a secret in the template)",
        )
    if change.bucket is None:
        raise ValidationError(
            f"{what}, over the {limits.TEMPLATE_BODY:,} bytes CloudFormation takes in a request, "
            f"and environment {change.environment.name} has no template bucket to pass it "
            "through; nothing was changed",
            hint=f"add the bucket (environments made before it have none): git lift env update "
            f"-e {change.environment.name}",
        )
    return True


@contextmanager
def template_url(ctx: Context, change: StackChange, through_s3: bool) -> Iterator[str | None]:
    """None: the template goes in the request; else its URL in the environment's bucket."""
    if not through_s3 or change.bucket is None:
        yield None
        return
    ui.info(
        f"the template of {change.name} is {len(change.body.encode()):,} bytes, over the "
        f"{limits.TEMPLATE_BODY:,} CloudFormation takes in a request: passing it through "
        f"s3://{change.bucket}"
    )
    bucket = ctx.aws.templates_bucket(change.environment.name, change.bucket)
    with bucket.uploaded(change.name, change.body) as url:
        yield url


def execute_and_watch(cfn: CloudFormation, change_set: ChangeSet, timeout: float) -> Stack:
    name = change_set.stack_name
    seen = set(cfn.latest_event_ids(name))
    cfn.execute(change_set)
    progress = Progress(name, {c.logical_id for c in change_set.changes})
    try:
        stack, events = cfn.wait(name, seen, progress.event, timeout)
    except KeyboardInterrupt:
        ui.warn(
            f"interrupted: CloudFormation goes on changing {name}; watch it with: "
            f"aws cloudformation describe-stack-events --stack-name {name}"
        )
        raise
    if stack.succeeded:
        ui.info(f"{name}: {stack.status} ({progress.elapsed()})")
        return stack
    raise failure(stack, events)


def failure(stack: Stack, events: list[StackEvent]) -> StackFailed:
    cause = root_cause(events)
    where = f"{cause.logical_id} ({cause.resource_type}): {cause.reason}" if cause else ""
    message = f"{stack.name} is {stack.status}: " + (where or stack.reason or "no reason given")
    if stack.status in DEAD:
        hint = (
            "nothing was created; fix the cause, delete the stack "
            f"(aws cloudformation delete-stack --stack-name {stack.name}) and run it again"
        )
    elif stack.status == STUCK:
        hint = continue_rollback_hint(stack.name)
    else:
        hint = "the stack is back as it was; fix the cause and run the command again"
    missing = _BOUNDARY.search(cause.reason) if cause else None
    if missing:
        hint = f"{boundary_hint(missing['name'], missing['env'], bool(missing['stack']))}; {hint}"
    upgrade = _upgrade_hint(cause, stack.name.removeprefix(f"{PREFIX}-")) if cause else None
    if upgrade:
        hint = f"{upgrade}; {hint}"
    return StackFailed(message, hint=hint)


# The environment stack's policies that an environment made before gets at `env update`
# (templates/environment_role.py, templates/job_runs_policy.py; README, "Scheduled jobs").
_ENVIRONMENT_POLICIES = ("AWS::IAM::ManagedPolicy", "AWS::Logs::ResourcePolicy")


def _upgrade_hint(cause: StackEvent, env: str) -> str | None:
    """What to do when `env update` cannot make them: the admin policy of before may make
    neither; CloudWatch Logs refuses an 11th log resource policy in the account (botocore's
    logs model, PutResourcePolicy: 10 without resourceARN)."""
    if cause.resource_type not in _ENVIRONMENT_POLICIES:
        return None
    reason = cause.reason.lower()
    if "not authorized" in reason or "accessdenied" in reason:
        return (
            "the admin policy of an older git lift may not make it: attach the new one, "
            f"git lift iam-policy -e {env} --for admin > admin.json"
        )
    if "limit" in reason and cause.resource_type == "AWS::Logs::ResourcePolicy":
        return (
            "the account already holds 10 log resource policies (services' own, from an "
            f"older git lift): free one with git lift service update -e {env} -s SERVICE "
            f"(a service with jobs), then git lift env update -e {env}"
        )
    return None


# A permissions boundary of git lift's (`Environment.boundary_policy`, `stack_boundary_policy`)
# named in IAM's refusal: it was not created before `env create` (README, "IAM policy").
_BOUNDARY = re.compile(
    rf":policy/(?P<name>{PREFIX}-(?P<env>[a-z0-9-]+?)-boundary(?P<stack>-cloudformation)?)\b"
)


def boundary_hint(name: str, env: str, stack_role: bool) -> str:
    audience = "stack-boundary" if stack_role else "boundary"
    return (
        f"create the permissions boundary {name} first (once, as the account administrator): "
        f"git lift iam-policy -e {env} --for {audience} > {audience}.json, then aws iam "
        f"create-policy --policy-name {name} --policy-document file://{audience}.json"
    )


def continue_rollback_hint(name: str) -> str:
    return (
        "CloudFormation could not roll the update back and changes nothing until it can; "
        "fix what blocked it, then: aws cloudformation continue-update-rollback "
        f"--stack-name {name}"
    )


class Progress:
    """Prints each resource as it settles, then a progress line `[done/total] ...`."""

    def __init__(
        self, stack: str, resources: set[str], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stack = stack
        self.resources = resources
        self.done: set[str] = set()
        self._clock = clock
        self._started = clock()

    def elapsed(self) -> str:
        seconds = int(self._clock() - self._started)
        return f"{seconds // 60}m{seconds % 60:02d}s"

    def event(self, event: StackEvent) -> None:
        own = event.logical_id == self.stack
        line = f"  {event.status:<28} {event.resource_type:<44} {event.logical_id}"
        if event.reason and event.reason != "User Initiated":
            line += f": {event.reason}"
        if event.status.endswith("_IN_PROGRESS") and not own:
            ui.detail(line)
            return
        ui.info(line)
        if not own and event.logical_id in self.resources:
            self.done.add(event.logical_id)
            total = len(self.resources)
            ui.info(f"  [{len(self.done)}/{total}] {self.stack} ({self.elapsed()})")
