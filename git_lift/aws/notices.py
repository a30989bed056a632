"""An environment's release notices (issue 24): the webhook URL kept as a SecureString in
Parameter Store (its name: target.Environment.notify_webhook_parameter; never in git), and
SNS topics to publish to. Takes its clients; nothing here prints.
"""

from __future__ import annotations

from typing import Any

from git_lift.aws.clients import translate_errors

# "Subjects must be UTF-8 text with no line breaks or control characters, and less than 100
# characters long" (SNS API Reference, Publish, Subject; botocore's sns service-2.json).
SUBJECT_LIMIT = 99


class Notices:
    def __init__(self, ssm: Any, sns: Any, parameter: str, kms_key: str) -> None:
        self._ssm = ssm
        self._sns = sns
        self.parameter = parameter
        self._kms_key = kms_key

    def webhook_url(self) -> str | None:
        """The webhook's URL (decrypted), None when none was set."""
        with translate_errors(f"reading {self.parameter}"):
            try:
                item = self._ssm.get_parameter(Name=self.parameter, WithDecryption=True)
            except self._ssm.exceptions.ParameterNotFound:
                return None
        return str(item["Parameter"]["Value"])

    def put_webhook_url(self, url: str) -> int:
        """Keep the URL (it holds the webhook's token: a SecureString); its version."""
        with translate_errors(f"writing {self.parameter}"):
            answer = self._ssm.put_parameter(
                Name=self.parameter,
                Value=url,
                Type="SecureString",
                KeyId=self._kms_key,
                Overwrite=True,
            )
        return int(answer["Version"])

    def publish(self, topic: str, subject: str, message: str) -> None:
        """One message to the topic; its subject made to fit SNS's rule (above)."""
        fitted = " ".join(subject.split())[:SUBJECT_LIMIT]
        with translate_errors(f"publishing to {topic}"):
            self._sns.publish(TopicArn=topic, Subject=fitted, Message=message)
