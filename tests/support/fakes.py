"""In-memory fakes of the Aws wrappers a deploy uses (Ecs, Store), a clock that moves only
when someone sleeps, and a Repo that keeps its tags and notes in memory: the deploy logic
(plan, lock, waiter, rollback, record) runs in milliseconds, without moto or a subprocess.

FakeEcs behaves as ECS does for one service, one step per DescribeServices: a deployment of
a task definition whose tasks "start" gains a running task per look until it completes; one
whose tasks "crash" loses a task per look and, with the circuit breaker on, fails after
BREAKER_AFTER of them while ECS brings the deployment before it back; one whose tasks "hang"
stays pending for ever.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from git_lift.aws.ecs import Deployment, Event, ServiceState, StoppedTask
from git_lift.aws.factory import Aws
from git_lift.aws.store import WHILE_HELD, WHILE_WAITING, Lock, Release, Store, lock_held, lock_lost
from git_lift.flows.context import Context
from git_lift.flows.image import ImageSource
from git_lift.flows.ship_plan import execute, plan_ship, show
from git_lift.gitlift import Entry
from git_lift.options import Options
from git_lift.repo import Repo
from git_lift.settings import Settings, build
from git_lift.target import Target

BREAKER_AFTER = 2  # failed tasks after which the fake circuit breaker fails a deployment
ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-payments-api:{}"
SERVICE_ARN = "arn:aws:ecs:eu-west-1:123456789012:service/lift-staging/payments-api"
OLD_IMAGE = "registry.example.com/payments-api@sha256:" + "1" * 64
NEW_IMAGE = "registry.example.com/payments-api@sha256:" + "2" * 64


class Clock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class FakeDeployment:
    id: str
    task_definition: str
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    running: int = 0
    failed: int = 0
    reason: str = ""

    def frozen(self, desired: int) -> Deployment:
        return Deployment(
            self.id,
            self.status,
            self.task_definition,
            self.rollout_state,
            self.reason,
            desired,
            self.running,
            0,
            self.failed,
        )


class FakeEcs:
    """One ECS service running revision 1 of its family at the desired count."""

    def __init__(
        self, target: Target, *, tasks: Callable[[str], str], breaker: bool = True
    ) -> None:
        self.target = target
        self.cluster, self.service, self.env = target.cluster, target.ecs_service, target.env
        self.tasks = tasks  # what tasks of a task definition do: "start", "crash" or "hang"
        self.breaker = breaker
        self.desired = 2
        first = ARN.format(1)
        self.definitions: dict[str, dict[str, Any]] = {first: definition(first, OLD_IMAGE)}
        self.deployments = [FakeDeployment("ecs-svc/1", first, "PRIMARY", "COMPLETED", 2)]
        self.deployed: list[str] = []  # task definitions UpdateService was asked to run
        self.deregistered: list[str] = []
        self.on_poll: Callable[[int], None] = lambda polls: None
        self.polls = 0

    @property
    def running_definition(self) -> str:
        return next(d.task_definition for d in self.deployments if d.status == "PRIMARY")

    def describe(self) -> ServiceState:
        self.polls += 1
        self.on_poll(self.polls)
        self._step()
        return ServiceState(
            SERVICE_ARN,
            self.running_definition,
            self.desired,
            sum(d.running for d in self.deployments),
            [d.frozen(self.desired) for d in self.deployments],
            [Event("e1", "(service payments-api) has reached a steady state.")],
        )

    def _step(self) -> None:
        primary = next(d for d in self.deployments if d.status == "PRIMARY")
        if primary.rollout_state != "IN_PROGRESS":
            return
        behaviour = self.tasks(primary.task_definition)
        if behaviour == "hang":
            return
        if behaviour == "start":
            primary.running += 1
            if primary.running >= self.desired:
                primary.rollout_state = "COMPLETED"
                self.deployments = [primary]
            return
        primary.failed += 1
        if self.breaker and primary.failed >= BREAKER_AFTER:
            primary.rollout_state = "FAILED"
            primary.reason = "ECS deployment circuit breaker: tasks failed to start."
            before = next(d for d in self.deployments if d is not primary)
            self._start(before.task_definition)

    def _start(self, task_definition: str) -> str:
        for deployment in self.deployments:
            deployment.status = "ACTIVE"
        new = FakeDeployment(f"ecs-svc/{len(self.deployed) + 10}", task_definition)
        self.deployments.append(new)
        return new.id

    def deploy(self, task_definition_arn: str) -> str:
        self.deployed.append(task_definition_arn)
        return self._start(task_definition_arn)

    def task_definition(self, arn: str) -> dict[str, Any]:
        return dict(self.definitions[arn])

    def register(self, body: dict[str, Any]) -> str:
        arn = ARN.format(len(self.definitions) + 1)
        self.definitions[arn] = {**body, "taskDefinitionArn": arn}
        return arn

    def deregister(self, arn: str) -> None:
        self.deregistered.append(arn)

    def stopped_tasks(self, deployment_id: str) -> list[StoppedTask]:
        found = next(d for d in self.deployments if d.id == deployment_id)
        return [
            StoppedTask(f"arn:task/{deployment_id}-{n}", "Essential container in task exited", [])
            for n in range(found.failed)
        ]

    def image(self, task_definition_arn: str, container: str) -> str | None:
        return str(self.definitions[task_definition_arn]["containerDefinitions"][0]["image"])


def definition(arn: str, image: str) -> dict[str, Any]:
    return {
        "taskDefinitionArn": arn,
        "family": "staging-payments-api",
        "containerDefinitions": [{"name": "payments-api", "image": image, "secrets": []}],
    }


@dataclass
class Head:
    """The release counter and the deploy lock of one service in one environment."""

    n: int = 0
    owner: str | None = None
    expires: float = 0.0
    previous: str | None = None
    deploying: str | None = None


class FakeStore(Store):
    """The table's deploy lock and release records, in memory, with the real errors."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.heads: dict[str, Head] = {}
        self.records: dict[str, dict[int, Release]] = {}

    def head(self, target: Target) -> Head:
        return self.heads.setdefault(target.release_key, Head())

    def begin_release(self, target: Target, owner: str, ttl: float, *, replacing: str = "") -> int:
        head, now = self.head(target), self._clock()
        if head.owner not in (None, replacing) and head.expires >= now:
            raise lock_held(target, self.lock(target), now)
        head.owner, head.expires, head.n = owner, now + ttl, head.n + 1
        return head.n

    def renew_lock(self, target: Target, owner: str, ttl: float) -> None:
        head = self.head(target)
        if head.owner != owner:
            raise lock_lost(target, self.lock(target), WHILE_WAITING)
        head.expires = self._clock() + ttl

    def finish_release(self, target: Target, release: Release, owner: str) -> None:
        self.put_release(target, release)
        if self.head(target).owner != owner:
            raise lock_lost(target, self.lock(target), WHILE_HELD)
        self.release_lock(target, owner)

    def put_release(self, target: Target, release: Release) -> None:
        self.records.setdefault(target.release_key, {})[release.number] = release

    def releases(self, target: Target, limit: int = 50) -> list[Release]:
        found = self.records.get(target.release_key, {})
        return [found[n] for n in sorted(found, reverse=True)][:limit]

    def lock(self, target: Target) -> Lock | None:
        head = self.head(target)
        if head.owner is None:
            return None
        return Lock(head.owner, head.expires, head.previous, head.deploying, head.n)

    def note_deploying(self, target: Target, owner: str, previous: str, deploying: str) -> None:
        self.head(target).previous, self.head(target).deploying = previous, deploying

    def release_lock(self, target: Target, owner: str | None) -> bool:
        head = self.head(target)
        if head.owner is None or owner not in (None, head.owner):
            return False
        n = head.n
        self.heads[target.release_key] = Head(n=n)
        return True


