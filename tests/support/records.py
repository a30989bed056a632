"""Release records and running services in the fakes, for in-process tests of the commands
that read them (status, history, rollback, diff, cancel): what a ship would have left."""

from __future__ import annotations

from typing import Any

from git_lift.aws.store import Release
from tests.support.fakes import ARN, OLD_IMAGE, FakeDeployment, InProcess, definition


def record(
    box: InProcess,
    number: int,
    *,
    env: str = "staging",
    commit: str | None = None,
    image: str = OLD_IMAGE,
    revision: int = 1,
    outcome: str = "released",
    **more: Any,
) -> Release:
    """Release `number` of payments-api in `env`, of `commit` (HEAD unless given), running
    `image` from revision `revision` of the task definition family."""
    target = box.target(env)
    release = Release(
        number=number,
        env=env,
        service=target.name,
        commit=commit or box.ctx.repo.resolve("HEAD"),
        image=image,
        task_definition=ARN.format(revision),
        deployed_by="Dana Dev",
        deployed_at=1_700_000_000.0 + number * 60,
        outcome=outcome,
        **more,
    )
    box.aws.store.put_release(target, release)
    box.aws.store.head(target).n = max(box.aws.store.head(target).n, number)
    return release


def runs(box: InProcess, revision: int, image: str, *, env: str = "staging") -> str:
    """ECS runs revision `revision` (with `image`) of the family, its rollout completed."""
    ecs = box.aws.ecs_of(box.target(env))
    arn = ARN.format(revision)
    ecs.definitions[arn] = definition(arn, image)
    ecs.deployments = [FakeDeployment(f"ecs-svc/{revision}", arn, "PRIMARY", "COMPLETED", 2)]
    return arn
