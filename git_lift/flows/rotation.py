"""Rotation made visible: a Secrets Manager secret the config refers to (secret_refs.py) that
rotated or changed after the running release. Its tasks read the value when they started, so
they run the old one until a release starts new tasks (`git lift release-config -e ENV`).

Tasks a stack update (`service edit`) started after the release read the secret when they
started (release_history.running_release says when): a change before that is no notice.

Metadata only: DescribeSecret (its dates and the version AWSCURRENT labels), never a value, so
`status` and the pre-push hook may ask it. One DescribeSecret per referenced secret, in the
environment's own account and region; none when neither env.sample nor the saved service
config (`secret_refs`) refers to one. The hook reads the saved configs' references of all of
an environment's services in one table request (push_notes).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from git_lift import secret_refs, ui
from git_lift.errors import LiftError
from git_lift.flows.context import Context
from git_lift.records import record

if TYPE_CHECKING:  # a hook with no reference loads no AWS module
    from git_lift.aws.secrets import SecretDates
    from git_lift.aws.store import Release
    from git_lift.target import Target


@record(frozen=True)
class Rotated:
    key: str
    how: str  # "rotated" (Secrets Manager's rotation) or "changed" (a new value, by anyone)
    after: float  # seconds after the release was recorded
    release: int

    def line(self) -> str:
        return f"{self.key} {self.how} {span(self.after)} after release {self.release}"


def span(seconds: float) -> str:
    """A duration as a person says it: 40 min, 2 h, 3 d."""
    minutes = max(1, int(seconds // 60))
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def references(
    ctx: Context,
    target: Target,
    commit: str,
    *,
    stored: bool = True,
    document: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """KEY -> ARN of the secrets env.sample refers to at `commit`, in the environment's region,
    and (`stored`) those the service config saved for this environment names (`secret_refs`,
    which win for their keys: one DynamoDB read, none when the caller read it: `document`)."""
    text = ctx.repo.read_file_at(commit, target.service.env_sample) or ""
    region = target.environment.aws.region or ctx.settings.region
    found = secret_refs.for_environment(secret_refs.from_sample(text), region)
    if stored:
        from git_lift import servicecfg  # not on a hook's path

        if document is None:
            saved = ctx.aws.table(target.env).service_document(target)
            document = saved.doc if saved is not None else None
        if document is not None:
            found |= servicecfg.secret_refs_of_document(document)
    return found


def rotated_since(
    ctx: Context,
    target: Target,
    release: Release,
    document: Mapping[str, Any] | None = None,
    *,
    since: float | None = None,
) -> tuple[list[Rotated], list[str]]:
    """The referenced secrets that rotated or changed after `release` was recorded, or after
    `since` (when the running tasks started: a stack update may have started them after the
    release, and they read the secret then), and the keys whose secret could not be described
    (said, never fatal: it is a notice)."""
    refs = references(ctx, target, release.commit, document=document)
    dates, unread = described(ctx, target, refs)
    return changed_after(release, dates, since), unread


def described(
    ctx: Context, target: Target, refs: Mapping[str, str]
) -> tuple[dict[str, SecretDates], list[str]]:
    """KEY -> its secret's dates (one DescribeSecret each), and the keys not described."""
    if not refs:
        return {}, []
    metadata = ctx.aws.secret_metadata(target.env)
    found: dict[str, SecretDates] = {}
    unread: list[str] = []
    for key, arn in sorted(refs.items()):
        try:
            found[key] = metadata.dates(arn)
        except LiftError:
            unread.append(key)
    return found, unread


def changed_after(
    release: Release, described: Mapping[str, SecretDates], since: float | None = None
) -> list[Rotated]:
    """The secrets whose value changed after the running tasks started: `since`, or the
    release's time (each said as a time after the release)."""
    start = max(release.deployed_at, since or 0.0)
    found: list[Rotated] = []
    for key, dates in sorted(described.items()):
        noted = release.secret_versions.get(key)
        if noted is not None and noted == dates.current_version:
            continue  # AWSCURRENT is the version the release's tasks read: a tag moved, at most
        # LastRotatedDate: Secrets Manager's rotation; LastChangedDate: any change, a new value
        # put by hand among them (DescribeSecret in botocore's secretsmanager model).
        if dates.last_rotated is not None and dates.last_rotated > start:
            found.append(
                Rotated(key, "rotated", dates.last_rotated - release.deployed_at, release.number)
            )
        elif dates.last_changed is not None and dates.last_changed > start:
            found.append(
                Rotated(key, "changed", dates.last_changed - release.deployed_at, release.number)
            )
    return found


