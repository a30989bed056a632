"""S3: a template over CloudFormation's 51,200-byte TemplateBody, uploaded to the environment's
template bucket (templates/template_bucket.py) for as long as CloudFormation needs to read it.
Takes its client; nothing here prints.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from git_lift.aws.clients import translate_errors
from git_lift.errors import LiftError
from git_lift.target import partition


def url(bucket: str, region: str, key: str) -> str:
    """The object's virtual-hosted-style HTTPS URL, as TemplateURL wants it."""
    suffix = ".cn" if partition(region) == "aws-cn" else ""
    return f"https://{bucket}.s3.{region}.amazonaws.com{suffix}/{key}"


class TemplatesBucket:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    @contextlib.contextmanager
    def uploaded(self, stack: str, body: str) -> Iterator[str]:
        """The template's URL while the block runs; the object is deleted after it (what a
        killed process leaves expires with the bucket's lifecycle rule)."""
        key = f"{stack}/{uuid.uuid4().hex}.json"
        with translate_errors(f"uploading the template of {stack} to s3://{self.bucket}"):
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=body.encode(), ContentType="application/json"
            )
        try:
            yield url(self.bucket, str(self._client.meta.region_name), key)
        finally:
            with contextlib.suppress(LiftError), translate_errors("deleting an uploaded template"):
                self._client.delete_object(Bucket=self.bucket, Key=key)
