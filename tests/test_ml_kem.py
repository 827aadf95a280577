"""ML-KEM keys (ML_KEM_512/768/1024, KeyUsage ENCAPSULATE_DECAPSULATE): CreateKey, DescribeKey,
GetPublicKey, Encapsulate, Decapsulate, ML-KEM data key pairs, usage/state checks, DryRun,
grants and cross-account use.

Shared secrets are checked outside the mock with ``cryptography``: a secret encapsulated
locally under the public key from GetPublicKey must come back from Decapsulate.

Skips cleanly where the installed botocore has no Encapsulate operation (< 1.44) or the
installed ``cryptography`` cannot do ML-KEM (it has ML-KEM-768 from 47.0, ML-KEM-1024 from
48.0, no ML-KEM-512; and none when built against a library without ML-KEM). Availability is
worked out here independently of the mock's own check.
"""

from __future__ import annotations

import json
from datetime import datetime

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from mock_kms.core.crypto import mlkem as mock_mlkem

try:
    from cryptography.hazmat.primitives.asymmetric import mlkem
except ImportError:  # cryptography < 47
    mlkem = None  # type: ignore[assignment]

_MODEL = botocore.session.get_session().get_service_model("kms")
if "Encapsulate" not in _MODEL.operation_names:
    pytest.skip("the installed botocore has no Encapsulate/Decapsulate (botocore < 1.44)", allow_module_level=True)

ACCOUNT = "123456789012"
OTHER = "111122223333"
REGION = "us-east-1"
SPECS = ("ML_KEM_512", "ML_KEM_768", "ML_KEM_1024")
CIPHERTEXT = {"ML_KEM_512": 768, "ML_KEM_768": 1088, "ML_KEM_1024": 1568}  # [M-doc:Encapsulate]
DRY_RUN = ("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
NO_VALIDATION = Config(parameter_validation=False)


def _backend_has_mlkem() -> bool:
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:
        return False
    return bool(getattr(backend, "mlkem_supported", lambda: False)())


def _local_classes(spec: str):
    """cryptography's (private, public) classes for ``spec``, or None when it can't do it here."""
    if mlkem is None or not _backend_has_mlkem():
        return None
    prefix = spec.replace("ML_KEM_", "MLKEM")
    private_cls, public_cls = getattr(mlkem, prefix + "PrivateKey", None), getattr(mlkem, prefix + "PublicKey", None)
    return (private_cls, public_cls) if private_cls and public_cls else None


SUPPORTED = tuple(spec for spec in SPECS if _local_classes(spec))
UNSUPPORTED = tuple(spec for spec in SPECS if spec not in SUPPORTED)
supported_spec = pytest.mark.parametrize(
    "spec", SUPPORTED or [pytest.param("ML_KEM_768", marks=pytest.mark.skip(reason="cryptography has no ML-KEM here"))]
)
needs_mlkem = pytest.mark.skipif(
    "ML_KEM_768" not in SUPPORTED,
    reason="the installed cryptography cannot do ML-KEM-768 (needs >= 47 with OpenSSL 3.5+)",
)


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture
def kms(kms_mock):
    return kms_mock.client("kms", region_name=REGION)


@pytest.fixture
def key(kms):
    def make(spec: str = "ML_KEM_768", **kwargs) -> dict:
        return kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE", **kwargs)["KeyMetadata"]

    return make


def encapsulate(client, key_id: str, **kwargs) -> dict:
    return client.encapsulate(KeyId=key_id, EncapsulationAlgorithm="ML_KEM", **kwargs)


def decapsulate(client, key_id: str, blob: bytes, **kwargs) -> dict:
    return client.decapsulate(KeyId=key_id, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=blob, **kwargs)


def local_public_key(kms, key_id: str):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


# -- CreateKey / DescribeKey / GetPublicKey ---------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
def test_create_and_describe_ml_kem_key(kms, key, spec):
    created = key(spec, Description="pq")
    described = kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]
    assert described == created
    assert described["KeySpec"] == spec and described["KeyUsage"] == "ENCAPSULATE_DECAPSULATE"
    assert described["EncapsulationAlgorithms"] == ["ML_KEM"]
    # Only the algorithm list of the key usage; no deprecated CustomerMasterKeySpec (not in its enum).
    for absent in (
        "EncryptionAlgorithms",
        "SigningAlgorithms",
        "MacAlgorithms",
        "KeyAgreementAlgorithms",
        "CustomerMasterKeySpec",
    ):
        assert absent not in described
    assert described["KeyState"] == "Enabled" and described["Origin"] == "AWS_KMS"


