"""`git lift config check --code`: the environment variables the code reads against env.sample
(flows/code_check.py). Names only, no AWS request."""

from __future__ import annotations

import json

from git_lift import code_reads, names, ui
from git_lift.errors import FAILED, OK, LiftError
from git_lift.flows.code_check import tree_reports
from git_lift.flows.context import Context


def check_code(ctx: Context, *, every: bool) -> int:
    """Exit 1 when the code reads a name env.sample lacks (and the platform does not set)."""
    try:
        reports = tree_reports(ctx, ctx.services(every))
    except code_reads.ParsersMissing as exc:
        raise LiftError(
            f"cannot look for environment reads: {exc.module} is not installed",
            hint=code_reads.INSTALL_HINT,
        ) from exc
    if ctx.options.output == "json":
        rows = [
            {
                "service": r.service.name,
                "files": r.files,
                "reads": len(r.reads),
                "lacking": {name: [x.where for x in reads] for name, reads in r.lacking.items()},
            }
            for r in reports
        ]
        ui.out(json.dumps(rows, indent=2))
    failed = False
    for report in reports:
        lacking, sample = report.lacking, report.service.env_sample
        head = (
            f"{report.service.name}: {names.plural(report.files, 'source file')}, "
            f"{names.plural(len(report.reads), 'environment read')}"
        )
        if not lacking:
            ui.info(f"{head}: every name is in {sample} or set by the platform")
            continue
        failed = True
        if ctx.options.output != "json":
            for name, reads in lacking.items():
                more = f" (and {len(reads) - 1} more)" if len(reads) > 1 else ""
                ui.out(f"{name}  {reads[0].where}{more}")
        ui.error(
            f"{head}: {names.plural(len(lacking), 'name')} {sample} lacks: "
            f"{names.listed(list(lacking))}",
            hint=f"add {names.fix_assignments(list(lacking))} to {sample} with example values",
        )
    return FAILED if failed else OK
