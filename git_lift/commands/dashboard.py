"""`git lift dashboard`: what runs where, the releases across environments and the commits
between them, as one page served on loopback or written for a CI job to publish."""

from __future__ import annotations

from pathlib import Path

from git_lift import ui
from git_lift.flows.context import Context
from git_lift.flows.dashboard_page import page
from git_lift.flows.dashboard_server import Pages, serve, write_page
from git_lift.flows.interrupts import ends_quietly
from git_lift.flows.overview import Overview, overview
from git_lift.names import plural


def dashboard(ctx: Context, envs: tuple[str, ...], html: Path | None, port: int) -> int:
    view = overview(ctx, envs)  # read before serving: a bad credential fails here, once
    if html is not None:
        write_page(html, page(view))
        services, envs_shown = len(view.services), len(view.environments)
        shown = f"{plural(services, 'service')}, {plural(envs_shown, 'environment')}"
        ui.info(f"wrote {html}: {shown}")
        return unread(view)
    with ends_quietly():  # Ctrl-C is how it stops: exit 0, as `logs -f`
        serve(
            Pages(lambda: page(overview(ctx, envs)), page(view)),
            port,
            ready,
        )
    return 0


def ready(url: str) -> None:
    """The address is what the user asked for: on stdout, even with -q."""
    ui.out(f"dashboard at {url}")
    ui.info("read-only, on this machine only; Ctrl-C stops it")


def unread(view: Overview) -> int:
    """As `status`: a page where AWS could not be read is written, but CI hears of it."""
    failed = [c for c in view.cells.values() if c.error]
    if not failed:
        return 0
    ui.error(
        f"could not read {len(failed)} of {len(view.cells)}: "
        + ", ".join(f"{c.service} in {c.env}" for c in failed),
        hint="the page says why; check credentials and network, then run it again",
    )
    return 1
