"""The environment stack's CloudFormation role (templates/stack_role.py), as a resource, with
its managed policy (`Environment.cloudformation_policy`).

It lives in the environment stack, not a stack of its own made first: the environment stack is
changed with the admin's own credentials (it makes the VPC and load balancers, which no
developer may), so it never needs the role, and in it the role's policy can name the
environment's own VPC and load balancers, which exist only once the stack does.
"""

from __future__ import annotations

import re
from typing import Any

from troposphere import AWSObject, GetAtt, Ref, Sub, Tags, Template, iam

from git_lift.target import Environment
from git_lift.templates.stack_role import (
    RoleScope,
    inline_statements,
    managed_statements,
    trust_policy,
)
from git_lift.templates.task_policies import stack_boundary_arn

# What the policy's strings name that only the stack knows (Fn::Sub variables).
ACCOUNT = "${AWS::AccountId}"
_VARIABLE = re.compile(r"\$\{([A-Za-z]+)\}")


def add_stack_role(
    t: Template, env: Environment, region: str, vpc: object, load_balancers: list[AWSObject]
) -> iam.Role:
    """The role, with a policy naming `vpc` and the listeners of `load_balancers`."""
    variables: dict[str, object] = {"VpcId": vpc}
    names = []
    for lb in load_balancers:
        variables[lb.title] = GetAtt(lb, "LoadBalancerName")
        names.append(f"${{{lb.title}}}")
    scope = RoleScope(env, region, ACCOUNT, "${VpcId}", tuple(names))
    document = {"Version": "2012-10-17", "Statement": inline_statements(scope)}
    # Attached through the role's ManagedPolicyArns, not the policy's Roles: the policy is then
    # made first, and the role's update attaches it as it narrows its inline policy, so an
    # environment made before keeps its rights through `env update`.
    resources = t.add_resource(
        iam.ManagedPolicy(
            "CloudFormationRolePolicy",
            ManagedPolicyName=env.cloudformation_policy,
            Description=f"git lift {env.name}: the service stacks' resources, for CloudFormation",
            PolicyDocument=_sub(
                {"Version": "2012-10-17", "Statement": managed_statements(scope)}, variables
            ),
        )
    )
    return t.add_resource(
        iam.Role(
            "CloudFormationRole",
            RoleName=env.cloudformation_role,
            Description=f"git lift {env.name}: CloudFormation changes the service stacks with it",
            AssumeRolePolicyDocument=trust_policy(),
            PermissionsBoundary=_sub(stack_boundary_arn(env, region, ACCOUNT), variables),
            Policies=[
                iam.Policy(PolicyName="service-stacks", PolicyDocument=_sub(document, variables))
            ],
            ManagedPolicyArns=[Ref(resources)],
            Tags=Tags(env.tags),
        )
    )


def _sub(value: Any, variables: dict[str, object]) -> Any:
    """`value` with each string that names a variable or `${AWS::...}` as an Fn::Sub of the
    variables it uses; the rest as it is."""
    if isinstance(value, dict):
        return {k: _sub(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub(v, variables) for v in value]
    if isinstance(value, str) and "${" in value:
        used = {n: variables[n] for n in _VARIABLE.findall(value) if n in variables}
        return Sub(value, **used) if used else Sub(value)
    return value
