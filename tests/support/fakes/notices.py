"""A fake of aws/notices.py: the webhook URLs kept, by parameter name, and what was published
to SNS, in memory; `failing` makes publish raise (an SNS that refuses)."""

from __future__ import annotations

from dataclasses import dataclass, field

from git_lift.aws.notices import SUBJECT_LIMIT, Notices
from git_lift.errors import AwsError


@dataclass
class NoticeState:
    urls: dict[str, str] = field(default_factory=dict)  # parameter name -> URL
    published: list[tuple[str, str, str]] = field(default_factory=list)  # topic, subject, body
    failing: bool = False


class FakeNotices(Notices):
    def __init__(self, state: NoticeState, parameter: str) -> None:
        self._state = state
        self.parameter = parameter

    def webhook_url(self) -> str | None:
        return self._state.urls.get(self.parameter)

    def put_webhook_url(self, url: str) -> int:
        self._state.urls[self.parameter] = url
        return 1

    def publish(self, topic: str, subject: str, message: str) -> None:
        if self._state.failing:
            raise AwsError(f"AWS error AuthorizationError while publishing to {topic}: denied")
        self._state.published.append((topic, " ".join(subject.split())[:SUBJECT_LIMIT], message))
