"""Pure cryptography for every KMS key spec (no knowledge of keys, ARNs or key state).

The names below are imported on first use (PEP 562): the pytest plugin reaches the RSA key
pool (``mock_kms.core.crypto.pool``) in every run, and a request that needs no asymmetric
crypto should not load it (see BENCHMARKS.md, cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_kms._lazy import lazy_names

if TYPE_CHECKING:
    from mock_kms.core.crypto.asymmetric import (
        check_data_key_pair_spec,
        check_signing_request,
        derive_shared_secret,
        generate_data_key_pair,
        generate_private_key,
        load_peer_public_key,
        private_key_from_der_or_pem,
        private_key_to_pkcs8_der,
        public_key_der,
        rsa_decrypt,
        rsa_encrypt,
        rsa_max_plaintext_length,
        sign,
        verify,
    )
    from mock_kms.core.crypto.hmac_keys import generate_hmac_key, generate_mac, verify_mac

_ASYMMETRIC = "mock_kms.core.crypto.asymmetric"
_HMAC = "mock_kms.core.crypto.hmac_keys"
_EXPORTS = {
    "check_data_key_pair_spec": _ASYMMETRIC,
    "check_signing_request": _ASYMMETRIC,
    "derive_shared_secret": _ASYMMETRIC,
    "generate_data_key_pair": _ASYMMETRIC,
    "generate_hmac_key": _HMAC,
    "generate_mac": _HMAC,
    "generate_private_key": _ASYMMETRIC,
    "load_peer_public_key": _ASYMMETRIC,
    "private_key_from_der_or_pem": _ASYMMETRIC,
    "private_key_to_pkcs8_der": _ASYMMETRIC,
    "public_key_der": _ASYMMETRIC,
    "rsa_decrypt": _ASYMMETRIC,
    "rsa_encrypt": _ASYMMETRIC,
    "rsa_max_plaintext_length": _ASYMMETRIC,
    "sign": _ASYMMETRIC,
    "verify": _ASYMMETRIC,
    "verify_mac": _HMAC,
}
__all__ = [
    "check_data_key_pair_spec",
    "check_signing_request",
    "derive_shared_secret",
    "generate_data_key_pair",
    "generate_hmac_key",
    "generate_mac",
    "generate_private_key",
    "load_peer_public_key",
    "private_key_from_der_or_pem",
    "private_key_to_pkcs8_der",
    "public_key_der",
    "rsa_decrypt",
    "rsa_encrypt",
    "rsa_max_plaintext_length",
    "sign",
    "verify",
    "verify_mac",
]


# Imported on first use (and submodules as attributes, as before): mock_kms/_lazy.py.
__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals(), __all__)
