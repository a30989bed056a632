"""Preview environments end to end (issue 23): pushing a feature branch creates or updates its
preview through the installed pre-push hook, deleting the branch deletes it, `preview prune`
deletes one whose branch went behind git lift's back, and an override reaches its preview
only. Real git, buildah, a real registry, `git lift` as a subprocess, moto's server over HTTP
(its CloudFormation makes each preview's stack) and the sandbox's rollout simulator."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import boto3
import pytest

from git_lift.aws.store import ServiceDocument
from git_lift.sandbox.local_registry import RegistryHandle
from git_lift.servicecfg import default_document
from tests.support.ecs import make_shippable, store, target
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import push, remote_has
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]

GITLIFT = """[env "staging"]
\tref = refs/heads/main
[env "production"]
\tref = refs/tags/v*
\tdeployOnPush = true
\tconfirm = true
[env "preview"]
\tref = refs/heads/feature/*
\tpreview = true
\tbase = staging
\tdeployOnPush = true
\tttl = 7d
"""
REGION = "eu-west-1"


@pytest.fixture
def previewing(
    aws: Any,
    repo: GitRepo,
    lift: Lift,
    local_registry: RegistryHandle,
    buildah_root: str,
    monkeypatch: pytest.MonkeyPatch,
) -> GitRepo:
    """payments-api set up in staging (its service config saved), a preview environment
    created, the hooks installed."""
    make_shippable(repo, local_registry.address, monkeypatch)
    repo.write(".gitlift", GITLIFT)
    repo.commit("Previews of feature branches")
    repo.git("push", "-q", "origin", "main")
    saved = ServiceDocument("staging", "payments-api", 1, default_document(False), "Dev", 0.0)
    store().save_service_document(target("staging"), saved)
    created = lift("env", "create", "-e", "preview", "--no-nat", "--yes")
    assert created.returncode == 0, created.stderr
    assert lift("hooks", "install").returncode == 0
    return repo


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)  # type: ignore[call-overload]


def stacks() -> set[str]:
    summaries = client("cloudformation").list_stacks()["StackSummaries"]
    return {s["StackName"] for s in summaries if s["StackStatus"] != "DELETE_COMPLETE"}


def running(service: str) -> dict[str, Any]:
    """The preview's ECS service's task definition."""
    ecs = client("ecs")
    found = ecs.describe_services(cluster="lift-preview", services=[service])["services"]
    live = [s for s in found if s["status"] == "ACTIVE"]
    assert live, f"no ECS service {service}"
    arn = live[0]["taskDefinition"]
    return dict(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])


def secret_of(service: str, key: str) -> str:
    secrets = running(service)["containerDefinitions"][0].get("secrets", [])
    return str(next(s["valueFrom"] for s in secrets if s["name"] == key))


def rule_paths() -> list[list[str]]:
    elb = client("elbv2")
    paths = []
    for balancer in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])[
            "Listeners"
        ]:
            for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                for condition in rule.get("Conditions", []):
                    if condition.get("Field") == "path-pattern":
                        config = condition.get("PathPatternConfig", {})
                        paths.append(sorted(condition.get("Values") or config.get("Values", [])))
    return paths


def branch(repo: GitRepo, name: str, text: str) -> str:
    repo.git("checkout", "-q", "-B", name, "main")
    repo.write("app.txt", text)
    repo.commit(f"{name}: {text.strip()}")
    return repo.head()


def test_two_branches_get_two_previews_updated_by_pushes_and_deleted_with_the_branch(
    previewing: GitRepo, lift: Lift
) -> None:
    one = branch(previewing, "feature/one", "one\n")
    pushed = push(previewing, "feature/one")
    assert pushed.returncode == 0, pushed.stderr
    told = pushed.stderr
    assert "creating preview payments-api--one of refs/heads/feature/one in preview" in told
    assert f"preview payments-api--one of feature/one ({one[:12]}): http://" in told
    assert "/one/" in told.split(f"preview payments-api--one of feature/one ({one[:12]}): ")[1]
    two = branch(previewing, "feature/two", "two\n")
    assert push(previewing, "feature/two").returncode == 0
    assert {"lift-preview-payments-api--one", "lift-preview-payments-api--two"} <= stacks()
    assert ["/one", "/one/*"] in rule_paths() and ["/two", "/two/*"] in rule_paths()
    # Each runs its own commit's image; config comes from staging.
    assert (
        running("payments-api--one")["containerDefinitions"][0]["image"]
        != running("payments-api--two")["containerDefinitions"][0]["image"]
    )
    assert secret_of("payments-api--one", "DATABASE_URL").endswith(
        ":parameter/staging/payments-api/DATABASE_URL"
    )
    assert remote_has(previewing, "refs/tags/lift/preview/payments-api--one/1")
    listed = lift("preview", "list", "-e", "preview")
    assert listed.returncode == 0, listed.stderr
    assert f"preview  payments-api--one  feature/one  {one[:12]}" in listed.stdout
    assert f"preview  payments-api--two  feature/two  {two[:12]}" in listed.stdout

    # An override reaches its own preview only, once the branch is pushed again.
    override = lift(
        "config", "set", "-e", "preview", "--preview", "feature/two", "DATABASE_URL=postgres://two"
    )
    assert override.returncode == 0, override.stderr
    previewing.write("app.txt", "two, again\n")
    previewing.commit("feature/two: again")
    again = previewing.head()
    updated = push(previewing, "feature/two")
    assert updated.returncode == 0, updated.stderr
    assert "creating preview" not in updated.stderr
    assert f"preview payments-api--two of feature/two ({again[:12]})" in updated.stderr
    assert remote_has(previewing, "refs/tags/lift/preview/payments-api--two/2")
    assert secret_of("payments-api--two", "DATABASE_URL").endswith(
        ":parameter/preview/payments-api--two/DATABASE_URL"
    )
    assert secret_of("payments-api--one", "DATABASE_URL").endswith(
        ":parameter/staging/payments-api/DATABASE_URL"
    )
    staging = client("ssm").get_parameter(Name="/staging/payments-api/DATABASE_URL")
    assert staging["Parameter"]["Version"] == 1  # the base's config is never touched

    # Deleting a branch deletes its preview and its overrides; the other stays.
    previewing.git("checkout", "-q", "main")
    deleted = push(previewing, "--delete", "feature/two")
    assert deleted.returncode == 0, deleted.stderr
    assert "feature/two is deleted: so are its previews payments-api--two" in deleted.stderr
    assert "lift-preview-payments-api--two" not in stacks()
    assert "lift-preview-payments-api--one" in stacks()
    left = client("ssm").get_parameters_by_path(Path="/preview/payments-api--two")
    assert left["Parameters"] == []
    history = lift("history", "-e", "preview", "--preview", "feature/two")  # records stay
    assert history.returncode == 0, history.stderr
    assert f"   2  {again[:12]}" in history.stdout and f"   1  {two[:12]}" in history.stdout


def not_allowed(policy: dict[str, Any], calls: dict[str, int]) -> set[str]:
    """The calls (`ssm.GetParameters`: counts of moto's server) no Action of the policy
    names (sts:GetCallerIdentity: allowed to everyone)."""
    actions = [a for s in policy["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]
    made = {k.replace(".", ":", 1) for k in calls if not k.startswith("unknown.")}
    # One call that AWS authorises as the item actions it carries.
    items = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    composite = {"dynamodb:TransactWriteItems": items}
    return {
        call
        for call in made - {"sts:GetCallerIdentity"}
        if not all(
            any(fnmatch.fnmatchcase(one, a) for a in actions) for one in composite.get(call, [call])
        )
    }


def test_prune_deletes_a_preview_whose_branch_went_behind_git_lifts_back(
    previewing: GitRepo, lift: Lift, aws: Any
) -> None:
    printed = lift("iam-policy", "-e", "preview", "--for", "preview")
    assert printed.returncode == 0, printed.stderr
    policy = json.loads(printed.stdout)
    aws.reset_counts()
    branch(previewing, "feature/gone", "gone\n")
    gone = push(previewing, "feature/gone")
    assert gone.returncode == 0, gone.stderr
    branch(previewing, "feature/kept", "kept\n")
    assert push(previewing, "feature/kept").returncode == 0
    previewing.git("push", "-q", "--no-verify", "origin", "--delete", "feature/gone")
    # Deleting a branch that maps to no preview environment is ignored, as before.
    previewing.git("push", "-q", "--no-verify", "origin", "main:refs/heads/topic")
    ignored = push(previewing, "--delete", "topic")
    assert ignored.returncode == 0, ignored.stderr
    assert "preview" not in ignored.stderr
    assert "lift-preview-payments-api--gone" in stacks()
    dry = lift("preview", "prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "payments-api--gone ((gone)): its branch is gone from the remote" in dry.stderr
    assert "would delete 1 preview" in dry.stderr
    assert "lift-preview-payments-api--gone" in stacks()
    pruned = lift("preview", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "deleted 1 preview" in pruned.stderr
    assert "lift-preview-payments-api--gone" not in stacks()
    assert "lift-preview-payments-api--kept" in stacks()
    listed = lift("preview", "list")
    assert "payments-api--gone" not in listed.stdout and "feature/kept" in listed.stdout
    shown = lift("status", "-e", "preview")
    assert shown.returncode == 0, shown.stderr
    assert "preview: payments-api--kept" in shown.stdout
    history = lift("history", "-e", "preview", "--preview", "feature/kept")
    assert history.returncode == 0, history.stderr
    # Every call of those pushes, the prune, the listing, status and history is one the
    # preview policy allows.
    calls = aws.request_counts()
    assert "cloudformation:DeleteStack" in {k.replace(".", ":", 1) for k in calls}
    assert not_allowed(policy, calls) == set()


def test_a_preview_environment_refuses_a_ship_and_a_preview_over_max_previews(
    previewing: GitRepo, lift: Lift
) -> None:
    previewing.git("config", "lift.env.preview.maxPreviews", "1")
    branch(previewing, "feature/first", "first\n")
    assert push(previewing, "feature/first").returncode == 0
    branch(previewing, "feature/second", "second\n")
    refused = push(previewing, "feature/second")
    assert refused.returncode == 1
    assert "preview holds 1 preview (maxPreviews = 1)" in refused.stderr
    assert "the least recently deployed is payments-api--first (feature/first)" in refused.stderr
    assert "hint: delete one first: git lift preview delete -e preview feature/first" in (
        refused.stderr
    )
    assert not remote_has(previewing, "refs/heads/feature/second")
    shipped = lift("ship")
    assert shipped.returncode == 2
    assert "preview is a preview environment" in shipped.stderr
    deleted = lift("preview", "delete", "feature/first")
    assert deleted.returncode == 0, deleted.stderr
    assert "lift-preview-payments-api--first" not in stacks()
    assert push(previewing, "feature/second").returncode == 0


def test_a_preview_runs_the_workers_named_and_status_and_history_show_each_preview(
    previewing: GitRepo, lift: Lift
) -> None:
    """previewProcesses and `status`/`history` of previews (previews2): staging's worker runs
    in each preview, one task; a name staging has not is a warning naming what it has; status
    of the preview environment lists each branch's preview, `--preview` one of them."""
    processes = {
        "worker": {"command": ["bin/worker"], "desired_count": 3},
        "mailer": {"command": ["bin/mailer"]},
    }
    document = {**default_document(False), "processes": processes}
    saved = ServiceDocument("staging", "payments-api", 2, document, "Dev", 0.0)
    store().save_service_document(target("staging"), saved)
    previewing.git("config", "lift.env.preview.previewProcesses", "worker, mailr")
    one = branch(previewing, "feature/one", "one\n")
    pushed = push(previewing, "feature/one")
    assert pushed.returncode == 0, pushed.stderr
    assert (
        "warning: env.preview.previewProcesses names mailr, which payments-api's service config "
        "in staging has not (its processes: web, mailer, worker): the preview "
        "payments-api--one runs without it" in pushed.stderr
    )
    worker = client("ecs").describe_services(
        cluster="lift-preview", services=["payments-api--one_worker", "payments-api--one_mailer"]
    )
    live = {s["serviceName"]: s for s in worker["services"] if s["status"] == "ACTIVE"}
    assert list(live) == ["payments-api--one_worker"]
    assert live["payments-api--one_worker"]["desiredCount"] == 1
    assert running("payments-api--one_worker")["containerDefinitions"][0]["command"] == [
        "bin/worker"
    ]
    two = branch(previewing, "feature/two", "two\n")
    assert push(previewing, "feature/two").returncode == 0

    shown = lift("status", "-e", "preview")
    assert shown.returncode == 0, shown.stderr
    assert f"preview: payments-api--one  release 1  {one[:12]} feature/one: one" in shown.stdout
    assert f"preview: payments-api--two  release 1  {two[:12]} feature/two: two" in shown.stdout
    assert "  preview   of feature/one" in shown.stdout
    assert "/one" in shown.stdout and "/two" in shown.stdout  # each one's URL
    assert "  process   worker  1/1 running" in shown.stdout
    assert "drift" not in shown.stdout  # a preview reads its base's keys: none went missing
    only = lift("status", "-e", "preview", "--preview", "feature/two", "--output", "json")
    assert only.returncode == 0, only.stderr
    (row,) = json.loads(only.stdout)
    assert (row["service"], row["branch"], row["commit"]) == (
        "payments-api--two",
        "feature/two",
        two,
    )
    assert row["desired"] == 1 and row["url"].endswith("/two")

    history = lift("history", "-e", "preview", "--preview", "feature/one")
    assert history.returncode == 0, history.stderr
    assert f"   1  {one[:12]}" in history.stdout and "web and worker" in history.stdout
    # A newcomer's mistakes: each says what to type instead.
    whole = lift("history", "-e", "preview")
    assert whole.returncode == 2
    assert "error: preview is a preview environment: its releases are each branch's" in whole.stderr
    assert "hint: name the branch: git lift history -e preview --preview BRANCH" in whole.stderr
    unmade = lift("status", "-e", "preview", "--preview", "feature/never")
    assert unmade.returncode == 0, unmade.stderr
    assert "set it up: git push origin feature/never" in unmade.stdout
    wrong = lift("status", "-e", "staging", "--preview", "feature/one")
    assert wrong.returncode == 2
    assert "staging is not a preview environment" in wrong.stderr
