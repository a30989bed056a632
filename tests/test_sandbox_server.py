"""The sandbox server (counts, resets, entry point) and `git lift sandbox` start/stop/env."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from git_lift.commands import sandbox as sandbox_command
from git_lift.errors import LiftError
from git_lift.sandbox import local_registry
from git_lift.sandbox.server import SandboxServer
from git_lift.sandbox.wsgi import identify

REPO = Path(__file__).resolve().parent.parent


def http(url: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_counts_requests_by_service_and_action(
    server: SandboxServer, session: boto3.session.Session
) -> None:
    url = server.url
    ssm = session.client("ssm", endpoint_url=url)
    ssm.put_parameter(Name="/staging/api/KEY", Value="v", Type="SecureString")
    ssm.get_parameters_by_path(Path="/staging/api/", WithDecryption=False)
    ssm.get_parameters_by_path(Path="/staging/api/", WithDecryption=False)
    session.client("ecs", endpoint_url=url).list_clusters()
    session.client("ecr", endpoint_url=url).describe_repositories()
    session.client("dynamodb", endpoint_url=url).list_tables()
    session.client("logs", endpoint_url=url).describe_log_groups()
    session.client("cloudformation", endpoint_url=url).list_stacks()
    session.client("sts", endpoint_url=url).get_caller_identity()
    session.client("s3", endpoint_url=url).list_buckets()

    expected = {
        "cloudformation.ListStacks": 1,
        "dynamodb.ListTables": 1,
        "ecr.DescribeRepositories": 1,
        "ecs.ListClusters": 1,
        "logs.DescribeLogGroups": 1,
        "s3.GET /": 1,
        "ssm.GetParametersByPath": 2,
        "ssm.PutParameter": 1,
        "sts.GetCallerIdentity": 1,
    }
    assert http(f"{url}/_lift/requests") == expected
    assert server.request_counts() == expected


def test_counts_reset_over_http_and_from_python(
    server: SandboxServer, session: boto3.session.Session
) -> None:
    sts = session.client("sts", endpoint_url=server.url)
    sts.get_caller_identity()

    assert http(f"{server.url}/_lift/requests/reset", "POST") == {"status": "ok"}
    assert http(f"{server.url}/_lift/requests") == {}

    sts.get_caller_identity()
    assert server.request_counts() == {"sts.GetCallerIdentity": 1}
    server.reset_counts()
    assert server.request_counts() == {}


def test_resets_forget_aws_state(server: SandboxServer, session: boto3.session.Session) -> None:
    ssm = session.client("ssm", endpoint_url=server.url)
    for reset in (
        lambda: http(f"{server.url}/moto-api/reset", "POST"),
        lambda: http(f"{server.url}/_lift/reset", "POST"),
        server.reset,
    ):
        ssm.put_parameter(Name="/staging/api/KEY", Value="v", Type="SecureString")
        reset()
        with pytest.raises(ssm.exceptions.ParameterNotFound):
            ssm.get_parameter(Name="/staging/api/KEY")
    # /moto-api/reset keeps the counts; a full reset empties them too
    http(f"{server.url}/_lift/reset", "POST")
    assert server.request_counts() == {}


def test_health_names_the_serving_process(server: SandboxServer) -> None:
    assert http(f"{server.url}/_lift/health") == {"status": "ok", "pid": os.getpid()}
    with pytest.raises(urllib.error.HTTPError) as raised:
        http(f"{server.url}/_lift/nothing")
    assert raised.value.code == 404


def test_a_busy_port_is_a_lift_error(server: SandboxServer) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(LiftError) as raised:
        SandboxServer(port=port).start()
    assert f"127.0.0.1:{port}" in raised.value.message
    assert raised.value.hint is not None and "--port" in raised.value.hint


@pytest.mark.parametrize(
    ("environ", "body", "expected"),
    [
        (
            {
                "HTTP_X_AMZ_TARGET": "AmazonSSM.GetParametersByPath",
                "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20240101/"
                "eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=x",
            },
            b"{}",
            ("ssm.GetParametersByPath", "eu-west-1"),
        ),
        (
            {
                "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
                "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20240101/"
                "us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x",
            },
            b"Action=GetCallerIdentity&Version=2011-06-15",
            ("sts.GetCallerIdentity", "us-east-1"),
        ),
        (
            {"REQUEST_METHOD": "GET", "PATH_INFO": "/2015-03-31/functions/"},
            b"",
            ("unknown.GET /2015-03-31/functions/", "eu-west-1"),
        ),
    ],
)
def test_identify_names_service_action_and_region(
    environ: dict[str, str], body: bytes, expected: tuple[str, str]
) -> None:
    call = identify(environ, body)
    assert (call.key, call.region) == expected


def test_module_entry_point_serves_until_sigterm() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "git_lift.sandbox.server", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        assert ready.startswith("ready http://127.0.0.1:")
        url = ready.split()[1]
        assert http(f"{url}/_lift/health")["pid"] == server.pid
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()


# git lift sandbox ---------------------------------------------------------------------------


def exported(lines: list[str]) -> dict[str, str]:
    pairs = [
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
    ]
    return {name: value for name, value in pairs}


def test_detach_env_reset_stop(tmp_path: Path) -> None:
    state = tmp_path / "git-lift"
    out: list[str] = []
    try:
        assert sandbox_command.detach(out.append, registry=False, directory=state) == 0
        recorded = json.loads((state / "sandbox.json").read_text())
        variables = exported(out)
        url = variables["AWS_ENDPOINT_URL"]

        assert recorded["url"] == url and recorded["mode"] == "detached"
        assert http(f"{url}/_lift/health")["pid"] == recorded["pid"] != os.getpid()
        assert any("NOT AWS" in line for line in out)
        assert variables["AWS_ACCESS_KEY_ID"] == "testing"
        assert variables["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert "GIT_LIFT_REGISTRY" not in variables

        env_lines: list[str] = []
        assert sandbox_command.env(env_lines.append, directory=state) == 0
        assert exported(env_lines) == variables
        assert env_lines[0].startswith("#")  # eval-safe: a comment, then exports only

        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
        )
        ssm = session.client("ssm", endpoint_url=url)
        ssm.put_parameter(Name="/staging/api/KEY", Value="v", Type="String")
        assert sandbox_command.reset(out.append, directory=state) == 0
        with pytest.raises(ssm.exceptions.ParameterNotFound):
            ssm.get_parameter(Name="/staging/api/KEY")

        with pytest.raises(LiftError) as again:
            sandbox_command.detach(out.append, registry=False, directory=state)
        assert "already running" in again.value.message
        assert again.value.hint == "git lift sandbox stop"
    finally:
        stopped: list[str] = []
        sandbox_command.stop(stopped.append, directory=state)

    # What it held is gone, and stop says so (issue 18): moto keeps AWS state in memory only.
    assert stopped[0] == f"stopped the sandbox at {url}" and len(stopped) == 2
    assert "in memory" in stopped[1] and "the next sandbox starts empty" in stopped[1]
    assert not (state / "sandbox.json").exists()
    with pytest.raises(urllib.error.URLError):
        http(f"{url}/_lift/health")
    for command in (sandbox_command.stop, sandbox_command.env, sandbox_command.reset):
        with pytest.raises(LiftError) as not_running:
            command(out.append, directory=state)
        assert not_running.value.message == "no sandbox is running"
        assert not_running.value.hint == "git lift sandbox --detach"


@pytest.mark.skipif(
    local_registry.find_registry_binary() is None, reason="docker-registry is not installed"
)
def test_detach_starts_and_stop_ends_the_registry(tmp_path: Path) -> None:
    state = tmp_path / "git-lift"
    out: list[str] = []
    sandbox_command.detach(out.append, directory=state)
    try:
        address = exported(out)["GIT_LIFT_REGISTRY"]
        assert address.startswith("127.0.0.1:")
        assert http(f"http://{address}/v2/") == {}
    finally:
        sandbox_command.stop(out.append, directory=state)
    with pytest.raises(OSError):  # refused, or reset while the registry goes away
        http(f"http://{address}/v2/")


@pytest.mark.skipif(
    local_registry.find_registry_binary() is None, reason="docker-registry is not installed"
)
@pytest.mark.parametrize("then", ["detach", "stop"])
def test_a_killed_sandbox_leaves_no_registry_behind(tmp_path: Path, then: str) -> None:
    """kill -9 of the server used to leave its registry running: a second `--detach` started
    another one on the same storage, and `stop` left the first."""
    state = tmp_path / "git-lift"
    out: list[str] = []
    sandbox_command.detach(out.append, directory=state)
    first = json.loads((state / "sandbox.json").read_text())
    os.kill(first["pid"], signal.SIGKILL)
    address = exported(out)["GIT_LIFT_REGISTRY"]
    assert http(f"http://{address}/v2/") == {}  # the orphan still answers
    try:
        if then == "detach":
            sandbox_command.detach(out.append, directory=state)
        else:
            sandbox_command.stop(out.append, directory=state)
            assert "had already stopped; cleaned up after it" in out[-1]
        with pytest.raises(OSError):  # refused, or reset while the registry goes away
            http(f"http://{address}/v2/")
    finally:
        if (state / "sandbox.json").exists():
            sandbox_command.stop(out.append, directory=state)


def test_foreground_sandbox_is_found_and_stopped_from_another_process(tmp_path: Path) -> None:
    state = tmp_path / "git-lift"
    script = (
        "import sys; from pathlib import Path; from git_lift.commands.sandbox import serve; "
        "raise SystemExit(serve(lambda line: print(line, flush=True), registry=False, "
        "directory=Path(sys.argv[1])))"
    )
    foreground = subprocess.Popen(
        [sys.executable, "-c", script, str(state)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert foreground.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1] != "Serving until Ctrl-C.":
            line = foreground.stdout.readline()
            assert line, f"the sandbox exited early: {lines}"
            lines.append(line.rstrip("\n"))
        recorded = json.loads((state / "sandbox.json").read_text())
        assert (recorded["pid"], recorded["mode"]) == (foreground.pid, "foreground")
        assert exported(lines)["AWS_ENDPOINT_URL"] == recorded["url"]

        sandbox_command.stop(lambda line: None, directory=state)

        assert foreground.wait(timeout=10) == 0
        assert foreground.stdout.read().strip() == "sandbox stopped"
        assert not (state / "sandbox.json").exists()
    finally:
        foreground.kill()
        foreground.wait()


def test_missing_moto_server_extras_point_at_the_install_command(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['flask'] = None\n"
        "from pathlib import Path\n"
        "from git_lift.commands.sandbox import detach\n"
        "from git_lift.errors import LiftError\n"
        "try:\n"
        "    detach(print, directory=Path(sys.argv[1]))\n"
        "except LiftError as exc:\n"
        "    print(exc.message); print(exc.hint)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    message, hint = result.stdout.splitlines()
    assert "moto[server]" in message
    assert hint == "pip install 'git-lift[sandbox]'"


def test_parameter_store_pages_as_aws_does_and_lists_one_path_only(
    server: SandboxServer, session: boto3.session.Session
) -> None:
    ssm = session.client("ssm", endpoint_url=server.url)
    for n in range(120):
        ssm.put_parameter(Name=f"/staging/api/KEY_{n:03}", Value="v", Type="SecureString")
    for n in range(30):  # elsewhere: never listed, never a page of its own
        ssm.put_parameter(Name=f"/staging/other/KEY_{n:03}", Value="v", Type="SecureString")
        ssm.put_parameter(Name=f"/staging/api/deeper/KEY_{n:03}", Value="v", Type="String")
    ssm.delete_parameter(Name="/staging/api/KEY_000")
    ssm.delete_parameters(Names=["/staging/api/KEY_001"])
    path_filter = [{"Key": "Path", "Option": "OneLevel", "Values": ["/staging/api"]}]
    server.reset_counts()

    described = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=path_filter, PaginationConfig={"PageSize": 50}
    )
    pages = [[item["Name"] for item in page["Parameters"]] for page in described]
    by_path = ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/staging/api", PaginationConfig={"PageSize": 10}
    )
    values = [item["Name"] for page in by_path for item in page["Parameters"]]

    wanted = [f"/staging/api/KEY_{n:03}" for n in range(2, 120)]
    assert [len(page) for page in pages] == [50, 50, 18]  # AWS's 50 a page, not moto's 10
    assert sorted(name for page in pages for name in page) == wanted == sorted(values)
    # 118 keys: 3 pages of names, 12 of values; no empty page after a full one
    assert server.request_counts() == {"ssm.DescribeParameters": 3, "ssm.GetParametersByPath": 12}
    with pytest.raises(ssm.exceptions.ClientError, match="less than or equal to 50"):
        ssm.describe_parameters(ParameterFilters=path_filter, MaxResults=51)
    recursive = ssm.get_parameters_by_path(Path="/staging/api", Recursive=True, MaxResults=10)
    assert len(recursive["Parameters"]) == 10  # other shapes are moto's own, unchanged


def test_a_stopped_sandbox_is_named_with_how_to_start_it(tmp_path: Path) -> None:
    """AWS_ENDPOINT_URL still points at a sandbox that was stopped: every command says so at
    once, with the command that starts it, instead of retrying a refused port for seconds."""
    import socket

    from tests.support.helpers import GitRepo, Lift

    with socket.socket() as probe:  # a loopback port nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo = GitRepo.create(tmp_path / "payments-api")
    dead = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    said = (
        f"AWS_ENDPOINT_URL=http://127.0.0.1:{port}: nothing answers there, so the sandbox "
        "is not running"
    )
    shown = Lift(repo.path)("config", "show", "-e", "staging", env=dead)
    assert shown.returncode == 1 and said in shown.stderr, shown.stderr
    assert "hint: git lift sandbox --detach" in shown.stderr
    status = Lift(repo.path)("status", "-e", "staging", env=dead)  # per environment, in a row
    assert status.returncode == 1 and said in status.stdout + status.stderr, status.stdout


def test_a_json_template_is_read_as_json_and_a_yaml_one_as_yaml(
    server: SandboxServer, session: boto3.session.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto reads templates with PyYAML's pure-Python loader, and the sandbox reads each
    stack's after every CloudFormation request: for our JSON templates that was most of a
    `service create`'s time. JSON is read as JSON now; YAML is still YAML."""
    import yaml

    loaded: list[str] = []
    real_load = yaml.load
    monkeypatch.setattr(
        yaml, "load", lambda text, Loader: loaded.append(text) or real_load(text, Loader)
    )
    cfn = session.client("cloudformation", endpoint_url=server.url)
    resources = {"Topic": {"Type": "AWS::SNS::Topic"}}
    outputs = {"Answer": {"Value": "42", "Export": {"Name": "answer"}}}
    as_json = json.dumps({"Resources": resources, "Outputs": outputs})
    as_yaml = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n  Answer:\n    Value: '43'\n"
    )
    for name, body in (("from-json", as_json), ("from-yaml", as_yaml)):
        cfn.create_change_set(
            StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body
        )
        cfn.execute_change_set(StackName=name, ChangeSetName="first")
        loaded_by_now = list(loaded)
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert [o["OutputValue"] for o in stack["Outputs"]] == [
            "42" if name == "from-json" else "43"
        ]
        if name == "from-json":
            assert loaded_by_now == []
    assert loaded and all(text == as_yaml for text in loaded)


def test_each_request_finds_its_service_without_listing_motos_modules_again(
    server: SandboxServer, session: boto3.session.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto listed its ~150 module folders from disk, a stat each, twice a request to find
    which service a request's host names: a fifth of the sandbox's time (issue 19)."""
    from moto import backends

    listed: list[int] = []
    real = backends.list_of_moto_modules
    monkeypatch.setattr(backends, "list_of_moto_modules", lambda: listed.append(1) or real())
    ssm = session.client("ssm", endpoint_url=server.url)
    for n in range(5):
        ssm.put_parameter(Name=f"/staging/api/K{n}", Value="v", Type="SecureString")
    assert len(ssm.get_parameters_by_path(Path="/staging/api")["Parameters"]) == 5
    assert len(listed) <= 1  # the first request to a host not seen before, at most
