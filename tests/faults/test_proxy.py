"""The fault proxy itself: what each fault does to a real botocore client."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

from tests.support.proxy import Fault, FaultProxy


def ssm(proxy: FaultProxy, attempts: int = 1, read_timeout: float = 5) -> Any:
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": attempts}, read_timeout=read_timeout
    )
    return boto3.client("ssm", endpoint_url=proxy.url, config=config)


def put(client: Any, key: str) -> None:
    client.put_parameter(Name=f"/staging/api/{key}", Value="v", Type="SecureString")


def test_passes_through_then_cuts_after_k_matching_requests(fault_proxy: FaultProxy) -> None:
    fault_proxy.add(Fault("cut", action="PutParameter", after=2, sticky=True))
    client = ssm(fault_proxy)
    put(client, "A")
    put(client, "B")
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        put(client, "C")
    with pytest.raises(botocore.exceptions.ConnectionClosedError):  # sticky: the network is down
        client.get_parameters(Names=["/staging/api/A"])
    assert fault_proxy.count("PutParameter", "passed") == 2


def test_an_error_burst_is_retried_through_by_botocore(fault_proxy: FaultProxy) -> None:
    fault_proxy.add(Fault("error", status=503, count=2))
    put(ssm(fault_proxy, attempts=3), "A")
    assert fault_proxy.count("PutParameter", "error") == 2
    assert fault_proxy.count("PutParameter", "passed") == 1


def test_random_drops_are_the_same_for_the_same_seed(aws: Any) -> None:
    outcomes = []
    for _ in range(2):
        proxy = FaultProxy(aws.url).start()
        try:
            proxy.add(Fault("cut", rate=0.3, seed=42))
            client = ssm(proxy)
            for _ in range(20):
                with contextlib.suppress(botocore.exceptions.ConnectionClosedError):
                    client.describe_parameters()
            outcomes.append([outcome for _, outcome in proxy.requests])
        finally:
            proxy.stop()
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count("cut") < 20


def test_a_stall_never_answers_and_stop_releases_it(fault_proxy: FaultProxy) -> None:
    fault_proxy.add(Fault("stall"))
    started = time.monotonic()
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        put(ssm(fault_proxy, read_timeout=1), "A")
    assert time.monotonic() - started < 5
    fault_proxy.stop()
    assert fault_proxy.stopped.is_set()
