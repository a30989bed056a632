"""The layout (issue 11): imports flow cli -> commands -> flows -> boundaries -> pure, never
up, and no modules import each other in a circle. Every import counts: at the top, under
TYPE_CHECKING, and the lazy ones inside functions (kept lazy for start-up time, not to hide an
arrow up)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import sources

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/

PACKAGE = Path(__file__).resolve().parent.parent / "git_lift"
TESTS = Path(__file__).resolve().parent

# Highest first; a module may import its own layer or any layer below it. The longest prefix
# that names a module decides its layer.
LAYERS: dict[str, tuple[str, ...]] = {
    "main": ("git_lift.__main__",),
    "cli": ("git_lift.cli",),
    "commands": ("git_lift.commands",),
    "flows": ("git_lift.flows",),
    "boundaries": (
        "git_lift.aws",
        "git_lift.repo",
        "git_lift.repo_base",
        "git_lift.repo_export",
        "git_lift.repo_objects",
        "git_lift.repo_read",
        "git_lift.repo_remote",
        "git_lift.proc",
        "git_lift.build",
        "git_lift.registry",
        "git_lift.image_copy",
        "git_lift.sandbox",
        "git_lift.crash",
        "git_lift.webhook",  # issue 24: a notice's POST (urllib)
    ),
    "pure": (
        "git_lift.__init__",  # the package itself: __version__
        "git_lift.settings",
        "git_lift.gitlift",
        "git_lift.setting_table",
        "git_lift.envfile",
        "git_lift.code_reads",  # issue 24: environment reads in code
        "git_lift.plan",
        "git_lift.servicecfg",
        "git_lift.containercfg",
        "git_lift.scalingcfg",
        "git_lift.sidecarcfg",
        "git_lift.jobcfg",
        "git_lift.strategycfg",
        "git_lift.processcfg",
        "git_lift.templates",
        "git_lift.target",
        "git_lift.names",
        "git_lift.limits",
        "git_lift.tree_paths",
        "git_lift.jsoncheck",
        "git_lift.secret_refs",
        "git_lift.lockfile",
        "git_lift.options",
        "git_lift.records",
        "git_lift.errors",
        "git_lift.ui",
        "git_lift.freeze",  # issue 24: freeze windows
        "git_lift.notice",  # issue 24: what a notice says
    ),
}
# The one home of each outside library (ruff's TID251 bans them elsewhere, per file; this says
# which library each home may use).
HOMES: dict[str, tuple[str, ...]] = {
    "click": ("git_lift.cli", "git_lift.ui"),
    "boto3": ("git_lift.aws.clients",),
    "botocore": ("git_lift.aws.clients",),
    "pygit2": (
        "git_lift.repo",
        "git_lift.repo_base",
        "git_lift.repo_export",
        "git_lift.repo_read",
        "git_lift.repo_remote",
    ),
    "subprocess": ("git_lift.proc",),
    "troposphere": ("git_lift.templates",),
    "moto": ("git_lift.sandbox",),
    "tree_sitter": ("git_lift.code_reads",),
}
RANK = {prefix: rank for rank, group in enumerate(reversed(LAYERS.values())) for prefix in group}
NAMES = dict(zip(range(len(LAYERS)), reversed(LAYERS), strict=True))


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in the file; `from a import b` yields a.b, which the
    layers resolve to a or a.b alike."""
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in sources.nodes(path):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)


def layer(module: str) -> int | None:
    """The rank of the longest prefix that names the module; None for a module outside."""
    parts = module.split(".") if "." in module else [module, "__init__"]
    for end in range(len(parts), 1, -1):
        rank = RANK.get(".".join(parts[:end]))
        if rank is not None:
            return rank
    return None


def imports(root: Path) -> dict[str, list[tuple[int, str]]]:
    """Each module of the package -> the package's modules it imports, with line numbers."""
    modules = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, list[tuple[int, str]]] = {}
    for name, path in modules.items():
        found = imported(name, path)
        graph[name] = [
            (line, target if target in modules else target.rpartition(".")[0])
            for line, target in found
            if target.split(".")[0] == root.name
        ]
    return graph


