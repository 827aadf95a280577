"""GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial [kms_spec.md §7.5].

Real cryptography end to end: GetParametersForImport hands out a real RSA public
("wrapping") key and an import token; ImportKeyMaterial unwraps what the caller wrapped
outside the mock (RSAES-OAEP, or RSA-OAEP + AES key wrap with padding, RFC 5649) and
installs it as the key's material.

Rules implemented (AWS behaviour as documented today):

* Only keys with Origin EXTERNAL (else ``UnsupportedOperationException: <arn> origin is
  <origin> which is not valid for this operation.``); key states per the state table.
* Each GetParametersForImport call gets its own wrapping key pair and token (24 hours).
  A token names its key and its wrapping key: another key's token ->
  ``InvalidImportTokenException``; expired -> ``ExpiredImportTokenException``; material
  that does not unwrap with the token's key and algorithm -> ``InvalidCiphertextException``.
* Material: symmetric 32 bytes; HMAC 28-64 (HMAC_224), 32-64 (HMAC_256), 48-128
  (HMAC_384), 64-128 (HMAC_512) bytes; asymmetric a DER PKCS#8 private key of the key's
  spec. Anything else -> ``IncorrectKeyMaterialException``.
* KeyMaterialId is derived from the key ID and the material (as AWS describes), so
  re-importing the same material yields the same id and restores old ciphertext, and
  different material is recognised (``IncorrectKeyMaterialException``).
* Symmetric keys: ``ImportType`` NEW_KEY_MATERIAL (default for the first import) /
  EXISTING_KEY_MATERIAL (default afterwards). New material after the first becomes
  PENDING_ROTATION until RotateKeyOnDemand (``core.keys.rotate_imported_material``).
  Asymmetric and HMAC keys keep their first material for life.
* Expiry: KEY_MATERIAL_EXPIRES (default; ``ValidTo`` required, future, <= 365 days) or
  KEY_MATERIAL_DOES_NOT_EXPIRE. At ``ValidTo`` the clock deletes the material (journal
  event ``DeleteExpiredKeyMaterial``) and the key goes to PendingImport.
* A key is Enabled only while every material it has used (current and older) is
  imported in its region; otherwise PendingImport (PendingDeletion is left alone).
"""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from mock_kms.api.context import RequestContext
from mock_kms.api.registry import operation
from mock_kms.core import lifecycle
from mock_kms.core.crypto import pool as rsa_pool
from mock_kms.core.errors import (
    ExpiredImportTokenException,
    IncorrectKeyMaterialException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    KMSInvalidStateException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from mock_kms.core.keys import (
    Key,
    KeyMaterial,
    KeyState,
    MaterialImport,
    imported_material_fingerprint,
    imported_material_id,
)
from mock_kms.core.states import check_state

IMPORT_TOKEN_LIFETIME = timedelta(hours=24)
MAX_VALID_TO = timedelta(days=365)

KEY_MATERIAL_EXPIRES = "KEY_MATERIAL_EXPIRES"
KEY_MATERIAL_DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
NEW_KEY_MATERIAL = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL = "EXISTING_KEY_MATERIAL"

# WrappingAlgorithm -> (scheme, OAEP hash)
WRAPPING_ALGORITHMS: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "RSAES_OAEP_SHA_1": ("RSAES_OAEP", hashes.SHA1),
    "RSAES_OAEP_SHA_256": ("RSAES_OAEP", hashes.SHA256),
    "RSA_AES_KEY_WRAP_SHA_1": ("RSA_AES_KEY_WRAP", hashes.SHA1),
    "RSA_AES_KEY_WRAP_SHA_256": ("RSA_AES_KEY_WRAP", hashes.SHA256),
}

# Imported HMAC key material: allowed lengths in bytes (AWS Developer Guide, "Requirements
# for imported key material").
HMAC_MATERIAL_BYTES = {"HMAC_224": (28, 64), "HMAC_256": (32, 64), "HMAC_384": (48, 128), "HMAC_512": (64, 128)}
SYMMETRIC_MATERIAL_BYTES = 32

_TOKEN_PREFIX = b"mock-kms-import-token\x01"


@dataclass(frozen=True, eq=False)
class ImportParameters:
    """What one GetParametersForImport response stands for (the token names it)."""

    key_arn: str
    wrapping_algorithm: str
    wrapping_key_spec: str
    private_key: Any  # the wrapping key pair (cryptography RSAPrivateKey)
    valid_to: datetime


