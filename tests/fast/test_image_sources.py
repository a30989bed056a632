"""Where a ship's image comes from (flows/image.py) in-process, with ECR and the registry faked:
reused when this environment's registry has the tag, copied when another environment built it,
built otherwise; a promotion copies from the registry it came from; `--image` needs a tag or a
digest, and a tag the registry lacks is refused before anything is planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_lift.errors import LiftError, UsageError
from git_lift.flows import image
from git_lift.flows.image import Image, ImageSource
from git_lift.options import Options
from tests.support.fakes import FakeRegistry, InProcess, in_process

HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
OTHER = "999999999999.dkr.ecr.us-east-1.amazonaws.com"
PLATFORM = "linux/amd64"
TWO_REGISTRIES = f"""\
[env "staging"]
\tref = refs/heads/main
[env "production"]
\tref = refs/tags/v*
\tregistry = {OTHER}
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    return FakeRegistry().install(monkeypatch)


@pytest.fixture
def box(tmp_path: Path) -> InProcess:
    return in_process(tmp_path, gitlift=TWO_REGISTRIES, options=Options(yes=True))


def staging_repository(box: InProcess) -> str:
    return box.aws.ecr_repos.ensure_repository(box.target())


def test_a_tag_this_registry_has_is_reused_not_rebuilt(
    box: InProcess, fake: FakeRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = staging_repository(box)
    digest = fake.push(f"{uri}:tree-abc", {"config": {}})
    source = image.find_image(box.ctx, box.target(), "tree-abc", PLATFORM)
    assert (source.kind, source.digest) == ("reuse", digest)
    assert source.image == Image(uri, "tree-abc", digest)
    assert source.auth is not None  # ECR's token, for the push and the pull
    assert f"image {uri}:tree-abc exists ({digest[:19]}); not rebuilding" in (
        capsys.readouterr().err
    )


def test_a_tag_no_registry_has_is_built_for_the_platform(
    box: InProcess, fake: FakeRegistry
) -> None:
    uri = staging_repository(box)
    source = image.find_image(box.ctx, box.target(), "tree-new", "linux/arm64")
    assert (source.kind, source.platform, source.image) == ("build", "linux/arm64", None)
    assert source.shown == f"{uri}:tree-new (built next)"


def test_without_a_repository_yet_the_plan_says_one_is_made(
    box: InProcess, fake: FakeRegistry
) -> None:
    source = image.find_image(box.ctx, box.target(), "tree-new", PLATFORM)
    assert source.kind == "build" and source.repository_uri == ""
    assert source.shown == "a new ECR repository:tree-new (built next)"
    assert box.aws.ecr_repos.repositories == {}  # a plan only reads


def test_an_image_another_environment_built_is_copied_not_rebuilt(
    box: InProcess, fake: FakeRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    built = fake.push(f"{OTHER}/payments-api:tree-abc", {"config": {}})
    uri = staging_repository(box)
    source = image.find_image(box.ctx, box.target(), "tree-abc", PLATFORM)
    assert source.kind == "copy" and source.copy_from is not None
    assert source.copy_from.pinned == f"{OTHER}/payments-api@{built}"
    assert source.image is None  # not in this registry until copied
    assert source.shown == f"{uri}@{built} (copied next from {source.copy_from.pinned})"
    assert "was built for another environment: copying, not building" in capsys.readouterr().err


def test_a_promotion_from_another_registry_is_copied_by_digest(
    box: InProcess, fake: FakeRegistry
) -> None:
    uri = staging_repository(box)
    digest = fake.push(f"{uri}:tree-abc", {"config": {}})
    source = image.promoted(box.ctx, box.target("production"), Image(uri, "tree-abc", digest))
    assert (source.kind, source.repository_uri, source.tag) == (
        "copy",
        f"{OTHER}/payments-api",
        "tree-abc",
    )
    untagged = image.promoted(box.ctx, box.target("production"), Image(uri, "", digest))
    assert untagged.tag == digest.removeprefix("sha256:")[:12]


def test_an_image_from_elsewhere_runs_as_it_is(box: InProcess, fake: FakeRegistry) -> None:
    ci = Image("ghcr.io/acme/payments-api", "v1", "sha256:" + "a" * 64)
    source = image.promoted(box.ctx, box.target(), ci)
    assert source == ImageSource("given", ci.repository_uri, "v1", ci.digest)
    assert source.image == ci


@pytest.mark.parametrize("uri", ["ghcr.io/acme/payments-api", "localhost:5000/app"])
def test_an_image_needs_a_tag_or_a_digest(uri: str) -> None:
    with pytest.raises(UsageError) as raised:
        image.given_reference(uri)
    assert raised.value.message == f"--image {uri} names neither a tag nor a digest"
    assert raised.value.hint == (
        "pass REPOSITORY:TAG (resolved to its digest) or REPOSITORY@sha256:<digest>"
    )


def test_a_tag_is_pinned_to_the_digest_the_registry_has(fake: FakeRegistry) -> None:
    digest = fake.push("ghcr.io/acme/payments-api:v1", {"config": {}})
    assert image.given_image("ghcr.io/acme/payments-api:v1") == Image(
        "ghcr.io/acme/payments-api", "v1", digest
    )
    with pytest.raises(LiftError) as raised:
        image.given_image("ghcr.io/acme/payments-api:v2")
    assert raised.value.message == "the registry has no image ghcr.io/acme/payments-api:v2"
    assert raised.value.hint == "push it first, or pass the image by digest (uri@sha256:...)"


def test_an_image_given_by_digest_asks_no_registry(fake: FakeRegistry) -> None:
    pinned = "ghcr.io/acme/payments-api@sha256:" + "b" * 64
    assert image.given_image(pinned).digest == "sha256:" + "b" * 64
    assert fake.asked == []


def test_dirty_builds_and_arm64_get_tags_of_their_own(box: InProcess) -> None:
    sha = box.ctx.repo.head_sha()
    dirty = image.image_tag(box.ctx, box.target(), sha, "d1ff", {}, "X86_64")
    assert dirty == f"{sha}-dirty-d1ff"
    with_args = image.image_tag(box.ctx, box.target(), sha, "d1ff", {"V": "1"}, "ARM64")
    assert with_args.startswith(f"{sha}-dirty-d1ff-args-") and with_args.endswith("-arm64")
    assert image.tagged_with_args("t", {"B": "2", "A": "1"}) == image.tagged_with_args(
        "t", {"A": "1", "B": "2"}
    )
    assert image.tagged_for("t", "X86_64") == "t"


def test_a_configured_registry_needs_no_ecr(box: InProcess) -> None:
    uri, auth = image.destination(box.ctx, box.target("production"), create=True)
    assert (uri, auth) == (f"{OTHER}/payments-api", None)
    assert box.aws.ecr_repos.repositories == {}
    made, token = image.destination(box.ctx, box.target(), create=True)
    assert made == f"{HOST}/payments-api" and token is not None
