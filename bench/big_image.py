"""Copying a big image between registries (an environment in another account): peak RSS and
wall time of copying a 1 GB image, its one layer random data, from one real registry to
another. Blobs stream in chunks, so the peak stays near Python's own (issue 22 asks < 100 MB).

`rows(registry)` is called by bench/run.py with its registry as the source;
`python -m bench.big_image` starts both registries itself and prints the same row.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Row, print_table

SIZE = 1 << 30


def copy_row(source: str, destination: str, folder: Path) -> Row:
    from tests.support.image import push_random_image

    digest = push_random_image(source, "big", "v1", SIZE, folder)
    (folder / "layer.bin").unlink()  # the gigabyte it was pushed from
    # VmHWM: the copy's own peak since exec (getrusage's ru_maxrss would carry this
    # process's peak, the parent's, into the child on Linux).
    code = (
        "import re\n"
        "from git_lift.image_copy import Endpoint, copy\n"
        f"copy(Endpoint({source!r}, 'big'), {digest!r}, Endpoint({destination!r}, 'big'), 'v1')\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - start
    peak_mb = int(done.stdout.split()[-1]) / 1024  # kB
    return (
        f"copy a {SIZE >> 30} GB image between registries",
        "git lift image copy (streamed blobs)",
        "-",
        f"{elapsed:.1f} s, peak RSS {peak_mb:.0f} MB",
    )


def rows(source: str) -> list[Row]:
    from git_lift.sandbox.local_registry import start_registry

    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-image-"))
    try:
        with start_registry(str(folder / "destination")) as destination:
            return [copy_row(source, destination.address, folder)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from git_lift.sandbox.local_registry import start_registry

    folder = Path(tempfile.mkdtemp(prefix="git-lift-bench-image-"))
    try:
        with start_registry(str(folder / "source")) as source:
            print_table(rows(source.address))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
