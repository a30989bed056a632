"""The environment variables a source file reads, found by tree-sitter's parsers (issue 24,
"Code that names its config"); pure.

Only reads whose name is a string literal count: `os.environ["X"]`, `os.environ.get("X")`,
`os.getenv("X")` (Python), `process.env.X`, `process.env["X"]`, `const {X} = process.env`
(JavaScript), `ENV["X"]`, `ENV.fetch("X")` (Ruby), `os.Getenv("X")`, `os.LookupEnv("X")` (Go),
`System.getenv("X")` (Java). A write (`process.env.X = ...`, `ENV["X"] = ...`) is no read.

The grammars are imported on first use, never by importing this module: a hook whose commit
stages no source file loads none of them. They are the optional extra `git-lift[code]`.
"""

from __future__ import annotations

import importlib
import shlex
from collections.abc import Iterable
from functools import cache
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from git_lift import names

INSTALL_HINT = "pip install 'git-lift[code]'"

# File name endings -> language. TypeScript is not here: its grammar is not in the extra.
LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".rb": "ruby",
    ".go": "go",
    ".java": "java",
}
GRAMMARS = {
    "python": "tree_sitter_python",
    "javascript": "tree_sitter_javascript",
    "ruby": "tree_sitter_ruby",
    "go": "tree_sitter_go",
    "java": "tree_sitter_java",
}

# Names a container has without env.sample. ECS sets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
# ECS_CONTAINER_METADATA_URI(_V4), ECS_AGENT_URI, AWS_EXECUTION_ENV, AWS_REGION and
# AWS_DEFAULT_REGION (AWS docs, "Amazon ECS environment variables"); the AWS SDKs read other
# AWS_* names of their own. The OS and the image's shell set the others; PORT is read with a
# default by web frameworks and servers (gunicorn, Express examples, Rails' puma.rb).
PLATFORM_PREFIXES = ("AWS_", "ECS_")
PLATFORM_NAMES = frozenset(
    {"HOME", "HOSTNAME", "LANG", "LC_ALL", "PATH", "PORT", "PWD", "SHELL", "TERM", "TMPDIR", "USER"}
)

# Each pattern captures the read (@read) and its name: a string literal (@name) or, for
# JavaScript's `process.env.X` and destructuring, the identifier itself (@ident).
QUERIES = {
    "python": """
(subscript value: (attribute object: (identifier) @m attribute: (identifier) @a)
  subscript: (string) @name (#eq? @m "os") (#eq? @a "environ")) @read
(subscript value: (identifier) @a subscript: (string) @name (#eq? @a "environ")) @read
(call function: (attribute object: (attribute object: (identifier) @m attribute: (identifier) @a)
    attribute: (identifier) @f)
  arguments: (argument_list . (string) @name)
  (#eq? @m "os") (#eq? @a "environ") (#eq? @f "get")) @read
(call function: (attribute object: (identifier) @a attribute: (identifier) @f)
  arguments: (argument_list . (string) @name) (#eq? @a "environ") (#eq? @f "get")) @read
(call function: (attribute object: (identifier) @m attribute: (identifier) @f)
  arguments: (argument_list . (string) @name) (#eq? @m "os") (#eq? @f "getenv")) @read
(call function: (identifier) @f arguments: (argument_list . (string) @name)
  (#eq? @f "getenv")) @read
""",
    "javascript": """
(member_expression
  object: (member_expression object: (identifier) @p property: (property_identifier) @e)
  property: (property_identifier) @ident (#eq? @p "process") (#eq? @e "env")) @read
(subscript_expression
  object: (member_expression object: (identifier) @p property: (property_identifier) @e)
  index: (string) @name (#eq? @p "process") (#eq? @e "env")) @read
(variable_declarator
  name: (object_pattern [
    (shorthand_property_identifier_pattern) @ident
    (object_assignment_pattern left: (shorthand_property_identifier_pattern) @ident)
    (pair_pattern key: (property_identifier) @ident)
  ])
  value: (member_expression object: (identifier) @p property: (property_identifier) @e)
  (#eq? @p "process") (#eq? @e "env")) @read
""",
    "ruby": """
(element_reference object: (constant) @c . (string) @name (#eq? @c "ENV")) @read
(call receiver: (constant) @c method: (identifier) @f arguments: (argument_list . (string) @name)
  (#eq? @c "ENV") (#eq? @f "fetch")) @read
""",
    "go": """
(call_expression
  function: (selector_expression operand: (identifier) @m field: (field_identifier) @f)
  arguments: (argument_list . [(interpreted_string_literal) (raw_string_literal)] @name)
  (#eq? @m "os") (#any-of? @f "Getenv" "LookupEnv")) @read
""",
    "java": """
(method_invocation object: (identifier) @c name: (identifier) @f
  arguments: (argument_list . (string_literal) @name) (#eq? @c "System") (#eq? @f "getenv")) @read
""",
}

# The one child a plain string literal has (no interpolation, no escape): its text.
CONTENT = frozenset(
    {
        "string_content",
        "string_fragment",
        "interpreted_string_literal_content",
        "raw_string_literal_content",
    }
)
# `X = ...`, `X += ...`, and Ruby's and JavaScript's `X ||= default`, which sets the variable
# for what runs next (config/boot.rb's `ENV["BUNDLE_GEMFILE"] ||= ...`): no read of config.
WRITES = frozenset(
    {
        "assignment",
        "assignment_expression",
        "augmented_assignment",
        "augmented_assignment_expression",
        "operator_assignment",
    }
)