# -- wrapping keys --------------------------------------------------------------------
# RSA_4096 generation takes ~1 s. Every GetParametersForImport of one mock gets a
# different key pair (as in AWS: a public key only works with its own token), but the
# pairs are kept process-wide, so the n-th call of every mock reuses the same pair and a
# test suite pays for each size once; each pair comes from the RSA pool (core/crypto/pool.py).
_pool_lock = threading.Lock()
_wrapping_key_pool: dict[str, list[Any]] = {}


class ImportTokens:
    """The import tokens a mock handed out (``backend.extras["import_tokens"]``; saved with
    the mock state), and how many wrapping keys of each size it used."""

    def __init__(self) -> None:
        self.tokens: dict[bytes, ImportParameters] = {}
        self.wrapping_key_uses: dict[str, int] = {}


def _import_tokens(backend: Any) -> ImportTokens:
    found = backend.extras.get("import_tokens")
    if not isinstance(found, ImportTokens):
        found = backend.extras["import_tokens"] = ImportTokens()
    return found


def _wrapping_key(backend: Any, spec: str) -> Any:
    uses = _import_tokens(backend).wrapping_key_uses
    index = uses.get(spec, 0)
    uses[spec] = index + 1
    with _pool_lock:
        pool = _wrapping_key_pool.setdefault(spec, [])
        while len(pool) <= index:
            pool.append(rsa_pool.rsa_private_key(spec))
        return pool[index]


def _tokens(backend: Any) -> dict[bytes, ImportParameters]:
    return _import_tokens(backend).tokens


# -- shared checks ----------------------------------------------------------------------


