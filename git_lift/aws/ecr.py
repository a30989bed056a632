"""ECR: the service's repository and a registry login token. Takes its client."""

from __future__ import annotations

from typing import Any

from git_lift.aws.clients import translate_errors


class Ecr:
    def __init__(self, client: Any) -> None:
        self._client = client

    def ensure_repository(self, name: str) -> str:
        """The repository's URI, creating it (scan on push, immutable tags) when missing."""
        with translate_errors(f"creating ECR repository {name}"):
            try:
                answer = self._client.create_repository(
                    repositoryName=name,
                    imageTagMutability="IMMUTABLE",
                    imageScanningConfiguration={"scanOnPush": True},
                )
            except self._client.exceptions.RepositoryAlreadyExistsException:
                answer = self._client.describe_repositories(repositoryNames=[name])
                return str(answer["repositories"][0]["repositoryUri"])
        return str(answer["repository"]["repositoryUri"])

    def authorization_token(self) -> str:
        """Base64 `AWS:password`, valid 12 hours; passed to the builder over stdin."""
        with translate_errors("getting an ECR login token"):
            answer = self._client.get_authorization_token()
        return str(answer["authorizationData"][0]["authorizationToken"])
