"""The KMS API surface: one handler per operation, grouped by family."""

from mock_kms.api import aliases, crypto, keys, policies, rotation, tags  # noqa: F401  (registers handlers)
from mock_kms.api import asymmetric  # noqa: F401  (GetPublicKey, Sign/Verify, MACs, data key pairs, ECDH)
from mock_kms.api.registry import HANDLERS

__all__ = ["HANDLERS"]