def tasks_started(ctx: Context, target: Target, releases: Sequence[Release]) -> float | None:
    """When the service's running tasks started, as release_history.running_release decides
    it; None when no release runs or ECS could not say (the release's time then: the notice
    stays). One DescribeServices, and DescribeTaskDefinition only when no release's revision
    runs. The hook asks it only when a secret changed after the release."""
    from git_lift.flows.release_history import running_release
    from git_lift.plan import service_container

    ecs = ctx.aws.ecs(target)
    try:
        state = ecs.describe()
        image = None  # needless when a release's own revision runs
        if all(r.task_definition != state.task_definition for r in releases):
            definition = ecs.task_definition(state.task_definition)
            image = service_container(definition, target.container).get("image")
    except LiftError:
        return None
    found = running_release(releases, state, str(image) if image else None)
    return found.since if found else None


def saved_refs(ctx: Context, targets: Sequence[Target]) -> dict[tuple[str, str], dict[str, str]]:
    """(environment, service) -> the secret_refs its saved service config names, for targets
    with one: one table request per environment for all its services (BatchGetItem), where
    reading each config would be one each. An environment that cannot be read is warned
    about and left out."""
    from git_lift import servicecfg  # not on a hook's path until it asks

    found: dict[tuple[str, str], dict[str, str]] = {}
    for env in dict.fromkeys(t.env for t in targets):
        try:
            saved = ctx.aws.table(env).saved_secret_refs([t for t in targets if t.env == env])
            for service, refs in saved.items():
                found[env, service] = servicecfg.secret_refs_of_document({"secret_refs": refs})
        except LiftError as exc:
            ui.warn(f"git lift: {env}: secrets rotated? unknown: {exc.message}")
    return {key: refs for key, refs in found.items() if refs}


def push_notes(
    ctx: Context, pushes: Sequence[tuple[Target, str, bool]], asked: Collection[str] = ()
) -> None:
    """The pre-push hook's notice, per (target, pushed commit, whether the push releases it):
    the secrets the pushed env.sample names by ARN, or the environment's saved service config
    names (`secret_refs`), that rotated after the release running there. The saved configs are
    read only for environments the push asks AWS about anyway (`asked`: their config was
    checked; or an env.sample names a secret there); then released() and DescribeSecret only
    for the services that refer to one. A failure to ask is a warning, never a refused push."""
    unique = list(dict.fromkeys(pushes))
    sampled = {
        (target, commit): references(ctx, target, commit, stored=False)
        for target, commit, _ in unique
    }
    reading = set(asked) | {target.env for (target, _), refs in sampled.items() if refs}
    stored = saved_refs(ctx, [t for t, _, _ in unique if t.env in reading]) if reading else {}
    for target, commit, releases in unique:
        saved = stored.get((target.env, target.name), {})
        if not sampled[target, commit] and not saved:
            continue
        from git_lift.flows.release_history import released  # AWS modules: only when asked

        try:
            history = released(ctx, target)
            running = next(iter(history), None)
            refs = references(ctx, target, running.commit, stored=False) | saved if running else {}
            dates, _ = described(ctx, target, refs)
            found = changed_after(running, dates) if running else []
            if running and found:  # tasks a stack update started since read it: no notice
                found = changed_after(running, dates, tasks_started(ctx, target, history))
        except LiftError as exc:
            ui.warn(f"git lift: {target.env}: secrets rotated? unknown: {exc.message}")
            continue
        fix = (
            "this push's release starts tasks that read it"
            if releases
            else f"new tasks read it: git lift release-config{ctx.service_flag(target.name)} "
            f"-e {target.env}"
        )
        for one in found:
            ui.warn(f"git lift: {target.env}: {one.line()} ({fix})")
