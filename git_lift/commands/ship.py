"""`git lift ship`: resolve -> plan -> show -> confirm -> execute. The flow itself is
flows/shipping.py, which the release of a pushed tag (the pre-push hook) shares; `ship --all`
is flows/ship_many.py, every service with something to release, in parallel."""

from __future__ import annotations

from git_lift.flows.context import Context
from git_lift.flows.ship_many import ship_services
from git_lift.flows.shipping import ShipRequest, resolve_environment, ship

__all__ = ["ShipRequest", "resolve_environment", "ship", "ship_all"]


def ship_all(ctx: Context, request: ShipRequest) -> int:
    """Every service of the repository: those with nothing to release are skipped."""
    return ship_services(ctx, request, ctx.services(every=True)).code
