"""Helpers for the `env`/`service`/`iam-policy` tests (which run on the `aws` sandbox, whose
server repairs moto's change-set bookkeeping): stack reads and an editor that rewrites the
service document with Python."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3

from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Environment, Target
from git_lift.templates.iam_scope import Scope

REGION = "eu-west-1"


def target(env: str = "staging", service: str = "api", container: str | None = None) -> Target:
    """`service` (whose container is `container`, by default its own name) in `env`."""
    settings = ServiceSettings(service, ".", "Dockerfile", ".", "env.sample", container or service)
    return Target(EnvironmentSettings(env, ("refs/heads/main",)), settings)


def environment(name: str = "staging") -> Environment:
    return Environment(EnvironmentSettings(name, ("refs/heads/main",)))


def policy_scope(
    env: str, services: tuple[str, ...], region: str, account: str, **extra: Any
) -> Scope:
    """An IAM policy's scope: `services` in `env` (extra: kms_key_arn, pins_config, network)."""
    return Scope(tuple(target(env, s) for s in services), region, account, **extra)


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)


def active_services(cluster: str = "lift-staging") -> dict[str, dict[str, Any]]:
    """The cluster's ACTIVE ECS services (a deleted one stays listed a while), by name."""
    ecs = client("ecs")
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    found = ecs.describe_services(cluster=cluster, services=arns)["services"]
    return {s["serviceName"]: s for s in found if s["status"] == "ACTIVE"}


def stack(name: str) -> dict[str, Any]:
    found: dict[str, Any] = client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return found


def outputs(name: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack(name).get("Outputs") or []}


def template_text(name: str) -> str:
    body = client("cloudformation").get_template(StackName=name)["TemplateBody"]
    return body if isinstance(body, str) else json.dumps(body)


def lint(text: str) -> list[str]:
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    return [str(m) for m in cfn_lint(text, config=ManualArgs(regions=[REGION]))]


def documents(env: str, service: str) -> list[dict[str, Any]]:
    """The saved versions (sort keys "v..."; the partition also holds their secret_refs)."""
    items = client("dynamodb").query(
        TableName="git-lift",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
        ExpressionAttributeValues={":pk": {"S": f"service#{env}#{service}"}, ":v": {"S": "v"}},
    )["Items"]
    return [json.loads(item["doc"]["S"]) for item in items]


def put_config(env: str, service: str, **values: str) -> None:
    for key, value in values.items():
        client("ssm").put_parameter(
            Name=f"/{env}/{service}/{key}", Value=value, Type="SecureString", Overwrite=True
        )


def doc_editor(
    folder: Path,
    change: dict[str, Any],
    name: str = "doc-editor.py",
    remove: tuple[str, ...] = (),
) -> str:
    """A GIT_EDITOR that merges `change` into the JSON document and drops the `remove` keys
    (the # comments go too), and records what it was shown in `<name>.seen`."""
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "path = sys.argv[1]\n"
        "text = open(path).read()\n"
        f"open({str(script) + '.seen'!r}, 'w').write(text)\n"
        "body = '\\n'.join(l for l in text.split('\\n') if not l.lstrip().startswith('#'))\n"
        "doc = json.loads(body)\n"
        f"doc.update(json.loads({json.dumps(json.dumps(change))}))\n"
        f"for key in {list(remove)!r}:\n"
        "    doc.pop(key, None)\n"
        "open(path, 'w').write(json.dumps(doc, indent=2))\n"
    )
    script.chmod(0o755)
    return str(script)


def doc_file(
    folder: Path,
    doc: dict[str, Any],
    change: dict[str, Any],
    name: str = "service.json",
    remove: tuple[str, ...] = (),
) -> str:
    """A `service create|edit --file`: `doc` with `change` merged in and `remove` left out."""
    merged = {k: v for k, v in {**doc, **change}.items() if k not in remove}
    path = folder / name
    path.write_text(json.dumps(merged, indent=2))
    return str(path)


def newest_doc(env: str, service: str) -> dict[str, Any]:
    found: dict[str, Any] = documents(env, service)[-1]["doc"]
    return found
