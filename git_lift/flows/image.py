"""The image for a commit: reuse `<service>:<tag>` when the registry has it, else build and push.

The tag names what the build reads (source_tag): `tree-<hash>` of the git tree of the
service's build context, its Dockerfile, the build args and the target platform. A commit that
touches none of them (another service's folder in a monorepo, a README) has the same tag, so
its image is the registry's, reused: not built, not pushed. Images named after their commit
(`<service>:<sha>`, before tree tags) stay what their releases ran, pinned by digest, for
rollback and promote; an --allow-dirty build is still `<sha>-dirty-<hash of the diff>`.

Where images go: the environment's `registry` (any OCI registry; `lift.registry` for all of
them, and the sandbox sets GIT_LIFT_REGISTRY to its local one), else the environment's own
account's ECR, whose repository `<service>` is created on first push. An image is built once:
when another environment's registry has it already (another account or region), it is copied
by digest into this one (image_copy.py), never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from git_lift import containercfg, registry, ui
from git_lift.errors import LiftError, UsageError
from git_lift.flows.context import Context
from git_lift.registry import RegistryAuth
from git_lift.target import Target


@dataclass(frozen=True)
class Image:
    repository_uri: str  # registry/repository
    tag: str
    digest: str

    @property
    def pinned(self) -> str:
        """What a task definition runs: by digest, never by a mutable tag."""
        return f"{self.repository_uri}@{self.digest}"


@dataclass(frozen=True)
class ImageSource:
    """Where a ship's image comes from, known before anything is built: an image given
    (`--image`, a promotion), one the registry has already (reused), or one to build."""

    kind: str  # "given" | "reuse" | "build" | "copy"
    repository_uri: str  # "" for an ECR repository that the build or copy creates
    tag: str
    digest: str | None = None  # None until built
    auth: RegistryAuth | None = None
    copy_from: Image | None = None  # "copy": the same digest in another environment's registry
    copy_auth: RegistryAuth | None = None
    platform: str | None = None  # "build": the --platform it builds for

    @property
    def image(self) -> Image | None:
        """The image to deploy, once it is in this environment's registry."""
        if self.kind == "copy" or not self.digest:
            return None
        return Image(self.repository_uri, self.tag, self.digest)

    @property
    def shown(self) -> str:
        """The image as a plan shows it."""
        found = self.image
        where = self.repository_uri or "a new ECR repository"
        if self.copy_from is not None:
            return f"{where}@{self.copy_from.digest} (copied next from {self.copy_from.pinned})"
        return found.pinned if found else f"{where}:{self.tag} (built next)"


def destination(ctx: Context, target: Target, *, create: bool) -> tuple[str, RegistryAuth | None]:
    """The repository's URI and how to log in; a missing ECR repository is created only
    when `create` (a build or a copy), else its URI is ""."""
    configured = target.environment.aws.registry
    if configured:
        return f"{configured.rstrip('/')}/{target.ecr_repository}", None
    ecr = ctx.aws.ecr(target.env)
    uri = ecr.ensure_repository(target) if create else ecr.repository_uri(target)
    if uri is None:
        return "", None
    return uri, registry.auth_from_ecr_token(ecr.authorization_token())


TREE_TAG = "tree-"
KEY_VERSION = 1  # what source_tag hashes, and how; a change of either makes a new version


def source_tag(
    ctx: Context, target: Target, sha: str, build_args: dict[str, str], platform: str
) -> str:
    """`tree-<hash>`: the tag of the image built from `sha`, a hash of all the build reads.
    The context's tree id covers every file in it (a .dockerignore too); the Dockerfile's blob
    counts apart, as it may live outside the context; `platform` is the `os/arch` built for."""
    service = target.service
    what = {
        "key": KEY_VERSION,
        "context": ctx.repo.tree_id_at(sha, posixpath.normpath(service.context)),
        "dockerfile": ctx.repo.blob_id_at(sha, posixpath.normpath(service.dockerfile)),
        "args": sorted(build_args.items()),
        "platform": platform,
    }
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()
    return f"{TREE_TAG}{digest[:32]}"


def build_platform(architecture: str) -> str:
    """The platform an image is built for (its tag names it): the service's cpu_architecture
    as --platform names it."""
    return containercfg.PLATFORMS[architecture]


def image_tag(
    ctx: Context,
    target: Target,
    sha: str,
    dirty: str | None,
    build_args: dict[str, str],
    architecture: str,
) -> str:
    """The tag of the image built from `sha` for `architecture`: named by what the build reads
    (source_tag); with uncommitted changes (`dirty`, their hash), by the commit, that hash,
    the build args and the architecture."""
    if dirty:
        return tagged_for(tagged_with_args(f"{sha}-dirty-{dirty}", build_args), architecture)
    return source_tag(ctx, target, sha, build_args, build_platform(architecture))


