"""Several services released at once (issue 22): at most PARALLEL at a time, results in the
services' order."""

from __future__ import annotations

import threading
import time

from git_lift.flows.ship_many import PARALLEL, bounded


def test_releases_run_at_most_four_at_a_time_and_answer_in_order() -> None:
    lock = threading.Lock()
    running, peak = 0, 0

    def release(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return n

    assert bounded(list(range(20)), release) == list(range(20))
    assert PARALLEL == 4 and peak == PARALLEL
