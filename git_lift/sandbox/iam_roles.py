"""IAM roles that CloudFormation makes, kept as AWS keeps them, on top of moto 5.2.5.

moto's AWS::IAM::Role puts the role's inline policies when a stack creates it (as a Python
dict, which GetRolePolicy then returns as its repr), but ignores ManagedPolicyArns, and a stack
update changes only the role's description: a service config's
`permissions` and `managed_policies` would never reach its task role, nor an environment's
CloudFormation role its own boundary. `patch_roles` makes a create attach the managed policies
and an update bring them and the permissions boundary to what the template says; a delete
detaches them first, and a stack's AWS::IAM::ManagedPolicy is deleted with it.

moto loads none of AWS's managed policies by default (all of them would slow every account's
first IAM request); one is made in the account when a role first names it, from moto's own
copy, so an ARN that AWS does not have fails the stack, as it does on AWS.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

_patched = False


def patch_roles() -> None:
    """Install the patch described above (once per process)."""
    global _patched
    if _patched:
        return
    from moto.iam.models import Role

    create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    update = Role.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    # moto calls create with positional arguments, update with these keywords.
    def created(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        role = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _sync(role, cloudformation_json["Properties"], account_id, region_name)
        return role

    def updated(
        cls: Any,
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        role = update(
            cls,
            original_resource=original_resource,
            new_resource_name=new_resource_name,
            cloudformation_json=cloudformation_json,
            account_id=account_id,
            region_name=region_name,
        )
        _sync(role, cloudformation_json["Properties"], account_id, region_name)
        return role

    delete = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def deleted(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        # AWS's role delete handler detaches the managed policies first (its CloudFormation
        # schema: DetachRolePolicy, ListAttachedRolePolicies); moto's refuses the role instead.
        backend = _backend(account_id, region_name)
        role = next((r for r in backend.roles.values() if r.name == resource_name), None)
        for arn in list(role.managed_policies) if role is not None else []:
            backend.detach_role_policy(arn, resource_name)
        delete(cls, resource_name, cloudformation_json, account_id, region_name)

    setattr(Role, "create_from_cloudformation_json", classmethod(created))  # noqa: B010
    setattr(Role, "update_from_cloudformation_json", classmethod(updated))  # noqa: B010
    setattr(Role, "delete_from_cloudformation_json", classmethod(deleted))  # noqa: B010
    _patch_managed_policies()
    _patched = True


def _patch_managed_policies() -> None:
    """moto's AWS::IAM::ManagedPolicy has no delete: the policy a stack made (the environment's
    CloudFormation role's, templates/environment_role.py) would outlive the stack, and the
    role it is attached to could not be deleted. Deleting it detaches it and deletes it, as
    AWS's handler does (DetachRolePolicy, DeletePolicyVersion, DeletePolicy)."""
    from moto.iam.models import ManagedPolicy

    def deleted(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backend = _backend(account_id, region_name)
        policy = backend.managed_policies.get(resource_name)  # its physical id is its ARN
        if policy is None:
            return
        for role in backend.roles.values():
            if resource_name in role.managed_policies:
                backend.detach_role_policy(resource_name, role.name)
        backend.delete_policy(resource_name)

    setattr(ManagedPolicy, "delete_from_cloudformation_json", classmethod(deleted))  # noqa: B010


def _backend(account: str, region: str) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account][get_partition(region)]


def _sync(role: Any, properties: dict[str, Any], account: str, region: str) -> None:
    """The role's inline and managed policies and its boundary as `properties` name them."""
    backend = _backend(account, region)
    role.permissions_boundary_arn = properties.get("PermissionsBoundary") or None
    inline = {p["PolicyName"]: p["PolicyDocument"] for p in properties.get("Policies", [])}
    for name in [n for n in role.policies if n not in inline]:
        role.delete_policy(name)
    for name, document in inline.items():
        # As JSON, which IAM's GetRolePolicy returns (moto would keep the dict's repr).
        role.put_policy(name, document if isinstance(document, str) else json.dumps(document))
    managed = list(properties.get("ManagedPolicyArns", []))
    for arn in [a for a in role.managed_policies if a not in managed]:
        backend.detach_role_policy(arn, role.name)
    for arn in [a for a in managed if a not in role.managed_policies]:
        _aws_managed(backend, arn)
        backend.attach_role_policy(arn, role.name)


def _aws_managed(backend: Any, arn: str) -> None:
    """Make AWS's managed policy `arn` in the account, when it is one moto knows."""
    if arn in backend.managed_policies or ":iam::aws:policy/" not in arn:
        return
    from moto.iam.models import AWSManagedPolicy

    name = arn.rsplit("/", 1)[1]
    data = _aws_policies().get(name)
    if data is not None:
        policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
        if policy.arn == arn:
            backend.managed_policies[arn] = policy


@cache
def _aws_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    found: dict[str, Any] = json.loads(aws_managed_policies_data)
    return found
