"""`git lift config sync -e ENV` (issue 24): make the store hold what the work tree's config
lock says, as after `git revert` of a lock change. Each key whose value is not the locked one
gets the value of its locked version back (GetParameters with `NAME:VERSION` selectors: "To
query by parameter version, use Name: name:version", botocore's ssm service-2.json,
GetParametersRequest.Names), checked against the lock's hash; keys the lock does not name are
removed. Through config_apply: the masked diff, the confirmation, the version check. The lock
is not rewritten: the values written back match its hashes, which is what a release checks.
"""

from __future__ import annotations

from git_lift import names
from git_lift.errors import LiftError
from git_lift.flows import config_apply
from git_lift.flows.config_lock import read_work_tree, where
from git_lift.flows.context import Context
from git_lift.target import Target


def sync(ctx: Context, target: Target, removal: config_apply.Removal) -> int:
    lock = read_work_tree(ctx, target)
    if lock is None:
        raise LiftError(
            f"there is no {where(target)} to sync {target} to",
            hint="record the store as it is: git lift config lock -e "
            f"{target.env}{ctx.service_flag(target.name)}",
        )
    store = ctx.parameters(target)
    base = store.read()
    desired = {
        key: base[key].value
        for key in lock.keys
        if key in base and lock.holds(key, base[key].value)
    }
    wanted = {key: item.version for key, item in lock.keys.items() if key not in desired}
    old = store.values_at(wanted) if wanted else {}
    # A version is gone when its parameter was deleted (DeleteParameter takes its history) or
    # pushed out ("Parameter Store retains the 100 most recently created versions": botocore's
    # ssm service-2.json, ParameterMaxVersionLimitExceeded); a version holding another value
    # means the name was deleted and recreated.
    lost = sorted(key for key in wanted if key not in old or not lock.holds(key, old[key]))
    if lost:
        raise LiftError(
            f"the values {where(target)} locks for {names.listed(lost)} are no longer in "
            f"Parameter Store (deleted, or past its 100 versions); nothing was written",
            hint=f"set them again: git lift config set -e {target.env}"
            f"{ctx.service_flag(target.name)} {names.fix_assignments(lost)}, then commit "
            f"{where(target)}",
        )
    desired |= old
    return config_apply.apply(ctx, target, base, desired, removal=removal, record_lock=False)
