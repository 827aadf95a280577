"""The KMS API surface: one handler per operation, grouped by family.

A family module is imported when one of its operations is first called (``load_handler``),
so a cold process loads only the families its requests use (see BENCHMARKS.md, cold start).
``FAMILIES`` says which module answers which operation; tests/test_cold_start.py checks it
against the modules' ``@operation`` registrations. ``HANDLERS`` (attribute of this package)
is the complete table, every family loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mock_kms.api.registry import HANDLERS as _REGISTERED

if TYPE_CHECKING:
    from mock_kms.api.registry import Handler

FAMILIES: dict[str, tuple[str, ...]] = {
    "aliases": ("CreateAlias", "UpdateAlias", "DeleteAlias", "ListAliases"),
    "asymmetric": (
        "GetPublicKey",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "DeriveSharedSecret",
    ),
    "crypto": (
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateRandom",
    ),
    "custom_key_stores": (
        "CreateCustomKeyStore",
        "DescribeCustomKeyStores",
        "UpdateCustomKeyStore",
        "ConnectCustomKeyStore",
        "DisconnectCustomKeyStore",
        "DeleteCustomKeyStore",
    ),
    "grants": ("CreateGrant", "ListGrants", "ListRetirableGrants", "RetireGrant", "RevokeGrant"),
    "imports": ("GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial"),
    "kem": ("Encapsulate", "Decapsulate"),
    "keys": (
        "CreateKey",
        "DescribeKey",
        "ListKeys",
        "EnableKey",
        "DisableKey",
        "UpdateKeyDescription",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
    ),
    "last_usage": ("GetKeyLastUsage",),
    "multi_region": ("ReplicateKey", "UpdatePrimaryRegion"),
    "policies": ("GetKeyPolicy", "PutKeyPolicy", "ListKeyPolicies"),
    "rotation": (
        "EnableKeyRotation",
        "DisableKeyRotation",
        "GetKeyRotationStatus",
        "RotateKeyOnDemand",
        "ListKeyRotations",
    ),
    "tags": ("TagResource", "UntagResource", "ListResourceTags"),
}
_FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}
# The handlers of families whose import has finished: what requests look up. (A handler is
# registered while its module is still being imported; another thread must not call it then.)
READY: dict[str, Handler] = {}

__all__ = ["FAMILIES", "HANDLERS", "READY", "load_all", "load_handler"]


def load_handler(operation: str) -> Handler | None:
    """The handler of ``operation``, its family imported if need be; None if the mock has none."""
    handler = READY.get(operation)
    if handler is None and operation in _FAMILY_OF:
        _load_family(_FAMILY_OF[operation])
        handler = READY.get(operation)
    return handler


def _load_family(family: str) -> None:
    importlib.import_module(f"{__name__}.{family}")  # waits while another thread imports it
    for name in FAMILIES[family]:
        if name in _REGISTERED:
            READY[name] = _REGISTERED[name]


def load_all() -> dict[str, Handler]:
    """Every handler (operation -> handler), all families imported."""
    for family in FAMILIES:
        _load_family(family)
    return _REGISTERED


def __getattr__(name: str) -> Any:
    if name == "HANDLERS":
        return load_all()
    try:  # a family module (``mock_kms.api.grants`` after ``import mock_kms.api``)
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