def _import_key(ctx: RequestContext) -> Key:
    """Resolve KeyId (key ID or key ARN), authorize, then origin before state ([9] before [8])."""
    key = ctx.find_key(ctx.params["KeyId"], allow_alias=False)
    ctx.authorize("kms:" + ctx.operation, key)
    if key.origin != "EXTERNAL":
        raise UnsupportedOperationException(f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    check_state(key, ctx.operation)
    return key


def refresh_import_state(key: Key) -> None:
    """PendingImport <-> Enabled from which materials are imported in the key's region.

    A key needs every material it has used (current and older; not one pending rotation).
    Disabled keys that lose material go to PendingImport; PendingDeletion and the
    transient multi-Region states are left alone.
    """
    materials = key.material
    complete = all(version.available_in(key.region) for version in materials.versions[: materials.current_index + 1])
    if complete and key.state == KeyState.PENDING_IMPORT:
        key.state = KeyState.ENABLED
    elif not complete and key.state in (KeyState.ENABLED, KeyState.DISABLED):
        key.state = KeyState.PENDING_IMPORT


def remove_imported_material(key: Key, material: KeyMaterial) -> None:
    """Delete ``material`` from ``key``'s region (DeleteImportedKeyMaterial or expiry)."""
    material.present.pop(key.region, None)
    if not material.present:
        material.forget_material()
        material.expiration_model = None
        material.valid_to = None
    refresh_import_state(key)


def same_material(version: KeyMaterial, fingerprint: bytes, secret: bytes | None, private_key: Any) -> bool:
    """Whether ``version`` holds the material given (compared for real while it is held)."""
    if version.has_material:
        if secret is not None:
            return version._secret is not None and hmac.compare_digest(version._secret, secret)
        if version._private_key is None:
            return False
        from mock_kms.core.crypto import public_key_der

        return public_key_der(version._private_key) == public_key_der(private_key)
    return version.fingerprint is not None and hmac.compare_digest(version.fingerprint, fingerprint)


def _matching(
    versions: list[KeyMaterial], fingerprint: bytes, secret: bytes | None, private_key: Any
) -> KeyMaterial | None:
    for version in versions:
        if version.imported and same_material(version, fingerprint, secret, private_key):
            return version
    return None


# -- GetParametersForImport -------------------------------------------------------------


def _check_wrapping(ctx: RequestContext, algorithm: str, spec: str) -> None:
    # The texts below are unrecorded; they state the documented rule.
    if algorithm == "RSAES_PKCS1_V1_5":
        # "As of October 10, 2023, KMS does not support the RSAES_PKCS1_V1_5 wrapping algorithm."
        raise ValidationException(
            "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. "
            "Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256."
        )
    if spec == "SM2" or algorithm == "SM2PKE":
        if spec != "SM2" or algorithm != "SM2PKE":
            raise ValidationException(f"WrappingAlgorithm {algorithm} is not compatible with WrappingKeySpec {spec}.")
        if not ctx.region.startswith("cn-"):
            raise ValidationException(f"WrappingKeySpec SM2 is not supported in the {ctx.region} Region.")
        raise UnsupportedOperationException(
            "mock_kms does not support SM2 wrapping keys: the 'cryptography' library it is built "
            "on has no SM2 implementation."
        )


@operation("GetParametersForImport")
def get_parameters_for_import(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    algorithm, spec = params["WrappingAlgorithm"], params["WrappingKeySpec"]
    _check_wrapping(ctx, algorithm, spec)
    key = _import_key(ctx)
    private_key = _wrapping_key(ctx.backend, spec)
    token = _TOKEN_PREFIX + os.urandom(48)
    valid_to = ctx.now() + IMPORT_TOKEN_LIFETIME
    _tokens(ctx.backend)[token] = ImportParameters(key.arn, algorithm, spec, private_key, valid_to)
    from mock_kms.core.crypto import public_key_der

    return {
        "KeyId": key.arn,
        "ImportToken": token,
        "PublicKey": public_key_der(private_key),
        "ParametersValidTo": valid_to,
    }


# -- ImportKeyMaterial ------------------------------------------------------------------


def _check_expiration(ctx: RequestContext) -> tuple[str, datetime | None]:
    params = ctx.params
    model = params.get("ExpirationModel", KEY_MATERIAL_EXPIRES)
    valid_to = params.get("ValidTo")
    if model == KEY_MATERIAL_EXPIRES:
        if valid_to is None:
            # Recorded AWS text [LS@2025-11-10].
            raise ValidationException("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        now = ctx.now()
        # The two texts below are unrecorded.
        if valid_to <= now:
            raise ValidationException("The validTo date must be in the future.")
        if valid_to > now + MAX_VALID_TO:
            raise ValidationException("The validTo date must be no more than 365 days in the future.")
        return model, valid_to
    if valid_to is not None:
        # Unrecorded text, mirroring the recorded one above.
        raise ValidationException(
            "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE"
        )
    return model, None


def _check_symmetric_only_parameters(key: Key, params: dict[str, Any]) -> None:
    """ImportType, KeyMaterialId, KeyMaterialDescription: "only usable with symmetric encryption keys"."""
    if not key.spec.is_symmetric:
        for name in ("ImportType", "KeyMaterialId", "KeyMaterialDescription"):
            if name in params:
                # Unrecorded text.
                raise ValidationException(f"{name} is only supported for symmetric encryption KMS keys.")
    if params.get("ImportType") == NEW_KEY_MATERIAL and params.get("KeyMaterialId"):
        # Unrecorded text; the rule is documented.
        raise ValidationException("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.")


def _import_parameters(ctx: RequestContext, key: Key) -> ImportParameters:
    found = _tokens(ctx.backend).get(bytes(ctx.params["ImportToken"]))
    # The texts below are unrecorded.
    if found is None:
        raise InvalidImportTokenException("The import token is invalid.")
    if found.key_arn != key.arn:
        raise InvalidImportTokenException(f"The import token is not valid for {key.arn}.")
    if ctx.now() > found.valid_to:
        raise ExpiredImportTokenException(
            "The import token has expired. Use GetParametersForImport to get a new public key and import token."
        )
    return found


def unwrap_key_material(parameters: ImportParameters, wrapped: bytes) -> bytes:
    """Undo the caller's wrapping: RSAES-OAEP, or RSA-OAEP(AES key) || AES-KWP(material)."""
    scheme, hash_cls = WRAPPING_ALGORITHMS[parameters.wrapping_algorithm]
    oaep = padding.OAEP(mgf=padding.MGF1(hash_cls()), algorithm=hash_cls(), label=None)
    private_key = parameters.private_key
    try:
        if scheme == "RSAES_OAEP":
            return private_key.decrypt(wrapped, oaep)
        modulus_bytes = private_key.key_size // 8
        if len(wrapped) <= modulus_bytes:
            raise ValueError("no AES-wrapped part")
        aes_key = private_key.decrypt(wrapped[:modulus_bytes], oaep)
        return aes_key_unwrap_with_padding(aes_key, wrapped[modulus_bytes:])
    except (ValueError, InvalidUnwrap):
        # "KMS could not decrypt the encrypted (wrapped) key material" [M]; AWS answers
        # InvalidCiphertextException with an empty message elsewhere, so here too.
        raise InvalidCiphertextException("") from None


def _is_pkcs8_der(data: bytes) -> bool:
    """PrivateKeyInfo / OneAsymmetricKey: SEQUENCE { INTEGER 0|1, SEQUENCE { algorithm } ... }."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    length_octets = data[1] - 0x80 if data[1] & 0x80 else 0
    body = data[2 + length_octets :]
    return body[:3] in (b"\x02\x01\x00", b"\x02\x01\x01") and body[3:4] == b"\x30"


def parse_key_material(key: Key, material: bytes) -> tuple[bytes | None, Any, bytes]:
    """(secret, private key, fingerprint) of unwrapped material for ``key``'s spec.

    The IncorrectKeyMaterialException texts are unrecorded.
    """
    spec = key.spec.name
    if key.spec.is_symmetric:
        if len(material) != SYMMETRIC_MATERIAL_BYTES:
            raise IncorrectKeyMaterialException(
                f"The key material for a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes), not {len(material)} bytes."
            )
        return material, None, imported_material_fingerprint(secret=material)
    if key.spec.is_hmac:
        low, high = HMAC_MATERIAL_BYTES[spec]
        if not low <= len(material) <= high:
            raise IncorrectKeyMaterialException(
                f"The key material for an {spec} key must be {low} to {high} bytes long, not {len(material)} bytes."
            )
        return material, None, imported_material_fingerprint(secret=material)
    from mock_kms.core.crypto import private_key_from_der_or_pem

    if not _is_pkcs8_der(material):
        raise IncorrectKeyMaterialException(
            f"The key material for an {spec} key must be a DER-encoded PKCS #8 private key."
        )
    try:
        private_key = private_key_from_der_or_pem(material, spec)
    except ValidationException as error:
        raise IncorrectKeyMaterialException(error.message) from None
    return None, private_key, imported_material_fingerprint(private_key=private_key)


def _install_material(ctx: RequestContext, key: Key, raw: bytes) -> KeyMaterial:
    """Choose which of the key's materials this import is (or add one) and fill it in.

    Materials are matched by content (their ids may come from elsewhere, e.g. a seed file);
    a new material's id is ``imported_material_id(key ID, fingerprint)``.
    """
    params = ctx.params
    secret, private_key, fingerprint = parse_key_material(key, raw)
    materials = key.material
    first = materials.versions[0]
    ever_imported = any(version.imported for version in materials.versions)
    import_type = params.get("ImportType") or (EXISTING_KEY_MATERIAL if ever_imported else NEW_KEY_MATERIAL)
    wanted_id = params.get("KeyMaterialId")
    match = _matching(materials.versions, fingerprint, secret, private_key)
    # The IncorrectKeyMaterialException / ValidationException texts below are unrecorded.
    if wanted_id is not None and (match is None or match.material_id != wanted_id):
        raise IncorrectKeyMaterialException(
            f"The key material in the request does not match key material {wanted_id} of {key.arn}."
        )
    if not ever_imported:
        if import_type == EXISTING_KEY_MATERIAL:
            raise IncorrectKeyMaterialException(
                f"No key material has been imported into {key.arn} yet; use ImportType NEW_KEY_MATERIAL."
            )
        first.material_id = imported_material_id(key.key_id, fingerprint)
        first.set_imported_material(secret, private_key, fingerprint)
        return first
    if not key.spec.is_symmetric or import_type == EXISTING_KEY_MATERIAL:
        # "For asymmetric and HMAC keys, you cannot change the key material after the initial import."
        if match is None:
            raise IncorrectKeyMaterialException(
                f"The key material in the request is not key material previously imported into {key.arn}."
            )
        target = match
    else:
        if key.multi_region and materials.primary_region not in (None, key.region):
            raise ValidationException(
                f"New key material can only be imported into the primary key of a multi-Region key; "
                f"import it into {key.key_id} in {materials.primary_region} with ImportType NEW_KEY_MATERIAL, "
                "then into this replica with ImportType EXISTING_KEY_MATERIAL."
            )
        if match is not None:
            raise IncorrectKeyMaterialException(
                f"The key material in the request is already associated with {key.arn}; "
                "use ImportType EXISTING_KEY_MATERIAL to reimport it."
            )
        computed = imported_material_id(key.key_id, fingerprint)
        pending = materials.pending
        if pending is not None:
            # Recorded AWS text [LS@2025-11-10].
            raise KMSInvalidStateException(
                f"New key material (id: {computed}) cannot be imported into KMS key {key.key_id}, "
                f"because another key material (id: {pending.material_id}) is pending rotation."
            )
        target = KeyMaterial(computed, first.spec, ctx.now(), external=True)
        materials.versions.append(target)
    if not target.has_material:
        target.set_imported_material(secret, private_key, fingerprint)
    return target


def schedule_expiry(backend: Any, key: Key, material: KeyMaterial, record: MaterialImport) -> None:
    """At ``record.valid_to`` KMS deletes the material from the key (KEY_MATERIAL_EXPIRES)."""
    if record.valid_to is None:
        return
    region = key.region

    def expire(when: datetime) -> None:
        if material.present.get(region) is not record:
            return  # re-imported or deleted since
        if not lifecycle.is_live(backend, key):
            return  # the key itself is gone
        remove_imported_material(key, material)
        # Journaled under CloudTrail's event name for it (a KMS service event).
        lifecycle.record_event(
            backend, "DeleteExpiredKeyMaterial", key, when, {"keyId": key.key_id, "keyMaterialId": material.material_id}
        )

    backend.schedule(record.valid_to, expire)


@operation("ImportKeyMaterial")
def import_key_material(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    key = _import_key(ctx)
    model, valid_to = _check_expiration(ctx)
    _check_symmetric_only_parameters(key, params)
    parameters = _import_parameters(ctx, key)
    raw = unwrap_key_material(parameters, bytes(params["EncryptedKeyMaterial"]))
    material = _install_material(ctx, key, raw)
    now = ctx.now()
    record = MaterialImport(model, valid_to, now)
    material.present[key.region] = record
    material.expiration_model = model
    material.valid_to = valid_to
    if params.get("KeyMaterialDescription") is not None:
        material.description = params["KeyMaterialDescription"]
    schedule_expiry(ctx.backend, key, material, record)
    refresh_import_state(key)
    return {"KeyId": key.arn, "KeyMaterialId": material.material_id}


# -- DeleteImportedKeyMaterial ----------------------------------------------------------


@operation("DeleteImportedKeyMaterial")
def delete_imported_key_material(ctx: RequestContext) -> dict[str, Any]:
    key = _import_key(ctx)
    materials = key.material
    wanted = ctx.params.get("KeyMaterialId")
    if wanted is not None:
        material = materials.find(wanted)
        if material is None or not material.imported:
            # Unrecorded text.
            raise NotFoundException(f"Key material {wanted} does not exist for {key.arn}.")
    else:
        material = materials.current
    if not material.imported:
        return {"KeyId": key.arn}  # nothing was ever imported: no effect
    if material is materials.pending and lifecycle.is_rotation_owner(key):
        # Deleting new material that is pending rotation in the primary deletes it for the
        # whole multi-Region set [M-doc:DeleteImportedKeyMaterial]; it was never used, so
        # it is dropped (a guess: AWS does not say whether it lingers as PENDING_IMPORT).
        materials.versions.remove(material)
        material.present.clear()
        material.forget_material()
    else:
        remove_imported_material(key, material)
    return {"KeyId": key.arn, "KeyMaterialId": material.material_id}


# -- mock state ---------------------------------------------------------------------------


def reschedule_expiries(backend: Any) -> None:
    """After a state load: queue the expiry of every imported material again."""
    for here in backend.regions():
        for key in here.keys.values():
            if key.origin != "EXTERNAL":
                continue
            for material in key.material.versions:
                record = material.present.get(key.region)
                if record is not None:
                    schedule_expiry(backend, key, material, record)


def install(mock: Any) -> None:
    """Run on every new mock state (``mock._ON_RESET``)."""
    mock.backend.add_hook("on_state_loaded", reschedule_expiries)