def find_image(ctx: Context, target: Target, tag: str, platform: str) -> ImageSource:
    """The registry's `<service>:<tag>` when it has it (reused), else the image to build for
    `platform`. Only reads: a plan is shown, and maybe refused, before anything is written."""
    repository_uri, auth = destination(ctx, target, create=False)
    existing = _digest_of(repository_uri, tag, auth)
    if existing:
        ui.info(f"image {repository_uri}:{tag} exists ({existing[:19]}); not rebuilding")
        return ImageSource("reuse", repository_uri, tag, existing, auth)
    elsewhere = _built_elsewhere(ctx, target, repository_uri, tag)
    if elsewhere is not None:
        built, built_auth = elsewhere
        ui.info(f"image {built.pinned} was built for another environment: copying, not building")
        return ImageSource("copy", repository_uri, tag, built.digest, auth, built, built_auth)
    return ImageSource("build", repository_uri, tag, None, auth, platform=platform)


def _digest_of(repository_uri: str, tag: str, auth: RegistryAuth | None) -> str | None:
    if not repository_uri:
        return None
    ref = registry.parse_image(f"{repository_uri}:{tag}")
    return registry.manifest_digest(
        ref.registry, ref.repository, tag, auth=auth, insecure=registry.is_loopback(ref.registry)
    )


def _built_elsewhere(
    ctx: Context, target: Target, here: str, tag: str
) -> tuple[Image, RegistryAuth | None] | None:
    """The image in another environment's registry (the environment that built it first),
    asked only when this one lacks it. An environment whose registry cannot be asked (no
    credentials for its account here) is passed over: then the image is built."""
    for name in sorted(ctx.settings.environments):
        if name == target.env:
            continue
        other = ctx.target(name, target.service)
        try:
            uri, auth = destination(ctx, other, create=False)
            digest = _digest_of(uri, tag, auth) if uri and uri != here else None
        except LiftError:
            continue
        if digest:
            return Image(uri, tag, digest), auth
    return None


def promoted(ctx: Context, target: Target, image: Image) -> ImageSource:
    """An image another environment runs (a promotion), as this environment will run it:
    copied by digest into its own registry when it lives in another environment's registry
    (another account or region); an image from elsewhere (built by CI) runs as it is."""
    here, auth = destination(ctx, target, create=False)
    if image.repository_uri != here:
        for name in sorted(ctx.settings.environments):
            try:
                uri, origin_auth = destination(ctx, ctx.target(name, target.service), create=False)
            except LiftError:  # no credentials for that account here: not where it came from
                continue
            if uri == image.repository_uri:
                tag = image.tag or image.digest.removeprefix("sha256:")[:12]
                return ImageSource("copy", here, tag, image.digest, auth, image, origin_auth)
    return ImageSource("given", image.repository_uri, image.tag, image.digest)


def make_image(
    ctx: Context,
    target: Target,
    source: ImageSource,
    sha: str,
    build_args: dict[str, str],
    files: Callable[[], AbstractContextManager[Path]] | None,
) -> Image:
    """The image a plan said it would make: copied from another registry, or built (a plan
    to build comes with the commit's files)."""
    if source.copy_from is None:
        assert files is not None, "a plan to build comes with the files to build"
        return build_image(ctx, target, source, sha, build_args, files)
    from git_lift.image_copy import Endpoint, copy

    repository_uri, auth = source.repository_uri, source.auth
    if not repository_uri:
        repository_uri, auth = destination(ctx, target, create=True)
    built = registry.parse_image(source.copy_from.pinned)
    into = registry.parse_image(f"{repository_uri}:{source.tag}")
    ui.info(f"copying {source.copy_from.pinned} to {repository_uri}:{source.tag}")
    done = copy(
        Endpoint(built.registry, built.repository, source.copy_auth),
        source.copy_from.digest,
        Endpoint(into.registry, into.repository, auth),
        source.tag,
    )
    ui.info(f"copied: {done.blobs_copied} blobs sent, {done.blobs_present} there already")
    return Image(repository_uri, source.tag, source.copy_from.digest)


