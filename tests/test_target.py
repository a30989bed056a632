"""Target owns every name the conventions derive: no other module spells one, and no
function takes an environment and a service as two loose strings (issue 11)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Environment, Target
from tests.support.sources import nodes

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/

PACKAGE = Path(__file__).resolve().parent.parent / "git_lift"
# f-string shapes of the conventions: lift-{env}, /lift/{env}, lift/{env}, {env}-{service}.
CONVENTION = re.compile(r"lift-\{|/lift/\{|lift/\{|\{[a-z_.]*env[a-z_.]*\}-\{|#\{")
OWNERS = {PACKAGE / "target.py"}


def f_strings(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in nodes(path):
        if isinstance(node, ast.JoinedStr):
            found.append((node.lineno, ast.unparse(node)))
    return found


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p not in OWNERS)


def test_no_module_but_target_spells_a_naming_convention() -> None:
    strays = [
        f"{path.relative_to(PACKAGE)}:{line}: {text}"
        for path in sources()
        for line, text in f_strings(path)
        if CONVENTION.search(text)
    ]
    assert strays == []


def test_no_function_takes_env_and_service_as_a_pair_of_strings() -> None:
    pairs = []
    for path in sources():
        for node in nodes(path):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                strings = [
                    a.arg
                    for a in [*node.args.args, *node.args.kwonlyargs]
                    if a.annotation is not None and ast.unparse(a.annotation) == "str"
                ]
                if "env" in strings and "service" in strings:
                    pairs.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert pairs == []


@pytest.fixture
def target() -> Target:
    service = ServiceSettings("payments-api", ".", "Dockerfile", ".", "env.sample", "app")
    return Target(EnvironmentSettings("staging", ("refs/heads/main",)), service)


def test_the_conventions(target: Target) -> None:
    assert target.parameter_name("DATABASE_URL") == "/staging/payments-api/DATABASE_URL"
    assert target.parameter_arn("K", "cn-north-1", "123456789012") == (
        "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/staging/payments-api/K"
    )
    assert (target.cluster, target.ecs_service, target.task_family) == (
        "lift-staging",
        "payments-api",
        "staging-payments-api",
    )
    assert (target.container, target.log_group) == ("app", "/lift/staging/payments-api")
    assert (target.stack, target.ecr_repository) == ("lift-staging-payments-api", "payments-api")
    assert target.role_name("execution") == "lift-staging-payments-api-execution"
    assert target.release_tag(12) == "lift/staging/payments-api/12"
    assert target.snapshot_secret(2) == "lift/staging/payments-api/2"
    assert target.release_key == "release#staging#payments-api"
    assert Environment(target.environment).stack == "lift-staging"


def test_every_target_comes_from_the_context() -> None:
    """Only the context builds a Target (with the names `adopt` recorded): a module that
    built its own would act on the conventional names instead (issue 18)."""
    builders = {PACKAGE / "target.py", PACKAGE / "flows" / "context.py"}
    strays = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in builders
        for node in nodes(path)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) in {"Target", "target.Target", "git_lift.target.Target"}
    ]
    assert strays == []
