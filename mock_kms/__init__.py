"""mock_kms: an in-process, high-fidelity test double of AWS KMS for boto3/botocore.

The public names are imported on first use (PEP 562): the pytest plugin is loaded by every
pytest run where mock_kms is installed, and importing this package must not cost those runs
botocore, cryptography and the KMS service model (see BENCHMARKS.md, cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_kms._lazy import lazy_names

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


# Imported on first use (and submodules as attributes, as before): mock_kms/_lazy.py.
__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals(), __all__)