@pytest.mark.parametrize(
    "spec, usage",
    [("ML_KEM_768", "SIGN_VERIFY"), ("ML_KEM_1024", "ENCRYPT_DECRYPT"), ("RSA_2048", "ENCAPSULATE_DECAPSULATE"),
     ("ML_DSA_44", "ENCAPSULATE_DECAPSULATE"), ("SYMMETRIC_DEFAULT", "ENCAPSULATE_DECAPSULATE")],
)  # fmt: skip
def test_create_key_usage_must_fit_the_spec(kms, spec, usage):
    assert error(kms.create_key, KeySpec=spec, KeyUsage=usage) == (
        "ValidationException",
        f"KeyUsage {usage} is not compatible with KeySpec {spec}",
    )


def test_create_ml_kem_key_needs_a_key_usage(kms):
    assert error(kms.create_key, KeySpec="ML_KEM_768") == (
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
    )


@supported_spec
def test_get_public_key_is_an_spki_ml_kem_public_key(kms, key, spec):
    metadata = key(spec)
    response = kms.get_public_key(KeyId=metadata["KeyId"])
    response.pop("ResponseMetadata")
    public_der = response.pop("PublicKey")
    assert response == {
        "KeyId": metadata["Arn"],
        "KeySpec": spec,
        "KeyUsage": "ENCAPSULATE_DECAPSULATE",
        "EncapsulationAlgorithms": ["ML_KEM"],
    }
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, _local_classes(spec)[1])
    assert (
        public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der
    )
    assert kms.get_public_key(KeyId=metadata["KeyId"])["PublicKey"] == public_der  # one key pair per key


# -- Encapsulate / Decapsulate ----------------------------------------------------------------


@supported_spec
def test_encapsulate_then_decapsulate_gives_the_same_secret(kms, key, spec):
    metadata = key(spec)
    response = encapsulate(kms, metadata["KeyId"])
    response.pop("ResponseMetadata")
    assert set(response) == {"KeyId", "SharedSecret", "SharedSecretCiphertextBlob", "EncapsulationAlgorithm"}
    assert response["KeyId"] == metadata["Arn"] and response["EncapsulationAlgorithm"] == "ML_KEM"
    assert len(response["SharedSecret"]) == 32
    assert len(response["SharedSecretCiphertextBlob"]) == CIPHERTEXT[spec]
    recovered = decapsulate(kms, metadata["KeyId"], response["SharedSecretCiphertextBlob"])
    recovered.pop("ResponseMetadata")
    assert recovered == {
        "KeyId": metadata["Arn"],
        "SharedSecret": response["SharedSecret"],
        "EncapsulationAlgorithm": "ML_KEM",
    }
    # Each encapsulation is a fresh secret.
    again = encapsulate(kms, metadata["KeyId"])
    assert again["SharedSecret"] != response["SharedSecret"]
    assert again["SharedSecretCiphertextBlob"] != response["SharedSecretCiphertextBlob"]


@supported_spec
def test_decapsulate_recovers_a_secret_encapsulated_outside_with_the_public_key(kms, key, spec):
    metadata = key(spec)
    public = local_public_key(kms, metadata["KeyId"])
    shared_secret, ciphertext = public.encapsulate()
    assert len(ciphertext) == CIPHERTEXT[spec]
    assert decapsulate(kms, metadata["KeyId"], ciphertext)["SharedSecret"] == shared_secret


@needs_mlkem
def test_encapsulated_secret_is_bound_to_the_public_key(kms, key):
    """Encapsulate uses the key's public key: a local key pair does not open it, KMS does."""
    metadata = key("ML_KEM_768")
    response = encapsulate(kms, metadata["KeyId"])
    stranger = mlkem.MLKEM768PrivateKey.generate()
    assert stranger.decapsulate(response["SharedSecretCiphertextBlob"]) != response["SharedSecret"]


