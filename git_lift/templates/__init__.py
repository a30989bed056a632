"""CloudFormation templates built with troposphere; pure functions returning a Template.

This package's __init__ imports nothing from troposphere, so importing it stays cheap.
"""

from __future__ import annotations

from typing import Any


def to_json(template: Any) -> str:
    """Stable JSON: two-space indent, keys sorted, so renders and golden files diff cleanly."""
    return str(template.to_json(indent=2, sort_keys=True))


def to_yaml(template: Any) -> str:
    return str(template.to_yaml(clean_up=True))
