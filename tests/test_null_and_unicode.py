"""JSON ``null`` members and lone surrogates: what other SDKs (and boto3 with parameter
validation off, or plain boto3 for surrogates) can send, answered as AWS would.

Complements tests/test_malformed_input.py (which checks that nothing reaches KMSInternalException).
"""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.wire.model import service_model
from mock_kms.wire.protocol import handle

MODEL = service_model()
LONE = "\udc80"  # a lone (low) surrogate: json.dumps writes it as "\udc80"


def _call(mock, operation: str, params: dict) -> tuple[int, dict]:
    response = handle(mock, {"X-Amz-Target": f"TrentService.{operation}"}, json.dumps(params).encode())
    return response.status, json.loads(response.body)


@pytest.fixture
def m():
    with mock_kms() as mock:
        yield mock


# -- null means absent ----------------------------------------------------------------------
def test_null_pending_window_is_the_default_window(m):
    key = m.client("kms").create_key()["KeyMetadata"]["KeyId"]
    status, body = _call(m, "ScheduleKeyDeletion", {"KeyId": key, "PendingWindowInDays": None})
    assert status == 200 and body["PendingWindowInDays"] == 30


def test_null_rotation_period_is_the_default_period(m):
    kms = m.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert _call(m, "EnableKeyRotation", {"KeyId": key, "RotationPeriodInDays": None})[0] == 200
    assert kms.get_key_rotation_status(KeyId=key)["RotationPeriodInDays"] == 365


def test_null_members_of_create_key_are_the_defaults(m):
    status, body = _call(
        m,
        "CreateKey",
        {"Origin": None, "Tags": None, "KeySpec": None, "KeyUsage": None, "Description": None,
         "Policy": None, "CustomKeyStoreId": None, "MultiRegion": None, "BypassPolicyLockoutSafetyCheck": None},
    )
    assert status == 200
    meta = body["KeyMetadata"]
    assert (meta["Origin"], meta["KeySpec"], meta["KeyUsage"], meta["Description"]) == (
        "AWS_KMS", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "")
    assert "CustomKeyStoreId" not in meta
    # A key made with Origin null rotates like any AWS_KMS key.
    assert _call(m, "EnableKeyRotation", {"KeyId": meta["KeyId"]})[0] == 200


