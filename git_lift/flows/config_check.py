"""The keys an env.sample names against a target's store: names only, never a value.

Shared by `config check`, the hooks, ship, setup and the service stacks. Importing it imports
no AWS library: stores come from the context (`ctx.parameters`) when there is something to
ask, so a hook with nothing to ask never loads boto3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from git_lift import envfile, names, ui
from git_lift.errors import LiftError, ValidationError
from git_lift.flows.context import Context, in_parallel
from git_lift.plan import KeyCheck, check_keys
from git_lift.records import record
from git_lift.settings import ServiceSettings
from git_lift.target import Target


@record(frozen=True)
class SampleCheck:
    """The keys of one env.sample (work tree, staged, or at a pushed commit) against the
    store of one target."""

    target: Target
    keys: tuple[str, ...]
    asked_alone: bool = False  # ask about these keys alone (GetParameters): no extras
    whole: bool = False  # every key of a first env.sample: none of it can be set up yet


def sample_keys_from_text(service: ServiceSettings, text: str) -> list[str]:
    parsed = envfile.parse(text)
    if parsed.problems:
        raise ValidationError(
            f"{service.env_sample} is malformed: "
            + "; ".join(problem.render(service.env_sample) for problem in parsed.problems),
            hint=f"fix {service.env_sample} (one KEY=example per line)",
        )
    return parsed.keys


def sample_keys(ctx: Context, service: ServiceSettings) -> list[str]:
    """Keys the service's env.sample names (work tree); [] when it has none."""
    path = ctx.env_sample_path(service)
    if not path.exists():
        return []
    return sample_keys_from_text(service, envfile.read(path, service.env_sample))


def say_unread(ctx: Context, target: Target, keys: Iterable[str], sample: Sequence[str]) -> None:
    """Warn of `keys` in the target's config that `sample` (an env.sample's keys) does not
    name: the tasks read env.sample's keys alone, so they never read these (release-config,
    config set). A warning, never a refusal: the key may be for a release to come."""
    unread = sorted(set(keys) - set(sample))
    if not unread:
        return
    them = "them" if len(unread) > 1 else "it"
    ui.warn(
        f"{names.listed(unread)}: in {target.name}'s config in {target.env}, but "
        f"{target.service.env_sample} does not name {them}, so its tasks never read {them}"
    )
    ui.hint(
        f"add {them} to {target.service.env_sample}, commit, then: "
        f"git lift ship{ctx.service_flag(target.name)} -e {target.env}"
    )


def warn_unsampled(ctx: Context, target: Target, keys: Iterable[str]) -> None:
    """After `config set`: the keys just set that the work tree's env.sample does not name
    (a malformed env.sample is `config check`'s to report, not a reason to stop here)."""
    try:
        sample = sample_keys(ctx, target.service)
    except ValidationError:
        return
    say_unread(ctx, target, keys, sample)


def require_keys(ctx: Context, target: Target, keys: list[str], consequence: str) -> dict[str, int]:
    """The store's versions of `keys` (names only); a key it lacks stops what was about to
    happen, with the command that sets it."""
    present = ctx.parameter_names(target)
    missing = sorted(set(keys) - set(present))
    if missing:
        raise ValidationError(
            f"{target.env} lacks config that env.sample names: {names.listed(missing)}; "
            f"{consequence}",
            hint=f"git lift config set{ctx.service_flag(target.name)} -e {target.env} "
            f"{names.fix_assignments(missing)}",
        )
    return {key: present[key] for key in keys}


def require_at_commit(
    ctx: Context, target: Target, sha: str, consequence: str = "nothing was built"
) -> dict[str, int]:
    """env.sample at the commit against the store (names only); returns parameter versions.
    `consequence` says what a refusal stopped (a promotion builds nothing)."""
    text = ctx.repo.read_file_at(sha, target.service.env_sample) or ""
    keys = sample_keys_from_text(target.service, text)
    if target.preview is not None and target.base is not None:  # its base's, or its own
        own = [key for key in keys if key in target.preview.overridden]
        inherited = [key for key in keys if key not in own]
        versions = require_keys(ctx, target.base, inherited, consequence) if inherited else {}
        return {**versions, **(require_keys(ctx, target, own, consequence) if own else {})}
    return require_keys(ctx, target, keys, consequence)


def run(ctx: Context, checks: Sequence[SampleCheck]) -> list[KeyCheck]:
    """Names only, all checks in parallel; a failure of one is reported with the others.
    Building a client (no region, unknown profile) fails for all and raises."""
    stores = [ctx.parameters(c.target) for c in checks]  # clients built before threads share them

    def one(index: int) -> KeyCheck:
        check, env = checks[index], checks[index].target.env
        try:
            if check.asked_alone:
                present = stores[index].versions(check.keys)
                return KeyCheck(env, sorted(set(check.keys) - set(present)), [])
            return check_keys(env, list(check.keys), ctx.parameter_names(check.target))
        except LiftError as exc:
            return KeyCheck(env, [], [], error=exc.message)

    return in_parallel(range(len(checks)), one)


def not_set_up(ctx: Context, targets: Sequence[Target]) -> set[tuple[str, str]]:
    """(environment, service) of the targets that are not set up yet: the environment was
    never created, or the service never was in it (`setup` or `service create` never ran).
    A first env.sample's keys missing there are what `git lift setup` asks for, so the hooks
    say that rather than block. An adopted service is set up; a target whose records cannot
    be read is not counted (its check stands)."""

    def absent(t: Target) -> bool:
        if (t.env, t.name) in ctx.settings.targets or t.environment.aws.cluster:
            return False  # adopted: git lift keeps no records of what it did not create
        try:
            table = ctx.aws.table(t.env)
            return table.environment(t.env) is None or table.service_document(t) is None
        except LiftError:
            return False

    unique = list(dict.fromkeys(targets))
    gone = in_parallel(unique, absent)
    return {(t.env, t.name) for t, out in zip(unique, gone, strict=True) if out}