@needs_mlkem
def test_key_named_by_alias_name_and_alias_arn(kms, key):
    metadata = key("ML_KEM_768")
    kms.create_alias(AliasName="alias/pq", TargetKeyId=metadata["KeyId"])
    response = encapsulate(kms, "alias/pq")
    assert response["KeyId"] == metadata["Arn"]
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/pq"
    recovered = decapsulate(kms, alias_arn, response["SharedSecretCiphertextBlob"])
    assert recovered["SharedSecret"] == response["SharedSecret"] and recovered["KeyId"] == metadata["Arn"]


@needs_mlkem
def test_implicit_rejection_altered_or_foreign_ciphertext_gives_a_pseudo_random_secret(kms, key):
    metadata, other = key("ML_KEM_768"), key("ML_KEM_768")
    response = encapsulate(kms, metadata["KeyId"])
    blob = response["SharedSecretCiphertextBlob"]
    altered = bytes([blob[0] ^ 1]) + blob[1:]
    rejected = decapsulate(kms, metadata["KeyId"], altered)["SharedSecret"]
    assert len(rejected) == 32 and rejected != response["SharedSecret"]
    # Deterministic: the same ciphertext always gives the same value.
    assert decapsulate(kms, metadata["KeyId"], altered)["SharedSecret"] == rejected
    # A ciphertext made under another ML-KEM key of the same spec: no error either.
    foreign = decapsulate(kms, other["KeyId"], blob)["SharedSecret"]
    assert len(foreign) == 32 and foreign not in (response["SharedSecret"], rejected)
    # Any bytes of the right length.
    assert len(decapsulate(kms, metadata["KeyId"], bytes(1088))["SharedSecret"]) == 32


@supported_spec
def test_decapsulate_wrong_ciphertext_length_is_invalid_ciphertext(kms, key, spec):
    metadata = key(spec)
    blob = encapsulate(kms, metadata["KeyId"])["SharedSecretCiphertextBlob"]
    other_lengths = [n for n in CIPHERTEXT.values() if n != CIPHERTEXT[spec]]
    for wrong in (blob[:-1], blob + b"\0", b"\x01", *(bytes(n) for n in other_lengths)):
        assert error(decapsulate, client=kms, key_id=metadata["KeyId"], blob=wrong) == (
            "InvalidCiphertextException",
            "",
        )


def test_encapsulation_algorithm_is_validated(kms_mock, key):
    raw = kms_mock.client("kms", region_name=REGION, config=NO_VALIDATION)
    metadata = key("ML_KEM_768")
    assert error(raw.encapsulate, KeyId=metadata["KeyId"], EncapsulationAlgorithm="RSAES_OAEP_SHA_256") == (
        "ValidationException",
        (
            "1 validation error detected: Value 'RSAES_OAEP_SHA_256' at 'encapsulationAlgorithm' failed to "
            "satisfy constraint: Member must satisfy enum value set: [ML_KEM]"
        ),
    )


# -- key usage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "create, usage",
    [({}, "ENCRYPT_DECRYPT"), ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, "KEY_AGREEMENT"),
     ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "GENERATE_VERIFY_MAC")],
)  # fmt: skip
def test_encapsulate_and_decapsulate_need_an_ml_kem_key(kms, create, usage):
    metadata = kms.create_key(**create)["KeyMetadata"]
    for name, call, kwargs in (
        ("Encapsulate", kms.encapsulate, {}),
        ("Decapsulate", kms.decapsulate, {"SharedSecretCiphertextBlob": bytes(1088)}),
    ):
        assert error(call, KeyId=metadata["KeyId"], EncapsulationAlgorithm="ML_KEM", **kwargs) == (
            "InvalidKeyUsageException",
            f"{metadata['Arn']} key usage is {usage} which is not valid for {name}.",
        )


