"""`git lift setup -e ENV`: everything an environment needs for this service, then a ship.

Idempotent: it looks at what exists (the environment's record and stack, the service's config
document and stack, the keys env.sample names), prints what it will create, and creates only
what is missing, through the same commands a user would run one by one (`env create`,
`service create` with the default config, `config set`, `ship`). Everything that would stop
it at its last step is checked before anything is created, and it asks once for the whole run:
the steps then go ahead as with `--yes`. An environment that releases on push (deployOnPush)
is prepared, not shipped: the push is its one release of the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from git_lift import names, servicecfg, ui
from git_lift.commands import config as config_command
from git_lift.commands import infra_env, infra_service
from git_lift.errors import OK, ValidationError
from git_lift.flows.committed import require_committed
from git_lift.flows.config_check import sample_keys
from git_lift.flows.confirmation import confirm
from git_lift.flows.context import GITLIFT_FILE, Context
from git_lift.flows.environment_record import find_record
from git_lift.flows.service_edit import Edited
from git_lift.flows.service_stack import DeployOptions, stack_missing, stored
from git_lift.settings import EnvironmentSettings
from git_lift.target import Target


@dataclass(frozen=True)
class SetupPlan:
    env: str
    create_environment: bool
    create_service: bool
    missing_keys: tuple[str, ...]
    ships: bool  # False where a push releases (deployOnPush)
    restores: int | None = None  # the config version a deleted service's stack comes back with

    @property
    def creates(self) -> bool:
        return self.create_environment or self.create_service or bool(self.missing_keys)

    def lines(self, service: str) -> list[str]:
        return [
            f"environment {self.env}: "
            + ("create (network, cluster, load balancer)" if self.create_environment else "exists"),
            f"{service}'s service config and stack: "
            + (
                f"version {self.restores} kept, stack: create"
                if self.restores
                else "create with the defaults"
                if self.create_service
                else "exist"
            ),
            "config: "
            + (
                f"set {names.plural(len(self.missing_keys), 'key')} env.sample names: "
                f"{names.listed(self.missing_keys)}"
                if self.missing_keys
                else "complete"
            ),
            "then: ship the commit you are on"
            if self.ships
            else f"then: nothing shipped ({self.env} releases when you push a ref it maps to)",
        ]


def require_shippable(ctx: Context, t: Target) -> None:
    """What `ship` would refuse at the end: a dirty work tree, and for an environment with
    `confirm` a commit that no remote branch has."""
    from git_lift.flows.shipping import dirty_hash, require_pushed

    head = ctx.repo.head_sha()
    dirty_hash(ctx, allow_dirty=False, confirm=t.environment.confirm)
    if t.environment.confirm:
        require_pushed(ctx, head, t.env)


def plan(ctx: Context, env: str) -> SetupPlan:
    t = ctx.target(env)
    record = find_record(ctx, t.env)
    document = stored(ctx, t) if record is not None else None
    deleted = document is not None and stack_missing(ctx, t)  # `service delete` keeps it
    names = ctx.parameter_names(t)
    keys = sample_keys(ctx, t.service)
    return SetupPlan(
        env=t.env,
        create_environment=record is None,
        create_service=document is None or deleted,
        missing_keys=tuple(key for key in keys if key not in names),
        ships=not t.environment.deploy_on_push,
        restores=document.version if document is not None and deleted else None,
    )


def values_source(ctx: Context, p: SetupPlan, from_file: str | None) -> dict[str, str] | None:
    """The values of the missing keys from --from-file (read and checked now), None when they
    are to be asked on the terminal; an error when neither can give them all."""
    if from_file is not None:
        values = config_command.read_import(from_file, None)
        lacking = [key for key in p.missing_keys if key not in values]
        if not lacking:
            return values
        raise ValidationError(
            f"{from_file} lacks keys that env.sample names and {p.env} lacks: "
            f"{names.listed(lacking)}",
            hint=f"add them to {from_file}, then run setup again",
        )
    if ui.interactive():
        return None
    raise ValidationError(
        f"{p.env} lacks config that env.sample names: {names.listed(p.missing_keys)}; "
        "there is no terminal to ask for the values",
        hint=f"git lift setup -e {p.env} --from-file FILE (dotenv or JSON), or: "
        f"git lift config set -e {p.env} {names.fix_assignments(p.missing_keys)}",
    )


def ask_values(env: str, keys: tuple[str, ...]) -> dict[str, str]:
    ui.info(f"Type the value of each key for {env} (not shown):")
    return {key: config_command.typed_value(key) for key in keys}


def create_service(ctx: Context, env: str) -> None:
    t = ctx.target(env)
    doc = servicecfg.default_document(t.environment.confirm)
    edited = Edited(doc, servicecfg.parse(doc), json.dumps(doc, indent=2))
    resume = infra_service.command(t, "create", " --resume")
    infra_service.apply(ctx, t, None, edited, DeployOptions(), resume)


def setup(ctx: Context, env: str, *, from_file: str | None) -> int:
    service = ctx.service()
    t = ctx.target(env, service)
    require_committed(ctx, [GITLIFT_FILE, service.env_sample])
    if not t.environment.deploy_on_push:
        require_shippable(ctx, t)
    p = plan(ctx, env)
    given = values_source(ctx, p, from_file) if p.missing_keys else {}
    ui.info(f"Setting up {service.name} in {p.env}:")
    for line in p.lines(service.name):
        ui.info(f"  {line}")
    if not p.creates:  # a complete environment: a ship, with the ship's own confirmation
        return finish(ctx, p, t)
    confirm(
        ctx,
        p.env,
        typed=t.environment.confirm,
        what=f"setting up {p.env}",
        refused="nothing was created",
        question=f"Set up {service.name} in {p.env}?",
        unattended=False,
    )
    values = ask_values(p.env, p.missing_keys) if given is None else given
    confirmed = ctx.answered()  # asked once, above
    if p.create_environment:
        infra_env.create(confirmed, p.env, infra_env.EnvFlags(), ask=False)
    if values:
        config_command.write_values(confirmed, p.env, values, advanced=False, show_values=False)
        confirmed.forget_names()  # the ship's check must see the keys just written
    if p.restores:
        document = stored(confirmed, t)
        assert document is not None  # found by the plan; versions are never deleted
        infra_service.restore(confirmed, t, document, DeployOptions())
    elif p.create_service:
        create_service(confirmed, p.env)
    return finish(confirmed, p, t)


def finish(ctx: Context, p: SetupPlan, t: Target) -> int:
    """Ship, or, where a push releases, name that push."""
    from git_lift.flows.shipping import ShipRequest, ship

    if p.ships:
        return OK if ship(ctx, ShipRequest(env=p.env)) == OK else 1
    ui.info(f"{t.name} is set up in {p.env}; it releases when you push a ref it maps to")
    ui.hint(f"{release_push(t.environment)} (or ship now: git lift ship -e {p.env})")
    return OK


def release_push(env: EnvironmentSettings) -> str:
    """The push that releases to `env`: a tag for a `refs/tags/PREFIX*` pattern."""
    for ref in env.refs:
        prefix = ref.removeprefix("refs/tags/").removesuffix("*")
        if ref.startswith("refs/tags/") and ref.endswith("*") and "*" not in prefix:
            return f"git tag {prefix}1.0.0 && git push origin {prefix}1.0.0"
    return f"push a ref that maps to {env.name} ({', '.join(env.refs)})"