class ParsersMissing(Exception):
    """tree-sitter or a grammar is not installed (the extra `git-lift[code]`)."""

    def __init__(self, module: str) -> None:
        super().__init__(module)
        self.module = module


class EnvRead(NamedTuple):  # a NamedTuple, not a dataclass: the commit hook imports this
    path: str
    line: int  # from 1
    name: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def language_of(path: str) -> str | None:
    return LANGUAGES.get(PurePosixPath(path).suffix)


# Tests do not run in the container: what they read is no config the service needs (a test
# suite setting NODE_ENV or RAILS_ENV was most of what a first measure flagged, README).
TEST_FOLDERS = frozenset({"test", "tests", "spec", "specs", "__tests__", "testdata", "e2e"})
TEST_PREFIXES = ("test_",)
TEST_SUFFIXES = ("_test", "_spec", "Test", "Tests", ".test", ".spec")


def is_test(path: str) -> bool:
    """A test file, by its folder or its name (`tests/`, `test_x.py`, `x_test.go`,
    `x.test.js`, `x_spec.rb`, `XTest.java`, `conftest.py`)."""
    pure = PurePosixPath(path)
    stem = pure.stem
    return (
        bool(TEST_FOLDERS.intersection(pure.parts[:-1]))
        or stem == "conftest"
        or stem.startswith(TEST_PREFIXES)
        or stem.endswith(TEST_SUFFIXES)
    )


def sources(paths: Iterable[str]) -> list[str]:
    """The paths a parser reads, by their name alone (no grammar is imported): source files
    of the languages above, tests left out."""
    return [path for path in paths if language_of(path) is not None and not is_test(path)]


def platform_sets(name: str) -> bool:
    return name in PLATFORM_NAMES or name.startswith(PLATFORM_PREFIXES)


def image_env(dockerfile: str) -> frozenset[str]:
    """The names the Dockerfile's last stage sets with ENV: the container has them without
    env.sample (`ENV NODE_ENV=production`). Both forms of the instruction, `ENV K=v K2=v2`
    and the legacy `ENV K v`, with continuation lines (Dockerfile reference, "ENV")."""
    names_set: set[str] = set()
    for instruction in _instructions(dockerfile):
        word, _, rest = instruction.partition(" ")
        if word.upper() == "FROM":
            names_set = set()  # a new stage: an earlier stage's ENV does not carry over
        elif word.upper() == "ENV":
            try:
                words = shlex.split(rest, comments=False)
            except ValueError:  # an unclosed quote: the build fails on it anyway
                continue
            pairs = [w.partition("=")[0] for w in words] if "=" in (words or [""])[0] else words[:1]
            names_set.update(n for n in pairs if names.KEY_PATTERN.fullmatch(n))
    return frozenset(names_set)


def _instructions(dockerfile: str) -> list[str]:
    """Each instruction on one line: comments dropped, `\\` continuations joined."""
    joined, current = [], ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if line.startswith("#") and not current:
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        joined.append((current + line).strip())
        current = ""
    return [line for line in [*joined, current.strip()] if line]


def missing_parsers(paths: Iterable[str] = ()) -> str | None:
    """The first module the languages of `paths` (all, when none given) need and that does
    not import; None when all do."""
    languages = {language_of(p) for p in paths} - {None} or set(GRAMMARS)
    for module in ["tree_sitter", *sorted(GRAMMARS[lang] for lang in languages if lang)]:
        try:
            importlib.import_module(module)
        except ImportError:
            return module
    return None


@cache
def _parser(language: str) -> tuple[Any, Any]:
    """(parser, query) of a language, built once a process. Raises ParsersMissing."""
    try:
        import tree_sitter

        grammar = importlib.import_module(GRAMMARS[language])
    except ImportError as exc:
        raise ParsersMissing(exc.name or GRAMMARS[language]) from exc
    lang = tree_sitter.Language(grammar.language())
    return tree_sitter.Parser(lang), tree_sitter.Query(lang, QUERIES[language])


def reads(path: str, source: bytes) -> list[EnvRead]:
    """Every read of a named variable in one file, in order; [] for a file no parser reads.
    A file that does not parse cleanly still yields the reads in its well-formed parts."""
    language = language_of(path)
    if language is None:
        return []
    parser, query = _parser(language)
    import tree_sitter

    found: set[EnvRead] = set()
    for _, captures in tree_sitter.QueryCursor(query).matches(parser.parse(source).root_node):
        read = captures["read"][0]
        if _written(read):
            continue
        for node in captures.get("name", []) + captures.get("ident", []):
            name = _literal(node) if node.type not in IDENTIFIERS else _text(node)
            if name and names.KEY_PATTERN.fullmatch(name):
                found.add(EnvRead(path, node.start_point[0] + 1, name))
    return sorted(found, key=lambda r: (r.line, r.name))


IDENTIFIERS = frozenset(
    {"property_identifier", "shorthand_property_identifier_pattern", "identifier"}
)


def _text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def _literal(node: Any) -> str | None:
    """A string literal's text when it is plain (one piece, no interpolation)."""
    parts = [c for c in node.named_children if c.type not in {"string_start", "string_end"}]
    if len(parts) != 1 or parts[0].type not in CONTENT:
        return None
    return _text(parts[0])


def _written(read: Any) -> bool:
    """`process.env.X = 1`, `ENV["X"] = 1`, `os.environ["X"] = "1"`: the left of an assignment."""
    parent = read.parent
    return (
        parent is not None and parent.type in WRITES and parent.child_by_field_name("left") == read
    )