def test_ml_kem_key_cannot_encrypt_sign_mac_or_derive(kms, key):
    metadata = key("ML_KEM_768")
    arn, key_id = metadata["Arn"], metadata["KeyId"]
    calls = [
        ("Encrypt", kms.encrypt, {"Plaintext": b"x", "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
        ("Sign", kms.sign, {"Message": b"x", "SigningAlgorithm": "ECDSA_SHA_256"}),
        ("GenerateMac", kms.generate_mac, {"Message": b"x", "MacAlgorithm": "HMAC_SHA_256"}),
        ("DeriveSharedSecret", kms.derive_shared_secret, {"KeyAgreementAlgorithm": "ECDH", "PublicKey": b"x"}),
    ]
    for name, call, kwargs in calls:
        assert error(call, KeyId=key_id, **kwargs) == (
            "InvalidKeyUsageException",
            f"{arn} key usage is ENCAPSULATE_DECAPSULATE which is not valid for {name}.",
        )


# -- key state ---------------------------------------------------------------------------------


def test_disabled_key_cannot_encapsulate_or_decapsulate(kms, key):
    metadata = key("ML_KEM_768")
    kms.disable_key(KeyId=metadata["KeyId"])
    expected = ("DisabledException", f"{metadata['Arn']} is disabled.")
    assert error(encapsulate, client=kms, key_id=metadata["KeyId"]) == expected
    assert error(decapsulate, client=kms, key_id=metadata["KeyId"], blob=bytes(1088)) == expected
    assert error(encapsulate, client=kms, key_id=metadata["KeyId"], DryRun=True) == expected


def test_key_pending_deletion_cannot_encapsulate_or_decapsulate(kms, key):
    metadata = key("ML_KEM_1024")
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    expected = ("KMSInvalidStateException", f"{metadata['Arn']} is pending deletion.")
    assert error(encapsulate, client=kms, key_id=metadata["KeyId"]) == expected
    assert error(decapsulate, client=kms, key_id=metadata["KeyId"], blob=bytes(1568)) == expected


def test_unknown_key_is_not_found(kms):
    missing = "11111111-2222-3333-4444-555555555555"
    assert error(encapsulate, client=kms, key_id=missing) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{missing}' does not exist",
    )


@needs_mlkem
def test_re_enabled_key_decapsulates_what_it_encapsulated_before(kms, key):
    metadata = key("ML_KEM_768")
    response = encapsulate(kms, metadata["KeyId"])
    kms.disable_key(KeyId=metadata["KeyId"])
    kms.enable_key(KeyId=metadata["KeyId"])
    assert (
        decapsulate(kms, metadata["KeyId"], response["SharedSecretCiphertextBlob"])["SharedSecret"]
        == response["SharedSecret"]
    )


# -- DryRun ------------------------------------------------------------------------------------


@needs_mlkem
def test_dry_run_checks_the_request_and_does_nothing(kms_mock, kms, key):
    metadata = key("ML_KEM_768")
    assert error(encapsulate, client=kms, key_id=metadata["KeyId"], DryRun=True) == DRY_RUN
    assert error(decapsulate, client=kms, key_id=metadata["KeyId"], blob=bytes(1088), DryRun=True) == DRY_RUN
    # A ciphertext of the wrong length fails the dry run too.
    assert error(decapsulate, client=kms, key_id=metadata["KeyId"], blob=bytes(10), DryRun=True) == (
        "InvalidCiphertextException",
        "",
    )
    assert [call.error_code for call in kms_mock.calls[-3:]] == [
        "DryRunOperationException",
        "DryRunOperationException",
        "InvalidCiphertextException",
    ]
    # Dry runs are not key usage.
    assert kms.get_key_last_usage(KeyId=metadata["KeyId"])["KeyLastUsage"] == {}


@needs_mlkem
def test_get_key_last_usage_tracks_encapsulate_and_decapsulate(kms, key):
    metadata = key("ML_KEM_768")
    blob = encapsulate(kms, metadata["KeyId"])["SharedSecretCiphertextBlob"]
    usage = kms.get_key_last_usage(KeyId=metadata["KeyId"])["KeyLastUsage"]
    assert usage["Operation"] == "Encapsulate" and isinstance(usage["Timestamp"], datetime)
    decapsulate(kms, metadata["KeyId"], blob)
    assert kms.get_key_last_usage(KeyId=metadata["KeyId"])["KeyLastUsage"]["Operation"] == "Decapsulate"


# -- authorization: grants, key policy, cross-account -----------------------------------------


def test_grant_operations_valid_for_ml_kem_keys(kms, key):
    metadata = key("ML_KEM_768")
    operations = ["Encapsulate", "Decapsulate", "GetPublicKey", "DescribeKey", "CreateGrant", "RetireGrant"]
    kms.create_grant(
        KeyId=metadata["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/alice", Operations=operations
    )
    assert kms.list_grants(KeyId=metadata["KeyId"])["Grants"][0]["Operations"] == operations


@pytest.mark.parametrize(
    "create, operation",
    [({"KeySpec": "ML_KEM_768", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}, "Sign"),
     ({"KeySpec": "ML_KEM_768", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}, "Decrypt"),
     ({"KeySpec": "ML_KEM_768", "KeyUsage": "ENCAPSULATE_DECAPSULATE"}, "DeriveSharedSecret"),
     ({}, "Encapsulate"),
     ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, "Decapsulate")],
)  # fmt: skip
def test_grant_operation_the_key_type_does_not_support(kms, create, operation):
    metadata = kms.create_key(**create)["KeyMetadata"]
    assert error(
        kms.create_grant,
        KeyId=metadata["KeyId"],
        GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/alice",
        Operations=["DescribeKey", operation],
    ) == (
        "ValidationException",
        (
            f"Grant operation {operation} is not valid for a KMS key with KeySpec {metadata['KeySpec']} "
            f"and KeyUsage {metadata['KeyUsage']}."
        ),
    )


def _denied(who: str, action: str, arn: str, why: str = "no identity-based policy") -> tuple[str, str]:
    return (
        "AccessDeniedException",
        f"User: {who} is not authorized to perform: {action} on resource: {arn} because {why} allows the {action} action",
    )


@needs_mlkem
def test_grant_lets_its_grantee_encapsulate_and_decapsulate(kms_mock, kms, key):
    metadata = key("ML_KEM_768")
    alice = kms_mock.iam.create_user("alice")
    client = alice.client("kms", region_name=REGION)
    assert error(encapsulate, client=client, key_id=metadata["Arn"]) == _denied(
        alice.arn, "kms:Encapsulate", metadata["Arn"]
    )
    token = kms.create_grant(KeyId=metadata["KeyId"], GranteePrincipal=alice.arn, Operations=["Encapsulate"])[
        "GrantToken"
    ]
    response = encapsulate(client, metadata["Arn"], GrantTokens=[token])
    blob = response["SharedSecretCiphertextBlob"]
    assert error(decapsulate, client=client, key_id=metadata["Arn"], blob=blob) == _denied(
        alice.arn, "kms:Decapsulate", metadata["Arn"]
    )
    kms.create_grant(KeyId=metadata["KeyId"], GranteePrincipal=alice.arn, Operations=["Decapsulate"])
    assert decapsulate(client, metadata["Arn"], blob)["SharedSecret"] == response["SharedSecret"]


@needs_mlkem
def test_identity_policy_actions_are_kms_encapsulate_and_kms_decapsulate(kms_mock, key):
    metadata = key("ML_KEM_768")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Encapsulate", "Resource": metadata["Arn"]}],
    }
    bob = kms_mock.iam.create_user("bob", policies=[json.dumps(policy)])
    client = bob.client("kms", region_name=REGION)
    blob = encapsulate(client, metadata["KeyId"])["SharedSecretCiphertextBlob"]
    assert error(decapsulate, client=client, key_id=metadata["KeyId"], blob=blob) == _denied(
        bob.arn, "kms:Decapsulate", metadata["Arn"]
    )


