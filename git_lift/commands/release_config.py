"""`git lift release-config -e ENV`: the running image again, with the config as the store
holds it now (flows/config_release.py); `config set/edit/import --release` run the same flow
after their write."""

from __future__ import annotations

from git_lift.flows.config_release import release_config

__all__ = ["release_config"]
