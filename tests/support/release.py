"""Releases in the sandbox without building: images given by digest (`ship --image`), a
.gitlift whose release policy is pushed (so it is the trusted one), and what the rollout
simulator's tasks received."""

from __future__ import annotations

from typing import Any

from moto.ecs.models import ecs_backends

from tests.support.ecs import create_service
from tests.support.helpers import GitRepo
from tests.support.infra import put_config

ACCOUNT, REGION = "123456789012", "eu-west-1"


def image(n: int) -> str:
    return f"registry.example.com/payments-api@sha256:{n:064x}"


def gitlift(staging: str = "", production: str = "") -> str:
    return (
        '[env "staging"]\n\tref = refs/heads/main\n'
        + staging
        + '[env "production"]\n\tref = refs/tags/v*\n\tdeployOnPush = true\n\tconfirm = true\n'
        + production
    )


def prepare(
    repo: GitRepo,
    monkeypatch: Any,
    policy: str,
    *,
    envs: tuple[str, ...],
    runs_tasks: bool = False,
) -> None:
    """Commit and push `policy` as .gitlift, an env.sample naming DATABASE_URL, and an ECS
    service with one task and that key in each environment (`runs_tasks`: placed and
    logging for one-off tasks, see create_service)."""
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    repo.write(".gitlift", policy)
    repo.write("env.sample", "DATABASE_URL=postgres://localhost/dev\n")
    repo.commit("Release policy")
    repo.git("push", "-q", "origin", "main")
    for env in envs:
        create_service(env, desired=1, runs_tasks=runs_tasks)
        put_config(env, "payments-api", DATABASE_URL=f"postgres://{env}-one")


def received(env: str, key: str) -> list[str]:
    """The value of `key` each running task of the service received at its start."""
    tasks = ecs_backends[ACCOUNT][REGION].tasks.get(f"lift-{env}", {}).values()
    return [
        getattr(task, "lift_secrets", {}).get(key, "<unresolved>")
        for task in tasks
        if task.last_status == "RUNNING"
    ]