@needs_mlkem
def test_cross_account_use_by_key_arn(kms_mock, kms):
    root = f"arn:aws:iam::{ACCOUNT}:root"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": ["kms:Encapsulate", "kms:Decapsulate", "kms:GetPublicKey"],
                "Resource": "*",
            },
        ],
    }
    metadata = kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE", Policy=json.dumps(policy))[
        "KeyMetadata"
    ]
    other = kms_mock.iam.root(OTHER).client("kms", region_name=REGION)
    shared_secret, ciphertext = local_public_key(other, metadata["Arn"]).encapsulate()
    assert decapsulate(other, metadata["Arn"], ciphertext)["SharedSecret"] == shared_secret
    response = encapsulate(other, metadata["Arn"])
    assert response["KeyId"] == metadata["Arn"]
    assert (
        decapsulate(kms, metadata["KeyId"], response["SharedSecretCiphertextBlob"])["SharedSecret"]
        == response["SharedSecret"]
    )


# -- multi-Region ------------------------------------------------------------------------------


@needs_mlkem
def test_multi_region_replica_decapsulates_what_the_primary_encapsulated(kms_mock, kms, key):
    metadata = key("ML_KEM_768", MultiRegion=True)
    kms.replicate_key(KeyId=metadata["KeyId"], ReplicaRegion="eu-west-1")
    replica = kms_mock.client("kms", region_name="eu-west-1")
    response = encapsulate(kms, metadata["KeyId"])
    recovered = decapsulate(replica, metadata["KeyId"], response["SharedSecretCiphertextBlob"])
    assert recovered["SharedSecret"] == response["SharedSecret"]
    assert recovered["KeyId"] == metadata["Arn"].replace(REGION, "eu-west-1")
    assert (
        replica.get_public_key(KeyId=metadata["KeyId"])["PublicKey"]
        == kms.get_public_key(KeyId=metadata["KeyId"])["PublicKey"]
    )


