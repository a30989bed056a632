"""What a release notice says (issue 24), for a Slack-compatible webhook and SNS alike: one
line of text, and the same facts as fields. Pure. Never a config value, the webhook's URL, a
failure's message (a release command's output may hold anything) or a skipped gate's reason
beyond the fact: the service, environment, release number, commit and its subject, who, how
long, the service's URL and how it ended.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

# How each outcome reads (the record's outcome, and the events a record does not carry).
SAID = {
    "released": "released",
    "rolled back": "rolled back",
    "unverified": "started, not waited for",
    "failed": "failed and was rolled back",
    "release command failed": "failed: its release command did not succeed; nothing deployed",
    "superseded": "was superseded by another deployment",
    "interrupted": "was interrupted",
    "cancelled": "was cancelled",
    "test": "",  # title(): a test notice
}


@dataclass(frozen=True)
class Notice:
    event: str  # a key of SAID
    service: str
    environment: str
    release: int | None
    commit: str
    subject: str | None
    who: str
    seconds: float
    url: str | None = None
    rolled_back_from: int | None = None  # a rollback: the release it undid

    @property
    def ok(self) -> bool:
        return self.event in ("released", "rolled back", "test")

    def title(self) -> str:
        """One short line (an SNS subject, an e-mail's)."""
        if self.event == "test":
            return f"a test notice from {self.service} in {self.environment}"
        number = f" release {self.release}" if self.release is not None else ""
        return f"{self.service}{number} in {self.environment} {SAID.get(self.event, self.event)}"

    def text(self) -> str:
        back = f" (undoing release {self.rolled_back_from})" if self.rolled_back_from else ""
        subject = f' "{self.subject}"' if self.subject else ""
        commit = f" {self.commit[:12]}" if self.commit else ""
        where = f" {self.url}" if self.url and self.ok else ""
        return (
            f"{self.title()}{back}:{subject}{commit} by {self.who}, "
            f"{duration(self.seconds)}.{where}"
        )

    def payload(self) -> dict[str, object]:
        """The JSON body: Slack's (and Mattermost's, Teams' workflows') `text`, and the
        fields for whatever reads it otherwise."""
        return {"text": self.text(), "lift": asdict(self) | {"seconds": round(self.seconds)}}

    def body(self) -> bytes:
        return json.dumps(self.payload(), sort_keys=True).encode()


def duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"
