"""`git lift iam-policy`: print a least-privilege IAM policy for what git lift does in one
environment. The statements are data in templates/iam_statements.py (the audiences are
described there); this looks up the scope (services, region, account, KMS key, the
environment's network from its record) and prints.
"""

from __future__ import annotations

import json

from git_lift import ui
from git_lift.flows.context import Context
from git_lift.templates.iam_scope import Scope, network
from git_lift.templates.iam_statements import policy


def scope(ctx: Context, env: str, account: str | None) -> Scope:
    from git_lift.aws.identity import account_id, key_arn

    environment = ctx.environment(env)
    services = [ctx.service()] if ctx.options.service else ctx.services(every=True)
    sts = ctx.aws.client("sts", environment.name)
    record = ctx.aws.table(environment.name).environment(environment.name)
    return Scope(
        targets=tuple(ctx.target(environment.name, service) for service in services),
        region=str(ctx.settings.region or sts.meta.region_name),
        account=account or account_id(sts),
        kms_key_arn=key_arn(ctx.aws.client("kms", environment.name), ctx.settings.kms_key),
        network=network(record.outputs) if record else None,
        pins_config=environment.pins_config,
    )


def print_policy(ctx: Context, env: str, audience: str, account: str | None) -> int:
    s = scope(ctx, env, account)
    document = policy(audience, s)
    where = f"in {s.env} ({s.region}, account {s.account})"
    boundary = s.environment.boundary_policy
    if audience == "boundary":
        ui.info(
            f"permissions boundary of every task and execution role {where}; create it once:\n"
            f"  aws iam create-policy --policy-name {boundary} "
            "--policy-document file://boundary.json"
        )
    else:
        ui.info(f"IAM policy ({audience}) for {', '.join(s.services)} {where}:")
    if audience in ("developer", "admin"):
        ui.info(
            f"service stacks create roles only under the permissions boundary "
            f"{boundary}: git lift iam-policy -e {s.env} --for boundary"
        )
        if s.network is None:
            ui.info(
                f"{s.env} does not exist yet: security groups and listener rules of service "
                f"stacks are left out; print this again after: git lift env create -e {s.env}"
            )
    ui.out(json.dumps(document, indent=2))
    return 0
