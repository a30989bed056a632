"""env.sample and `config export`/`config edit` text (envfile.py): what git lift writes reads
back unchanged, by git lift and by any dotenv reader of a whole file; encodings and sizes a
user's editor produces are read or refused naming the file and line; problems never quote a
value."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from git_lift import envfile
from git_lift.errors import ValidationError

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)


@settings(deadline=None, max_examples=60)  # no wall-clock limit: 2 shared cores
@given(st.dictionaries(keys, values, max_size=6))
def test_exported_text_reads_back_as_a_whole_file_by_git_lift_and_dotenv(
    config: dict[str, str],
) -> None:
    """`git lift config export > .env` is read by the app's dotenv library, not line by line."""
    text = envfile.render(config)
    assert envfile.parse(text).as_dict() == config
    assert envfile.parse(text).problems == ()
    assert dict(dotenv_values(stream=io.StringIO(text))) == config


@settings(max_examples=40)
@given(st.dictionaries(keys, values, max_size=6))
def test_rendered_text_is_one_sorted_line_a_key(config: dict[str, str]) -> None:
    lines = envfile.render(config).split("\n")[:-1]
    assert [line.partition("=")[0] for line in lines] == sorted(config)


@given(values)
def test_a_quoted_value_stands_on_one_line(value: str) -> None:
    assert "\n" not in envfile.quote(value) and "\r" not in envfile.quote(value)


def test_plain_values_go_without_quotes() -> None:
    for plain in ("postgres://u@db:5432/app", "a,b+c", "1.2.3", "-x_y"):
        assert envfile.quote(plain) == plain
    assert envfile.quote("") == "''"
    assert envfile.quote("it's") == "'it\\'s'"


# Encodings and sizes


@pytest.mark.parametrize(
    "data",
    [
        "A=é\n".encode(),
        "\ufeffA=é\n".encode(),
        "\ufeffA=é\n".encode("utf-16-le"),
        "\ufeffA=é\n".encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16-le", "utf-16-be"],
)
def test_the_encodings_editors_save_are_read(data: bytes) -> None:
    assert envfile.parse(envfile.decode(data, "env.sample")).as_dict() == {"A": "é"}


def test_text_that_is_not_utf8_names_the_file_and_line() -> None:
    with pytest.raises(ValidationError) as err:
        envfile.decode(b"A=1\nB=2\nC=caf\xe9\n", "services/api/env.sample")
    assert err.value.message == "services/api/env.sample:3: is not UTF-8 text"
    assert err.value.hint == "save services/api/env.sample as UTF-8"


def test_a_file_over_a_megabyte_is_refused_before_parsing() -> None:
    data = b"A=1\n" * (envfile.MAX_BYTES // 4 + 1)
    with pytest.raises(ValidationError) as err:
        envfile.decode(data, "env.sample")
    assert (
        f"env.sample is {len(data):,} bytes; env files are at most 1,048,576" == err.value.message
    )
    assert err.value.hint and "one KEY=example a line" in err.value.hint
    envfile.decode(b"A=1\n" * (envfile.MAX_BYTES // 4), "env.sample")  # exactly the limit


def test_read_checks_the_size_of_the_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "big.env"
    path.write_bytes(b"#" * (envfile.MAX_BYTES + 1))
    with pytest.raises(ValidationError, match=r"^shown\.env is 1,048,577 bytes"):
        envfile.read(path, "shown.env")
    path.write_bytes(b"A=1\n")
    assert envfile.read(path) == "A=1\n"


def test_more_keys_than_parameter_store_holds_stop_the_parse_with_a_problem() -> None:
    text = "".join(f"K{n}=x\n" for n in range(envfile.MAX_KEYS + 5))
    parsed = envfile.parse(text)
    assert len(parsed.entries) == envfile.MAX_KEYS
    [problem] = parsed.problems
    assert (problem.line, problem.message) == (
        envfile.MAX_KEYS + 1,
        "more than 10,000 keys; the rest is not read",
    )


# Lines


def test_problems_point_at_the_binding_not_the_blank_lines_before_it() -> None:
    parsed = envfile.parse("A=1\n\n\n1BAD=x\n")
    assert [p.line for p in parsed.problems] == [4]
    assert [e.line for e in envfile.parse("\n\nA=1\n").entries] == [3]


def test_a_quote_left_open_in_the_editor_does_not_swallow_the_next_lines() -> None:
    """parse_lines reads each line apart: what `config edit` saves cannot run into a value."""
    parsed = envfile.parse_lines("A='open\nB=2\nC=3\n")
    assert parsed.as_dict() == {"B": "2", "C": "3"}
    assert [p.line for p in parsed.problems] == [1]
    assert "the value of A cannot be read" in parsed.problems[0].message


def test_repeated_keys_are_each_reported_against_the_first() -> None:
    parsed = envfile.parse_lines("A=1\nB=1\nA=2\nA=3\n")
    assert [(p.line, p.message) for p in parsed.problems] == [
        (3, "A is defined again (first on line 1)"),
        (4, "A is defined again (first on line 1)"),
    ]


def test_comments_export_and_crlf_in_the_editor() -> None:
    parsed = envfile.parse_lines("# a comment\r\nexport A=1\r\n   \r\nB='x # y'\r\n")
    assert parsed.as_dict() == {"A": "1", "B": "x # y"}
    assert [e.line for e in parsed.entries] == [2, 4] and parsed.problems == ()


def test_a_problem_renders_as_file_colon_line() -> None:
    assert envfile.Problem(7, "boom").render("env.sample") == "env.sample:7: boom"


# What a committed sample may hold


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("ASIAABCDEFGHIJKLMNOP", "an AWS access key id"),
        ("ghp_" + "a1B2" * 9, "a GitHub token"),
        ("xoxb-1234567890-abcdef", "a Slack token"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key block"),
    ],
)
def test_each_credential_shape_is_named(value: str, what: str) -> None:
    assert envfile.secret_shape(value) == what
    [problem] = envfile.lint_sample(f"X=1\nSECRET='{value}'\n").problems
    assert problem.line == 2
    assert problem.message == f"SECRET has a value that looks like {what}; use an example"
    assert value not in problem.message


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "a" * 64,  # long but not random
        "abcdefghijklmnopqrstuvwxyzabcdefgh",  # one character class
        "https://example.com/some/long/path/to/a/resource",
        "AKIA",  # a prefix is no key
    ],
)
def test_ordinary_examples_are_not_taken_for_credentials(value: str) -> None:
    assert envfile.secret_shape(value) is None


def test_a_sample_with_syntax_and_credential_problems_orders_them_by_line() -> None:
    sample = "TOKEN=AKIAIOSFODNN7EXAMPLQ\nbroken line\nOK=1\n"
    assert [p.line for p in envfile.lint_sample(sample).problems] == [1, 2]


def test_threads_parsing_at_once_all_get_the_parser_whole() -> None:
    # ship --all plans services in threads: one thread found the parser module registered
    # before it was loaded ("module 'dotenv.parser' has no attribute 'parse_stream'").
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from git_lift import envfile

    for _ in range(20):
        sys.modules.pop("dotenv.parser", None)
        with ThreadPoolExecutor(8) as pool:
            parsed = list(pool.map(lambda n: envfile.parse(f"K{n}=v\n"), range(8)))
        assert [[e.key for e in p.entries] for p in parsed] == [[f"K{n}"] for n in range(8)]
