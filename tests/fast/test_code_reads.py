"""The environment reads tree-sitter finds in one fixture file per language (tests/golden/code):
literal names only, writes, comments, strings and computed names left out (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift import code_reads
from git_lift.code_reads import EnvRead

CODE = Path(__file__).resolve().parent.parent / "golden" / "code"

FOUND = {
    "settings.py": [
        (6, "DATABASE_URL"),
        (7, "PY_SECRET"),
        (8, "PY_FLAG"),
        (9, "PY_BARE"),
        (10, "PY_GETENV"),
        (11, "AWS_REGION"),
        (12, "HOME"),
    ],
    "server.js": [
        (3, "JS_DESTRUCTURED"),
        (3, "JS_RENAMED"),
        (3, "JS_WITH_DEFAULT"),
        (5, "JS_SESSION_SECRET"),
        (6, "JS_BRACKET"),
        (7, "PORT"),
    ],
    "config.rb": [(3, "RB_TOKEN"), (4, "RB_HOST"), (5, "RB_POOL")],
    "main.go": [(10, "GO_ADDR"), (11, "GO_TOKEN"), (12, "AWS_REGION")],
    "Application.java": [(6, "JAVA_DB_URL"), (8, "HOSTNAME")],
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_each_language_finds_its_literal_reads_and_nothing_else(name: str) -> None:
    found = code_reads.reads(name, (CODE / name).read_bytes())
    assert [(r.line, r.name) for r in found] == FOUND[name]
    assert all(r.path == name for r in found)


def test_a_file_no_parser_reads_yields_nothing_and_imports_nothing() -> None:
    assert code_reads.sources(["a.ts", "README.md", "env.sample", "x.py", "y/z.go"]) == [
        "x.py",
        "y/z.go",
    ]
    assert code_reads.reads("notes.txt", b'os.environ["X"]') == []


def test_a_file_that_does_not_parse_still_yields_its_well_formed_reads() -> None:
    broken = b'import os\nA = os.environ["BROKEN_OK"]\ndef f(:\n'
    assert [r.name for r in code_reads.reads("b.py", broken)] == ["BROKEN_OK"]


def test_the_platform_names_are_those_ecs_and_the_os_set() -> None:
    assert code_reads.platform_sets("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    assert code_reads.platform_sets("ECS_CONTAINER_METADATA_URI_V4")
    assert code_reads.platform_sets("PORT") and code_reads.platform_sets("PATH")
    assert not code_reads.platform_sets("DATABASE_URL")
    assert EnvRead("a.py", 3, "X").where == "a.py:3"


def test_tests_are_no_source_of_config() -> None:
    tests = [
        "tests/test_app.py",
        "app/test_views.py",
        "conftest.py",
        "pkg/handler_test.go",
        "src/app.test.js",
        "web/__tests__/x.js",
        "spec/models/user_spec.rb",
        "src/test/java/com/example/AppTests.java",
        "internal/testdata/main.go",
    ]
    assert code_reads.sources(tests) == []
    assert code_reads.sources(["latest/app.py", "contest.py", "src/main/App.java"]) == [
        "latest/app.py",
        "contest.py",
        "src/main/App.java",
    ]


def test_setting_a_variable_when_unset_is_no_read() -> None:
    ruby = b'ENV["BUNDLE_GEMFILE"] ||= "Gemfile"\nENV["RB_READ"] || "x"\n'
    assert [r.name for r in code_reads.reads("boot.rb", ruby)] == ["RB_READ"]
    node = b'process.env.JS_SET ||= "x";\nconst a = process.env.JS_READ ?? "y";\n'
    assert [r.name for r in code_reads.reads("a.js", node)] == ["JS_READ"]


def test_a_file_belongs_to_the_deepest_service_folder_that_holds_it() -> None:
    from git_lift.flows.code_check import owner
    from git_lift.settings import ServiceSettings

    def service(name: str, path: str) -> ServiceSettings:
        return ServiceSettings(name, path, "Dockerfile", path, f"{path}/env.sample", name)

    api, worker, web = service("api", "."), service("worker", "worker"), service("web", "apps/web")
    services = [api, worker, web]
    assert owner(services, "app.py") == api
    assert owner(services, "worker/jobs/run.go") == worker
    assert owner(services, "workers/x.py") == api  # a folder name's prefix is not its folder
    assert owner(services, "apps/web/server.js") == web
    assert owner([worker], "app.py") is None


def test_the_names_the_image_sets_are_those_of_its_last_stage() -> None:
    dockerfile = (
        "FROM node:20 AS build\nENV BUILD_ONLY=1\n"
        "FROM node:20-slim\n# ENV COMMENTED=1\n"
        'ENV NODE_ENV=production \\\n    APP_HOME="/srv/my app"\n'
        "ENV LEGACY some value\nARG BUILD_ARG=1\nenv lower=1\nENV BROKEN='unclosed\n"
    )
    assert code_reads.image_env(dockerfile) == {"NODE_ENV", "APP_HOME", "LEGACY", "lower"}
    assert code_reads.image_env("") == frozenset()
