"""`git lift service edit` with the container's fields (issue 20), through git against moto's
server over HTTP: the stack's task definition carries each one, a plain variable that env.sample
also names is refused with nothing saved, and a wrong field is named by its JSON path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.helpers import Lift, run_in_terminal
from tests.support.infra import client, doc_editor, doc_file, documents, newest_doc, put_config

CHECK = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
CONTAINER: dict[str, Any] = {
    "environment": {"LOG_FORMAT": "json"},
    "health_check": {"command": CHECK, "interval": 10, "start_period": 5},
    "entrypoint": ["/docker-entrypoint.sh"],
    "command": ["nginx", "-g", "daemon off;"],
    "stop_timeout": 60,
    "ulimits": [{"name": "nofile", "soft": 65536, "hard": 65536}],
    "readonly_root_filesystem": True,
}


def created(lift: Lift) -> None:
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr


def running_container() -> dict[str, Any]:
    ecs = client("ecs")
    (service,) = ecs.describe_services(cluster="lift-staging", services=["payments-api"])[
        "services"
    ]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    container: dict[str, Any] = definition["taskDefinition"]["containerDefinitions"][0]
    return container


def test_every_container_field_reaches_the_running_task_definition(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), CONTAINER)
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr
    assert '+  "environment": {' in edited.stderr or '"LOG_FORMAT": "json"' in edited.stderr
    container = running_container()
    assert container["environment"] == [{"name": "LOG_FORMAT", "value": "json"}]
    assert container["healthCheck"]["command"] == CHECK
    assert container["healthCheck"]["interval"] == 10
    assert container["entryPoint"] == ["/docker-entrypoint.sh"]
    assert container["stopTimeout"] == 60
    assert container["ulimits"] == [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]
    assert container["readonlyRootFilesystem"] is True
    shown = lift("status", "-e", "staging")
    assert "env       LOG_FORMAT=json" in shown.stdout
    assert "postgres://x" not in shown.stdout + shown.stderr


def test_a_plain_variable_env_sample_also_names_is_refused_and_nothing_saved(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    clash = {"environment": {"DATABASE_URL": "sqlite:///tmp/db"}}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), clash)
    refused = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert refused.returncode == 1
    assert (
        "error: DATABASE_URL: in the service config's environment and in env.sample (a secret)"
        in refused.stderr
    )
    assert "hint: remove it from environment (git lift service edit -e staging" in refused.stderr
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]
    assert not running_container().get("environment")  # the stack was not changed


def test_a_wrong_container_field_is_named_by_its_json_path(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    wrong = {"stop_timeout": 600, "cpu_architecture": "arm64"}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), wrong)
    refused = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert refused.returncode == 1
    assert "$.stop_timeout: 600 is out of range 2-120" in refused.stderr
    assert "$.cpu_architecture: 'arm64' is not one of X86_64, ARM64" in refused.stderr
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]


def test_on_a_terminal_the_clash_reopens_the_editor_with_its_path(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    clash = doc_editor(tmp_path, {"environment": {"DATABASE_URL": "sqlite://"}}, name="clash.py")
    code, said = run_in_terminal(
        ["git", "lift", "service", "edit", "-e", "staging", "--yes"],
        lift.cwd,
        [("Reopen", "n")],
        env={"GIT_EDITOR": clash},
    )
    assert code == 1
    assert "$.environment.DATABASE_URL: is in env.sample too (a secret)" in said
    assert "--resume" in said
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]