def build_image(
    ctx: Context,
    target: Target,
    source: ImageSource,
    sha: str,
    build_args: dict[str, str],
    files: Callable[[], AbstractContextManager[Path]],
) -> Image:
    """Build the image from `files()` (entered only now: exporting a commit costs time that a
    reused image does not need) and push it."""
    from git_lift.build import detect_builder, host_platform

    service = target.service
    builder = detect_builder(ctx.settings.builder, stream=ctx.options.output != "json")
    repository_uri, auth = source.repository_uri, source.auth
    if not repository_uri:
        repository_uri, auth = destination(ctx, target, create=True)
    uri = f"{repository_uri}:{source.tag}"
    labels = image_labels(ctx, target, source.tag, sha)
    if source.platform:
        # buildah (1.28) reuses its layer cache across --platform for a FROM scratch image, and
        # an amd64 build then comes out arm64: a label per platform keeps the two apart.
        labels["git-lift.platform"] = source.platform
    with files() as root:
        # Both resolved inside the exported commit: a committed symlink cannot widen the build.
        dockerfile = ctx.repo.contained(service.dockerfile, root)
        context = ctx.repo.contained(service.context, root)
        if not dockerfile.is_file():
            raise LiftError(
                f"there is no {service.dockerfile} at {sha[:12]}",
                hint="commit a Dockerfile, or set dockerfile in .gitlift, or pass --image",
            )
        ui.info(f"building {uri} for {source.platform or host_platform()} with {builder.name}")
        if source.platform and source.platform != host_platform():
            ui.info(
                f"  this machine is {host_platform()}: a RUN step of the Dockerfile needs "
                f"{source.platform} emulation (qemu-user-static, binfmt_misc)"
            )
        builder.build(str(context), str(dockerfile), uri, build_args, labels, source.platform)
    ui.info(f"pushing {uri}")
    insecure = registry.is_loopback(registry.parse_image(uri).registry)
    digest = builder.push(uri, insecure_registry=insecure, auth=auth)
    return Image(repository_uri, source.tag, digest)


def tagged_for(tag: str, architecture: str) -> str:
    """An ARM64 image is `<tag>-arm64`, so that neither architecture reuses the other's build;
    X86_64, ECS's default, keeps the plain tag (the images built before cpu_architecture)."""
    return tag if architecture == "X86_64" else f"{tag}-{architecture.lower()}"


def image_labels(ctx: Context, target: Target, tag: str, sha: str) -> dict[str, str]:
    """OCI labels: where it came from, and what it was built from. An image named after its
    tree was built from that tree, whichever commit built it first, so it names the tree
    (the release records the commit); a dirty build names its commit, as its tag does."""
    labels = {}
    if tag.startswith(TREE_TAG):
        context = posixpath.normpath(target.service.context)
        labels["dev.git-lift.tree"] = ctx.repo.tree_id_at(sha, context) or ""
        labels["dev.git-lift.context"] = context
    else:
        labels["org.opencontainers.image.revision"] = sha
    remote = ctx.repo.remote_url()
    if remote:
        labels["org.opencontainers.image.source"] = remote
    return labels


def given_reference(uri: str) -> registry.ImageRef:
    """`--image`: `REPO[:TAG]@sha256:<digest>` or `REPO:TAG`, checked before any request
    (the CLI calls this as it parses the flag)."""
    ref = registry.parse_image(uri)
    if ref.tag is None and ref.digest is None:
        raise UsageError(
            f"--image {uri} names neither a tag nor a digest",
            hint="pass REPOSITORY:TAG (resolved to its digest) or REPOSITORY@sha256:<digest>",
        )
    return ref


def tagged_with_args(tag: str, build_args: dict[str, str]) -> str:
    """Build args are part of what an image is: `<tag>-args-<hash of the sorted K=V>`, so a
    dirty build with other args builds anew instead of reusing the one built without them
    (a tree tag hashes them in)."""
    if not build_args:
        return tag
    text = "\n".join(f"{key}={value}" for key, value in sorted(build_args.items()))
    return f"{tag}-args-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def given_image(uri: str) -> Image:
    """`--image URI`: an image built elsewhere (CI); pinned by the digest the registry reports."""
    ref = given_reference(uri)
    repository_uri = f"{ref.registry}/{ref.repository}"
    if ref.digest:
        return Image(repository_uri, ref.tag or "", ref.digest)
    tag = ref.tag or ""  # given_reference: a tag when there is no digest
    digest = registry.manifest_digest(
        ref.registry, ref.repository, tag, insecure=registry.is_loopback(ref.registry)
    )
    if digest is None:
        raise LiftError(
            f"the registry has no image {uri}",
            hint="push it first, or pass the image by digest (uri@sha256:...)",
        )
    return Image(repository_uri, tag, digest)
