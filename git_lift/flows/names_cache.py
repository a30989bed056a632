"""What this repository last saw of each store: parameter names and versions, never values.

Every command that lists or writes names records them here (`.git/lift/names/`), one file per
AWS scope (region, profile, endpoint, access key: hashed, never stored), environment and
service, each key with the time it was seen. The pre-commit hook reads it first: a key seen
within `lift.hooks.cacheTtl` needs no request, so a commit right after `git lift config set`
asks nothing and imports no AWS library. Pushes and ships never trust it: they ask AWS.

Pure file I/O: no boto3, no pygit2.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from git_lift.target import Target

# SHA-256 without hashlib, which loads OpenSSL: a seventh of Python's start (callgrind, issue
# 22), on every commit the hook checks. The same digest: hashlib falls back to these too.
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:  # 3.12 renamed it; another Python: hashlib's
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256

VERSION = 1


def scope(region: str | None, profile: str | None, environ: Mapping[str, str]) -> str:
    """Which account and region the names belong to, as far as can be told without asking AWS
    (one-way: the file names say nothing of the credentials)."""
    parts = [
        region or "",
        profile or environ.get("AWS_PROFILE", ""),
        environ.get("AWS_ENDPOINT_URL", ""),
        environ.get("AWS_ACCESS_KEY_ID", ""),
    ]
    return sha256("\0".join(parts).encode()).hexdigest()[:16]


class NamesCache:
    def __init__(self, folder: Path, scope_id: str, clock: float | None = None) -> None:
        self.folder = folder / "names" / scope_id
        self._now = clock

    def now(self) -> float:
        return time.time() if self._now is None else self._now

    def path(self, target: Target) -> Path:
        return self.folder / target.names_file

    def _read(self, target: Target) -> dict[str, list[float]]:
        try:
            data = json.loads(self.path(target).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return {}
        keys = data.get("keys")
        return keys if isinstance(keys, dict) else {}

    def fresh(self, target: Target, ttl: float) -> dict[str, int]:
        """Keys seen in the store within `ttl` seconds, with their versions."""
        oldest = self.now() - ttl
        return {
            key: int(seen[0])
            for key, seen in self._read(target).items()
            if isinstance(seen, list) and len(seen) == 2 and oldest <= seen[1] <= self.now()
        }

    def record(
        self,
        target: Target,
        present: Mapping[str, int],
        *,
        absent: Iterable[str] = (),
        complete: bool = False,
    ) -> None:
        """Keys seen now (`complete`: a whole listing, so nothing else is there); `absent`
        keys are known gone. Best effort: a cache that cannot be written is only slower."""
        now = self.now()
        keys = {} if complete else self._read(target)
        for key in absent:
            keys.pop(key, None)
        keys.update({key: [version, now] for key, version in present.items()})
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.path(target)
            partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            partial.write_text(json.dumps({"version": VERSION, "keys": keys}), encoding="utf-8")
            os.replace(partial, path)
        except OSError:
            pass
