"""Test helpers: a real git repository in a temp folder, and `git lift` run through git."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import warm

ENV_SAMPLE = "DATABASE_URL=postgres://localhost/dev\nAPI_TOKEN=example\n"
# GitRepo.create's first repositories, by files and origin: copied for each test.
_TEMPLATES: dict[tuple[tuple[tuple[str, str], ...], bool], Path] = {}
_TEMPLATE_ROOT: list[Path] = []


def _template(files: dict[str, str], *, with_origin: bool) -> Path:
    if not _TEMPLATE_ROOT:
        _TEMPLATE_ROOT.append(Path(tempfile.mkdtemp(prefix="git-lift-tests-")))
        atexit.register(shutil.rmtree, _TEMPLATE_ROOT[0], ignore_errors=True)
    folder = _TEMPLATE_ROOT[0] / str(len(_TEMPLATES))
    GitRepo._build(folder / "work", files, folder / "origin.git" if with_origin else None)
    # git init's thirteen sample hooks are half the files each test copies; git runs none.
    for sample in folder.glob("**/hooks/*.sample"):
        sample.unlink()
    return folder


def run(
    args: list[str],
    cwd: Path,
    *,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    script = warm.warm_script(environment) if args[:2] == ["git", "lift"] else None
    if script is not None:
        result = warm.run_git_lift(script, args[2:], cwd, environment, input_text, timeout=300)
    else:
        result = subprocess.run(
            args,
            cwd=cwd,
            input=input_text,
            capture_output=True,
            text=True,
            env=environment,
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
        """`files` (env.sample and app.txt by default) in a first commit on main, pushed to a
        bare `origin` when given. Built once per process for each set of files, then copied:
        the six git programs it takes cost the in-process suite seconds (issue 19)."""
        chosen = files if files is not None else {"env.sample": ENV_SAMPLE, "app.txt": "v1\n"}
        key = (tuple(sorted(chosen.items())), origin is not None)
        template = _TEMPLATES.get(key)
        if template is None:
            template = _TEMPLATES[key] = _template(chosen, with_origin=origin is not None)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(template / "work", path, symlinks=True)
        if origin is not None:
            origin.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(template / "origin.git", origin, symlinks=True)
            config = path / ".git" / "config"
            config.write_text(config.read_text().replace(str(template / "origin.git"), str(origin)))
        return cls(path)

    @classmethod
    def _build(cls, path: Path, files: dict[str, str], origin: Path | None) -> None:
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        for name, text in files.items():
            repo.write(name, text)
        repo.commit("Initial commit")
        if origin is not None:
            origin.parent.mkdir(parents=True, exist_ok=True)
            run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], cwd=path.parent)
            repo.git("remote", "add", "origin", str(origin))
            repo.git("push", "-q", "origin", "main")

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


def run_in_terminal(
    args: list[str],
    cwd: Path,
    answers: list[tuple[str, str]],
    env: dict[str, str] | None = None,
    timeout: float = 120,
    enter: bool = True,
) -> tuple[int, str]:
    """Run a command on a real pseudo-terminal, typing each answer once its prompt appears
    (then Enter, unless `enter` is False: to type a lone Ctrl-C); return the exit code and
    everything the terminal showed."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the command, with the pty as its terminal
        as_a_shell_starts_it()
        os.chdir(cwd)
        os.execvpe(args[0], args, {**os.environ, **(env or {})})
    shown, answered_up_to, pending = b"", 0, list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        shown += data
        if pending and pending[0][0].encode() in shown[answered_up_to:]:
            answered_up_to = len(shown)
            if not enter:  # a lone key (Ctrl-C) as a person types it: once input() reads
                time.sleep(0.3)  # (one sent as the prompt is written races CPython's read)
            os.write(fd, (pending.pop(0)[1] + ("\n" if enter else "")).encode())
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def as_a_shell_starts_it() -> None:
    """In a child about to exec: SIGINT at its default and unblocked, as a shell starts a
    program. A pytest worker can hand down another disposition or mask: started in the
    background from a script (`make test &`: a shell without job control starts it with SIGINT
    ignored, and SIG_IGN survives exec), the workers and every git-lift they started ignored
    Ctrl-C; Python keeps an inherited SIG_IGN, so a git-lift at a prompt or in its editor
    never stopped (two loaded full runs: exit 0 after the editor's 30 s, or killed at the
    timeout). The Ctrl-C tests run each of their cases in a worker that ignores or blocks
    SIGINT too (tests/fast/test_signal_hygiene.py shows the inheritance)."""
    import signal

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
