"""`git lift config`: a service's environment config in Parameter Store."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from git_lift import envfile, names, proc, ui
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.flows import config_apply, config_check, config_state, pinned, release_history
from git_lift.flows.config_check import SampleCheck, sample_keys, warn_unsampled
from git_lift.flows.config_report import checks_json, report_checks
from git_lift.flows.context import Context
from git_lift.flows.editor import edit_text, editor_for
from git_lift.plan import MASK
from git_lift.target import Target


def editor_text(t: Target, values: dict[str, str], missing: list[str]) -> str:
    lines = [
        f"# Config of {t} ({t.parameter_path}/ in Parameter Store).",
        "# One KEY=value a line (a line break in a value: \\n inside double quotes); delete a",
        "# line to remove that key. Lines starting with # are ignored. Save and close to review",
        "# the changes before anything is written; an empty file aborts.",
        "",
        envfile.render(values).rstrip("\n"),
    ]
    if missing:
        lines += ["", "# Named in env.sample but not in the store: uncomment and set them."]
        lines += [f"# {key}=" for key in missing]
    return "\n".join(lines).strip("\n") + "\n"


def parse_edited(ctx: Context, t: Target, text: str, current: dict[str, str]) -> dict[str, str]:
    parsed = envfile.parse_lines(text)
    if current and not parsed.entries and not parsed.problems:
        # As git aborts on an empty commit message; removing every key is `config unset`'s job.
        raise LiftError(
            "aborted: the file is empty; nothing was written",
            hint=f"to remove keys, use: git lift config unset -e {t.env} KEY...",
        )
    if parsed.problems:
        config_apply.save_raw(ctx, t, text)
        raise ValidationError(
            "the edited config has problems, nothing was written: "
            + "; ".join(f"line {problem.line}: {problem.message}" for problem in parsed.problems),
            hint=f"fix them with: {config_state.resume_hint(t)}",
        )
    return parsed.as_dict()


def removal(ctx: Context, allow_removing_required: bool) -> config_apply.Removal:
    return config_apply.Removal(
        frozenset(sample_keys(ctx, ctx.service())), allowed=allow_removing_required
    )


def writable_target(ctx: Context, env: str) -> Target:
    """The target of a write command, after saying whether an unfinished edit is pending."""
    t = ctx.target(env)
    config_apply.pending_notice(ctx, t)
    return t


def discard(ctx: Context, env: str) -> int:
    t = ctx.target(env)
    config_state.recover_interrupted(ctx, t)  # an interrupted apply's rest is dropped too
    if not config_apply.discard_resume(ctx, t):
        ui.info(f"no unfinished edit of {t}")
        return 0
    ui.info(f"discarded the unfinished edit of {t}")
    return 0


def edit(
    ctx: Context,
    env: str,
    *,
    resume: bool,
    show_values: bool,
    advanced: bool,
    allow_removing_required: bool = False,
    release: bool = False,
) -> int:
    t = ctx.target(env)
    editor = editor_for(
        ctx.repo,
        f"without an editor: git lift config set -e {env} KEY=VALUE..., "
        f"or git lift config import -e {env} FILE",
    )
    if not resume and config_apply.pending_notice(ctx, t):
        # As git refuses a new rebase while one is in progress: one unfinished edit at a time.
        raise LiftError(
            f"finish or drop the unfinished edit of {t} first; nothing was opened",
            hint=f"{config_state.resume_hint(t)}   (or: git lift config edit -e {env} --discard)",
        )
    base = ctx.parameters(t).read()
    values = {key: p.value for key, p in base.items()}
    if resume:
        text = config_apply.load_resume(ctx, t, base)
    else:
        missing = [key for key in sample_keys(ctx, t.service) if key not in values]
        text = editor_text(t, values, missing)
    edited = edit_text(editor, text, f"LIFT_CONFIG_{t.env}_{t.name}.env")
    desired = parse_edited(ctx, t, edited, values)
    code = config_apply.apply(
        ctx,
        t,
        base,
        desired,
        show_values=show_values,
        advanced=advanced,
        removal=removal(ctx, allow_removing_required),
        resuming=resume,
        keep_refused=True,
    )
    return then_release(ctx, env, code, release)


def then_release(ctx: Context, env: str, code: int, release: bool) -> int:
    """`--release`: once the write succeeded (or found nothing to change: the store may hold
    changes no release carries yet), release the config as release-config does."""
    if code != 0 or not release:
        return code
    # Here only: the release machinery is 49 modules that every other config command skips.
    from git_lift.flows import config_release

    return config_release.release_config(ctx, env)


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, item in enumerate(assignments, start=1):
        key, sep, value = item.partition("=")
        if not envfile.is_valid_key(key):
            # Not quoted: a value given without its `KEY=` would be echoed into logs.
            raise UsageError(
                f"argument {number}: not a valid key name, nor KEY=VALUE {names.NOT_SHOWN}",
                hint=names.KEY_HINT,
            )
        values[key] = value if sep else typed_value(key)
    return values


def typed_value(key: str) -> str:
    """A value typed without echo, or the next line of stdin when it is not a terminal."""
    pipe = f'printf %s "$VALUE" | git lift config set {key} -e ENV'
    with ui.prompted("nothing was written", hint=f"run it again, or pipe the value in: {pipe}"):
        typed = ui.prompt_secret(key)
    if typed is None:
        raise UsageError(
            f"no value for {key} arrived on stdin within {ui.STDIN_WAIT:.0f}s "
            "(it is not a terminal); nothing was written",
            hint=f"pipe the value in: {pipe}  (or give KEY=VALUE)",
        )
    return typed


def set_values(
    ctx: Context,
    env: str,
    assignments: Sequence[str],
    *,
    advanced: bool,
    show_values: bool,
    release: bool = False,
) -> int:
    changes = parse_assignments(assignments)  # validated before any AWS call
    code = write_values(ctx, env, changes, advanced=advanced, show_values=show_values)
    if code == 0 and not release:  # release-config says it of every such key itself
        warn_unsampled(ctx, ctx.target(env), changes)
    return then_release(ctx, env, code, release)


def write_values(
    ctx: Context, env: str, changes: dict[str, str], *, advanced: bool, show_values: bool
) -> int:
    """Set these keys (the others stay): diff, confirm, version check, write."""
    t = writable_target(ctx, env)
    base = ctx.parameters(t).read_keys(changes)
    desired = {key: p.value for key, p in base.items()} | changes
    return config_apply.apply(ctx, t, base, desired, show_values=show_values, advanced=advanced)


def unset(
    ctx: Context, env: str, keys: Sequence[str], *, allow_removing_required: bool = False
) -> int:
    names.keys(keys)
    t = writable_target(ctx, env)
    base = ctx.parameters(t).read_keys(keys)
    unknown = sorted(set(keys) - set(base))
    if unknown:
        ui.warn(f"not set in {env}: {', '.join(unknown)}")
    desired = {key: p.value for key, p in base.items() if key not in keys}
    return config_apply.apply(ctx, t, base, desired, removal=removal(ctx, allow_removing_required))


def read_import(path: str, fmt: str | None) -> dict[str, str]:
    fmt = fmt or ("json" if path.lower().endswith(".json") else "dotenv")
    try:
        text = (
            envfile.decode(sys.stdin.buffer.read(), "stdin")
            if path == "-"
            else envfile.read(Path(path))
        )
    except OSError as exc:
        # `import -e ENV KEY=VALUE` (set meant) must not print the value back.
        named = f"the file argument {names.NOT_SHOWN}" if "=" in path else path
        raise UsageError(
            f"cannot read {named}: {exc.strerror}",
            hint="name a readable file (to set keys: git lift config set -e ENV KEY=VALUE)",
        ) from exc
    parsed = envfile.parse_json(text) if fmt == "json" else envfile.parse(text)
    if parsed.problems:
        raise ValidationError(
            f"{path} has problems: " + "; ".join(p.render(path) for p in parsed.problems),
            hint='fix the file: one object of "KEY": "value" pairs'
            if fmt == "json"
            else "fix the file; one KEY=value a line",
        )
    return parsed.as_dict()


def import_values(
    ctx: Context,
    env: str,
    path: str,
    fmt: str | None,
    *,
    replace: bool,
    advanced: bool,
    allow_removing_required: bool = False,
    release: bool = False,
) -> int:
    incoming = read_import(path, fmt)
    t = writable_target(ctx, env)
    # Merging touches the file's keys only; replacing compares against every key.
    store = ctx.parameters(t)
    base = store.read() if replace else store.read_keys(incoming)
    desired = incoming if replace else {key: p.value for key, p in base.items()} | incoming
    code = config_apply.apply(
        ctx, t, base, desired, advanced=advanced, removal=removal(ctx, allow_removing_required)
    )
    return then_release(ctx, env, code, release)


def restore_removed(ctx: Context, env: str) -> int:
    """`restore --undo`: set the keys the last removals deleted back to their values."""
    t = writable_target(ctx, env)
    path = config_state.undo_path(ctx, t)
    if not path.exists():
        raise LiftError(
            f"no removed values of {t} are kept",
            hint=f"see old versions with: git lift config history -e {env} KEY",
        )
    saved = envfile.parse_lines(path.read_text(encoding="utf-8")).as_dict()
    base = ctx.parameters(t).read_keys(saved)
    code = config_apply.apply(ctx, t, base, {k: p.value for k, p in base.items()} | saved)
    path.unlink()
    return code


def restore(ctx: Context, env: str, spec: str) -> int:
    key, version = names.key_at_version(spec)
    store = ctx.parameters(writable_target(ctx, env))
    base = store.read_keys([key])
    old_value = store.value_at(key, version)
    desired = {k: p.value for k, p in base.items()} | {key: old_value}
    return config_apply.apply(ctx, store.target, base, desired)


def restore_release(ctx: Context, env: str, number: int) -> int:
    """`config restore -e ENV --release N`: release N's values back into Parameter Store,
    through the one apply path (diff, confirm, version check), so the next ship carries them.
    Keys the store has and release N did not run with are left alone."""
    t = writable_target(ctx, env)
    found = release_history.releases(ctx, t, 100)
    release = next((r for r in found if r.number == number), None)
    if release is None:
        raise LiftError(
            f"there is no release {number} of {t}",
            hint=f"list them: git lift history -e {t.env}",
        )
    values = pinned.values_of(ctx, release)
    base = ctx.parameters(t).read_keys(values)
    ui.info(f"config of release {number} ({release.commit[:12]}) -> {t.parameter_path}/")
    return config_apply.apply(ctx, t, base, {k: p.value for k, p in base.items()} | values)


def show(ctx: Context, env: str, *, show_values: bool) -> int:
    """Masked, it lists (DescribeParameters): names, versions and dates, nothing decrypted."""
    store = ctx.parameters(ctx.target(env))
    rows: dict[str, tuple[int, datetime | None, str | None]] = (
        {key: (p.version, None, p.value) for key, p in store.read().items()}
        if show_values
        else {key: (i.version, i.modified, None) for key, i in store.listing().items()}
    )
    if ctx.options.output == "json":
        ui.out(json.dumps({key: _shown(*row) for key, row in sorted(rows.items())}, indent=2))
        return 0
    if not rows:
        ui.info(f"no config for {store.target} ({store.path}/)")
    for key, (version, _, value) in sorted(rows.items()):
        ui.out(f"{key}={MASK if value is None else envfile.quote(value)}  (v{version})")
    return 0


def _shown(version: int, modified: datetime | None, value: str | None) -> dict[str, object]:
    shown: dict[str, object] = {"version": version, "value": MASK if value is None else value}
    if modified is not None:
        shown["modified"] = modified.isoformat()
    return shown


def get(ctx: Context, env: str, key: str) -> int:
    names.key(key)
    t = ctx.target(env)
    found = ctx.parameters(t).get(key)  # one GetParameter: nothing else is read or decrypted
    if found is None:
        raise LiftError(
            f"{key} is not set for {t}",
            hint=f"set it with: git lift config set -e {env} {key}=VALUE",
        )
    ui.out(found.value)
    return 0


def read_values(ctx: Context, env: str) -> dict[str, str]:
    return {key: p.value for key, p in ctx.parameters(ctx.target(env)).read().items()}


def export(ctx: Context, env: str, fmt: str) -> int:
    values = read_values(ctx, env)
    ui.out(
        json.dumps(values, indent=2, sort_keys=True)
        if fmt == "json"
        else envfile.render(values).rstrip("\n")
    )
    return 0


def run_with_config(ctx: Context, env: str, command: Sequence[str]) -> int:
    if not command:
        raise UsageError("no command to run", hint=f"git lift config exec -e {env} -- COMMAND ARGS")
    values = read_values(ctx, env)
    return proc.run_interactive(list(command), env=proc.clean_env(values))


def history(ctx: Context, env: str, key: str, *, show_values: bool) -> int:
    names.key(key)
    entries = ctx.parameters(ctx.target(env)).history(key, with_values=show_values)
    if not entries:
        raise LiftError(f"{key} has no history in {env}", hint=f"git lift config show -e {env}")
    for entry in sorted(entries, key=lambda e: e.version, reverse=True):
        when = entry.modified.strftime("%Y-%m-%d %H:%M") if entry.modified else "?"
        value = repr(entry.value) if entry.value is not None else MASK
        ui.out(f"{key}@{entry.version}  {when}  {entry.modified_by or '-'}  {value}")
    return 0


def diff(ctx: Context, envs: Sequence[str]) -> int:
    if len(envs) != 2:
        raise UsageError(
            "config diff compares two environments",
            hint="git lift config diff -e staging -e production",
        )
    first, second = (ctx.parameter_names(ctx.target(e)) for e in envs)
    only_first, only_second = sorted(set(first) - set(second)), sorted(set(second) - set(first))
    if ctx.options.output == "json":
        ui.out(
            json.dumps(
                {f"only_in_{envs[0]}": only_first, f"only_in_{envs[1]}": only_second}, indent=2
            )
        )
    else:
        for key in only_first:
            ui.out(f"< {key}  (only in {envs[0]})")
        for key in only_second:
            ui.out(f"> {key}  (only in {envs[1]})")
        if not only_first and not only_second:
            ui.info(f"{envs[0]} and {envs[1]} have the same keys")
    return 1 if only_first or only_second else 0


def check(ctx: Context, envs: Sequence[str], *, strict: bool, every: bool = False) -> int:
    """One listing per service and environment, all at once (bounded by in_parallel)."""
    services = ctx.services(every)
    chosen = [ctx.environment(e).name for e in envs] or sorted(ctx.settings.environments)
    checks = [
        SampleCheck(ctx.target(env, s), tuple(sample_keys(ctx, s)))
        for s in services
        for env in chosen
    ]
    results = iter(config_check.run(ctx, checks))
    by_service = [(s, [next(results) for _ in chosen]) for s in services]
    if len(services) == 1:
        return report_checks(
            by_service[0][1], services[0].name, strict=strict, output=ctx.options.output
        )
    if ctx.options.output == "json":
        ui.out(json.dumps([row for s, c in by_service for row in checks_json(c, s.name)], indent=2))
    codes = [
        report_checks(
            checks,
            service.name,
            strict=strict,
            output=ctx.options.output,
            sample=service.env_sample,
            fix_flags=ctx.service_flag(service.name),
            print_json=False,
            named=True,
        )
        for service, checks in by_service
    ]
    return max(codes)
