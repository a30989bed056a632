"""ECR: a service's repository (Target.ecr_repository) and a registry login token, in one
environment's account. Takes its client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_lift.aws.clients import translate_errors
from git_lift.target import Target

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient


BATCH_DELETE = 100


class Ecr:
    def __init__(self, client: ECRClient) -> None:
        self._client = client

    def ensure_repository(self, target: Target) -> str:
        """The repository's URI, creating it (scan on push, immutable tags) when missing."""
        name = target.ecr_repository
        with translate_errors(f"creating ECR repository {name}"):
            try:
                answer = self._client.create_repository(
                    repositoryName=name,
                    imageTagMutability="IMMUTABLE",
                    imageScanningConfiguration={"scanOnPush": True},
                )
            except self._client.exceptions.RepositoryAlreadyExistsException:
                found = self._client.describe_repositories(repositoryNames=[name])
                return str(found["repositories"][0].get("repositoryUri"))
        return str(answer["repository"].get("repositoryUri"))

    def repository_uri(self, target: Target) -> str | None:
        """The repository's URI; None when it does not exist yet (a read: plans use it)."""
        with translate_errors(f"looking up ECR repository {target.ecr_repository}"):
            try:
                found = self._client.describe_repositories(repositoryNames=[target.ecr_repository])
            except self._client.exceptions.RepositoryNotFoundException:
                return None
        return str(found["repositories"][0].get("repositoryUri"))

    def image_digests(self, target: Target) -> list[str]:
        """The digest of every image in the repository (ListImages, paged); [] without one."""
        found: set[str] = set()
        pages = self._client.get_paginator("list_images").paginate(
            repositoryName=target.ecr_repository
        )
        with translate_errors(f"listing the images of {target.ecr_repository}"):
            try:
                for page in pages:
                    found |= {
                        str(i["imageDigest"])
                        for i in page.get("imageIds", [])
                        if i.get("imageDigest")
                    }
            except self._client.exceptions.RepositoryNotFoundException:
                return []
        return sorted(found)

    def delete_images(self, target: Target, digests: list[str]) -> int:
        """Delete the images (by digest, which takes their tags); how many went. A request
        takes at most 100 (botocore's BatchDeleteImage model: imageIds, max 100)."""
        deleted = 0
        with translate_errors(f"deleting images of {target.ecr_repository}"):
            for start in range(0, len(digests), BATCH_DELETE):
                batch = digests[start : start + BATCH_DELETE]
                answer = self._client.batch_delete_image(
                    repositoryName=target.ecr_repository,
                    imageIds=[{"imageDigest": d} for d in batch],
                )
                deleted += len(answer.get("imageIds", []))
        return deleted

    def authorization_token(self) -> str:
        """Base64 `AWS:password`, valid 12 hours; passed to the builder over stdin."""
        with translate_errors("getting an ECR login token"):
            answer = self._client.get_authorization_token()
        return str(answer["authorizationData"][0].get("authorizationToken"))
