"""Pure cryptography for every KMS key spec (no knowledge of keys, ARNs or key state)."""

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
