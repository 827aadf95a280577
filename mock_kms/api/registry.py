"""Operation name -> handler. Each family module registers its handlers with ``@operation``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_kms.api.context import RequestContext

Handler = Callable[[RequestContext], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register
