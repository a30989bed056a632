"""The figures `make test` prints at its end (issue 19): test lines per source line, and the
in-process suite's time as pytest measured it (its JUnit report: the session's wall time).

    python -m bench.suite_report build/test-fast.xml

Lines are non-blank lines of Python: git_lift/ for the source, tests/ for the tests. The
in-process suite is tests/fast/ and the files marked `pytestmark = pytest.mark.fast`
(tests/conftest.py marks tests/fast/); `make test` runs it first, as its own session.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 1.2  # test lines per source line (pre-commit has 1.6, chalice 1.55)
FAST_TARGET = 30.0  # seconds for the in-process suite


def lines(folder: Path) -> int:
    return sum(
        1
        for path in folder.rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )


@dataclass(frozen=True)
class Suite:
    tests: int
    failed: int
    seconds: float


def suite(report: Path) -> Suite:
    """Totals of a JUnit report (pytest writes one <testsuite> inside <testsuites>)."""
    root = ET.parse(report).getroot()
    found = root if root.tag == "testsuite" else root.find("testsuite")
    assert found is not None, f"{report} holds no testsuite"
    failed = int(found.get("failures", 0)) + int(found.get("errors", 0))
    return Suite(int(found.get("tests", 0)), failed, float(found.get("time", 0.0)))


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(root: Path, fast: Path | None) -> list[str]:
    source, tests = lines(root / "git_lift"), lines(root / "tests")
    ratio = tests / source
    out = [
        f"test lines per source line: {ratio:.2f} ({tests} / {source} non-blank lines); "
        f"target {RATIO_TARGET}: {verdict(ratio >= RATIO_TARGET)}"
    ]
    if fast is not None and fast.exists():
        found = suite(fast)
        out.append(
            f"in-process suite: {found.tests} tests in {found.seconds:.1f}s "
            f"({found.failed} failed); target under {FAST_TARGET:.0f}s: "
            f"{verdict(found.seconds < FAST_TARGET)}"
        )
    else:
        out.append("in-process suite: no report (run `make test`)")
    return out


def main(argv: list[str]) -> int:
    fast = Path(argv[0]) if argv else None
    print("\n".join(report(ROOT, fast)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
