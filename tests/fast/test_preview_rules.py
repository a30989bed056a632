"""Preview environments (issue 23), the pure part: the settings of an `[env]` that previews
branches, where they may come from, and the slug and names each branch's preview gets
(target.py), within AWS's name limits whatever the branch is called."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from git_lift import limits, settings
from git_lift.errors import UsageError
from git_lift.gitlift import Entry
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import SLUG, preview_slug, preview_target, split_preview

pytestmark = pytest.mark.fast

Pairs = list[tuple[str, str]]
PREVIEW = [
    ("env.staging.ref", "refs/heads/main"),
    ("env.preview.ref", "refs/heads/feature/*"),
    ("env.preview.preview", "true"),
    ("env.preview.base", "staging"),
    ("env.preview.deployOnPush", "true"),
    ("env.preview.ttl", "7d"),
]


def build(gitlift: Pairs, policy: Pairs | None = None, repo: Pairs = ()) -> settings.Settings:  # type: ignore[assignment]
    return settings.build(
        gitlift=[Entry(k, v) for k, v in gitlift],
        policy=[Entry(k, v) for k, v in (gitlift if policy is None else policy)],
        repo_config=[Entry(k, v) for k, v in repo],
        environ={},
        flags={},
        remote_url="git@github.com:acme/shop.git",
        top_folder="shop",
        default_branch="main",
    )


def refused(gitlift: Pairs) -> UsageError:
    with pytest.raises(UsageError) as err:
        build(gitlift)
    return err.value


def test_a_preview_environment_reads_its_settings_with_defaults() -> None:
    env = build(PREVIEW).environments["preview"]
    assert env.preview is not None and env.deploy_on_push
    assert (env.preview.base, env.preview.ttl, env.preview.max_previews) == ("staging", 604800, 10)
    assert env.preview.domain is None
    domain = build([*PREVIEW, ("env.preview.domain", "Preview.Example.com.")])
    assert domain.environments["preview"].preview.domain == "preview.example.com"  # type: ignore[union-attr]
    assert build(PREVIEW).environments["staging"].preview is None


@pytest.mark.parametrize(
    ("extra", "message", "hint"),
    [
        ([("env.preview.ttl", "7 days")], "env.preview.ttl = '7 days' is not a duration", "7d"),
        ([("env.preview.maxPreviews", "0")], "env.preview.maxPreviews = '0'", "range"),
        ([("env.preview.domain", "not a domain")], "is not a DNS domain", "preview.example"),
        ([("env.preview.base", "nowhere")], "env.preview.base = nowhere is not declared", "base"),
        ([("env.preview.base", "preview")], "is a preview environment itself", "no preview"),
        ([("env.preview.confirm", "true")], "cannot pin config", "remove"),
    ],
)
def test_bad_preview_settings_are_refused_with_the_fix(
    extra: Pairs, message: str, hint: str
) -> None:
    error = refused([*PREVIEW, *extra])
    assert message in error.message and hint in (error.hint or "")


def test_preview_processes_names_the_bases_other_processes() -> None:
    """previewProcesses (previews2): names, by commas or spaces, may repeat; web and what is
    no process name are refused with the fix; it needs preview = true, as its siblings."""
    env = build(
        [
            *PREVIEW,
            ("env.preview.previewProcesses", "worker, mailer"),
            ("env.preview.previewProcesses", "worker queue-consumer"),
        ]
    ).environments["preview"]
    assert env.preview is not None
    assert env.preview.processes == ("worker", "mailer", "queue-consumer")
    assert build(PREVIEW).environments["preview"].preview.processes == ()  # type: ignore[union-attr]
    error = refused([*PREVIEW, ("env.preview.previewProcesses", "web")])
    assert error.message == (
        "env.preview.previewProcesses = 'web': web runs in every preview, name the others only"
    )
    assert "git config -f .gitlift env.preview.previewProcesses worker" in (error.hint or "")
    error = refused([*PREVIEW, ("env.preview.previewProcesses", "Worker")])
    assert error.message.endswith(": 'Worker' is not a process name (like worker)")
    error = refused([*PREVIEW, ("env.preview.previewProcesses", " , ")])
    assert error.message == "env.preview.previewProcesses = ' , ' names no process"
    error = refused([("env.qa.ref", "refs/heads/qa"), ("env.qa.previewProcesses", "worker")])
    assert error.message == "env.qa.previewProcesses only applies to a preview environment"


def test_a_branch_cannot_add_processes_to_previews() -> None:
    """previewProcesses is release policy: a branch's .gitlift naming more is not acted on."""
    proposed = [*PREVIEW, ("env.preview.previewProcesses", "worker")]
    merged = build(proposed, policy=PREVIEW)
    assert merged.environments["preview"].preview.processes == ()  # type: ignore[union-attr]
    assert merged.policy_changes([Entry(k, v) for k, v in proposed]) == [
        "changes preview's preview settings"
    ]


