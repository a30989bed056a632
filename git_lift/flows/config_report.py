"""How a config check is reported: missing keys fail, extra keys warn. No AWS library: the
pre-commit hook reports checks the names cache answered without importing boto3."""

from __future__ import annotations

import json
from collections.abc import Sequence

from git_lift import names, ui
from git_lift.plan import KeyCheck


def checks_json(checks: Sequence[KeyCheck], service: str) -> list[dict[str, object]]:
    return [
        {
            "environment": c.env,
            "service": service,
            "missing": c.missing,
            "extra": c.extra,
            "error": c.error,
        }
        for c in checks
    ]


def report_checks(
    checks: Sequence[KeyCheck],
    service: str,
    *,
    strict: bool,
    output: str,
    sample: str = "env.sample",
    fix_flags: str = "",
    print_json: bool = True,
    named: bool = False,
) -> int:
    """Missing keys fail, extra keys warn (fail if strict). `fix_flags` goes into the fix
    commands (` -s api` in a multi-service repo); `sample` names the file in messages;
    `named` puts the service on the ok line too (several services: `staging: api: ok`)."""
    if output == "json" and print_json:
        ui.out(json.dumps(checks_json(checks, service), indent=2))
    for c in checks:
        if c.error:
            ui.error(f"{c.env}: cannot check {service}: {c.error}")
            continue
        if c.missing:
            ui.error(
                f"{c.env}: {sample} names keys missing from {service}'s config: "
                f"{names.listed(c.missing)}",
                hint=f"git lift config set{fix_flags} -e {c.env} "
                f"{names.fix_assignments(c.missing)}"
                f"  (or: git lift config edit{fix_flags} -e {c.env})",
            )
        if c.extra:
            (ui.error if strict else ui.warn)(
                f"{c.env}: {service}'s config has keys {sample} does not name: "
                f"{names.listed(c.extra)}"
            )
            ui.hint(
                f"add them to {sample}, or: "
                f"git lift config unset{fix_flags} -e {c.env} {' '.join(c.extra[:12])}"
            )
        if c.ok and not c.extra and output != "json":
            ui.info(f"{c.env}: {service}: ok" if named else f"{c.env}: ok")
    failed = any(not c.ok or (strict and c.extra) for c in checks)
    return 1 if failed else 0
