"""Encapsulate and Decapsulate: ML-KEM key encapsulation with ML_KEM_* KMS keys.

Same order as the other asymmetric operations (api/asymmetric.py): resolve the key,
authorize ``kms:Encapsulate`` / ``kms:Decapsulate``, check its state, check the key usage
(``ENCAPSULATE_DECAPSULATE``), the algorithm and the request, then honour DryRun, and only
then touch the key material (made on first use). Shared secrets are real FIPS 203 ML-KEM
via ``cryptography`` (:mod:`mock_kms.core.crypto.mlkem`); a spec the installed
``cryptography`` cannot do answers ``UnsupportedOperationException``, never fake bytes.

GetPublicKey, DescribeKey and CreateKey need nothing ML-KEM specific beyond the key spec
table (core/specs.py) and key generation (core/crypto/mlkem.py).
"""

from __future__ import annotations

from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.crypto import require_usage
from mock_kms.api.registry import operation
from mock_kms.core.crypto import mlkem
from mock_kms.core.errors import InvalidKeyUsageException
from mock_kms.core.keys import Key
from mock_kms.core.specs import ENCAPSULATE_DECAPSULATE


def _kem_request(ctx: RequestContext) -> tuple[Key, str]:
    key = ctx.use_key()
    # Recorded AWS template for the wrong key usage (as for Sign, GenerateMac, ...).
    require_usage(key, ENCAPSULATE_DECAPSULATE, ctx.operation)
    algorithm = ctx.params["EncapsulationAlgorithm"]
    if algorithm not in key.spec.encapsulation_algorithms:
        # Only reachable if the model gains another EncapsulationAlgorithmSpec value. The
        # template is AWS's recorded one for MAC algorithms.
        raise InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {key.spec.name}.")
    # A spec the installed cryptography cannot do: fail before DryRun, as GenerateDataKeyPair does.
    mlkem.check_supported(key.spec.name)
    return key, algorithm


@operation("Encapsulate")
def encapsulate(ctx: RequestContext) -> dict[str, Any]:
    key, algorithm = _kem_request(ctx)
    ctx.finish_dry_run()
    shared_secret, ciphertext = mlkem.encapsulate(key.material.current.private_key, key.spec.name)
    return {
        "KeyId": key.arn,
        "SharedSecret": shared_secret,
        "SharedSecretCiphertextBlob": ciphertext,
        "EncapsulationAlgorithm": algorithm,
    }


@operation("Decapsulate")
def decapsulate(ctx: RequestContext) -> dict[str, Any]:
    key, algorithm = _kem_request(ctx)
    ciphertext = bytes(ctx.params["SharedSecretCiphertextBlob"])
    # A length that does not fit the key spec is the one InvalidCiphertextException
    # [M-doc:Decapsulate]; checked before DryRun (as Decrypt checks its ciphertext).
    mlkem.check_ciphertext(key.spec.name, ciphertext)
    ctx.finish_dry_run()
    # Any other ciphertext gives 32 bytes (implicit rejection): the encapsulated secret, or a
    # pseudo-random value when the ciphertext was made under another key or altered.
    shared_secret = mlkem.decapsulate(key.material.current.private_key, key.spec.name, ciphertext)
    return {"KeyId": key.arn, "SharedSecret": shared_secret, "EncapsulationAlgorithm": algorithm}
