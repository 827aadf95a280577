"""mock_kms: an in-process, high-fidelity test double of AWS KMS for boto3/botocore.

The public names are imported on first use (PEP 562): the pytest plugin is loaded by every
pytest run where mock_kms is installed, and importing this package must not cost those runs
botocore, cryptography and the KMS service model (see BENCHMARKS.md, cold start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_kms.core.clock import Clock
    from mock_kms.journal import CallRecord
    from mock_kms.mock import DEFAULT_ACCOUNT, KmsMock, mock_kms
    from mock_kms.server import kms_server

__all__ = ["DEFAULT_ACCOUNT", "CallRecord", "Clock", "KmsMock", "kms_server", "mock_kms"]
__version__ = "0.1.0"

_EXPORTS = {
    "CallRecord": "mock_kms.journal",
    "Clock": "mock_kms.core.clock",
    "DEFAULT_ACCOUNT": "mock_kms.mock",
    "KmsMock": "mock_kms.mock",
    "kms_server": "mock_kms.server",
    "mock_kms": "mock_kms.mock",
}


def __getattr__(name: str) -> Any:
    source = _EXPORTS.get(name)
    if source is not None:
        value = getattr(importlib.import_module(source), name)
        globals()[name] = value
        return value
    try:  # a submodule (``mock_kms.journal`` after ``import mock_kms``, as before)
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