def test_null_tags_on_replicate_key(m):
    kms = m.client("kms")
    key = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    status, body = _call(m, "ReplicateKey", {"KeyId": key, "ReplicaRegion": "eu-west-1", "Tags": None})
    assert status == 200, body
    assert body["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"


def test_null_algorithm_on_encrypt_is_symmetric_default(m):
    key = m.client("kms").create_key()["KeyMetadata"]["KeyId"]
    status, body = _call(
        m, "Encrypt", {"KeyId": key, "Plaintext": "YQ==", "EncryptionAlgorithm": None, "EncryptionContext": None}
    )
    assert status == 200 and body["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


def test_null_in_a_nested_optional_member(m):
    """A null member of a nested structure is absent too (GrantConstraints' members)."""
    kms = m.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    status, body = _call(
        m,
        "CreateGrant",
        {"KeyId": key, "GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": ["Decrypt"],
         "Constraints": {"EncryptionContextSubset": None, "EncryptionContextEquals": {"a": "b"}}, "Name": None},
    )
    assert status == 200, body
    grant = kms.list_grants(KeyId=key)["Grants"][0]
    assert grant["Constraints"] == {"EncryptionContextEquals": {"a": "b"}}
    assert "Name" not in grant


def test_null_in_a_required_member_is_a_missing_member(m):
    assert _call(m, "DescribeKey", {"KeyId": None}) == _call(m, "DescribeKey", {})[:1] + (
        {"__type": "ValidationException",
         "message": "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
                    "Member must not be null"},)
    status, body = _call(m, "TagResource", {"KeyId": "x", "Tags": [{"TagKey": "a", "TagValue": None}]})
    assert status == 400 and "Value null at 'tags.1.member.tagValue'" in body["message"]


def _first_key_id_member(shape) -> str | None:
    return next((name for name in ("KeyId", "TargetKeyId", "SourceKeyId") if name in shape.members), None)


@pytest.mark.parametrize("operation", sorted(MODEL.operation_names))
def test_every_optional_member_null_answers_as_absent(operation):
    """For each operation: a request with its optional members null gets the answer it gets
    without them (same status and error code), on two fresh mocks with the same keys."""
    shape = MODEL.operation_model(operation).input_shape
    if shape is None:
        return
    optional = [name for name in shape.members if name not in shape.required_members and name != "DryRun"]
    if not optional:
        return
    answers = []
    for with_nulls in (False, True):
        with mock_kms() as mock:
            key = mock.client("kms").create_key()["KeyMetadata"]["KeyId"]
            params: dict = {}
            for name in shape.required_members:
                params[name] = key if shape.members[name].type_name == "string" else None
            params = {k: v for k, v in params.items() if v is not None}
            if with_nulls:
                params.update({name: None for name in optional})
            status, body = _call(mock, operation, params)
            answers.append((status, body.get("__type")))
    assert answers[0] == answers[1]
    assert answers[1][1] != "KMSInternalException"


# -- lone surrogates in the encryption context ----------------------------------------------
SURROGATE_ERROR = {
    "Code": "ValidationException",
    "Message": "Encryption context keys and values must be valid Unicode: a key or value contains an unpaired surrogate.",
}


@pytest.fixture
def kms_and_key(m):
    kms = m.client("kms")
    return kms, kms.create_key()["KeyMetadata"]["KeyId"]


@pytest.mark.parametrize("context", [{"a" + LONE: "b"}, {"a": LONE}, {"a": "\ud800x"}])
def test_lone_surrogate_in_encryption_context(kms_and_key, context):
    """Plain boto3 sends these (as \\udxxx escapes): ValidationException in every operation
    that authenticates the context, never KMSInternalException."""
    kms, key = kms_and_key
    blob = kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"a": "b"})["CiphertextBlob"]
    calls = [
        (kms.encrypt, {"KeyId": key, "Plaintext": b"x", "EncryptionContext": context}),
        (kms.decrypt, {"CiphertextBlob": blob, "EncryptionContext": context}),
        (kms.re_encrypt, {"CiphertextBlob": blob, "DestinationKeyId": key, "SourceEncryptionContext": context}),
        (kms.re_encrypt, {"CiphertextBlob": blob, "DestinationKeyId": key,
                          "SourceEncryptionContext": {"a": "b"}, "DestinationEncryptionContext": context}),
        (kms.generate_data_key, {"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": context}),
        (kms.generate_data_key_without_plaintext, {"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": context}),
        (kms.generate_data_key_pair, {"KeyId": key, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": context}),
        (kms.generate_data_key_pair_without_plaintext,
         {"KeyId": key, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": context}),
    ]
    for method, params in calls:
        with pytest.raises(ClientError) as caught:
            method(**params)
        error = caught.value.response["Error"]
        assert error == SURROGATE_ERROR, (method.__name__, error)


def test_lone_surrogate_elsewhere_is_kept_as_sent(m):
    """Strings that are only stored or compared (a description, a tag, a policy Sid) keep
    their lone surrogate and come back as sent."""
    kms = m.client("kms")
    key = kms.create_key(Description="d" + LONE, Tags=[{"TagKey": LONE, "TagValue": "v" + LONE}])["KeyMetadata"]
    assert key["Description"] == "d" + LONE
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": LONE, "TagValue": "v" + LONE}]
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"])
    policy["Statement"][0]["Sid"] = "sid" + LONE
    kms.put_key_policy(KeyId=key["KeyId"], Policy=json.dumps(policy))
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"])["Statement"][0]["Sid"] == "sid" + LONE


def test_boto3_without_validation_sends_null(m):
    """What the null handling is for: botocore with parameter validation off writes None as null."""
    kms = m.client("kms", config=Config(parameter_validation=False))
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=None)["PendingWindowInDays"] == 30
