from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import envfile

pytestmark = pytest.mark.fast  # in-process: `make test` times it with tests/fast/


def test_parses_export_quotes_comments_crlf_and_bom() -> None:
    text = "\ufeffexport A=1\r\n# comment\r\nB=\"x y\" # trailing\r\n\r\nC='z'\r\nD=\r\n"
    parsed = envfile.parse(text)
    assert parsed.problems == ()
    assert parsed.as_dict() == {"A": "1", "B": "x y", "C": "z", "D": ""}
    assert [entry.line for entry in parsed.entries] == [1, 3, 5, 6]


def test_reports_every_problem_with_its_line() -> None:
    parsed = envfile.parse("A=1\nnot a pair\n1BAD=2\nA=3\n")
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, "not a KEY=value line"),
        (3, "not a valid key name: it starts with a digit ([A-Za-z_][A-Za-z0-9_]*)"),
        (4, "A is defined again (first on line 1)"),
    ]


def test_secret_looking_values_are_errors_in_a_sample() -> None:
    sample = (
        "AWS_KEY=AKIAIOSFODNN7EXAMPLQ\n"
        "TOKEN=aZ3kQ9vL2mX8pR7tY4wB6nC1dF5gH0jKs\n"
        "PEM='-----BEGIN RSA PRIVATE KEY-----'\n"
        "URL=postgres://localhost/dev\n"
        "NAME=example\n"
    )
    problems = envfile.lint_sample(sample).problems
    assert [p.line for p in problems] == [1, 2, 3]
    assert "AWS access key" in problems[0].message
    assert "random token" in problems[1].message
    assert "private key" in problems[2].message


def test_ordinary_examples_are_not_flagged() -> None:
    sample = "URL=https://api.example.com/v1/resources\nUUID=123e4567-e89b-12d3-a456-426614174000\n"
    assert envfile.lint_sample(sample).problems == ()


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
)
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@settings(deadline=None, max_examples=300)  # no wall-clock limit: 2 shared cores
@given(st.dictionaries(keys, printable, max_size=8))
def test_render_then_parse_lines_gives_the_same_values(values: dict[str, str]) -> None:
    # what `config edit` opens, saved unchanged, is read back exactly
    assert envfile.parse_lines(envfile.render(values)).as_dict() == values


def test_rendered_values_ending_in_a_backslash_read_back_as_a_whole_file() -> None:
    # dotenv's quoted pattern reads an escaped backslash before the closing quote as an
    # escaped quote and runs on into the next line: `config export` output must not do that
    values = {"A_PATH": "C:\\dir\\", "B_SPACED": "a b\\", "C_NEXT": "it's 'quoted'"}
    text = envfile.render(values)
    assert envfile.parse(text).as_dict() == values and envfile.parse(text).problems == ()


def test_single_quotes_by_default_so_dotenv_expands_nothing() -> None:
    assert envfile.quote("${HOME}/x y") == "'${HOME}/x y'"
    assert envfile.quote("line1\nline2") == '"line1\\nline2"'


def test_key_names() -> None:
    assert envfile.is_valid_key("DATABASE_URL")
    assert envfile.is_valid_key("_x1")
    for bad in ("1X", "A-B", "", "A B", "A\n", *string.punctuation.replace("_", "")):
        assert not envfile.is_valid_key(bad)


SENTINEL = "S3NT1NEL-9f2c41d7e8b0a6"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # A value whose quote is left open: the key is named, the value is not.
        (
            f'A=1\nAPI_TOKEN="{SENTINEL}\n',
            2,
            "not a KEY=value line: the value of API_TOKEN cannot be read "
            "(a quote left open, or text after the closing quote?)",
        ),
        (f"API_TOKEN='{SENTINEL}' trailing\n", 1, "the value of API_TOKEN cannot be read"),
        # Half of a value broken over two lines, with and without an `=` in it.
        (f"A=1\n{SENTINEL}\n", 2, "not a KEY=value line (no '=')"),
        (f"{SENTINEL}=x\n", 1, "not a valid key name: it has a character other than"),
        (f"9{SENTINEL}=x\n", 1, "not a valid key name: it starts with a digit"),
        (f"{SENTINEL} more words\n", 1, "not a KEY=value line"),
    ],
)
def test_problems_name_the_line_and_key_never_the_value(text: str, line: int, message: str) -> None:
    for parsed in (envfile.parse(text), envfile.parse_lines(text), envfile.lint_sample(text)):
        [problem] = parsed.problems
        assert problem.line == line and message in problem.message
        assert SENTINEL not in problem.render("env.sample")


def test_json_objects_read_with_lines_and_duplicates() -> None:
    text = '\ufeff{\n  "A": "1",\n  "B": "x \\"y\\"",\n  "A": "2"\n}\n'
    parsed = envfile.parse_json(text)
    assert parsed.as_dict() == {"A": "2", "B": 'x "y"'}
    assert [(e.key, e.line) for e in parsed.entries] == [("A", 2), ("B", 3), ("A", 4)]
    assert [(p.line, p.message) for p in parsed.problems] == [
        (4, "A is defined again (first on line 2)")
    ]
    assert envfile.parse_json("{}").entries == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (f'{{"A": "1",\n"{SENTINEL}": "x"}}', 2, "not a valid key name"),
        (f'{{"A": "1",\n"9{SENTINEL}": "x"}}', 2, "starts with a digit"),
        (f'{{"A": "{SENTINEL}",\n"A": "{SENTINEL}"}}', 2, "A is defined again (first on line 1)"),
        (f'{{"A": ["{SENTINEL}"]}}', 1, "A: expected a string, got array"),
        ('{"A": 12}', 1, "A: expected a string, got integer"),
        (f'["{SENTINEL}"]', 1, 'expected a JSON object of "KEY": "value" pairs'),
        (f'{{"A": "{SENTINEL}",\n"B": "\\q{SENTINEL}"}}', 2, "not valid JSON: Invalid \\escape"),
        (f'{{"A": "{SENTINEL}"}} {SENTINEL}', 1, "not valid JSON: Extra data (column"),
    ],
)
def test_json_problems_name_the_line_and_key_never_the_value(
    text: str, line: int, message: str
) -> None:
    [problem] = envfile.parse_json(text).problems
    assert problem.line == line and message in problem.message
    assert SENTINEL not in problem.render("in.json")
