"""The call journal (``kms_mock.calls``) and GetKeyLastUsage, which is answered from it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

ALLOW_KMS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
)


def _error(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def key(kms):
    key = kms.create_key(Description="journal")["KeyMetadata"]
    kms.create_alias(AliasName="alias/journal", TargetKeyId=key["KeyId"])
    return key


# -- what a record holds ------------------------------------------------------------------
def test_a_record_is_cloudtrail_like(kms_mock, kms, key):
    kms_mock.clock.advance(days=3)
    response = kms.encrypt(KeyId="alias/journal", Plaintext=b"top secret", EncryptionContext={"tenant": "a"})
    record = kms_mock.calls[-1]
    assert record.operation == "Encrypt"
    assert abs(record.time - kms_mock.clock.now()) < timedelta(seconds=5)
    assert record.time > key["CreationDate"] + timedelta(days=2)
    assert record.region == "us-east-1"
    assert record.account == "123456789012"
    assert record.caller_arn == "arn:aws:iam::123456789012:root"
    assert record.key_arn == key["Arn"]  # resolved from the alias
    assert record.key_id == key["KeyId"]
    assert record.request_id == response["ResponseMetadata"]["RequestId"]
    assert record.encryption_context == {"tenant": "a"}
    assert record.parameters == {
        "KeyId": "alias/journal",
        "Plaintext": "<redacted>",
        "EncryptionContext": {"tenant": "a"},
    }
    assert record.succeeded and record.outcome == "ok"
    assert "top secret" not in str(record) and b"top secret" not in json.dumps(record.cloudtrail_event()).encode()

    event = record.cloudtrail_event()
    assert event["eventName"] == "Encrypt"
    assert event["eventSource"] == "kms.amazonaws.com"
    assert event["awsRegion"] == "us-east-1"
    assert event["userIdentity"]["arn"] == "arn:aws:iam::123456789012:root"
    assert event["requestParameters"] == {
        "keyId": "alias/journal",
        "plaintext": "<redacted>",
        "encryptionContext": {"tenant": "a"},
    }
    assert event["resources"] == [{"accountId": "123456789012", "type": "AWS::KMS::Key", "ARN": key["Arn"]}]
    assert event["requestID"] == record.request_id and event["eventID"] == record.event_id
    assert "errorCode" not in event


def test_secrets_are_redacted_in_every_operation(kms_mock, kms):
    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.generate_mac(KeyId=mac_key, Message=b"the message", MacAlgorithm="HMAC_SHA_256")
    assert kms_mock.calls.last("GenerateMac").parameters["Message"] == "<redacted>"


def test_failures_are_recorded_with_their_error(kms_mock, kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "2"})
    record = kms_mock.calls[-1]
    assert record.operation == "Decrypt"
    assert not record.succeeded
    assert record.error_code == "InvalidCiphertextException" and record.outcome == "InvalidCiphertextException"
    assert record.key_arn == key["Arn"]  # found from the ciphertext
    assert record.encryption_context == {"a": "2"}
    assert record.cloudtrail_event()["errorCode"] == "InvalidCiphertextException"


def test_reencrypt_records_both_keys(kms_mock, kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
    kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"}, DestinationKeyId=other["Arn"])
    record = kms_mock.calls.last("ReEncrypt")
    assert [k.arn for k in record.keys] == [key["Arn"], other["Arn"]]
    assert record.encryption_context == {"a": "1"}  # the source context
    kms_mock.calls.assert_called_once("ReEncrypt", key=other["KeyId"])


# -- filters and assertions -------------------------------------------------------------------
def test_assert_called_once_with_context_and_role(kms_mock, kms, key):
    role = kms_mock.iam.create_role("app-role", policies=[ALLOW_KMS])
    app = role.client()
    blob = app.encrypt(KeyId="alias/journal", Plaintext=b"x", EncryptionContext={"tenant": "a"})["CiphertextBlob"]
    app.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "a"})
    kms.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "a"})

    calls = kms_mock.calls
    record = calls.assert_called_once("Decrypt", encryption_context={"tenant": "a"}, caller_arn=role.arn)
    assert record.caller_arn.startswith("arn:aws:sts::123456789012:assumed-role/app-role/")
    calls.assert_called_once("Decrypt", caller_arn=role)  # a principal object works too
    calls.assert_called("Decrypt", times=2, key="alias/journal")
    calls.assert_called("Decrypt", times=2, key=key["Arn"])
    calls.assert_not_called("Decrypt", encryption_context={"tenant": "b"})
    assert calls.count("Decrypt", caller_arn="arn:aws:iam::123456789012:root") == 1


def test_failed_assertion_lists_the_calls_seen(kms_mock, kms, key):
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "a"})
    with pytest.raises(AssertionError) as excinfo:
        kms_mock.calls.assert_called_once("Encrypt", encryption_context={"tenant": "b"})
    text = str(excinfo.value)
    assert text.startswith("Expected Encrypt with encryption_context={'tenant': 'b'} 1 time; 0 matching calls.")
    assert "KMS calls seen (3)" in text
    assert "CreateKey by arn:aws:iam::123456789012:root" in text
    assert "CreateAlias" in text
    assert (
        f"Encrypt by arn:aws:iam::123456789012:root on {key['Arn']} encryption_context={{'tenant': 'a'}} -> ok" in text
    )
    assert "[differs: encryption_context={'tenant': 'a'}]" in text

    with pytest.raises(AssertionError) as excinfo:
        kms_mock.calls.assert_not_called("Encrypt")
    assert str(excinfo.value).startswith("Expected no Encrypt; 1 matching call.\n")
    assert "\n *  3. " in str(excinfo.value)


def test_assertion_on_an_empty_journal(kms_mock):
    with pytest.raises(AssertionError, match="No KMS calls were made"):
        kms_mock.calls.assert_called_once("Decrypt")


def test_params_subset_predicates_and_helpers(kms_mock, kms, key):
    kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=16)
    calls = kms_mock.calls
    assert calls.count("GenerateDataKey", params={"KeySpec": "AES_256"}) == 1
    assert calls.count("GenerateDataKey", parameters={"NumberOfBytes": 16, "KeyId": key["KeyId"]}) == 1
    assert calls.count("GenerateDataKey", params={"KeySpec": "AES_128"}) == 0
    assert calls.count(region=lambda region: region.startswith("us-")) == len(calls)
    assert calls.count(succeeded=True) == 4
    assert calls.last("GenerateDataKey").params["NumberOfBytes"] == 16
    assert calls.last("Decrypt") is None
    assert calls.operations == ["CreateKey", "CreateAlias", "GenerateDataKey", "GenerateDataKey"]
    calls.assert_calls("CreateKey", "CreateAlias", "GenerateDataKey", "GenerateDataKey")
    with pytest.raises(AssertionError, match=r"Expected calls \['CreateKey'\]"):
        calls.assert_calls("CreateKey")
    with pytest.raises(TypeError, match="unknown call filter 'encryption_contxt'"):
        calls.filter("Decrypt", encryption_contxt={})
    calls.clear()
    assert len(calls) == 0


# -- GetKeyLastUsage ----------------------------------------------------------------------
def test_last_usage_of_an_unused_key(kms, key):
    response = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert response["KeyId"] == key["KeyId"]
    assert response["KeyLastUsage"] == {}
    assert response["KeyCreationDate"] == key["CreationDate"]
    assert response["TrackingStartDate"] == key["CreationDate"]


def test_last_usage_is_the_last_successful_cryptographic_operation(kms_mock, kms, key):
    encrypted = kms.encrypt(KeyId="alias/journal", Plaintext=b"x", EncryptionContext={"a": "1"})
    kms_mock.clock.advance(hours=5)
    # Not cryptographic, or not successful: not usage.
    kms.describe_key(KeyId=key["KeyId"])
    kms.get_key_last_usage(KeyId=key["KeyId"])
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"a": "2"})
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True)

    usage = kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    record = kms_mock.calls.assert_called_once("Encrypt", succeeded=True)
    assert usage == {
        "Operation": "Encrypt",
        "Timestamp": record.time.replace(microsecond=usage["Timestamp"].microsecond),
        "CloudTrailEventId": record.event_id,
        "KmsRequestId": encrypted["ResponseMetadata"]["RequestId"],
    }
    assert abs(usage["Timestamp"] - record.time) < timedelta(milliseconds=1)

    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"a": "1"})
    usage = kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert usage["Operation"] == "Decrypt"
    assert usage["KmsRequestId"] == decrypted["ResponseMetadata"]["RequestId"]
    assert usage["Timestamp"] > key["CreationDate"] + timedelta(hours=4)


def test_reencrypt_is_usage_of_both_keys(kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    response = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId="alias/journal")
    response = kms.re_encrypt(CiphertextBlob=response["CiphertextBlob"], DestinationKeyId=other["KeyId"])
    for key_id in (key["KeyId"], other["KeyId"]):
        usage = kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
        assert usage["Operation"] == "ReEncrypt"
        assert usage["KmsRequestId"] == response["ResponseMetadata"]["RequestId"]


_USES = {
    "Sign": lambda kms, ids: kms.sign(KeyId=ids["sign"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
    "GenerateMac": lambda kms, ids: kms.generate_mac(KeyId=ids["mac"], Message=b"m", MacAlgorithm="HMAC_SHA_256"),
    "GenerateDataKeyWithoutPlaintext": lambda kms, ids: kms.generate_data_key_without_plaintext(
        KeyId=ids["sym"], KeySpec="AES_256"
    ),
    "GenerateDataKeyPair": lambda kms, ids: kms.generate_data_key_pair(KeyId=ids["sym"], KeyPairSpec="ECC_NIST_P256"),
}


@pytest.mark.parametrize("operation", sorted(_USES))
def test_every_tracked_operation_counts(kms, operation):
    ids = {
        "sign": kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"],
        "mac": kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"],
        "sym": kms.create_key()["KeyMetadata"]["KeyId"],
    }
    response = _USES[operation](kms, ids)
    used = response["KeyId"].rsplit("/", 1)[1]
    usage = kms.get_key_last_usage(KeyId=used)["KeyLastUsage"]
    assert usage["Operation"] == operation
    assert usage["KmsRequestId"] == response["ResponseMetadata"]["RequestId"]


def test_failed_verify_is_not_usage(kms):
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    with pytest.raises(ClientError):
        kms.verify(KeyId=key_id, Message=b"other", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")
    assert kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]["Operation"] == "Sign"
    kms.verify(KeyId=key_id, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")
    assert kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]["Operation"] == "Verify"


def test_last_usage_survives_clearing_the_journal(kms_mock, kms, key):
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    kms_mock.calls.clear()
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"


def test_last_usage_rejects_alias_names(kms, key):
    for alias in ("alias/journal", "arn:aws:kms:us-east-1:123456789012:alias/journal"):
        with pytest.raises(ClientError) as excinfo:
            kms.get_key_last_usage(KeyId=alias)
        assert _error(excinfo) == ("NotFoundException", f"Invalid keyId '{alias}'")


def test_last_usage_of_a_missing_key(kms):
    missing = "1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(ClientError) as excinfo:
        kms.get_key_last_usage(KeyId=missing)
    assert _error(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:123456789012:key/{missing}' does not exist",
    )


def test_last_usage_in_any_key_state(kms, key):
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