def test_preview_keys_without_preview_true_are_refused() -> None:
    error = refused([("env.qa.ref", "refs/heads/qa"), ("env.qa.base", "staging")])
    assert error.message == "env.qa.base only applies to a preview environment"
    assert "env.qa.preview = true" in (error.hint or "")
    error = refused([("env.preview.ref", "refs/heads/f/*"), ("env.preview.preview", "yes")])
    assert "names no base" in error.message


def test_a_branch_cannot_make_itself_a_preview_of_production() -> None:
    """The release policy is the default branch's: a branch whose .gitlift turns production's
    refs into a preview of production changes nothing, and the change is reported."""
    trusted = [("env.production.ref", "refs/tags/v*"), ("env.staging.ref", "refs/heads/main")]
    proposed = [
        *trusted,
        ("env.sneaky.ref", "refs/heads/*"),
        ("env.sneaky.preview", "true"),
        ("env.sneaky.base", "production"),
        ("env.sneaky.deployOnPush", "true"),
    ]
    merged = build(proposed, policy=trusted)
    # not run as a preview environment, nor as a plain one; named, it says why (newcomer4)
    assert "sneaky" not in merged.environments
    assert merged.untrusted_previews == {"sneaky": "production"}
    assert merged.environments_for_ref("refs/heads/x") == []
    assert merged.policy_changes([Entry(k, v) for k, v in proposed]) == [
        "maps sneaky to refs/heads/* (trusted: nothing)",
        "sets sneaky's deployOnPush to true",
        "makes sneaky a preview of production",
    ]


def test_a_proposed_gitlift_whose_preview_base_is_not_declared_is_refused_before_it_lands() -> None:
    # A commit or push of it to the default branch would make it the policy every command
    # (and the hooks, even the commit that fixes it) then refuses: say it at once.
    typo = [*PREVIEW[:3], ("env.preview.base", "stagin"), *PREVIEW[4:]]
    with pytest.raises(UsageError) as err:
        build(PREVIEW).policy_changes([Entry(k, v) for k, v in typo])
    assert err.value.message == "env.preview.base = stagin is not declared"
    assert err.value.hint is not None and "env.preview.base staging" in err.value.hint


# Slugs


BRANCHES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
    min_size=1,
    max_size=300,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(BRANCHES, min_size=2, max_size=8, unique=True), st.integers(8, 63))
def test_slugs_are_valid_short_enough_stable_and_unique(parts: list[str], longest: int) -> None:
    refs = [f"refs/heads/feature/{p}" for p in parts]
    slugs = [preview_slug(r, "refs/heads/feature/*", longest) for r in refs]
    for slug in slugs:
        assert SLUG.fullmatch(slug) and len(slug) <= longest
        assert "--" not in slug  # `<service>--<slug>` splits back at the first `--`
    assert len(set(slugs)) == len(slugs)
    assert slugs == [preview_slug(r, "refs/heads/feature/*", longest) for r in refs]


def test_a_branch_that_is_a_slug_already_keeps_its_name() -> None:
    assert preview_slug("refs/heads/feature/checkout", "refs/heads/feature/*", 30) == "checkout"
    changed = preview_slug("refs/heads/feature/Checkout", "refs/heads/feature/*", 30)
    assert re.fullmatch(r"checkout-[0-9a-f]{8}", changed)
    long = preview_slug("refs/heads/feature/" + "a" * 80, "refs/heads/feature/*", 20)
    assert re.fullmatch(r"a{11}-[0-9a-f]{8}", long)
    # A branch named like another's hashed slug is hashed too.
    assert preview_slug(f"refs/heads/feature/{changed}", "refs/heads/feature/*", 30) != changed
    assert preview_slug("refs/heads/feature/a/b", "refs/heads/*", 30).startswith("feature-a-b-")


def service(name: str = "payments-api") -> ServiceSettings:
    return ServiceSettings(name, ".", "Dockerfile", ".", "env.sample", name)


def environments(name: str = "preview") -> tuple[EnvironmentSettings, EnvironmentSettings]:
    return (
        EnvironmentSettings(name, ("refs/heads/feature/*",)),
        EnvironmentSettings("staging", ("refs/heads/main",)),
    )


def test_a_preview_is_named_after_its_service_and_slug_and_reads_its_base_config() -> None:
    preview, staging = environments()
    t = preview_target(preview, staging, service(), "refs/heads/feature/checkout")
    assert t.name == "payments-api--checkout" and split_preview(t.name) == (
        "payments-api",
        "checkout",
    )
    assert (t.stack, t.ecs_service, t.task_family) == (
        "lift-preview-payments-api--checkout",
        "payments-api--checkout",
        "preview-payments-api--checkout",
    )
    assert t.parameter_path == "/preview/payments-api--checkout"
    assert t.ecr_repository == "payments-api" and t.container == "payments-api"
    region, account = "eu-west-1", "123456789012"
    assert t.config_arn("A", region, account).endswith(":parameter/staging/payments-api/A")
    with_override = preview_target(
        preview, staging, service(), "refs/heads/feature/checkout", frozenset({"A"})
    )
    assert with_override.config_arn("A", region, account).endswith(
        ":parameter/preview/payments-api--checkout/A"
    )
    assert [a.rsplit(":", 1)[1] for a in t.config_prefix_arns(region, account)] == [
        "parameter/preview/payments-api--checkout/",
        "parameter/staging/payments-api/",
    ]


