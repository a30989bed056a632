from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import envfile


def test_parses_export_quotes_comments_crlf_and_bom() -> None:
    text = "\ufeffexport A=1\r\n# comment\r\nB=\"x y\" # trailing\r\n\r\nC='z'\r\nD=\r\n"
    parsed = envfile.parse(text)
    assert parsed.problems == ()
    assert parsed.as_dict() == {"A": "1", "B": "x y", "C": "z", "D": ""}
    assert [entry.line for entry in parsed.entries] == [1, 3, 5, 6]


def test_reports_every_problem_with_its_line() -> None:
    parsed = envfile.parse("A=1\nnot a pair\n1BAD=2\nA=3\n")
    assert [(p.line, p.message.split(" ")[0]) for p in parsed.problems] == [
        (2, "not"),
        (3, "'1BAD'"),
        (4, "A"),
    ]
    assert "first on line 1" in parsed.problems[2].message


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
