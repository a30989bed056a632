"""In-memory fakes of every AWS wrapper (git_lift/aws/) and of the registry, each a subclass of
the real one with the same method signatures (tests/fast/test_fakes.py), the `FakeAws` factory
over them, and contexts on them (`world` for a deploy, `in_process` for any command): tests of
flows run in-process, in milliseconds.

    box = in_process(tmp_path)                 # a real repo and Context, on FakeAws
    box.aws.ssm.put("/staging/payments-api/API_TOKEN", "old")
    config_apply.apply(box.ctx, box.target(), base, desired)
    assert box.aws.ssm.writes() == [...]       # what AWS was asked
"""

from tests.support.fakes.aws import FakeAws
from tests.support.fakes.cfn import FakeCloudFormation, FakeStack, FakeTemplatesBucket
from tests.support.fakes.client import NoClient
from tests.support.fakes.clock import Clock
from tests.support.fakes.ecs import (
    ARN,
    BREAKER_AFTER,
    NEW_IMAGE,
    OLD_IMAGE,
    SERVICE_ARN,
    FakeDeployment,
    FakeEcs,
    definition,
)
from tests.support.fakes.identity import FakeEcsLookup, FakeIdentity, FakeKeys, FakeNetwork
from tests.support.fakes.images import FakeEcr, FakeRegistry
from tests.support.fakes.logs import FakeLogs
from tests.support.fakes.schedules import FakeSchedules
from tests.support.fakes.secrets import FakeSecretMetadata, FakeSnapshots, Secrets
from tests.support.fakes.ssm import FakeParameterStore, Parameters
from tests.support.fakes.table import FakeStore, Head
from tests.support.fakes.world import (
    NEW,
    OLD,
    SHA,
    TIMEOUT,
    FakeRepo,
    InProcess,
    World,
    behaves,
    in_process,
    replace_head,
    ship,
    world,
)

__all__ = [
    "ARN",
    "BREAKER_AFTER",
    "NEW",
    "NEW_IMAGE",
    "OLD",
    "OLD_IMAGE",
    "SERVICE_ARN",
    "SHA",
    "TIMEOUT",
    "Clock",
    "FakeAws",
    "FakeCloudFormation",
    "FakeDeployment",
    "FakeEcr",
    "FakeEcs",
    "FakeEcsLookup",
    "FakeIdentity",
    "FakeKeys",
    "FakeLogs",
    "FakeNetwork",
    "FakeParameterStore",
    "FakeRegistry",
    "FakeRepo",
    "FakeSchedules",
    "FakeSecretMetadata",
    "FakeSnapshots",
    "FakeStack",
    "FakeStore",
    "FakeTemplatesBucket",
    "Head",
    "InProcess",
    "NoClient",
    "Parameters",
    "Secrets",
    "World",
    "behaves",
    "definition",
    "in_process",
    "replace_head",
    "ship",
    "world",
]
