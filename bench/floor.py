"""The process floor alone (issue 22): the cold --help rows and the hook floor rows of
bench/RESULTS.md, in one run of about a minute, with the machine's load before and after
(`make bench` measures them with everything else, in about 5 minutes).

    python -m bench.floor
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import boto3

from bench.common import REGION, load, markdown, print_table, sandbox


def main() -> int:
    from bench.hooks import floor_rows
    from bench.run import help_rows

    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-floor-"))
    try:
        with sandbox() as server:
            before = load()
            rows = help_rows() + floor_rows(server, folder, boto3.client("ssm", region_name=REGION))
            after = load()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    print(f"\nload average 1/5/15 min {before} before, {after} after\n\n{markdown(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
