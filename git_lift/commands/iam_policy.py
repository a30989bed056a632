"""`git lift iam-policy`: print a least-privilege IAM policy for what git lift does in one
environment. The statements are data in templates/iam_statements.py (the audiences are
described there); this looks up the scope (services, region, account, KMS key) and
prints.

Each environment's policy is for its own account and region: its `account` when set, else the
account its own credentials (profile, roleArn) belong to. `--for deployer-role` prints the trust
policy of its `roleArn` instead (templates/iam_trust.py): who may assume it, named by
`--principal` or else the caller as their own credentials (without the role) see them.
`--for task` prints what one service's running code may do: its task role's statements, git
lift's and the service config's `permissions`, with a word on its `managed_policies`.
"""

from __future__ import annotations

import json

from git_lift import limits, ui
from git_lift.errors import UsageError
from git_lift.flows.context import Context
from git_lift.flows.iam_scope import caller_before_role, policy_scope, task_policy
from git_lift.templates.iam_scope import Scope
from git_lift.templates.iam_statements import STACK_BOUNDARY, policy
from git_lift.templates.iam_trust import check_role_arn, principal, trust_policy

DEPLOYER_ROLE = "deployer-role"
TASK = "task"
PREVIEW = "preview"


def print_trust_policy(ctx: Context, env: str, principals: tuple[str, ...]) -> int:
    """The deployer role's trust policy; it asks nothing of the role, which may not be
    assumable before this policy is attached."""
    environment = ctx.environment(env)
    role_arn = environment.aws.role_arn
    if not role_arn:
        raise UsageError(
            f"{env} has no roleArn: its commands use your own credentials, no role to trust",
            hint=f"git config lift.env.{env}.roleArn arn:aws:iam::ACCOUNT:role/NAME",
        )
    check_role_arn(role_arn)
    who = [principal(arn) for arn in principals or (caller_before_role(ctx, env),)]
    document = trust_policy(who, environment.aws.external_id)
    name = role_arn.rsplit("/", 1)[1]
    ui.info(
        f"trust policy of {role_arn}, the role {env} is deployed with: who may assume it; "
        f"attach it in the role's account:\n  aws iam update-assume-role-policy "
        f"--role-name {name} --policy-document file://trust.json"
    )
    if not principals:
        ui.info(f"principal: {who[0].arns[0]} (you); name others with --principal ARN")
    ui.out(json.dumps(document, indent=2))
    return 0


def print_task_policy(ctx: Context, env: str, account: str | None) -> int:
    """The task role's effective policy: its inline statements, under the boundary."""
    p = task_policy(ctx, env, account)
    (t,) = p.scope.targets
    ui.info(
        f"task role {t.role_name('task')} of {t.name} in {t.env} ({p.scope.region}, account "
        f"{p.scope.account}): git lift's statements and the service config's permissions, "
        f"within the permissions boundary {p.scope.environment.boundary_policy} "
        f"(git lift iam-policy -e {t.env} --for boundary)"
    )
    managed = p.cfg.managed_policies
    if managed:
        ui.info(f"also attached, within the same boundary: {', '.join(managed)}")
    else:
        ui.info("no managed policies attached (managed_policies in the service config)")
    ui.out(json.dumps(p.document, indent=2))
    return 0


BOUNDARIES = ("boundary", STACK_BOUNDARY)


def boundary_steps(s: Scope, audience: str) -> str:
    """What the boundary is and how it is created; an environment made with the CloudFormation
    role under the services' boundary is upgraded in this order (README, "IAM policy")."""
    env = s.environment
    if audience == STACK_BOUNDARY:
        return (
            f"permissions boundary of the CloudFormation role {env.cloudformation_role} "
            f"{_where(s)}; create it once, before env create or env update:\n"
            f"  aws iam create-policy --policy-name {env.stack_boundary_policy} "
            "--policy-document file://stack-boundary.json\n"
            f"the roles its service stacks make carry {env.boundary_policy}: "
            f"git lift iam-policy -e {s.env} --for boundary"
        )
    return (
        f"permissions boundary of every role the service stacks make {_where(s)}: task, "
        f"execution, scheduled jobs' and traffic roles; create it once:\n"
        f"  aws iam create-policy --policy-name {env.boundary_policy} "
        "--policy-document file://boundary.json\n"
        f"the CloudFormation role has its own, {env.stack_boundary_policy}: "
        f"git lift iam-policy -e {s.env} --for stack-boundary\n"
        "where this boundary exists from an older git lift: create the other first, run "
        f"git lift env update -e {s.env}, then make this the boundary's version:\n"
        f"  aws iam create-policy-version --policy-arn {s.boundary} "
        "--policy-document file://boundary.json --set-as-default"
    )


def _where(s: Scope) -> str:
    return f"in {s.env} ({s.region}, account {s.account})"


def print_policy(
    ctx: Context,
    env: str,
    audience: str,
    account: str | None,
    principals: tuple[str, ...] = (),
) -> int:
    if audience == DEPLOYER_ROLE:
        return print_trust_policy(ctx, env, principals)
    if audience == TASK:
        return print_task_policy(ctx, env, account)
    s = policy_scope(ctx, env, account, previews=audience == PREVIEW)
    document = policy(audience, s)
    where = _where(s)
    if audience == "boundary":
        limits.check_managed_policy(
            document,
            f"the boundary of {s.env}",
            "use shorter names for the environment"
            + (" and its base" if s.environment.settings.preview else ""),
        )
    if audience in BOUNDARIES:
        ui.info(boundary_steps(s, audience))
    else:
        ui.info(f"IAM policy ({audience}) for {', '.join(s.services)} {where}:")
    if audience == PREVIEW:
        ui.info(
            f"previews {', '.join(s.services)} are each branch's; they read the config of "
            f"{s.environment.settings.preview.base if s.environment.settings.preview else '-'} "
            "(names and the service config only) and change nothing there"
        )
    if audience in ("developer", "admin", PREVIEW):
        ui.info(
            f"service stacks change through the role {s.environment.cloudformation_role}, which "
            f"env create makes under its permissions boundary "
            f"{s.environment.stack_boundary_policy} (git lift iam-policy -e {s.env} "
            f"--for stack-boundary); the roles it makes carry {s.environment.boundary_policy} "
            f"(git lift iam-policy -e {s.env} --for boundary)"
        )
    ui.out(json.dumps(document, indent=2))
    return 0