# -- ML-KEM data key pairs ---------------------------------------------------------------------


@needs_mlkem
def test_ml_kem_data_key_pairs_are_pkcs8_seed_format_and_spki(kms):
    wrapping = kms.create_key()["KeyMetadata"]
    private_lengths = set()
    for spec in SUPPORTED:
        response = kms.generate_data_key_pair(KeyId=wrapping["KeyId"], KeyPairSpec=spec)
        private_der = response["PrivateKeyPlaintext"]
        private = serialization.load_der_private_key(private_der, password=None)
        assert isinstance(private, _local_classes(spec)[0])
        # "the DER-encoded PKCS8 PrivateKeyInfo contains the private key in seed format":
        # the 64-byte seed is the last thing in it.
        assert private_der.endswith(private.private_bytes_raw()) and len(private.private_bytes_raw()) == 64
        private_lengths.add(len(private_der))
        public = serialization.load_der_public_key(response["PublicKey"])
        shared_secret, ciphertext = public.encapsulate()
        assert private.decapsulate(ciphertext) == shared_secret
        without = kms.generate_data_key_pair_without_plaintext(KeyId=wrapping["KeyId"], KeyPairSpec=spec)
        opened = kms.decrypt(CiphertextBlob=without["PrivateKeyCiphertextBlob"])["Plaintext"]
        reloaded = serialization.load_der_private_key(opened, password=None)
        shared_secret, ciphertext = serialization.load_der_public_key(without["PublicKey"]).encapsulate()
        assert reloaded.decapsulate(ciphertext) == shared_secret
    # "the length of the private key is the same for all ML-KEM key pair specs"
    assert len(private_lengths) == 1


# -- specs the installed cryptography cannot do -------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    UNSUPPORTED or [pytest.param("ML_KEM_512", marks=pytest.mark.skip(reason="cryptography does every ML-KEM spec"))],
)
def test_spec_cryptography_cannot_do_answers_unsupported_operation(kms, key, spec):
    metadata = key(spec)  # CreateKey and DescribeKey work
    assert kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]["KeySpec"] == spec
    calls = [
        (kms.get_public_key, {"KeyId": metadata["KeyId"]}),
        (encapsulate, {"client": kms, "key_id": metadata["KeyId"]}),
        (decapsulate, {"client": kms, "key_id": metadata["KeyId"], "blob": bytes(CIPHERTEXT[spec])}),
        (encapsulate, {"client": kms, "key_id": metadata["KeyId"], "DryRun": True}),
    ]
    for call, kwargs in calls:
        code, message = error(call, **kwargs)
        assert code == "UnsupportedOperationException"
        assert message.startswith(f"mock_kms does not support {spec} keys") and "never returns fake" in message
    wrapping = kms.create_key()["KeyMetadata"]
    code, message = error(kms.generate_data_key_pair, KeyId=wrapping["KeyId"], KeyPairSpec=spec)
    assert code == "UnsupportedOperationException" and spec in message
    assert kms.get_key_last_usage(KeyId=metadata["KeyId"])["KeyLastUsage"] == {}


def test_cryptography_without_ml_kem_support_answers_unsupported_operation(kms, key, monkeypatch):
    """cryptography built against a library without ML-KEM (OpenSSL < 3.5): a clear error."""
    monkeypatch.setattr(mock_mlkem, "_backend_supported", lambda: False)
    metadata = key("ML_KEM_768")
    for call, kwargs in (
        (kms.get_public_key, {"KeyId": metadata["KeyId"]}),
        (encapsulate, {"client": kms, "key_id": metadata["KeyId"]}),
        (decapsulate, {"client": kms, "key_id": metadata["KeyId"], "blob": bytes(1088)}),
    ):
        code, message = error(call, **kwargs)
        assert code == "UnsupportedOperationException"
        assert message.startswith("mock_kms does not support ML_KEM_768 keys") and "without ML-KEM" in message
