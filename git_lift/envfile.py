"""env.sample and dotenv parsing and lint; pure (python-dotenv's parser underneath)."""

from __future__ import annotations

import importlib.util
import io
import json
import math
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING

from git_lift.errors import ValidationError
from git_lift.jsoncheck import kind
from git_lift.records import record

if TYPE_CHECKING:
    from dotenv.parser import Binding

# An env file is a list of names, not a data set: beyond these it is a mistake (and a
# 5 MB env.sample once held a commit for minutes). 10,000 is Parameter Store's standard-tier
# limit of parameters per account and region.
MAX_BYTES = 1024 * 1024
MAX_KEYS = 10_000

KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The key of a `KEY=...` line whose value dotenv cannot read: named, the value never shown.
KEY_BEFORE_VALUE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
JSON_SPACE = re.compile(r"[ \t\n\r]*")

# Shapes of real credentials that must never be committed in an example file.
SECRET_SHAPES = (
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key block"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"), "a Slack token"),
)
HIGH_ENTROPY_MIN_LENGTH = 32
HIGH_ENTROPY_BITS_PER_CHAR = 4.0


@record(frozen=True)
class Entry:
    key: str
    value: str
    line: int


@record(frozen=True)
class Problem:
    line: int
    message: str

    def render(self, filename: str) -> str:
        return f"{filename}:{self.line}: {self.message}"


@record(frozen=True)
class EnvFile:
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]

    @property
    def keys(self) -> list[str]:
        return [entry.key for entry in self.entries]

    def as_dict(self) -> dict[str, str]:
        return {entry.key: entry.value for entry in self.entries}


def decode(data: bytes, name: str) -> str:
    """An env file's text: UTF-8 (with or without a BOM), or UTF-16 with its BOM (what some
    Windows editors save); anything else, or a file over MAX_BYTES, is an error naming it."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"{name} is {len(data):,} bytes; env files are at most {MAX_BYTES:,}",
            hint=f"keep {name} to the names the service needs, one KEY=example a line",
        )
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"{name}:{line}: is not UTF-8 text",
            hint=f"save {name} as UTF-8",
        ) from None


def read(path: Path, name: str | None = None) -> str:
    """A file's text through `decode`, its size checked before it is read."""
    shown = name or str(path)
    if path.stat().st_size > MAX_BYTES:
        raise ValidationError(
            f"{shown} is {path.stat().st_size:,} bytes; env files are at most {MAX_BYTES:,}",
            hint=f"keep {shown} to the names the service needs, one KEY=example a line",
        )
    return decode(path.read_bytes(), shown)


def is_valid_key(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key))


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _start_line(original_line: int, original_text: str) -> int:
    # dotenv attributes the blank lines before a binding to it; point at the binding itself.
    return original_line + len(original_text) - len(original_text.lstrip("\n"))


def parse_stream(stream: IO[str]) -> Iterator[Binding]:
    """python-dotenv's parser. Its module alone: importing it the usual way runs the package's
    __init__, which loads the rest of python-dotenv (logging, tempfile...), a tenth of a
    hook's floor that reading an env.sample does not need."""
    with _LOADING:  # threads planning several services at once: one loads it, all wait
        module = sys.modules.get("dotenv.parser") or _load_parser()
        if module is None:  # not laid out as files: import it as usual
            from dotenv.parser import parse_stream as parse_dotenv

            return parse_dotenv(stream)
    found: Iterator[Binding] = module.parse_stream(stream)
    return found


_LOADING = threading.Lock()


def _load_parser() -> ModuleType | None:
    """dotenv/parser.py as the module `dotenv.parser`, without the package's __init__; None
    when python-dotenv is not laid out as files."""
    package = importlib.util.find_spec("dotenv")
    folders = package.submodule_search_locations if package else None
    spec = (
        importlib.util.spec_from_file_location("dotenv.parser", f"{folders[0]}/parser.py")
        if folders
        else None
    )
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["dotenv.parser"] = module  # once whole: python-dotenv's own modules use it
    return module


def parse(text: str) -> EnvFile:
    """Parse dotenv text; syntax problems are reported, not raised, each with its line."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for binding in parse_stream(io.StringIO(_normalise(text))):
        line = _start_line(binding.original.line, binding.original.string)
        if binding.error:
            problems.append(Problem(line, _unreadable(binding.original.string)))
        elif binding.key is None:
            continue
        elif binding.value is None:
            # A bare word is no binding here: it may be half of a value split over two lines.
            problems.append(Problem(line, "not a KEY=value line (no '=')"))
        elif not is_valid_key(binding.key):
            problems.append(Problem(line, _invalid_name(binding.key)))
        else:
            entries.append(Entry(binding.key, binding.value, line))
            if len(entries) > MAX_KEYS:
                problems.append(Problem(line, f"more than {MAX_KEYS:,} keys; the rest is not read"))
                break
    return _with_duplicates(entries[:MAX_KEYS], problems)


# Problems never quote the line: what is not a key may be (part of) a secret value.
def _unreadable(original: str) -> str:
    named = KEY_BEFORE_VALUE.match(original)
    if named is None:
        return "not a KEY=value line"
    return (
        f"not a KEY=value line: the value of {named.group(1)} cannot be read "
        "(a quote left open, or text after the closing quote?)"
    )


def _invalid_name(name: str) -> str:
    why = "starts with a digit" if name[:1].isdigit() else "has a character other than A-Z, 0-9, _"
    return f"not a valid key name: it {why} ([A-Za-z_][A-Za-z0-9_]*)"


def parse_json(text: str) -> EnvFile:
    """Parse a JSON object of "KEY": "value" pairs, each problem with its line, as `parse`
    reports dotenv's; duplicate keys are problems, not silently the last one."""
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # The decoder's message may end in a quote of the input (`Invalid \escape: 'x'`).
        reason = exc.msg.split(":")[0]
        return EnvFile((), (Problem(exc.lineno, f"not valid JSON: {reason} (column {exc.colno})"),))
    if not isinstance(data, dict):
        return EnvFile((), (Problem(1, 'expected a JSON object of "KEY": "value" pairs'),))
    entries: list[Entry] = []
    problems: list[Problem] = []
    for key, value, line in _json_members(text):
        if not is_valid_key(key):
            problems.append(Problem(line, _invalid_name(key)))
        elif not isinstance(value, str):
            problems.append(Problem(line, f"{key}: expected a string, got {kind(value)}"))
        else:
            entries.append(Entry(key, value, line))
    return _with_duplicates(entries, problems)