class FakeAws(Aws):
    def __init__(self, settings: Settings, clock: Clock, ecs: FakeEcs, store: FakeStore) -> None:
        super().__init__(settings, sleep=clock.sleep, clock=clock, wall_clock=clock)
        self.fake_ecs, self.fake_store = ecs, store

    def ecs(self, target: Target) -> Any:
        return self.fake_ecs

    def table(self, env: str | None = None) -> Any:
        return self.fake_store


class FakeRepo(Repo):
    """A real (empty) repository whose tags and notes go to memory, not to `git`."""

    def __init__(self, path: Path) -> None:
        super().__init__(pygit2.init_repository(str(path)))
        self.tags: dict[str, str] = {}
        self.notes: list[str] = []

    def committer_name(self) -> str | None:
        return "Test Dev"

    def create_tag(self, name: str, commit_sha: str, message: str) -> None:
        self.tags[name] = message

    def append_note(self, notes_ref: str, commit_sha: str, line: str) -> None:
        self.notes.append(line)


@dataclass
class World:
    """A context on the fakes, and the fakes themselves for the test to look at."""

    ctx: Context
    clock: Clock
    ecs: FakeEcs
    store: FakeStore
    repo: FakeRepo
    target: Target = field(init=False)

    def __post_init__(self) -> None:
        self.target = self.ctx.target("staging")


def world(tmp_path: Path, *, tasks: Callable[[str], str], breaker: bool = True) -> World:
    settings = build(
        gitlift=[Entry("env.staging.ref", "refs/heads/main")],
        policy=[Entry("env.staging.ref", "refs/heads/main")],
        repo_config=[],
        environ={},
        flags={},
        remote_url="git@github.com:acme/payments-api.git",
        top_folder="payments-api",
        default_branch="main",
        gitlift_trusted=True,
    )
    repo = FakeRepo(tmp_path)
    ctx = Context(repo=repo, settings=settings, options=Options(), cwd=tmp_path)
    clock = Clock()
    target = ctx.target("staging")
    ecs, store = FakeEcs(target, tasks=tasks, breaker=breaker), FakeStore(clock)
    ctx.aws = FakeAws(settings, clock, ecs, store)
    return World(ctx, clock, ecs, store, repo)


def replace_head(store: FakeStore, target: Target, **changes: Any) -> None:
    key = target.release_key
    store.heads[key] = dataclasses.replace(store.head(target), **changes)


SHA = "c0ffee" + "0" * 34
OLD, NEW = ARN.format(1), ARN.format(2)
TIMEOUT = 900.0


def behaves(new: str, old: str = "start") -> Callable[[str], str]:
    """Tasks of the shipped revision do `new`, those of the running one `old`."""
    return lambda arn: old if arn == OLD else new


def ship(w: World, *, timeout: float = TIMEOUT) -> int:
    uri, _, digest = NEW_IMAGE.partition("@")
    plan = plan_ship(w.ctx, w.target, SHA, ImageSource("given", uri, "", digest), {})
    show(plan)
    return execute(w.ctx, plan, wait=True, timeout=timeout)
