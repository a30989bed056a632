"""`git lift setup -e ENV`: everything an environment needs for this service, then a ship.

Idempotent: it looks at what exists (the environment's record and stack, the service's config
document and stack, the keys env.sample names), prints what it will create, and creates only
what is missing, through the same commands a user would run one by one (`env create`,
`service create` with the default config, `config set` or `config import`, `ship`), so their
confirmations and checks apply unchanged. On a complete environment it just ships.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from git_lift import names, servicecfg, ui
from git_lift.commands import config as config_command
from git_lift.commands import infra_env, infra_service
from git_lift.commands.infra_service_edit import Edited
from git_lift.errors import OK, ValidationError
from git_lift.flows.config_check import sample_keys
from git_lift.flows.context import GITLIFT_FILE, Context


@dataclass(frozen=True)
class SetupPlan:
    env: str
    create_environment: bool
    create_service: bool
    missing_keys: tuple[str, ...]

    def lines(self, service: str) -> list[str]:
        return [
            f"environment {self.env}: "
            + ("create (network, cluster, load balancer)" if self.create_environment else "exists"),
            f"{service}'s service config and stack: "
            + ("create with the defaults" if self.create_service else "exist"),
            "config: "
            + (
                f"set {names.plural(len(self.missing_keys), 'key')} env.sample names: "
                f"{names.listed(self.missing_keys)}"
                if self.missing_keys
                else "complete"
            ),
            "then: ship the commit you are on",
        ]


def warn_uncommitted(ctx: Context, paths: list[str]) -> None:
    """A ship runs the commit: a .gitlift or env.sample that is only in the work tree is
    not what the release will read."""
    head = ctx.repo.head_sha()
    for path in paths:
        local = ctx.repo.workdir / path
        if local.is_file() and ctx.repo.read_file_at(head, path) != local.read_text("utf-8"):
            ui.warn(f"{path} is not committed: the ship runs {head[:12]}, with its own {path}")
            ui.hint(f"commit it (git add {path} && git commit), then ship again")


def plan(ctx: Context, env: str) -> SetupPlan:
    t = ctx.target(env)
    record = ctx.aws.table(t.env).environment(t.env)
    document = infra_service.stored(ctx, t) if record is not None else None
    names = ctx.parameter_names(t)
    keys = sample_keys(ctx, t.service)
    return SetupPlan(
        env=t.env,
        create_environment=record is None,
        create_service=document is None,
        missing_keys=tuple(key for key in keys if key not in names),
    )


def set_missing_keys(ctx: Context, p: SetupPlan, from_file: str | None) -> None:
    if from_file is not None:
        config_command.import_values(ctx, p.env, from_file, None, replace=False, advanced=False)
    elif ui.interactive():
        ui.info(f"Type the value of each key for {p.env} (not shown):")
        config_command.set_values(
            ctx, p.env, list(p.missing_keys), advanced=False, show_values=False
        )
    else:
        raise ValidationError(
            f"{p.env} lacks config that env.sample names: {names.listed(p.missing_keys)}; "
            "there is no terminal to ask for the values",
            hint=f"git lift setup -e {p.env} --from-file FILE (dotenv or JSON), or: "
            f"git lift config set -e {p.env} {names.fix_assignments(p.missing_keys)}",
        )
    ctx.forget_names()  # the ship's check must see the keys just written


def create_service(ctx: Context, env: str) -> None:
    t = ctx.target(env)
    doc = servicecfg.default_document(t.environment.confirm)
    edited = Edited(doc, servicecfg.parse(doc), json.dumps(doc, indent=2))
    resume = infra_service.command(t, "create", " --resume")
    infra_service.apply(ctx, t, None, edited, infra_service.DeployOptions(), resume)


def setup(ctx: Context, env: str, *, from_file: str | None) -> int:
    from git_lift.commands.ship import ShipRequest, ship

    service = ctx.service()
    warn_uncommitted(ctx, [GITLIFT_FILE, service.env_sample])
    p = plan(ctx, env)
    ui.info(f"Setting up {service.name} in {p.env}:")
    for line in p.lines(service.name):
        ui.info(f"  {line}")
    if p.create_environment:
        infra_env.create(ctx, p.env, infra_env.EnvFlags(), ask=False)
    if p.missing_keys:
        set_missing_keys(ctx, p, from_file)
    if p.create_service:
        create_service(ctx, p.env)
    return OK if ship(ctx, ShipRequest(env=p.env)) == OK else 1
