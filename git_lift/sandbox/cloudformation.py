"""CloudFormation change sets as AWS runs them, on top of moto 5.2.5.

moto executes a change set without the bookkeeping `create_stack`/`update_stack` do:

- a stack made by a CREATE change set resolves `Fn::ImportValue` against a private empty
  dict instead of the account's exports, so a service stack cannot import the environment's;
- executing a change set leaves the stack's outputs as they were (none for a new stack) and
  registers none of its exports.

`repair` fixes both after each CloudFormation request; it is idempotent and only touches
stacks that need it. The sandbox server calls it with the request's account and region.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import cloudformation_backends


def repair(account: str, region: str) -> None:
    try:
        backend = cloudformation_backends[account][region]
    except KeyError:
        return
    for stack in list(backend.stacks.values()):
        _share_exports(backend, stack)
        if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            _refresh_outputs(backend, stack)


def _share_exports(backend: Any, stack: Any) -> None:
    if stack.cross_stack_resources is not backend.exports:
        stack.cross_stack_resources = backend.exports
        stack.resource_map.cross_stack_resources = backend.exports


def _refresh_outputs(backend: Any, stack: Any) -> None:
    """Outputs and exports from the template the stack has now (an executed change set's)."""
    if not isinstance(stack.template, str):
        return
    template = stack.parse_template(stack.template)
    # Look at the outputs only when the template has some: moto's OutputMap cannot take len()
    # of a stack without any.
    if template == stack.template_dict and (not template.get("Outputs") or stack.output_map):
        return
    stack.template_dict = template
    stack.description = template.get("Description")
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        backend.exports[export.name] = export
