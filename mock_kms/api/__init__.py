"""The KMS API surface: one handler per operation, grouped by family."""

from mock_kms.api import (  # noqa: F401  (registers handlers)
    aliases,
    asymmetric,  # noqa: F401  (GetPublicKey, Sign/Verify, MACs, data key pairs, ECDH)
    crypto,
    custom_key_stores,  # noqa: F401  (Create/Describe/Update/Connect/Disconnect/DeleteCustomKeyStore)
    grants,  # noqa: F401  (CreateGrant, ListGrants, RetireGrant, RevokeGrant...)
    imports,  # noqa: F401  (GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial)
    kem,  # noqa: F401  (Encapsulate, Decapsulate: ML-KEM)
    keys,
    last_usage,  # noqa: F401  (GetKeyLastUsage)
    multi_region,  # noqa: F401  (ReplicateKey, UpdatePrimaryRegion)
    policies,
    rotation,
    tags,
)
from mock_kms.api.registry import HANDLERS

__all__ = ["HANDLERS"]
