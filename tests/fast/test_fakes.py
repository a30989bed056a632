"""The fakes keep to the real wrappers' typed interfaces: a method renamed, added or re-typed in
git_lift/aws/ or git_lift/registry.py fails here until its fake follows, so in-process tests
never pass against an interface the product no longer has."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from git_lift import registry
from git_lift.aws.cfn import CloudFormation
from git_lift.aws.ecr import Ecr
from git_lift.aws.ecs import Ecs, EcsLookup
from git_lift.aws.factory import Aws
from git_lift.aws.identity import Identity, Keys
from git_lift.aws.logs import Logs
from git_lift.aws.network import Network
from git_lift.aws.notices import Notices
from git_lift.aws.schedules import Schedules
from git_lift.aws.secrets import SecretMetadata, Snapshots
from git_lift.aws.ssm import ParameterStore
from git_lift.aws.store import Store
from git_lift.aws.templates_bucket import TemplatesBucket
from tests.support.fakes import (
    FakeAws,
    FakeCloudFormation,
    FakeEcr,
    FakeEcs,
    FakeEcsLookup,
    FakeIdentity,
    FakeKeys,
    FakeLogs,
    FakeNetwork,
    FakeParameterStore,
    FakeRegistry,
    FakeSchedules,
    FakeSecretMetadata,
    FakeSnapshots,
    FakeStore,
    FakeTemplatesBucket,
)
from tests.support.fakes.notices import FakeNotices

PAIRS: list[tuple[type, type]] = [
    (FakeParameterStore, ParameterStore),
    (FakeSnapshots, Snapshots),
    (FakeSecretMetadata, SecretMetadata),
    (FakeStore, Store),
    (FakeEcs, Ecs),
    (FakeCloudFormation, CloudFormation),
    (FakeTemplatesBucket, TemplatesBucket),
    (FakeLogs, Logs),
    (FakeEcr, Ecr),
    (FakeIdentity, Identity),
    (FakeKeys, Keys),
    (FakeNetwork, Network),
    (FakeEcsLookup, EcsLookup),
    (FakeSchedules, Schedules),
    (FakeNotices, Notices),
    (FakeAws, Aws),
]
REGISTRY_TRANSPORT = ("manifest_digest", "manifest", "blob")  # what FakeRegistry.install swaps


def public(cls: type) -> dict[str, Any]:
    """Public methods and properties, by name, wherever in the class's bases they are."""
    found = {}
    for klass in reversed(cls.__mro__[:-1]):
        for name, member in vars(klass).items():
            if not name.startswith("_") and (callable(member) or isinstance(member, property)):
                found[name] = member
    return found


def own(fake: type, real: type) -> dict[str, Any]:
    """What the fake defines itself (in it or in bases between it and the real class)."""
    chain = fake.__mro__[: fake.__mro__.index(real)]
    return {n: m for k in reversed(chain) for n, m in vars(k).items() if not n.startswith("_")}


def signature(member: Any) -> inspect.Signature:
    if isinstance(member, property):
        assert member.fget is not None
        return inspect.signature(member.fget)
    return inspect.signature(inspect.unwrap(member))


def mismatches(fake: type, real: type) -> list[str]:
    """Real methods the fake neither defines nor names in INHERITED; fake methods whose
    signature (names, kinds, defaults, annotations) differs from the real one."""
    inherited: tuple[str, ...] = getattr(fake, "INHERITED", ())
    mine, theirs = own(fake, real), public(real)
    found = [f"{name}: not a method of {real.__name__}" for name in inherited if name not in theirs]
    for name, member in theirs.items():
        if name in mine:
            if signature(mine[name]) != signature(member):
                found.append(f"{name}{signature(mine[name])} != {signature(member)}")
        elif name not in inherited:
            found.append(f"{name}: not faked (define it, or name it in INHERITED)")
    return found


@pytest.mark.parametrize(("fake", "real"), PAIRS, ids=[real.__name__ for _, real in PAIRS])
def test_each_fake_has_its_wrappers_methods_with_the_same_signatures(
    fake: type, real: type
) -> None:
    assert issubclass(fake, real)
    assert mismatches(fake, real) == []


def test_the_fake_registry_has_the_transport_functions_of_the_registry_module() -> None:
    for name in REGISTRY_TRANSPORT:
        fake = inspect.signature(getattr(FakeRegistry, name))
        real = inspect.signature(getattr(registry, name))
        assert list(fake.parameters.values())[1:] == list(real.parameters.values()), name
        assert fake.return_annotation == real.return_annotation, name


def test_every_aws_wrapper_has_a_fake() -> None:
    """A new wrapper the factory hands out needs its fake (FakeAws overrides each one)."""
    made = {name for name, member in public(Aws).items() if name != "clients"}
    faked = set(own(FakeAws, Aws))
    assert made <= faked


def test_the_check_finds_a_renamed_a_retyped_and_a_missing_method() -> None:
    class Real:
        def get(self, key: str) -> int:
            return 0

        def put(self, key: str, value: str) -> None: ...

        def history(self, key: str) -> list[str]:
            return []

    class Fake(Real):
        INHERITED = ("history", "gone")

        def fetch(self, key: str) -> int:  # renamed: `get` is left unfaked
            return 1

        def put(self, key: str, value: int) -> None: ...  # re-typed

    assert mismatches(Fake, Real) == [
        "gone: not a method of Real",
        "get: not faked (define it, or name it in INHERITED)",
        "put(self, key: 'str', value: 'int') -> 'None'"
        " != (self, key: 'str', value: 'str') -> 'None'",
    ]
