"""Where moto's server spends its time for nothing, mended without changing what it answers.

Measured over the end-to-end tests' requests (issue 19): moto read every template with
PyYAML's pure-Python loader, JSON ones too; finding which of moto's services a request's host
names listed moto's ~150 module folders from disk, a stat each, twice a request (a fifth of
the sandbox's time); and each response class's method names were looked up with
`inspect.getmembers` on every call.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import yaml
from moto.moto_server.werkzeug_app import DomainDispatcherApplication


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, its answer for each host kept: a pure function of the host and
    of moto's own module list."""

    def __init__(self, create_app: Any) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


def remember_method_names() -> None:
    """A response class's method names, listed once per class (moto lists them per call)."""
    import moto.core.responses as responses

    if getattr(responses, "_lift_names_kept", False):
        return
    # responses.py imported it by name; it is only asked whether an action is among them.
    listed = getattr(responses, "method_names_from_class")  # noqa: B009
    kept = functools.cache(lambda cls: frozenset(listed(cls)))
    setattr(responses, "method_names_from_class", kept)  # noqa: B010
    setattr(responses, "_lift_names_kept", True)  # noqa: B010


class JsonFirstYaml:
    """PyYAML as moto's CloudFormation modules use it, but a JSON template is read as JSON.

    moto reads every template with PyYAML's pure-Python loader, which takes a tenth of a
    second for one of our service templates (JSON, which YAML includes), and the sandbox
    reads every stack's template after each CloudFormation request (`repair`): most of the
    sandbox's time in a `service create`. CloudFormation reads a JSON template as JSON too."""

    def __getattr__(self, name: str) -> Any:
        return getattr(yaml, name)

    @staticmethod
    def load(stream: Any, Loader: Any) -> Any:
        if isinstance(stream, str | bytes) and stream.lstrip()[:1] in ("{", b"{"):
            try:
                return json.loads(stream)
            except ValueError:  # YAML's flow style also opens with a brace
                pass
        return yaml.load(stream, Loader=Loader)


def read_json_templates_as_json() -> None:
    import moto.cloudformation.models as models
    import moto.cloudformation.responses as responses

    for module in (models, responses):
        setattr(module, "yaml", JsonFirstYaml())  # noqa: B010
