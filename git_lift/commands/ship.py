"""`git lift ship`: resolve -> plan -> show -> confirm -> execute. The flow itself is
flows/shipping.py, which the release of a pushed tag (the pre-push hook) shares."""

from __future__ import annotations

from git_lift.flows.shipping import ShipRequest, resolve_environment, ship

__all__ = ["ShipRequest", "resolve_environment", "ship"]
