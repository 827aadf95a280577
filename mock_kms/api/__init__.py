"""The KMS API surface: one handler per operation, grouped by family."""

from mock_kms.api import aliases, crypto, keys, policies, rotation, tags  # noqa: F401  (registers handlers)
from mock_kms.api import asymmetric  # noqa: F401  (GetPublicKey, Sign/Verify, MACs, data key pairs, ECDH)
from mock_kms.api import last_usage  # noqa: F401  (GetKeyLastUsage)
from mock_kms.api import grants  # noqa: F401  (CreateGrant, ListGrants, RetireGrant, RevokeGrant...)
from mock_kms.api import multi_region  # noqa: F401  (ReplicateKey, UpdatePrimaryRegion)
from mock_kms.api import imports  # noqa: F401  (GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial)
from mock_kms.api import custom_key_stores  # noqa: F401  (Create/Describe/Update/Connect/Disconnect/DeleteCustomKeyStore)
from mock_kms.api import kem  # noqa: F401  (Encapsulate, Decapsulate: ML-KEM)
from mock_kms.api.registry import HANDLERS

__all__ = ["HANDLERS"]