def _json_members(text: str) -> list[tuple[str, object, int]]:
    """The members of a valid JSON object in order, repeats included, with their key's line."""
    decoder = json.JSONDecoder()
    members = []
    pos = _skip_space(text, 0) + 1  # past "{"
    while text[pos := _skip_space(text, pos)] == '"':
        line = text.count("\n", 0, pos) + 1
        key, pos = decoder.raw_decode(text, pos)  # a JSON string: the key
        pos = _skip_space(text, pos) + 1  # past ":"
        value, pos = decoder.raw_decode(text, _skip_space(text, pos))
        members.append((str(key), value, line))
        pos = _skip_space(text, pos)
        if text[pos] == ",":
            pos += 1
    return members


def _skip_space(text: str, pos: int) -> int:
    found = JSON_SPACE.match(text, pos)
    return found.end() if found else pos


def _with_duplicates(entries: list[Entry], problems: list[Problem]) -> EnvFile:
    """Add a problem for each key defined again, and order the problems by line."""
    counts = Counter(entry.key for entry in entries)
    for key, count in counts.items():
        if count > 1:
            lines = [entry.line for entry in entries if entry.key == key]
            for line in lines[1:]:
                problems.append(Problem(line, f"{key} is defined again (first on line {lines[0]})"))
    problems.sort(key=lambda problem: problem.line)
    return EnvFile(tuple(entries), tuple(problems))


def shannon_bits_per_char(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def secret_shape(value: str) -> str | None:
    """Name the kind of credential a value looks like, or None."""
    for pattern, what in SECRET_SHAPES:
        if pattern.search(value):
            return what
    for token in re.findall(rf"[A-Za-z0-9+/=_\-]{{{HIGH_ENTROPY_MIN_LENGTH},}}", value):
        has_classes = sum(bool(re.search(cls, token)) for cls in ("[a-z]", "[A-Z]", "[0-9]"))
        if has_classes >= 3 and shannon_bits_per_char(token) >= HIGH_ENTROPY_BITS_PER_CHAR:
            return "a long random token"
    return None


def lint_sample(text: str) -> EnvFile:
    """Parse an env.sample and add the committed-file rule: example values only."""
    parsed = parse(text)
    extra = [
        Problem(entry.line, f"{entry.key} has a value that looks like {what}; use an example")
        for entry in parsed.entries
        if (what := secret_shape(entry.value))
    ]
    if not extra:
        return parsed
    problems = sorted((*parsed.problems, *extra), key=lambda problem: problem.line)
    return EnvFile(parsed.entries, tuple(problems))


DOUBLE_QUOTE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}


def _unquoted_safe(value: str) -> bool:
    """What dotenv reads back as it is without quotes: one line, no edge spaces, no comment."""
    return (
        bool(value)
        and value == value.strip()
        and not re.search(r"[\r\n]|\s#", value)
        and value[0] not in "'\"#"
    )


def quote(value: str) -> str:
    """Render a value on one line so that dotenv (and `parse_lines`) reads it back unchanged.

    Single quotes by default: dotenv expands no variables in them. A value that ends in a
    backslash goes without quotes where it can, because dotenv's quoted-value pattern takes
    an escaped backslash before the closing quote for an escaped quote and reads on; a value
    with a line break needs double quotes, the only ones with escapes for it."""
    if value and re.fullmatch(r"[A-Za-z0-9_./:@,+-]*", value):
        return value
    one_line = not re.search(r"[\r\n]", value)
    if value.endswith("\\") and _unquoted_safe(value):
        return value
    if one_line and not value.endswith("\\"):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return '"' + "".join(DOUBLE_QUOTE_ESCAPES.get(char, char) for char in value) + '"'


def render(values: dict[str, str]) -> str:
    """One `KEY=value` a line, sorted: the text `config edit` opens and `export` prints."""
    return "".join(f"{key}={quote(value)}\n" for key, value in sorted(values.items()))


def parse_lines(text: str) -> EnvFile:
    """Parse text in which every binding stands on one line (what `render` writes and the
    editor asks for), each line apart, so that no value can run into the next line."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, line in enumerate(_normalise(text).split("\n"), start=1):
        parsed = parse(line)
        entries += [Entry(e.key, e.value, number) for e in parsed.entries]
        problems += [Problem(number, p.message) for p in parsed.problems]
    return _with_duplicates(entries, problems)
