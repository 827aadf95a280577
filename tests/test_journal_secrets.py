"""The call journal keeps no secret: no plaintext, message, password, credential or wrapped key
material sent in a request, and nothing returned (plaintext data keys, private keys, shared
secrets, random bytes) can be found in it — through ``dataclasses.asdict``, the record's slots,
``repr``/``str``, ``parameters`` or the CloudTrail event.

Two passes: every operation of the model with a marker in each of its sensitive members (and
the sensitive members of what it answers), then realistic successful calls of every operation
that carries a secret either way.
"""

from __future__ import annotations

import base64
import dataclasses
import gc
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from mock_kms.wire.model import service_model

MODEL = service_model()


# -- searching the journal ----------------------------------------------------------------


def _forms(secret: bytes | str) -> tuple[list[bytes], list[str]]:
    """How a secret could appear: as bytes, or in a string (text, repr, base64, hex)."""
    if isinstance(secret, str):
        return [secret.encode()], [secret]
    return [secret], [repr(secret)[2:-1], base64.b64encode(secret).decode(), secret.hex()]


def _values(value: Any, seen: set[int]) -> Iterator[Any]:
    """Every value reachable from ``value`` through containers and dataclasses (not through keys)."""
    if id(value) in seen:
        return
    seen.add(id(value))
    yield value
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _values(name, seen)
            yield from _values(item, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _values(item, seen)


def journal_views(kms_mock: Any) -> list[Any]:
    """Everything a user (or a debugger) sees of the journal's records."""
    views: list[Any] = []
    for record in kms_mock.calls:
        views.append(dataclasses.asdict(record))
        views.append({name: getattr(record, name) for name in type(record).__slots__ if hasattr(record, name)})
        views += [repr(record), str(record), record.parameters, record.cloudtrail_event()]
    views.append(repr(kms_mock.calls))
    return views


def assert_not_in_journal(kms_mock: Any, secrets: list[bytes | str]) -> None:
    everything = list(_values(journal_views(kms_mock), set()))
    blobs = [value for value in everything if isinstance(value, (bytes, bytearray))]
    texts = [value for value in everything if isinstance(value, str)]
    for secret in secrets:
        raw_forms, text_forms = _forms(secret)
        for form in raw_forms:
            assert not any(form in blob for blob in blobs), f"secret {secret!r} found in the journal"
        for form in text_forms:
            assert not any(form in text for text in texts), f"secret {secret!r} found in the journal as {form!r}"


# -- secrets in a response: the members the model marks sensitive ---------------------------------


def _sensitive(shape: Any, seen: frozenset[str] = frozenset()) -> bool:
    if shape.metadata.get("sensitive"):
        return True
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        return any(_sensitive(member, seen) for member in shape.members.values())
    if shape.type_name == "list":
        return _sensitive(shape.member, seen)
    if shape.type_name == "map":
        return _sensitive(shape.value, seen)
    return False


def sensitive_values(shape: Any, value: Any, inherited: bool = False) -> list[bytes | str]:
    """The values of ``value`` (a request or a response of ``shape``) in sensitive members."""
    sensitive = inherited or bool(shape.metadata.get("sensitive"))
    if shape.type_name == "structure" and isinstance(value, dict):
        return [
            found
            for name, member in shape.members.items()
            if name in value
            for found in sensitive_values(member, value[name], sensitive)
        ]
    if shape.type_name == "list" and isinstance(value, list):
        return [found for item in value for found in sensitive_values(shape.member, item, sensitive)]
    if sensitive and isinstance(value, (bytes, str)) and len(value) >= 8:
        return [value]
    return []


# -- pass 1: every operation of the model ---------------------------------------------------


def _marker(name: str) -> bytes:
    return b"MARKER-" + name.encode() + b"-" + os.urandom(8).hex().encode()


def build_request(shape: Any, key_id: str, markers: list[bytes | str], sensitive: bool = False) -> dict[str, Any]:
    """A request of ``shape``: its required members, plus every member that is or holds a
    sensitive shape, filled with a fresh marker."""
    request: dict[str, Any] = {}
    for name, member in shape.members.items():
        member_sensitive = sensitive or bool(member.metadata.get("sensitive"))
        if name not in shape.required_members and not _sensitive(member):
            continue
        request[name] = _value(name, member, key_id, markers, member_sensitive)
    return request


def _value(name: str, shape: Any, key_id: str, markers: list[bytes | str], sensitive: bool) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return build_request(shape, key_id, markers, sensitive)
    if kind == "list":
        return [_value(name, shape.member, key_id, markers, sensitive)]
    if kind == "map":
        return {"k": "v"}
    if kind == "blob":
        value = _marker(name) if sensitive else b"not-a-secret-blob"
    elif kind == "string":
        if shape.enum:
            return shape.enum[0]
        if sensitive:
            value = _marker(name).decode()
        elif name.endswith("KeyId") or name == "KeyId":
            return key_id
        else:
            return {"AliasName": "alias/a", "GrantId": "0" * 64, "Policy": "{}"}.get(name, "value")
    elif kind in ("integer", "long"):
        return 32
    elif kind == "boolean":
        return False
    elif kind == "timestamp":
        return datetime(2030, 1, 1, tzinfo=timezone.utc)
    else:
        return None
    if sensitive:
        markers.append(value)
    return value


@pytest.mark.parametrize("operation", sorted(MODEL.operation_names))
def test_no_secret_of_any_operation_is_journaled(kms_mock, operation):
    client = kms_mock.client("kms", config=Config(parameter_validation=False))
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    operation_model = MODEL.operation_model(operation)
    markers: list[bytes | str] = []
    request = build_request(operation_model.input_shape, key_id, markers) if operation_model.input_shape else {}
    method = getattr(client, _snake(operation))
    try:
        response = method(**request)
    except ClientError:
        response = {}
    secrets = markers + (
        sensitive_values(operation_model.output_shape, response) if operation_model.output_shape else []
    )
    assert kms_mock.calls.last(operation) is not None
    assert_not_in_journal(kms_mock, secrets)


def _snake(operation: str) -> str:
    return xform_name(operation)


def test_every_sensitive_request_member_gets_a_marker():
    """Pass 1 really sends a secret in each member the model marks sensitive."""
    names = set()
    for operation in MODEL.operation_names:
        shape = MODEL.operation_model(operation).input_shape
        markers: list[bytes | str] = []
        if shape is not None:
            build_request(shape, "key", markers)
            names.update(name for name, member in shape.members.items() if _sensitive(member) and markers)
    assert {"Plaintext", "Message", "KeyStorePassword", "XksProxyAuthenticationCredential"} <= names


# -- pass 2: successful calls that carry secrets each way -------------------------------------


def _wrap(public_key_der: bytes, material: bytes) -> bytes:
    public_key = serialization.load_der_public_key(public_key_der)
    return public_key.encrypt(
        material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    )


def test_successful_calls_leave_no_secret_in_the_journal(kms_mock):
    kms = kms_mock.client("kms")
    secrets: list[bytes | str] = []

    def call(operation: str, **request: Any) -> dict[str, Any]:
        shapes = MODEL.operation_model(operation)
        secrets.extend(sensitive_values(shapes.input_shape, request))
        response = getattr(kms, _snake(operation))(**request)
        if shapes.output_shape is not None:
            secrets.extend(sensitive_values(shapes.output_shape, response))
        return response

    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = _marker("Plaintext")
    blob = call("Encrypt", KeyId=symmetric, Plaintext=plaintext, EncryptionContext={"app": "x"})["CiphertextBlob"]
    assert call("Decrypt", CiphertextBlob=blob, EncryptionContext={"app": "x"})["Plaintext"] == plaintext
    call("ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext={"app": "x"}, DestinationKeyId=other)
    data_key = call("GenerateDataKey", KeyId=symmetric, KeySpec="AES_256")
    call("Decrypt", CiphertextBlob=data_key["CiphertextBlob"])
    call("GenerateDataKeyWithoutPlaintext", KeyId=symmetric, NumberOfBytes=32)
    pair = call("GenerateDataKeyPair", KeyId=symmetric, KeyPairSpec="ECC_NIST_P256")
    call("Decrypt", CiphertextBlob=pair["PrivateKeyCiphertextBlob"])
    call("GenerateDataKeyPairWithoutPlaintext", KeyId=symmetric, KeyPairSpec="RSA_2048")
    call("GenerateRandom", NumberOfBytes=64)

    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    message = _marker("Message")
    mac = call("GenerateMac", KeyId=hmac_key, Message=message, MacAlgorithm="HMAC_SHA_256")["Mac"]
    call("VerifyMac", KeyId=hmac_key, Message=message, MacAlgorithm="HMAC_SHA_256", Mac=mac)

    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = call("Sign", KeyId=signing, Message=message, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    call("Verify", KeyId=signing, Message=message, Signature=signature, SigningAlgorithm="ECDSA_SHA_256")

    rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    rsa_plaintext = _marker("RsaPlaintext")
    rsa_blob = call("Encrypt", KeyId=rsa_key, Plaintext=rsa_plaintext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    call("Decrypt", KeyId=rsa_key, CiphertextBlob=rsa_blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")

    agreement = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    peer = ec.generate_private_key(ec.SECP256R1()).public_key()
    peer_der = peer.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    call("DeriveSharedSecret", KeyId=agreement, KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)

    unsupported: set[str] = set()
    if "Encapsulate" in MODEL.operation_names:
        try:
            kem = kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]["KeyId"]
        except ClientError:  # an older botocore/cryptography without ML-KEM
            kem = None
            unsupported = {"Encapsulate", "Decapsulate"}
        if kem is not None:
            sealed = call("Encapsulate", KeyId=kem, EncapsulationAlgorithm="ML_KEM")
            call(
                "Decapsulate",
                KeyId=kem,
                SharedSecretCiphertextBlob=sealed["SharedSecretCiphertextBlob"],
                EncapsulationAlgorithm="ML_KEM",
            )

    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    parameters = call(
        "GetParametersForImport", KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    material = _marker("Material").ljust(32, b"-")[:32]
    wrapped = _wrap(parameters["PublicKey"], material)
    secrets += [material, wrapped]
    call(
        "ImportKeyMaterial",
        KeyId=external,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )

    stores = kms_mock.custom_key_stores
    password = "kmsuser-" + os.urandom(6).hex()
    cluster = stores.add_cloudhsm_cluster("cluster-abcdefghijk", kmsuser_password=password)
    store = call(
        "CreateCustomKeyStore",
        CustomKeyStoreName="hsm",
        CloudHsmClusterId=cluster.cluster_id,
        TrustAnchorCertificate=cluster.trust_anchor_certificate,
        KeyStorePassword=password,
    )["CustomKeyStoreId"]
    new_password = "kmsuser-" + os.urandom(6).hex()
    call("UpdateCustomKeyStore", CustomKeyStoreId=store, KeyStorePassword=new_password)
    access_key = base64.b32encode(os.urandom(15)).decode()  # [A-Z2-7]{20,30}
    secret_key = base64.b64encode(os.urandom(32)).decode()
    stores.add_xks_proxy("https://xks.example.com", access_key_id=access_key, secret_access_key=secret_key)
    call(
        "CreateCustomKeyStore",
        CustomKeyStoreName="xks",
        CustomKeyStoreType="EXTERNAL_KEY_STORE",
        XksProxyUriEndpoint="https://xks.example.com",
        XksProxyUriPath="/kms/xks/v1",
        XksProxyAuthenticationCredential={"AccessKeyId": access_key, "RawSecretAccessKey": secret_key},
        XksProxyConnectivity="PUBLIC_ENDPOINT",
    )
    call("DescribeCustomKeyStores")  # answers the XKS proxy's access key ID (a sensitive member)

    operations = {record.operation for record in kms_mock.calls}
    answered_secrets = {
        name for name in MODEL.operation_names
        if MODEL.operation_model(name).output_shape is not None
        and _sensitive(MODEL.operation_model(name).output_shape)
    }  # fmt: skip
    assert answered_secrets - unsupported <= operations  # every operation that answers a secret was called
    assert len(secrets) >= 20
    assert_not_in_journal(kms_mock, secrets)
    # What the journal does keep: which key, which operation, the non-secret parameters.
    record = kms_mock.calls.last("Encrypt")
    assert record.parameters["Plaintext"] == "<redacted>" and record.params["KeyId"] == rsa_key
    assert record.key_arn is not None and record.key_arn in repr(record)


def test_the_search_finds_a_secret_that_is_there(kms_mock):
    """The search itself works: a secret in a non-sensitive member is found."""
    kms = kms_mock.client("kms")
    description = "MARKER-" + os.urandom(8).hex()
    kms.create_key(Description=description)
    with pytest.raises(AssertionError, match="found in the journal"):
        assert_not_in_journal(kms_mock, [description])


def test_records_of_a_deleted_key_keep_its_arn_and_no_key(kms_mock):
    kms = kms_mock.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    kms_mock.run_due_events()
    gc.collect()
    record = kms_mock.calls.last("Encrypt")
    assert record.key is None and record.key_arn == key["Arn"]  # the journal kept no key alive
    assert kms_mock.calls.count("Encrypt", key=key["KeyId"]) == 1
    assert kms_mock.calls.count("Encrypt", key=key["Arn"]) == 1
    assert f"key_arn='{key['Arn']}'" in repr(record)
    assert record.cloudtrail_event()["resources"][0]["ARN"] == key["Arn"]


def test_filters_work_on_the_redacted_parameters(kms_mock):
    kms = kms_mock.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"tenant": "a"})
    calls = kms_mock.calls
    assert calls.count("Encrypt", params={"KeyId": key_id, "Plaintext": "<redacted>"}) == 1
    assert calls.count("Encrypt", params={"Plaintext": b"secret"}) == 0  # the plaintext is not kept
    calls.assert_called_once("Encrypt", key=key_id, encryption_context={"tenant": "a"})
    # GetKeyLastUsage still answers from the journal.
    usage = kms_mock.backend.find_key(kms_mock.backend.region(kms_mock.account, kms_mock.region), key_id).extras
    assert usage["last_usage"]["Operation"] == "Encrypt"
