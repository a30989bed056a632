"""The config lock (issue 24): a committed file per service and environment,
`<service path>/config.<ENV>.lock`, naming each key of the store with its Parameter Store
version and a salted hash of its value, never the value. Pure: parse, render, compare.

The hash is HMAC-SHA256 keyed with the file's own random salt over `KEY=value`: the same value
under two keys, or in two lock files, hashes differently. It is not a secret's protection: a
low-entropy value (a port, `true`, a short password) is found offline by hashing guesses with
the committed salt; the lock is for review (which keys changed, and when a value came back)
and for telling a change made outside review, not for hiding values. See README "Config lock".
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from git_lift import envfile
from git_lift.errors import ValidationError

SALT_BYTES = 16
HEADER = (
    "# git lift config lock of {of}: each key's Parameter Store version and a\n"
    "# salted hash of its value (no value). git lift config set/edit/import/unset/restore\n"
    "# update it: commit it with the change, so the change is reviewed like code.\n"
)


def lock_path(service_path: str, env: str) -> str:
    """The lock's path from the repository's top: in the service's folder."""
    return posixpath.normpath(posixpath.join(service_path, f"config.{env}.lock"))


@dataclass(frozen=True)
class Locked:
    version: int
    digest: str


@dataclass
class Lock:
    salt: str = field(default_factory=lambda: secrets.token_hex(SALT_BYTES))
    keys: dict[str, Locked] = field(default_factory=dict)

    def digest(self, key: str, value: str) -> str:
        message = f"{key}={value}".encode()
        return hmac.new(bytes.fromhex(self.salt), message, hashlib.sha256).hexdigest()

    def holds(self, key: str, value: str) -> bool:
        """Whether the lock's hash of `key` is this value's."""
        found = self.keys.get(key)
        return found is not None and hmac.compare_digest(found.digest, self.digest(key, value))

    def put(self, key: str, version: int, value: str) -> None:
        self.keys[key] = Locked(version, self.digest(key, value))

    def render(self, of: str) -> str:
        """The file's text; `of` names what it locks ("payments-api in staging")."""
        lines = [f"{key} {item.version} {item.digest}" for key, item in sorted(self.keys.items())]
        body = "\n".join([f"salt {self.salt}", *lines])
        return HEADER.format(of=of) + body + "\n"

    @classmethod
    def parse(cls, text: str, where: str) -> Lock:
        salt = None
        keys: dict[str, Locked] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "salt" and len(words) == 2 and _hex(words[1], SALT_BYTES * 2):
                salt = words[1]
            elif (
                len(words) == 3
                and envfile.is_valid_key(words[0])
                and words[1].isdigit()
                and _hex(words[2], 64)
                and words[0] not in keys
            ):
                keys[words[0]] = Locked(int(words[1]), words[2])
            else:
                raise damaged(where, f"line {number} is not `KEY VERSION HASH`")
        if salt is None:
            raise damaged(where, "it has no `salt` line")
        return cls(salt, keys)


def _hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


def damaged(where: str, why: str) -> ValidationError:
    return ValidationError(
        f"{where} cannot be read: {why}",
        hint=f"take it back from git (git checkout -- {where}), or merge it by hand",
    )


def differences(lock: Lock, versions: Mapping[str, int]) -> dict[str, str]:
    """KEY -> how the store (its keys and versions) differs from the lock: `changed` (another
    version), `added` (not in the lock) or `removed` (not in the store)."""
    found = {key: "removed" for key in lock.keys if key not in versions}
    for key, version in versions.items():
        locked = lock.keys.get(key)
        if locked is None:
            found[key] = "added"
        elif locked.version != version:
            found[key] = "changed"
    return dict(sorted(found.items()))
