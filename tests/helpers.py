"""Test helpers: a real git repository in a temp folder, and `git lift` run through git."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ENV_SAMPLE = "DATABASE_URL=postgres://localhost/dev\nAPI_TOKEN=example\n"


def run(
    args: list[str],
    cwd: Path,
    *,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args,
        cwd=cwd,
        input=input_text,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@dataclass
class GitRepo:
    path: Path

    @classmethod
    def create(
        cls, path: Path, *, origin: Path | None = None, files: dict[str, str] | None = None
    ) -> GitRepo:
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        for name, text in (
            files if files is not None else {"env.sample": ENV_SAMPLE, "app.txt": "v1\n"}
        ).items():
            repo.write(name, text)
        repo.commit("Initial commit")
        if origin is not None:
            origin.parent.mkdir(parents=True, exist_ok=True)
            run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], cwd=path.parent)
            repo.git("remote", "add", "origin", str(origin))
            repo.git("push", "-q", "origin", "main")
        return repo

    def git(
        self,
        *args: str,
        check: bool = True,
        input_text: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return run(["git", *args], self.path, check=check, input_text=input_text, env=env)

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def commit(self, message: str, *, verify: bool = True) -> subprocess.CompletedProcess[str]:
        self.git("add", "-A")
        args = ["commit", "-q", "-m", message] + ([] if verify else ["--no-verify"])
        return self.git(*args)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()


@dataclass
class Lift:
    """`git lift ...` as a user runs it: a subprocess, dispatched by git to git-lift."""

    cwd: Path

    def __call__(
        self,
        *args: str,
        input_text: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return run(
            ["git", "lift", *args], cwd or self.cwd, input_text=input_text, env=env, check=False
        )


def python_lift(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "git_lift", *args], cwd, check=False)


def editor_script(folder: Path, body: str) -> str:
    """An EDITOR: a shell script that edits the file named by $1 (used through GIT_EDITOR)."""
    script = folder / "editor.sh"
    script.write_text('#!/bin/sh\nset -e\nfile="$1"\n' + body + "\n")
    script.chmod(0o755)
    return str(script)