def away_from_home(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        for line, name in imported(module, path):
            homes = HOMES.get(name.split(".")[0], ())
            if homes and not any(module == h or module.startswith(h + ".") for h in homes):
                found.append(f"{module}:{line} imports {name}")
    return found


def arrows_up(root: Path) -> list[str]:
    found = []
    for module, targets in imports(root).items():
        rank = layer(module)
        for line, target in targets:
            to = layer(target)
            if rank is None or to is None or to > rank:
                where = f"{module}:{line} imports {target}"
                found.append(f"{where} ({describe(rank)} -> {describe(to)})")
    return found


def describe(rank: int | None) -> str:
    return "no layer" if rank is None else NAMES[rank]


def circles(root: Path) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), smallest name first."""
    graph = {m: sorted({t for _, t in ts if t != m}) for m, ts in imports(root).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([*group, node]))

    for node in graph:
        if node not in index:
            visit(node)
    return sorted(found)


def test_every_module_has_a_layer() -> None:
    strays = [m for m in imports(PACKAGE) if layer(m) is None]
    assert strays == [], "place these in LAYERS (tests/test_layout.py) and DESIGN's picture"


def test_no_import_runs_up_a_layer() -> None:
    assert arrows_up(PACKAGE) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert circles(PACKAGE) == []


def test_each_outside_library_is_imported_only_in_its_home() -> None:
    assert away_from_home(PACKAGE) == []


def imports_of_test_modules(root: Path) -> list[str]:
    """Imports, anywhere in the tests, of a test module (anything outside tests/support/): tests
    share helpers through tests/support/ and fixtures through conftest.py, never through another
    test module (whose fixtures, imported, pytest would run twice over and ruff's F811 flag)."""
    support = f"{root.name}.support"
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        for line, name in imported(module, path):
            inside = name.split(".")[0] == root.name
            if inside and name != support and not name.startswith(support + "."):
                found.append(f"{module}:{line} imports {name}")
    return found


def test_no_test_module_imports_another() -> None:
    assert imports_of_test_modules(TESTS) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "git_lift" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "git_lift"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # a flow reaching up into a command, lazily
            {
                "flows/rollout.py": "def f():\n    from git_lift.commands import ship\n",
                "commands/ship.py": "",
            },
            "git_lift.flows.rollout:2 imports git_lift.commands.ship (flows -> commands)",
        ),
        (  # an AWS wrapper importing a flow, relatively and under TYPE_CHECKING
            {
                "aws/ecs.py": "if TYPE_CHECKING:\n    from ..flows.deploy import Watch\n",
                "flows/deploy.py": "",
            },
            "git_lift.aws.ecs:2 imports git_lift.flows.deploy (boundaries -> flows)",
        ),
        (  # a pure module importing a boundary
            {"settings.py": "import git_lift.repo\n", "repo.py": ""},
            "git_lift.settings:1 imports git_lift.repo (pure -> boundaries)",
        ),
        (  # a module nobody placed
            {"helpers.py": "from git_lift import ui\n", "ui.py": ""},
            "git_lift.helpers:1 imports git_lift.ui (no layer -> pure)",
        ),
    ],
)
def test_the_checker_finds_an_arrow_up(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    assert arrows_up(write(tmp_path, files)) == [expected]


def test_the_checker_finds_a_circle_and_lets_arrows_down_pass(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "commands/ship.py": "from git_lift.commands import promote\nfrom git_lift import ui\n",
            "commands/promote.py": "def f():\n    from git_lift.commands.ship import g\n",
            "ui.py": "",
        },
    )
    assert arrows_up(root) == []
    assert circles(root) == [["git_lift.commands.promote", "git_lift.commands.ship"]]


def test_the_checker_finds_a_library_away_from_home(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "ui.py": "import click\n",
            "cli/base.py": "import click\n",
            "repo.py": "import subprocess\nimport pygit2\n",
            "flows/deploy.py": "def f():\n    from botocore.exceptions import ClientError\n",
        },
    )
    assert away_from_home(root) == [
        "git_lift.flows.deploy:2 imports botocore.exceptions.ClientError",
        "git_lift.repo:1 imports subprocess",
    ]


def test_the_checker_finds_a_test_module_imported_by_another(tmp_path: Path) -> None:
    root = tmp_path / "tests"
    for name, text in {
        "support/helpers.py": "X = 1\n",
        "test_a.py": "from tests.support.helpers import X\nfrom tests import support\n",
        "fast/test_b.py": "from tests.test_a import X\n",
        "fast/test_c.py": "from ..test_a import X\n",
        "conftest.py": "from tests.fast import test_b\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert imports_of_test_modules(root) == [
        "tests.conftest:1 imports tests.fast.test_b",
        "tests.fast.test_b:1 imports tests.test_a.X",
        "tests.fast.test_c:1 imports tests.test_a.X",
    ]


