"""Processes through git against moto's server over HTTP (issue 21, "Processes from one image
and config"): adding a worker to an existing single-container service is a stack update that
keeps web's ECS service and adds the worker's; `scale --process` saves a version and changes
the worker's count alone; mistakes are refused with nothing saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.helpers import Lift
from tests.support.infra import active_services, client, doc_file, documents, newest_doc, put_config

WORKER = {"worker": {"command": ["bin/worker"], "cpu": 256, "memory": 512}}


def created(lift: Lift, *options: str) -> None:
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "staging", "--yes", *options, env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr


def services() -> dict[str, dict[str, Any]]:
    return active_services()


def test_adding_a_worker_keeps_web_and_adds_its_service(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    (web,) = services().values()
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"processes": WORKER})
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr
    assert '+  "processes": {' in edited.stderr
    now = services()
    assert sorted(now) == ["payments-api", "payments-api_worker"]
    # The same ECS service on the same task definition, no deployment started: nothing
    # replaced, nothing of web's updated.
    kept = now["payments-api"]

    def ids(service: dict[str, Any]) -> list[str]:
        return [d["id"] for d in service["deployments"]]

    assert (kept["serviceArn"], kept["taskDefinition"], ids(kept)) == (
        web["serviceArn"],
        web["taskDefinition"],
        ids(web),
    )
    worker = now["payments-api_worker"]
    definition = client("ecs").describe_task_definition(taskDefinition=worker["taskDefinition"])
    (container,) = definition["taskDefinition"]["containerDefinitions"]
    assert definition["taskDefinition"]["family"] == "staging-payments-api_worker"
    assert container["command"] == ["bin/worker"] and not container.get("portMappings")


def test_scale_a_worker_saves_a_version_and_changes_its_count_alone(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    # The app's image, not the placeholder (with it, a worker waits at 0 until a ship).
    created(lift, "--image", "registry.example.com/payments-api:1")
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"processes": WORKER})
    assert lift("service", "edit", "-e", "staging", "--yes", "--file", path).returncode == 0
    scaled = lift("scale", "-e", "staging", "--process", "worker", "3", "--yes")
    assert scaled.returncode == 0, scaled.stderr
    assert "saved version 3 of payments-api's config in staging" in scaled.stderr
    assert newest_doc("staging", "payments-api")["processes"]["worker"]["desired_count"] == 3
    now = services()
    assert (now["payments-api_worker"]["desiredCount"], now["payments-api"]["desiredCount"]) == (
        3,
        1,
    )
    wrong = lift("scale", "-e", "staging", "--process", "wroker", "3", "--yes")
    assert wrong.returncode == 2
    assert (
        "error: payments-api in staging has no process 'wroker' (its processes: web, worker)"
        in (wrong.stderr)
    )
    assert "hint: name one of them, or add it to processes: git lift service edit -e staging" in (
        wrong.stderr
    )
    assert len(documents("staging", "payments-api")) == 3


def test_a_worker_with_webs_fields_is_refused_with_its_path(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    bad = {"worker": {"command": ["bin/worker"], "health_check": {"command": ["CMD", "true"]}}}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"processes": bad})
    refused = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert refused.returncode == 1
    assert "$.processes.worker.health_check: a process other than web has no health_check" in (
        refused.stderr
    )
    assert len(documents("staging", "payments-api")) == 1
    assert sorted(services()) == ["payments-api"]


def test_a_process_behind_the_load_balancer_gets_its_own_rule(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    created(lift)
    http = {"container_port": 8080, "path_patterns": ["/hooks/*"]}
    hooks = {"hooks": {"command": ["bin/hooks"], "http_interface": http}}
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"processes": hooks})
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr
    # moto's CloudFormation leaves loadBalancers off the ECS service: the stack and the load
    # balancer hold them.
    made = {
        r["LogicalResourceId"]: r
        for r in client("cloudformation").describe_stack_resources(
            StackName="lift-staging-payments-api"
        )["StackResources"]
    }
    for logical in ("HooksService", "HooksTargetGroup", "HooksListenerRule"):
        assert made[logical]["ResourceStatus"].endswith("_COMPLETE"), logical
    assert "payments-api_hooks" in services()
    elb = client("elbv2")
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    rules = [
        r
        for b in balancers
        for listener in elb.describe_listeners(LoadBalancerArn=b["LoadBalancerArn"])["Listeners"]
        for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    ]
    hooks_rule = [
        r
        for r in rules
        if any(
            (c.get("PathPatternConfig") or {}).get("Values") == ["/hooks/*"]
            for c in r["Conditions"]
        )
        or any(c.get("Values") == ["/hooks/*"] for c in r["Conditions"])
    ]
    (rule,) = hooks_rule
    (forward,) = rule["Actions"]
    assert forward["TargetGroupArn"] == made["HooksTargetGroup"]["PhysicalResourceId"]
