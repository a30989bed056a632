"""The package's source as the tests that read it see it (tests/test_layout.py,
tests/test_target.py): each file is read, parsed and walked once per session, not once per
check (issue 19: they walked every module's tree eleven times over). The trees are shared:
read them, never change them."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def tree(path: Path) -> ast.Module:
    return _tree(path, _version(path))


def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the file's tree, in ast.walk's order."""
    return _nodes(path, _version(path))


def _version(path: Path) -> tuple[int, int]:
    """In the key: a test that writes a file anew reads it anew."""
    found = path.stat()
    return found.st_mtime_ns, found.st_size


@cache
def _tree(path: Path, version: tuple[int, int]) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _nodes(path: Path, version: tuple[int, int]) -> tuple[ast.AST, ...]:
    return tuple(ast.walk(_tree(path, version)))