@hypothesis_settings(max_examples=100, deadline=None)
@given(BRANCHES, st.integers(1, 20), st.integers(1, 28))
def test_every_preview_name_fits_aws_limits(part: str, env_length: int, svc_length: int) -> None:
    env = "e" * env_length
    preview, staging = environments(env)
    try:
        branch = f"refs/heads/feature/{part}"
        t = preview_target(preview, staging, service("s" * svc_length), branch)
    except UsageError as error:  # only when the names leave no room for a slug
        assert "no room for a slug" in error.message
        assert len(f"lift-{env}-{'s' * svc_length}---execution") > limits.ROLE_NAME - 8
        return
    assert len(t.role_name("execution")) <= limits.ROLE_NAME  # Target checks the rest


# IAM: the `preview` audience (git lift iam-policy --for preview)


def preview_scope() -> Any:
    from git_lift.target import EVERY_PREVIEW, Preview, Target
    from git_lift.templates.iam_scope import Scope

    rules = settings.PreviewPolicy("staging", 86400.0, 10)
    preview = EnvironmentSettings("preview", ("refs/heads/feature/*",), preview=rules)
    staging = EnvironmentSettings("staging", ("refs/heads/main",))
    t = Target(preview, service(), preview=Preview(EVERY_PREVIEW, staging))
    return Scope(targets=(t,), region="eu-west-1", account="123456789012")


def test_the_preview_policy_is_confined_to_previews_and_reads_its_base_only() -> None:
    from git_lift.templates.iam_statements import policy

    document = policy("preview", preview_scope())
    staging_reads = {"dynamodb:GetItem", "dynamodb:Query", "ssm:GetParameters"}
    for statement in document["Statement"]:
        resources = statement["Resource"]
        named = [resources] if isinstance(resources, str) else resources
        for resource in named:
            if "staging" in resource:  # the base: read, never written
                assert set(statement["Action"]) <= staging_reads, statement["Sid"]
            elif "payments-api" in resource and statement["Effect"] == "Allow":
                assert "payments-api--*" in resource or resource.endswith(
                    ":repository/payments-api"  # the images the service builds
                ), (statement["Sid"], resource)
    keys = [
        k
        for s in document["Statement"]
        for k in s.get("Condition", {})
        .get("ForAllValues:StringLike", {})
        .get("dynamodb:LeadingKeys", [])
    ]
    assert "release#preview#payments-api--*" in keys and "service#staging#payments-api" in keys
    assert "release#staging#payments-api" not in keys
    sids = {s["Sid"] for s in document["Statement"]}
    assert "PurgeImages" not in sids  # deleting a preview never deletes the service's images


def test_a_preview_environments_boundary_lets_execution_roles_read_the_base_config() -> None:
    from git_lift.templates.iam_statements import policy

    scope = preview_scope()
    boundary = policy("boundary", scope)
    execution = next(s for s in boundary["Statement"] if s.get("Sid") == "Execution")
    assert "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/*" in execution["Resource"]
    assert "arn:aws:ssm:eu-west-1:123456789012:parameter/preview/*" in execution["Resource"]


def test_a_preview_boundary_fits_at_the_longest_names_and_one_that_did_not_is_refused() -> None:
    """Reading the base's config costs the boundary one ARN. Since the CloudFormation role's
    rights have a boundary of their own, it fits even the longest names in the longest
    partition with a KMS key; a boundary that did not fit would be refused before printing."""
    import json

    from git_lift.limits import MANAGED_POLICY, check_managed_policy
    from git_lift.target import Target
    from git_lift.templates.iam_scope import Scope
    from git_lift.templates.iam_statements import policy

    key = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def boundary(env: str, base: str) -> Any:
        rules = settings.PreviewPolicy(base, 86400.0, 10)
        preview = EnvironmentSettings(env, ("refs/heads/f/*",), preview=rules)
        scope = Scope((Target(preview, service("s")),), "us-gov-west-1", "123456789012", key)
        return policy("boundary", scope)

    for env, base in (("preview", "staging"), ("e" * 20, "b" * 20)):
        document = boundary(env, base)
        assert len(json.dumps(document, separators=(",", ":"))) <= MANAGED_POLICY
        check_managed_policy(document, "the boundary", "shorter names")
    padded = boundary("e" * 20, "b" * 20)
    padded["Statement"].append({"Sid": "x" * MANAGED_POLICY})
    with pytest.raises(UsageError) as refused:
        check_managed_policy(padded, "the boundary of x", "shorter names")
    assert "IAM allows 6144 in a managed policy" in refused.value.message
