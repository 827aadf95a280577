"""PEP 562 lazy names for a package: ``__getattr__`` and ``__dir__`` that import on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: a name of ``exports`` (name -> module) is
    imported from its module when first read and kept in ``namespace``; any other name is tried
    as a submodule (``package.name`` after ``import package``)."""

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is not None:
            value = namespace[name] = getattr(importlib.import_module(source), name)
            return value
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    def __dir__() -> list[str]:
        return sorted({*namespace, *public})

    return __getattr__, __dir__
