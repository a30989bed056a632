"""The editor step of `service create|edit`: a JSON document with # comments, validated with
the JSON path of every problem; an invalid edit is reopened with the problems as comments
(on a terminal) or kept for `--resume`, as git keeps a failed commit message. Without a
terminal no editor opens (it would wait for ever): the document comes from --file, the
defaults or the kept edit, validated the same way."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from git_lift import containercfg, servicecfg, ui
from git_lift.errors import Interrupted, LiftError, UsageError, ValidationError
from git_lift.flows import config_state
from git_lift.flows.config_check import sample_keys
from git_lift.flows.context import Context
from git_lift.flows.editor import edit_text, editor_for, write_private
from git_lift.servicecfg import ServiceConfig, ServiceConfigError
from git_lift.target import Target
from git_lift.templates.app_permissions import refusals

PROBLEM_PREFIX = "#!"


@dataclass(frozen=True)
class Edited:
    doc: dict[str, object]
    cfg: ServiceConfig
    text: str  # what the user saved, to keep if applying it fails


def editor_text(doc: dict[str, object], header: list[str]) -> str:
    intro = [
        *header,
        "# JSON; lines starting with # are ignored. Save and close to review the changes",
        "# before anything is saved; an empty file aborts. Fields are described in the",
        '# README ("Service config"). Leave out http_interface for a worker.',
    ]
    return (
        "\n".join(f"# {h}" if not h.startswith("#") else h for h in intro)
        + "\n"
        + (json.dumps(doc, indent=2, sort_keys=True) + "\n")
    )


def without_comments(text: str) -> str:
    """Comment lines become empty lines, so JSON error positions still match the file.
    A JSON line never starts with # (strings cannot hold a raw newline)."""
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.split("\n"))


def with_problems(text: str, problems: list[str]) -> str:
    """The text with the previous problem comments replaced by these."""
    kept = [line for line in text.split("\n") if not line.startswith(PROBLEM_PREFIX)]
    noun = "problem" if len(problems) == 1 else "problems"
    block = [f"{PROBLEM_PREFIX} {len(problems)} {noun} to fix, then save again:"]
    block += [f"{PROBLEM_PREFIX}   {p}" for p in problems]
    return "\n".join([*block, *kept])


def parse_text(
    text: str, t: Target, secret_names: list[str] | None = None
) -> tuple[dict[str, object], ServiceConfig]:
    """The document and its config; ServiceConfigError lists every problem: statements that
    t's environment's permissions boundary would deny, and with `secret_names` (env.sample's
    keys) a plain variable of the same name."""
    body = without_comments(text)
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ServiceConfigError([f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from exc
    cfg = servicecfg.parse(doc)  # an array or a number fails here, with its path
    assert isinstance(doc, dict)
    refused = refusals(cfg.permissions, cfg.managed_policies, t) + [
        f"$.environment.{key}: is in env.sample too (a secret); keep it in one of them"
        for key in containercfg.clashes(cfg.environment, secret_names or [])
    ]
    if refused:
        raise ServiceConfigError(refused)
    return doc, cfg


def resume_path(ctx: Context, t: Target) -> Path:
    return config_state.private_path(ctx, t, "service-edit", ".json")


def keep(ctx: Context, t: Target, text: str) -> Path:
    path = resume_path(ctx, t)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    write_private(path, text)
    return path


def kept_text(ctx: Context, t: Target, command: str) -> str:
    path = resume_path(ctx, t)
    if not path.exists():
        raise UsageError(
            f"there is no unfinished edit of {t.name} in {t.env}", hint=f"start one: {command}"
        )
    return path.read_text(encoding="utf-8")


def discard(ctx: Context, t: Target) -> None:
    resume_path(ctx, t).unlink(missing_ok=True)


def read_document(path: Path) -> str:
    """The text of a --file: JSON, with # comment lines as in the editor."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte {exc.start})", hint="save it as UTF-8 JSON"
        ) from exc
    except OSError as exc:
        raise UsageError(
            f"cannot read {path}: {exc.strerror}", hint="check the path and its permissions"
        ) from exc


def as_given(t: Target, text: str, fix_hint: str) -> Edited:
    """A document that no editor opens (--file, the defaults, a kept edit without a
    terminal), validated as an edited one is."""
    if not without_comments(text).strip():
        raise UsageError("the service config is empty; nothing was saved", hint=fix_hint)
    try:
        doc, cfg = parse_text(text, t)
    except ServiceConfigError as exc:
        raise ValidationError(f"{exc.message}\nnothing was saved", hint=fix_hint) from exc
    return Edited(doc, cfg, text)


def edit_loop(ctx: Context, t: Target, text: str, resume_command: str) -> Edited:
    """Edit until the document is valid; an empty file aborts."""
    editor = editor_for(ctx.repo, "without an editor, give the service config with --file PATH")
    secrets = sample_keys(ctx, t.service)
    while True:
        edited = edit_text(editor, text, f"LIFT_SERVICE_{t.env}_{t.name}.json")
        if not without_comments(edited).strip():
            raise LiftError("aborted: the file is empty; nothing was saved")
        try:
            doc, cfg = parse_text(edited, t, secrets)
        except ServiceConfigError as exc:
            text = with_problems(edited, exc.problems)
            if ui.interactive():
                ui.error(exc.message)
                kept = "nothing was saved, your edit is kept"
                try:
                    with ui.prompted(kept, hint=f"fix them with: {resume_command}"):
                        reopen = ui.confirm("Reopen the editor to fix them?")
                except Interrupted:
                    keep(ctx, t, text)  # the edit is not lost to a Ctrl-C
                    raise
                if reopen:
                    continue
            keep(ctx, t, text)
            raise ValidationError(
                f"{exc.message}\nnothing was saved", hint=f"fix them with: {resume_command}"
            ) from exc
        return Edited(doc, cfg, edited)
