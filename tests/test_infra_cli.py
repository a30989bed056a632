"""`git lift env` and `git lift service` through git, against moto's server over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from git_lift.servicecfg import default_document
from tests.support.helpers import GitRepo, Lift, editor_script, run_in_terminal
from tests.support.infra import (
    client,
    doc_editor,
    doc_file,
    documents,
    lint,
    newest_doc,
    outputs,
    put_config,
    stack,
    template_text,
)

NO_EDIT = "true"  # an editor that saves the document as it is


def create_env(lift: Lift) -> None:
    result = lift("env", "create", "-e", "staging", "--yes")
    assert result.returncode == 0, result.stderr


def create_service(lift: Lift, *args: str) -> Any:
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    return lift("service", "create", "-e", "staging", "--yes", *args, env={"GIT_EDITOR": NO_EDIT})


def on_terminal(
    lift: Lift, editor: str, *args: str, answers: list[tuple[str, str]] | None = None
) -> tuple[int, str]:
    """`git lift ARGS` on a pseudo-terminal, where the editor opens: exit code, output."""
    return run_in_terminal(
        ["git", "lift", *args], lift.cwd, answers or [], env={"GIT_EDITOR": editor}
    )


def test_env_create_shows_the_change_set_records_the_env_and_refuses_a_second_create(
    aws: Any, lift: Lift
) -> None:
    result = lift("env", "create", "-e", "staging", "--yes", "--no-nat")
    assert result.returncode == 0, result.stderr
    assert "Changes to stack lift-staging (" in result.stderr and "to add)" in result.stderr
    assert "+ Vpc" in result.stderr and "AWS::ECS::Cluster" in result.stderr
    assert "lift-staging: CREATE_COMPLETE" in result.stderr
    assert "next: git lift service create -e staging" in result.stderr
    assert stack("lift-staging")["StackStatus"] == "CREATE_COMPLETE"
    assert outputs("lift-staging")["AssignPublicIp"] == "ENABLED"
    assert lint(template_text("lift-staging")) == []

    again = lift("env", "create", "-e", "staging", "--yes")
    assert again.returncode == 1
    assert "error: environment staging exists" in again.stderr
    assert "hint: change it with: git lift env update -e staging" in again.stderr

    shown = json.loads(lift("env", "show", "-e", "staging", "--output", "json").stdout)
    assert shown["status"] == "CREATE_COMPLETE" and shown["account"] == "123456789012"
    assert shown["params"]["nat"] is False and shown["outputs"]["ClusterName"] == "lift-staging"
    listed = lift("env", "list").stdout.splitlines()
    assert listed[0].startswith("production") and "not created" in listed[0]
    assert listed[1].startswith("staging") and "lift-staging" in listed[1]


def test_env_update_changes_only_what_the_flags_say(aws: Any, lift: Lift) -> None:
    create_env(lift)
    result = lift("env", "update", "-e", "staging", "--yes", "--no-nat")
    assert result.returncode == 0, result.stderr
    assert "- NatGateway" in result.stderr and "- NatAddress" in result.stderr
    assert "+ " not in result.stderr  # nothing is added
    shown = json.loads(lift("env", "show", "-e", "staging", "--output", "json").stdout)
    assert shown["params"]["nat"] is False and shown["params"]["vpc_cidr"] == "10.0.0.0/16"
    unchanged = lift("env", "update", "-e", "staging", "--yes")
    assert unchanged.returncode == 0 and "no changes to stack lift-staging" in unchanged.stderr


def test_stack_changes_need_yes_without_a_terminal(aws: Any, lift: Lift) -> None:
    result = lift("env", "create", "-e", "staging")
    assert result.returncode == 2
    assert "needs confirmation and there is no terminal" in result.stderr
    assert "--yes" in result.stderr
    assert client("cloudformation").list_change_sets(StackName="lift-staging")["Summaries"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vpc-cidr", "10.0.0.0/8"], "vpc_cidr: 10.0.0.0/8 must be between /16 and /28"),
        (["--public-subnets", "10.0.0.0/24"], "--public-subnets takes two CIDRs"),
        (["--certificate-arn", "my-cert"], "certificate_arn: 'my-cert' is not an ACM ARN"),
    ],
)
def test_bad_environment_settings_are_refused_before_any_stack(
    aws: Any, lift: Lift, args: list[str], message: str
) -> None:
    result = lift("env", "create", "-e", "staging", "--yes", *args)
    assert result.returncode in (1, 2) and message in result.stderr
    assert "cloudformation.CreateChangeSet" not in aws.request_counts()


def test_service_needs_the_environment_and_its_config_first(aws: Any, lift: Lift) -> None:
    no_env = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": NO_EDIT})
    assert no_env.returncode == 1
    assert "hint: git lift env create -e staging" in no_env.stderr
    create_env(lift)
    no_config = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": NO_EDIT})
    assert no_config.returncode == 1
    assert "lacks config that env.sample names: API_TOKEN, DATABASE_URL" in no_config.stderr
    assert "git lift config set -e staging API_TOKEN=... DATABASE_URL=..." in no_config.stderr


def test_create_then_edit_makes_versions_1_and_2_and_ship_deploys_into_the_service(
    aws: Any, lift: Lift, repo: GitRepo, tmp_path: Path
) -> None:
    create_env(lift)
    created = create_service(lift)
    assert created.returncode == 0, created.stderr
    assert '+  "cpu": 256,' in created.stderr  # the document's diff against nothing
    assert "+ Service" in created.stderr and "saved version 1" in created.stderr
    assert "the stack starts public.ecr.aws/nginx/nginx:stable-alpine" in created.stderr
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]
    ecs = client("ecs")
    (service,) = ecs.describe_services(cluster="lift-staging", services=["payments-api"])[
        "services"
    ]
    assert service["taskDefinition"].endswith("task-definition/staging-payments-api:1")
    secrets = ecs.describe_task_definition(taskDefinition="staging-payments-api")["taskDefinition"][
        "containerDefinitions"
    ][0]["secrets"]
    assert [s["valueFrom"] for s in secrets] == [
        "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/API_TOKEN",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/DATABASE_URL",
    ]
    assert lint(template_text("lift-staging-payments-api")) == []

    editor = doc_editor(tmp_path, {"cpu": 512, "memory": 1024, "desired_count": 2})
    code, edited = on_terminal(lift, editor, "service", "edit", "-e", "staging", "--yes")
    assert code == 0, edited
    seen = Path(editor + ".seen").read_text()
    assert "version 1 (saved by Test Dev" in seen
    assert '-  "cpu": 256,' in edited and '+  "cpu": 512,' in edited
    assert "--- version 1" in edited
    assert "~ TaskDefinition" in edited and "saved version 2" in edited
    versions = documents("staging", "payments-api")
    assert [d["version"] for d in versions] == [1, 2]
    assert versions[1]["doc"]["cpu"] == 512 and versions[1]["author"].startswith("Test Dev")

    history = lift("service", "history", "-e", "staging").stdout.splitlines()
    assert [line.split()[0] for line in history] == ["v2", "v1"]
    assert all("Test Dev" in line for line in history)
    old = json.loads(lift("service", "show", "-e", "staging", "--version", "1").stdout)
    assert old["cpu"] == 256 and old["http_interface"]["container_port"] == 80

    # A ship deploys into the service the stack made; a stack update afterwards keeps its image.
    image = "registry.example.com/payments-api@sha256:" + "a" * 64
    shipped = lift("ship", "-e", "staging", "--image", image, "--yes")
    assert shipped.returncode == 0, shipped.stderr
    task = ecs.describe_services(cluster="lift-staging", services=["payments-api"])["services"][0]
    assert task["taskDefinition"].endswith(":3")
    # In a script (no terminal) the new config comes from --file.
    second = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"desired_count": 1})
    again = lift("service", "edit", "-e", "staging", "--yes", "--file", second)
    assert again.returncode == 0, again.stderr
    assert "saved version 3" in again.stderr
    assert "does not run in staging yet" not in again.stderr
    rendered = json.loads(lift("service", "template", "-e", "staging").stdout)
    container = rendered["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert container["Image"] == image
    definition = client("ecs").describe_task_definition(taskDefinition="staging-payments-api")
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == image


def test_an_invalid_edit_is_kept_with_its_problems_and_resumed(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    create_env(lift)
    assert create_service(lift).returncode == 0
    bad = doc_editor(tmp_path, {"cpu": 300, "memory": 512, "colour": "blue"}, name="bad.py")
    code, result = on_terminal(
        lift, bad, "service", "edit", "-e", "staging", "--yes", answers=[("Reopen", "n")]
    )
    assert code == 1
    assert "$.colour: unknown field" in result
    assert "$.cpu: 300 is not a Fargate cpu value" in result
    assert "hint: fix them with: git lift service edit -e staging -s payments-api --resume" in (
        result
    )
    kept = next((lift.cwd / ".git" / "lift").glob("service-edit-*"))
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert kept.read_text().startswith("#! 2 problems to fix, then save again:")
    assert [d["version"] for d in documents("staging", "payments-api")] == [1]

    # Without a terminal --resume takes the kept edit as it is: still invalid, still kept.
    scripted = lift("service", "edit", "-e", "staging", "--yes", "--resume")
    assert scripted.returncode == 1 and "$.colour: unknown field" in scripted.stderr
    assert "hint: fix it on a terminal: git lift service edit" in scripted.stderr
    assert kept.exists()

    fix = doc_editor(tmp_path, {"cpu": 512, "memory": 1024}, name="fix.py", remove=("colour",))
    code, resumed = on_terminal(lift, fix, "service", "edit", "-e", "staging", "--yes", "--resume")
    assert code == 0, resumed
    assert not kept.exists()
    assert [d["version"] for d in documents("staging", "payments-api")] == [1, 2]


def test_a_concurrent_save_is_refused_and_the_edit_kept(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    create_env(lift)
    assert create_service(lift).returncode == 0
    # While the editor is open, a teammate saves version 2.
    teammate = editor_script(
        tmp_path,
        (
            "python - <<'PY'\nimport boto3, json\n"
            "t = boto3.client('dynamodb', region_name='eu-west-1')\n"
            "doc = {'env': 'staging', 'service': 'payments-api', 'version': 2, 'author': 'Other',"
            " 'saved_at': 0, 'doc': {'cpu': 256, 'memory': 512}}\n"
            "t.put_item(TableName='git-lift', Item={'pk': {'S': 'service#staging#payments-api'},"
            " 'sk': {'S': 'v0000000002'}, 'doc': {'S': json.dumps(doc)}})\nPY\n"
            'sed -i \'s/"desired_count": 1/"desired_count": 3/\' "$file"'
        ),
    )
    code, result = on_terminal(lift, teammate, "service", "edit", "-e", "staging", "--yes")
    assert code == 1
    assert "version 2 of payments-api's config in staging was saved by Other" in result
    assert "--resume" in result
    assert documents("staging", "payments-api")[1]["author"] == "Other"
    kept = next((lift.cwd / ".git" / "lift").glob("service-edit-*"))
    assert '"desired_count": 3' in kept.read_text()


def test_update_applies_the_stored_config_and_template_prints_yaml(aws: Any, lift: Lift) -> None:
    create_env(lift)
    missing = lift("service", "update", "-e", "staging", "--yes")
    assert missing.returncode == 1 and "set it up: git lift setup -e staging" in missing.stderr
    assert create_service(lift).returncode == 0
    same = lift("service", "update", "-e", "staging", "--yes")
    assert same.returncode == 0, same.stderr
    assert "no changes to stack lift-staging-payments-api" in same.stderr
    yaml = lift("service", "template", "-e", "staging", "--format", "yaml")
    assert yaml.stdout.startswith("AWSTemplateFormatVersion: '2010-09-09'")
    assert lint(yaml.stdout) == []
    absent = lift("service", "show", "-e", "staging", "--version", "7")
    assert absent.returncode == 1 and "service history" in absent.stderr


def test_each_service_of_a_repo_gets_its_own_stack(aws: Any, tmp_path: Path) -> None:
    repo = GitRepo.create(
        tmp_path / "mono",
        files={
            ".gitlift": '[service "api"]\n\tpath = api\n[service "worker"]\n\tpath = worker\n',
            "api/env.sample": "",
            "worker/env.sample": "QUEUE=x\n",
        },
    )
    put_config("staging", "worker", QUEUE="jobs")
    lift = Lift(repo.path)
    create_env(lift)
    worker_doc = doc_file(
        tmp_path,
        default_document(production=False),
        {"command": ["python", "-m", "w"]},
        remove=("http_interface",),
    )
    for name, file_args in (("api", []), ("worker", ["--file", worker_doc])):
        result = Lift(repo.path / name)("service", "create", "-e", "staging", "--yes", *file_args)
        assert result.returncode == 0, result.stderr
    assert outputs("lift-staging-api")["ServiceName"] == "api"
    assert outputs("lift-staging-worker")["ServiceName"] == "worker"
    worker = json.loads(template_text("lift-staging-worker"))
    assert "TargetGroup" not in worker["Resources"]
    at_root = lift("service", "show", "-e", "staging")
    assert at_root.returncode == 2 and "-s NAME" in at_root.stderr


def test_service_stacks_change_with_the_environments_cloudformation_role(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    """CloudFormation carries out each change set of a service stack with the role the
    environment stack made, not with the developer's own rights (issue 17)."""
    from moto.cloudformation.models import cloudformation_backends

    create_env(lift)
    role = outputs("lift-staging")["CloudFormationRoleArn"]
    assert role == "arn:aws:iam::123456789012:role/lift-staging-cloudformation"
    assert create_service(lift).returncode == 0
    second = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"desired_count": 2})
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", second)
    assert edited.returncode == 0, edited.stderr
    backend = cloudformation_backends["123456789012"]["eu-west-1"]
    passed = [
        (c.change_set_type, c.role_arn)
        for c in backend.change_sets.values()
        if c.stack_name == "lift-staging-payments-api"
    ]
    assert passed == [("CREATE", role), ("UPDATE", role)]
    assert stack("lift-staging-payments-api")["RoleARN"] == role
    # The environment stack itself is changed with the admin's own rights.
    assert "RoleARN" not in stack("lift-staging")


def test_an_environment_from_before_the_role_gets_it_from_env_update(aws: Any, lift: Lift) -> None:
    create_env(lift)
    table = client("dynamodb")
    key = {"pk": {"S": "environment"}, "sk": {"S": "staging"}}
    item = table.get_item(TableName="git-lift", Key=key)["Item"]
    record = json.loads(item["doc"]["S"])
    del record["outputs"]["CloudFormationRoleArn"]  # as an older git lift recorded it
    table.put_item(TableName="git-lift", Item={**item, "doc": {"S": json.dumps(record)}})

    refused = create_service(lift)
    assert refused.returncode == 1
    assert "environment staging has no role for CloudFormation" in refused.stderr
    assert "hint: an admin makes it with: git lift env update -e staging" in refused.stderr
    assert client("cloudformation").list_stacks()["StackSummaries"][0]["StackName"] == (
        "lift-staging"
    )
    updated = lift("env", "update", "-e", "staging", "--yes")
    assert updated.returncode == 0, updated.stderr
    created = create_service(lift)
    assert created.returncode == 0, created.stderr
    assert stack("lift-staging-payments-api")["RoleARN"].endswith(
        ":role/lift-staging-cloudformation"
    )
