"""ECR and an OCI registry in memory. FakeRegistry has the transport functions of
git_lift/registry.py (same names and signatures) and `install`s them over the module's, so
that `image_config` and the flows above run unchanged on images a test `push`es."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from git_lift import registry
from git_lift.aws.ecr import Ecr
from git_lift.registry import OCI_MANIFEST, RegistryAuth
from git_lift.target import Target
from tests.support.fakes.client import NoClient

ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


class FakeEcr(Ecr):
    def __init__(self, host: str = ECR_HOST) -> None:
        super().__init__(NoClient("ecr"))  # type: ignore[arg-type]
        self.host = host
        self.repositories: dict[str, str] = {}  # name -> URI
        self.images: dict[str, set[str]] = {}  # repository name -> digests

    def ensure_repository(self, target: Target) -> str:
        name = target.ecr_repository
        return self.repositories.setdefault(name, f"{self.host}/{name}")

    def repository_uri(self, target: Target) -> str | None:
        return self.repositories.get(target.ecr_repository)

    def image_digests(self, target: Target) -> list[str]:
        return sorted(self.images.get(target.ecr_repository, set()))

    def delete_images(self, target: Target, digests: list[str]) -> int:
        held = self.images.get(target.ecr_repository, set())
        gone = held & set(digests)
        held -= gone
        return len(gone)

    def authorization_token(self) -> str:
        return base64.b64encode(b"AWS:fake-ecr-password").decode()


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass
class FakeRegistry:
    """Repositories of one or more registries: (registry, repository) -> tags and content."""

    tags: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    content: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    asked: list[tuple[str, str, str]] = field(default_factory=list)  # (function, repo, ref)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
        for name in ("manifest_digest", "manifest", "blob"):
            monkeypatch.setattr(registry, name, getattr(self, name))
        return self

    def push(self, image: str, config: dict[str, Any], *, tag: str | None = None) -> str:
        """An image (`registry/repository[:tag]`) with this config; returns its digest."""
        ref = registry.parse_image(image)
        where = (ref.registry, ref.repository)
        blobs = self.content.setdefault(where, {})
        config_body = json.dumps(config).encode()
        blobs[digest_of(config_body)] = config_body
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"digest": digest_of(config_body), "size": len(config_body)},
                "layers": [],
            }
        ).encode()
        blobs[digest_of(body)] = body
        if tag or ref.tag:
            self.tags.setdefault(where, {})[tag or ref.tag or ""] = digest_of(body)
        return digest_of(body)

    def _resolve(self, registry_: str, repository: str, reference: str) -> bytes | None:
        where = (registry_, repository)
        digest = self.tags.get(where, {}).get(reference, reference)
        return self.content.get(where, {}).get(digest)

    def manifest_digest(
        self,
        registry: str,
        repository: str,
        tag: str,
        *,
        auth: RegistryAuth | None = None,
        insecure: bool = False,
    ) -> str | None:
        self.asked.append(("manifest_digest", repository, tag))
        body = self._resolve(registry, repository, tag)
        return None if body is None else digest_of(body)

    def manifest(
        self,
        registry: str,
        repository: str,
        reference: str,
        *,
        auth: RegistryAuth | None = None,
        insecure: bool = False,
    ) -> dict[str, Any] | None:
        self.asked.append(("manifest", repository, reference))
        body = self._resolve(registry, repository, reference)
        return None if body is None else dict(json.loads(body))

    def blob(
        self,
        registry: str,
        repository: str,
        digest: str,
        *,
        auth: RegistryAuth | None = None,
        insecure: bool = False,
    ) -> bytes | None:
        self.asked.append(("blob", repository, digest))
        return self.content.get((registry, repository), {}).get(digest)