# Issue 19: commands reach AWS and git through flows, and through typed wrappers only.

COMMANDS = PACKAGE / "commands"
# The one command made of the others (`setup`: env create, service create, config set, ship).
COMPOSITE_COMMANDS = ("git_lift.commands.setup",)
# `ctx.aws.` and `ctx.repo.` calls left in commands/: each one moved into a flow (named for
# what it does) lowers this; it never goes up.
CONTEXT_CALLS_IN_COMMANDS = 13
CONTEXT_CALL = re.compile(r"\bctx\.(?:aws|repo)\.")


def plain_clients(root: Path) -> list[str]:
    """Calls that get a raw boto3 client (`.client(`, `.clients(`, `Clients(`) outside aws/."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        if module == f"{root.name}.aws" or module.startswith(f"{root.name}.aws."):
            continue
        for node in sources.nodes(path):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("client", "clients", "Clients"):
                found.append(f"{module}:{node.lineno} calls {name}(")
    return found


def command_arrows(root: Path) -> list[tuple[str, str]]:
    """(command, command it imports), but for the composite ones."""
    package = f"{root.name}.commands"
    return sorted(
        {
            (module, target)
            for module, targets in imports(root).items()
            for _, target in targets
            if module.startswith(package + ".")
            and target.startswith(package + ".")
            and target != module
            and module not in COMPOSITE_COMMANDS
        }
    )


def context_calls(folder: Path) -> int:
    return sum(len(CONTEXT_CALL.findall(p.read_text())) for p in folder.rglob("*.py"))


def test_no_plain_aws_client_outside_the_aws_package() -> None:
    assert plain_clients(PACKAGE) == []


def test_commands_import_no_command_but_setup() -> None:
    assert command_arrows(PACKAGE) == []


def test_commands_make_ever_fewer_aws_and_git_calls_of_their_own() -> None:
    found = context_calls(COMMANDS)
    assert found <= CONTEXT_CALLS_IN_COMMANDS, "move them into flows named for what they do"


def test_click_context_and_git_lift_context_have_different_names() -> None:
    clashing = [
        f"{path.name}:{node.lineno}"
        for path in sorted((PACKAGE / "cli").glob("*.py"))
        for node in sources.nodes(path)
        if isinstance(node, ast.arg) and node.arg == "ctx"
    ]
    assert clashing == [], "click's context is click_ctx in cli/; ctx is git lift's Context"


def test_the_checkers_find_a_plain_client_and_a_command_importing_a_command(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path,
        {
            "aws/clients.py": "def f(s):\n    return s.client('ecs')\n",
            "commands/adopt.py": "def f(ctx):\n    return ctx.aws.client('ecs')\n",
            "commands/init.py": "from git_lift.commands import hooks\n",
            "commands/hooks.py": "def g(ctx):\n    ctx.repo.head_sha()\n    ctx.aws.table()\n",
            "commands/setup.py": "from git_lift.commands import init\n",
            "flows/x.py": "from git_lift.aws.clients import Clients\nClients(None)\n",
        },
    )
    assert plain_clients(root) == [
        "git_lift.commands.adopt:2 calls client(",
        "git_lift.flows.x:2 calls Clients(",
    ]
    assert command_arrows(root) == [("git_lift.commands.init", "git_lift.commands.hooks")]
    assert context_calls(root / "commands") == 3


def context_copies(root: Path) -> list[str]:
    """`replace(ctx, ...)` outside flows/context.py: a Context copied with changes, where a
    method of Context would say what the copy is for."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        if module == f"{root.name}.flows.context":
            continue
        for node in sources.nodes(path):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name == "replace" and isinstance(first, ast.Name) and first.id == "ctx":
                found.append(f"{module}:{node.lineno}")
    return found


def test_a_context_is_copied_only_by_a_method_that_says_why() -> None:
    assert context_copies(PACKAGE) == [], "add a Context method (in_hook, answered, reloaded...)"


def test_the_checker_finds_a_context_copied_in_a_command(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "commands/hook_checks.py": "from dataclasses import replace\nreplace(ctx, hook=True)\n",
            "flows/context.py": "import dataclasses\ndataclasses.replace(ctx, hook=True)\n",
            "flows/x.py": "replace(check, keys=())\n",
        },
    )
    assert context_copies(root) == ["git_lift.commands.hook_checks:2"]
