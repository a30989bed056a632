"""Config writes under cut connections, kill -9, racing writers and silent networks: the
store ends as intended, nothing is lost, and the user is told what happened and how to finish.

Figures (trials, keys lost, stale, resumed) are printed (`-s`) and written to
$GIT_LIFT_FAULT_FIGURES when set."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.helpers import GitRepo, Lift, editor_script, run
from tests.support.proxy import Fault, FaultProxy, wait_until

KEEP = {"GIT_EDITOR": "true"}  # --resume: save the text as it opens
BRIEF = {"AWS_MAX_ATTEMPTS": "2"}  # a network that stays down: fail in seconds, not minutes


def ssm(sandbox: Any) -> Any:
    return boto3.client("ssm", region_name="eu-west-1", endpoint_url=sandbox.url)


def stored(sandbox: Any, env: str = "staging") -> dict[str, str]:
    pages = ssm(sandbox).get_paginator("get_parameters_by_path")
    return {
        p["Name"].rsplit("/", 1)[1]: p["Value"]
        for page in pages.paginate(Path=f"/{env}/payments-api", WithDecryption=True)
        for p in page["Parameters"]
    }


def versions(sandbox: Any, key: str) -> list[int]:
    history = ssm(sandbox).get_parameter_history(Name=f"/staging/payments-api/{key}")
    return [int(p["Version"]) for p in history["Parameters"]]


def figures(line: str) -> None:
    print(f"\n[faults] {line}")
    if path := os.environ.get("GIT_LIFT_FAULT_FIGURES"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def wanted(n: int, tag: str) -> dict[str, str]:
    return {f"K{i:02}": f"{tag}-{i}" for i in range(n)}


def assignments(values: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in values.items()]


def pending_file(lift: Lift) -> Path:
    return lift.cwd / ".git" / "lift" / "config-edit-staging.payments-api.env"


def test_a_cut_mid_apply_reports_exactly_keeps_the_rest_and_resume_finishes(
    fault_proxy: FaultProxy, lift: Lift
) -> None:
    trials, lost, stale, resumed = 0, 0, 0, 0
    for trial, (cut_after, command) in enumerate([(3, "set"), (5, "import"), (2, "set")]):
        fault_proxy.clear()
        want = wanted(8, f"t{trial}")
        fault_proxy.add(Fault("cut", action="PutParameter", after=cut_after, sticky=True))
        if command == "set":
            result = lift("config", "set", "-e", "staging", *assignments(want), env=BRIEF)
        else:
            source = lift.cwd.parent / "in.env"
            source.write_text("".join(f"{k}={v}\n" for k, v in want.items()))
            result = lift("config", "import", "-e", "staging", str(source), env=BRIEF)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        fault_proxy.clear()
        now = stored(fault_proxy_sandbox(fault_proxy))
        written = sorted(k for k in want if now.get(k) == want[k])
        not_written = sorted(set(want) - set(written))
        assert len(written) == cut_after
        # the key whose request was cut may have reached AWS: it is not said to be unwritten
        in_flight, not_sent = not_written[0], not_written[1:]
        assert (
            f"written: {', '.join(written)}; unknown: {in_flight} (AWS may have applied it); "
            f"not written: {', '.join(not_sent)}"
        ) in result.stderr
        assert "the connection to AWS was cut" in result.stderr
        assert oct(pending_file(lift).stat().st_mode & 0o777) == "0o600"
        done = lift("config", "edit", "-e", "staging", "--resume", env=KEEP)
        assert done.returncode == 0, done.stderr
        final = stored(fault_proxy_sandbox(fault_proxy))
        trials += 1
        lost += sum(1 for k in want if k not in final)
        stale += sum(1 for k in want if k in final and final[k] != want[k])
        resumed += final == want | {k: v for k, v in final.items() if k not in want}
        assert not pending_file(lift).exists()
    figures(f"cut after K: trials={trials} keys lost={lost} stale={stale} resumed={resumed}")
    assert (lost, stale, resumed) == (0, 0, trials)


def fault_proxy_sandbox(proxy: FaultProxy) -> Any:
    """The sandbox behind the proxy, for reading the truth without faults."""
    return type("Upstream", (), {"url": f"http://{proxy._upstream[0]}:{proxy._upstream[1]}"})


def test_random_drops_and_error_bursts_end_as_intended(fault_proxy: FaultProxy, lift: Lift) -> None:
    trials, lost, stale = 0, 0, 0
    for trial, fault in enumerate(
        [
            Fault("cut", rate=0.2, seed=1),
            Fault("cut", rate=0.3, seed=2),
            Fault("error", status=503, count=6),
        ]
    ):
        fault_proxy.clear()
        fault_proxy.add(fault)
        want = wanted(6, f"r{trial}")
        result = lift("config", "set", "-e", "staging", *assignments(want))
        assert "Traceback" not in result.stderr, result.stderr
        fault_proxy.clear()
        for _ in range(3):  # finish what a failure kept, as a user would
            if not pending_file(lift).exists():
                break
            lift("config", "edit", "-e", "staging", "--resume", env=KEEP)
        final = stored(fault_proxy_sandbox(fault_proxy))
        trials += 1
        lost += sum(1 for k in want if k not in final)
        stale += sum(1 for k in want if k in final and final[k] != want[k])
        # one version per trial: a write whose answer was lost is not written again
        sandbox = fault_proxy_sandbox(fault_proxy)
        assert all(sorted(versions(sandbox, k)) == list(range(1, trial + 2)) for k in want)
    figures(f"random drops and 5xx: trials={trials} keys lost={lost} stale={stale}")
    assert (lost, stale) == (0, 0)


def test_kill_9_mid_apply_is_named_by_the_next_command_and_resumed_exactly(
    fault_proxy: FaultProxy, lift: Lift
) -> None:
    sandbox = fault_proxy_sandbox(fault_proxy)
    trials, resumed = 0, 0
    for trial, at in enumerate([4, 7]):  # 40% and 70% of 10 keys
        fault_proxy.clear()
        want = wanted(10, f"k{trial}")
        fault_proxy.add(Fault("stall", action="PutParameter", after=at, count=1))
        before = fault_proxy.count("PutParameter")
        process = subprocess.Popen(
            ["git-lift", "config", "set", "-e", "staging", *assignments(want)],
            cwd=lift.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(lambda b=before, a=at: fault_proxy.count("PutParameter") - b > a)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        fault_proxy.clear()
        shown = lift("config", "show", "-e", "staging")  # reads only: says nothing
        assert "interrupted" not in shown.stderr
        nxt = lift("config", "set", "-e", "staging", "OTHER=x")
        assert f"an apply to payments-api in staging was interrupted: {at} of 10 written" in (
            nxt.stderr
        )
        assert "--resume" in nxt.stderr
        done = lift("config", "edit", "-e", "staging", "--resume", env=KEEP)
        assert done.returncode == 0, done.stderr
        assert f"{10 - at} changed" in done.stderr or f"{10 - at} added" in done.stderr
        final = stored(sandbox)
        trials += 1
        resumed += all(final.get(k) == v for k, v in want.items())
    figures(f"kill -9 at 40%/70%: trials={trials} keys lost=0 resumed={resumed}")
    assert resumed == trials


def test_a_pending_edit_survives_later_writes_until_resumed_or_discarded(
    fault_proxy: FaultProxy, lift: Lift
) -> None:
    once = {"AWS_MAX_ATTEMPTS": "1"}
    fault_proxy.add(Fault("cut", action="PutParameter", after=1, count=1))
    failed = lift("config", "set", "-e", "staging", "A=1", "B=2", env=once)
    assert failed.returncode == 1
    # a later set (that succeeds), a set that fails, an unset, a restore: the edit stays
    assert "B=2" in pending_file(lift).read_text()
    later = lift("config", "set", "-e", "staging", "C=3")
    assert later.returncode == 0 and "an unfinished edit of payments-api in staging is pending" in (
        later.stderr
    )
    fault_proxy.add(Fault("cut", action="PutParameter", count=1))
    also_failed = lift("config", "set", "-e", "staging", "D=4", env=once)
    assert also_failed.returncode == 1
    assert lift("config", "unset", "-e", "staging", "C").returncode == 0
    kept = pending_file(lift).read_text()
    assert "B=2" in kept and "D=4" in kept
    refused = lift("config", "edit", "-e", "staging", env=KEEP)
    assert refused.returncode == 1 and "--discard" in refused.stderr
    done = lift("config", "edit", "-e", "staging", "--resume", env=KEEP)
    assert done.returncode == 0, done.stderr
    assert stored(fault_proxy_sandbox(fault_proxy)) == {"A": "1", "B": "2", "D": "4"}
    fault_proxy.add(Fault("cut", action="PutParameter", count=1))
    lift("config", "set", "-e", "staging", "E=5", env=once)
    dropped = lift("config", "edit", "-e", "staging", "--discard")
    assert dropped.returncode == 0 and not pending_file(lift).exists()


def racing_editor(folder: Path, barrier: Path, value: str) -> str:
    """An editor that sets KEY and then waits until both editors are ready to save."""
    return editor_script(
        folder,
        f"sed -i 's|^KEY=.*|KEY={value}|' \"$file\"\n"
        f"touch {barrier}.{value}\n"
        f"while [ $(ls {barrier}.* 2>/dev/null | wc -l) -lt 2 ]; do sleep 0.01; done",
    )


def test_racing_edits_of_one_key_never_both_win(aws: Any, lift: Lift, tmp_path: Path) -> None:
    trials, lost_updates = 3, 0
    for trial in range(trials):
        ssm(aws).put_parameter(
            Name="/staging/payments-api/KEY", Value="base", Type="SecureString", Overwrite=True
        )
        barrier = tmp_path / f"barrier{trial}"
        editors = []
        for who in ("left", "right"):
            folder = tmp_path / f"{who}{trial}"
            folder.mkdir()
            editors.append(racing_editor(folder, barrier, f"{who}{trial}"))
        processes = [
            subprocess.Popen(
                ["git-lift", "config", "edit", "-e", "staging"],
                cwd=lift.cwd,
                env={**os.environ, "GIT_EDITOR": editor},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for editor in editors
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
        codes = sorted(p.returncode for p in processes)
        wins = sum("staging: 1 changed" in err for _, err in outputs)
        lost_updates += wins - 1
        assert codes == [0, 1] and wins == 1, outputs
        assert any("changed in staging since you started: KEY" in err for _, err in outputs)
        winner = next(
            f"{who}{trial}"
            for who, (_, err) in zip(("left", "right"), outputs, strict=True)
            if "staging: 1 changed" in err
        )
        assert stored(aws)["KEY"] == winner
        for conflict in (lift.cwd / ".git" / "lift").glob("config-edit-*"):
            conflict.unlink()  # the loser's edit, kept for --resume
    figures(f"racing edits of one key: trials={trials} lost updates={lost_updates}")
    assert lost_updates == 0


def test_ten_parallel_sets_of_different_keys_all_land(aws: Any, lift: Lift) -> None:
    processes = [
        subprocess.Popen(
            ["git-lift", "config", "set", "-e", "staging", f"P{n}=v{n}"],
            cwd=lift.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(10)
    ]
    outputs = [p.communicate(timeout=180) for p in processes]
    assert [p.returncode for p in processes] == [0] * 10, outputs
    present = {k: v for k, v in stored(aws).items() if k.startswith("P")}
    figures(f"ten parallel sets: keys present={len(present)}/10")
    assert present == {f"P{n}": f"v{n}" for n in range(10)}


def test_a_lost_answer_is_not_written_twice(fault_proxy: FaultProxy, lift: Lift) -> None:
    fault_proxy.add(Fault("lose", action="PutParameter", count=1))
    result = lift("config", "set", "-e", "staging", "ONCE=1")
    assert result.returncode == 0, result.stderr
    assert versions(fault_proxy_sandbox(fault_proxy), "ONCE") == [1]


def test_aws_max_attempts_1_makes_one_attempt(fault_proxy: FaultProxy, lift: Lift) -> None:
    fault_proxy.add(Fault("error", status=503))
    result = lift("config", "show", "-e", "staging", env={"AWS_MAX_ATTEMPTS": "1"})
    assert result.returncode == 1
    assert fault_proxy.count("DescribeParameters") == 1


def test_emptying_an_environment_needs_confirmation_and_can_be_undone(aws: Any, lift: Lift) -> None:
    for key in ("DATABASE_URL", "API_TOKEN", "EXTRA_ONE"):
        ssm(aws).put_parameter(
            Name=f"/staging/payments-api/{key}", Value=f"{key}-v", Type="SecureString"
        )
    before = stored(aws)
    empty = lift.cwd.parent / "empty.env"
    empty.write_text("")
    refused = lift("config", "import", "-e", "staging", str(empty), "--replace")
    assert refused.returncode == 2 and "needs confirmation" in refused.stderr
    assert "removes 3 keys" in refused.stderr and "2 of them named in env.sample" in refused.stderr
    unset = lift("config", "unset", "-e", "staging", "API_TOKEN")
    assert unset.returncode == 2 and "named in env.sample (API_TOKEN)" in unset.stderr
    yes_only = lift("config", "import", "-e", "staging", str(empty), "--replace", "--yes")
    assert yes_only.returncode == 2 and "--allow-removing-required" in yes_only.stderr
    assert stored(aws) == before
    flags = ("--yes", "--allow-removing-required")
    emptied = lift("config", "import", "-e", "staging", str(empty), "--replace", *flags)
    assert emptied.returncode == 0, emptied.stderr
    assert stored(aws) == {} and "restore --undo" in emptied.stderr
    undo = lift.cwd / ".git" / "lift" / "config-undo-staging.payments-api.env"
    assert oct(undo.stat().st_mode & 0o777) == "0o600"
    back = lift("config", "restore", "--undo", "-e", "staging")
    assert back.returncode == 0, back.stderr
    assert stored(aws) == before


def test_a_hook_on_a_silent_network_returns_within_seconds(
    fault_proxy: FaultProxy, repo: GitRepo, lift: Lift
) -> None:
    assert lift("hooks", "install").returncode == 0
    fault_proxy.add(Fault("stall"))
    repo.write("env.sample", repo.path.joinpath("env.sample").read_text() + "NEW_KEY=x\n")
    repo.git("add", "env.sample")
    started = time.monotonic()
    result = run(["git", "commit", "-q", "-m", "Add NEW_KEY"], repo.path, check=False)
    took = time.monotonic() - started
    figures(f"hook on a silent network: returned in {took:.1f}s")
    assert took < 30
    assert "AWS did not answer" in result.stderr, result.stderr


@pytest.fixture(autouse=True)
def _git_lift_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = Path(__file__).resolve().parents[2] / ".venv" / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_a_killed_edit_leaves_no_private_file_behind_after_the_next_run(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = temp / f"git-lift-edit-{dead.pid}-x1"  # what a SIGKILLed edit leaves
    stale.mkdir(mode=0o700)
    (stale / "LIFT_CONFIG_staging_payments-api.env").write_text("SECRET=1\n")
    alive = temp / f"git-lift-edit-{os.getpid()}-x2"  # another edit, still open
    alive.mkdir(mode=0o700)
    result = lift("config", "edit", "-e", "staging", env={"TMPDIR": str(temp), **KEEP})
    assert result.returncode in (0, 1), result.stderr
    assert not stale.exists() and alive.exists()


ONCE = {"AWS_MAX_ATTEMPTS": "1"}


def test_a_write_whose_answer_was_lost_is_reported_as_unknown(
    fault_proxy: FaultProxy, lift: Lift
) -> None:
    want = wanted(4, "u")
    # K01 reaches AWS and its answer is lost, and so is every answer after it (the check
    # for a landed write included): nothing tells whether K01 was applied
    fault_proxy.add(Fault("lose", action="PutParameter", after=1, sticky=True))
    result = lift("config", "set", "-e", "staging", *assignments(want), env=ONCE)
    assert result.returncode == 1, result.stderr
    assert "written: K00; unknown: K01 (AWS may have applied it); not written: K02, K03" in (
        result.stderr
    )
    sandbox = fault_proxy_sandbox(fault_proxy)
    assert stored(sandbox) == {"K00": "u-0", "K01": "u-1"}  # K01 did land
    fault_proxy.clear()
    done = lift("config", "edit", "-e", "staging", "--resume", env=KEEP)
    assert done.returncode == 0, done.stderr
    assert "conflict" not in done.stderr  # K01 holds the kept value: nothing to choose
    assert stored(sandbox) == want and versions(sandbox, "K01") == [1]


def test_a_later_write_of_a_key_removes_it_from_the_kept_edit(
    fault_proxy: FaultProxy, lift: Lift
) -> None:
    fault_proxy.add(Fault("cut", action="PutParameter", after=1, count=1))
    failed = lift("config", "set", "-e", "staging", "A=1", "B=2", "C=3", env=ONCE)
    assert failed.returncode == 1, failed.stderr
    kept = pending_file(lift).read_text()
    assert "B=2" in kept and "C=3" in kept
    later = lift("config", "set", "-e", "staging", "B=20")
    assert later.returncode == 0, later.stderr
    assert "pending (2 keys)" in later.stderr  # said before the write
    after = lift("config", "show", "-e", "staging")
    assert "B=" not in pending_file(lift).read_text() and "C=3" in pending_file(lift).read_text()
    assert after.returncode == 0
    assert lift("config", "set", "-e", "staging", "C=30").returncode == 0
    assert not pending_file(lift).exists()
    assert stored(fault_proxy_sandbox(fault_proxy)) == {"A": "1", "B": "20", "C": "30"}


def test_resume_shows_a_key_changed_since_the_edit_was_kept_as_a_conflict(
    fault_proxy: FaultProxy, lift: Lift
) -> None:
    sandbox = fault_proxy_sandbox(fault_proxy)
    fault_proxy.add(Fault("cut", action="PutParameter", after=1, count=1))
    failed = lift("config", "set", "-e", "staging", "A=1", "B=mine", "C=3", env=ONCE)
    assert failed.returncode == 1, failed.stderr
    ssm(sandbox).put_parameter(  # a teammate, after the edit was kept
        Name="/staging/payments-api/B", Value="theirs", Type="SecureString", Overwrite=True
    )
    done = lift("config", "edit", "-e", "staging", "--resume", env=KEEP)
    assert done.returncode == 0, done.stderr
    assert "conflict: B changed in staging since the edit was kept" in done.stderr
    assert "mine" not in done.stderr + done.stdout
    assert stored(sandbox) == {"A": "1", "B": "theirs", "C": "3"}
    assert not pending_file(lift).exists()
