"""Symmetric keys, aliases, tags, policies and key states, as AWS does them."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ACCOUNT = "123456789012"
REGION = "us-east-1"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture
def key(kms):
    return kms.create_key(Description="test key")["KeyMetadata"]


# -- CreateKey / DescribeKey ------------------------------------------------------------------
def test_create_key_metadata_matches_aws(kms):
    meta = kms.create_key()["KeyMetadata"]
    assert set(meta) == {
        "AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description", "KeyUsage", "KeyState",
        "Origin", "KeyManager", "CustomerMasterKeySpec", "KeySpec", "EncryptionAlgorithms", "MultiRegion",
        "CurrentKeyMaterialId",
    }  # the field set AWS returns for a default symmetric key (aws_responses.md)
    assert meta["AWSAccountId"] == ACCOUNT
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{meta['KeyId']}"
    assert meta["Enabled"] is True and meta["KeyState"] == "Enabled"
    assert meta["Description"] == ""
    assert (meta["KeyUsage"], meta["KeySpec"], meta["CustomerMasterKeySpec"]) == ("ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT")
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert (meta["Origin"], meta["KeyManager"], meta["MultiRegion"]) == ("AWS_KMS", "CUSTOMER", False)
    assert len(meta["CurrentKeyMaterialId"]) == 64


def test_describe_key_by_every_identifier(kms, key):
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"
    for identifier in (key["KeyId"], key["Arn"], "alias/app", alias_arn):
        assert kms.describe_key(KeyId=identifier)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_multi_region_key_id(kms):
    meta = kms.create_key(MultiRegion=True)["KeyMetadata"]
    assert meta["KeyId"].startswith("mrk-") and len(meta["KeyId"]) == 36
    assert meta["MultiRegion"] is True
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"


def test_external_origin_key_is_pending_import(kms):
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["Origin"]) == ("PendingImport", False, "EXTERNAL")
    assert "CurrentKeyMaterialId" not in meta
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")
    assert error_of(e) == ("KMSInvalidStateException", f"{meta['Arn']} is pending import.")


@pytest.mark.parametrize(
    "identifier, message",
    [
        ("fake-key-id", "Invalid keyId 'fake-key-id'"),
        ("mrk-fake-key-id", "Invalid keyId 'mrk-fake-key-id'"),
        ("134f2428cec14b25a1ae9048164dba47", "Invalid keyId '134f2428cec14b25a1ae9048164dba47'"),
        (
            "0b1c8b9e-7f11-4b4c-9a8e-1e1b2c3d4e5f",
            f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c8b9e-7f11-4b4c-9a8e-1e1b2c3d4e5f' does not exist",
        ),
        (
            f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c8b9e-7f11-4b4c-9a8e-1e1b2c3d4e5f",
            f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c8b9e-7f11-4b4c-9a8e-1e1b2c3d4e5f' does not exist",
        ),
        ("alias/missing", f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/missing is not found."),
    ],
)
def test_missing_keys_are_not_found_with_aws_messages(kms, identifier, message):
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=identifier)
    assert error_of(e) == ("NotFoundException", message)


def test_arn_of_another_region_is_never_resolved_locally(kms, key):
    other = key["Arn"].replace(REGION, "us-west-2")
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=other)
    assert error_of(e) == ("NotFoundException", "Invalid arn us-west-2")


def test_bare_key_id_of_another_region_is_not_found(kms_mock, key):
    west = kms_mock.client("kms", region_name="us-west-2")
    with pytest.raises(ClientError) as e:
        west.describe_key(KeyId=key["KeyId"])
    assert error_of(e) == ("NotFoundException", f"Key 'arn:aws:kms:us-west-2:{ACCOUNT}:key/{key['KeyId']}' does not exist")


def test_management_operations_reject_alias_names(kms, key):
    kms.create_alias(AliasName="alias/mgmt", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        kms.disable_key(KeyId="alias/mgmt")
    assert error_of(e) == ("NotFoundException", "Invalid keyId 'alias/mgmt'")


def test_list_keys_paginates(kms):
    ids = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(7)]
    page = kms.list_keys(Limit=3)
    assert page["Truncated"] is True and len(page["Keys"]) == 3
    seen = [k["KeyId"] for p in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}) for k in p["Keys"]]
    assert seen == ids
    last = kms.list_keys(Limit=5, Marker=kms.list_keys(Limit=5)["NextMarker"])
    assert last["Truncated"] is False and "NextMarker" not in last and len(last["Keys"]) == 2
    with pytest.raises(ClientError) as e:
        kms.list_keys(Marker="not-a-marker")
    assert error_of(e)[0] == "InvalidMarkerException"


def test_enable_disable_and_description(kms, key):
    kms.disable_key(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(e) == ("DisabledException", f"{key['Arn']} is disabled.")
    kms.enable_key(KeyId=key["Arn"])
    kms.update_key_description(KeyId=key["KeyId"], Description="new words")
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Description"]) == ("Enabled", "new words")


def test_disabled_key_cannot_decrypt_old_ciphertext(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(e) == ("DisabledException", f"{key['Arn']} is disabled.")


# -- key policy ---------------------------------------------------------------------------------
def test_default_key_policy_is_aws_text(kms, key):
    policy = kms.get_key_policy(KeyId=key["KeyId"])
    assert policy["PolicyName"] == "default"
    assert policy["Policy"].startswith('{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",')
    assert json.loads(policy["Policy"]) == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]


def test_get_key_policy_with_other_name(kms, key):
    with pytest.raises(ClientError) as e:
        kms.get_key_policy(KeyId=key["KeyId"], PolicyName="other")
    assert error_of(e)[0] == "NotFoundException"


def test_policy_over_32_kb_is_a_limit(kms, key):
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    big = json.dumps({"Version": "2012-10-17", "Statement": [dict(statement, Sid=f"s{i:05d}" + "x" * 100) for i in range(300)]})
    assert len(big) > 32768
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=big)
    assert error_of(e)[0] == "LimitExceededException"


# -- aliases ----------------------------------------------------------------------------------------
def test_alias_lifecycle(kms, key):
    other = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/one", TargetKeyId=key["KeyId"])
    kms.create_alias(AliasName="alias/two", TargetKeyId=key["Arn"])
    aliases = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/one", "alias/two"]
    assert aliases[0]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/one"
    assert aliases[0]["TargetKeyId"] == key["KeyId"]
    kms.update_alias(AliasName="alias/one", TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId="alias/one")["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName="alias/one")
    assert [a["AliasName"] for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")] == ["alias/two"]


def test_alias_errors(kms, key):
    kms.create_alias(AliasName="alias/taken", TargetKeyId=key["KeyId"])
    cases = [
        ("taken", "ValidationException",
         'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html'),
        ("alias/Service:Test", "ValidationException", "alias/Service:Test contains invalid characters for an alias"),
        ("alias/taken", "AlreadyExistsException", f"An alias with the name arn:aws:kms:{REGION}:{ACCOUNT}:alias/taken already exists"),
    ]
    for name, code, message in cases:
        with pytest.raises(ClientError) as e:
            kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
        assert error_of(e) == (code, message)
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])
    assert error_of(e)[0] == "InvalidAliasNameException"
    with pytest.raises(ClientError) as e:
        kms.delete_alias(AliasName="alias/never")
    assert error_of(e) == ("NotFoundException", f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/never is not found.")


def test_alias_to_pending_deletion_key_is_refused(kms, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/late", TargetKeyId=key["KeyId"])
    assert error_of(e) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")


def test_list_aliases_paginates(kms, key):
    for i in range(5):
        kms.create_alias(AliasName=f"alias/a{i}", TargetKeyId=key["KeyId"])
    pages = kms.get_paginator("list_aliases").paginate(KeyId=key["KeyId"], PaginationConfig={"PageSize": 2})
    names = [a["AliasName"] for p in pages for a in p["Aliases"]]
    assert names == [f"alias/a{i}" for i in range(5)]


# -- tags -----------------------------------------------------------------------------------------------
def test_tags(kms):
    key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "core"}])["KeyMetadata"]
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "team", "TagValue": "data"}, {"TagKey": "env", "TagValue": ""}])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [
        {"TagKey": "team", "TagValue": "data"},
        {"TagKey": "env", "TagValue": ""},
    ]
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["team", "absent"])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "env", "TagValue": ""}]


@pytest.mark.parametrize(
    "tags, message",
    [
        ([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)], "Too many tags"),
        ([{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}], "Duplicate tag keys"),
        ([{"TagKey": "aws:reserved", "TagValue": "v"}], "Tags beginning with aws: are reserved"),
        ([{"TagKey": "AWS:Reserved", "TagValue": "v"}], "Tags beginning with aws: are reserved"),
    ],
)
def test_tag_errors(kms, tags, message):
    with pytest.raises(ClientError) as e:
        kms.create_key(Tags=tags)
    assert error_of(e) == ("TagException", message)


def test_tag_key_too_long_is_a_validation_error(kms, key):
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k" * 129, "TagValue": "v"}])
    assert error_of(e) == (
        "ValidationException",
        f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.tagKey' failed to satisfy constraint: "
        "Member must have length less than or equal to 128",
    )


def test_tag_limit_counts_existing_tags(kms):
    key = kms.create_key(Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(50)])["KeyMetadata"]
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k0", "TagValue": "replaced"}])
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "new", "TagValue": "v"}])
    assert error_of(e) == ("TagException", "Too many tags")


# -- encryption -----------------------------------------------------------------------------------------------
def test_encrypt_decrypt_round_trip(kms, key):
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"hello", EncryptionContext={"purpose": "test"})
    assert out["KeyId"] == key["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"purpose": "test"})
    assert back["Plaintext"] == b"hello"
    assert back["KeyId"] == key["Arn"]
    assert back["KeyMaterialId"] == key["CurrentKeyMaterialId"]


def test_encrypt_with_every_identifier(kms, key):
    kms.create_alias(AliasName="alias/enc", TargetKeyId=key["KeyId"])
    for identifier in (key["KeyId"], key["Arn"], "alias/enc", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/enc"):
        blob = kms.encrypt(KeyId=identifier, Plaintext=b"x")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=identifier)["Plaintext"] == b"x"


def test_encryption_context_must_match_exactly(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"a": "bc"})["CiphertextBlob"]
    for context in ({}, {"ab": "c"}, {"a": "BC"}, {"A": "bc"}, {"a": "bc", "extra": "1"}):
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        assert error_of(e) == ("InvalidCiphertextException", "")
    # order of pairs does not matter
    blob2 = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"y", EncryptionContext={"a": "1", "b": "2"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob2, EncryptionContext={"b": "2", "a": "1"})["Plaintext"] == b"y"


@pytest.mark.parametrize("mangle", ["flip_body", "flip_header", "truncate", "garbage", "empty_prefix"])
def test_tampered_ciphertext_is_invalid(kms, key, mangle):
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"payload")["CiphertextBlob"])
    if mangle == "flip_body":
        blob[-1] ^= 1
    elif mangle == "flip_header":
        blob[-30] ^= 1
    elif mangle == "truncate":
        blob = blob[:20]
    elif mangle == "garbage":
        blob = bytearray(b"not a kms ciphertext at all, just bytes" * 2)
    else:
        blob = bytearray(b"\x00") + blob
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(blob))
    assert error_of(e) == ("InvalidCiphertextException", "")


def test_decrypt_with_the_wrong_key_id(kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"])
    assert error_of(e) == ("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")


def test_ciphertext_from_another_region_fails(kms_mock, key):
    blob = kms_mock.client().encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        kms_mock.client("kms", region_name="eu-west-1").decrypt(CiphertextBlob=blob)
    # AWS: the key "does not exist in this Region" (kms_spec.md §5.2), not InvalidCiphertextException.
    code, message = error_of(e)
    assert code == "AccessDeniedException"
    assert "on the resource associated with this ciphertext because the resource does not exist in this Region" in message


def test_plaintext_limit(kms, key):
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4096)
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096",
    )


def test_re_encrypt_moves_ciphertext_to_another_key(kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"move me", EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = kms.re_encrypt(
        CiphertextBlob=blob, SourceEncryptionContext={"k": "v"}, DestinationKeyId=other["KeyId"], DestinationEncryptionContext={"n": "w"}
    )
    assert (out["SourceKeyId"], out["KeyId"]) == (key["Arn"], other["Arn"])
    assert out["SourceEncryptionAlgorithm"] == out["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"n": "w"})
    assert (back["Plaintext"], back["KeyId"]) == (b"move me", other["Arn"])
    with pytest.raises(ClientError) as e:
        kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=other["KeyId"], DestinationKeyId=other["KeyId"], SourceEncryptionContext={"k": "v"})
    assert error_of(e)[0] == "IncorrectKeyException"


def test_data_key_envelope_decrypts_locally(kms, key):
    out = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"file": "a.txt"})
    assert len(out["Plaintext"]) == 32 and out["KeyId"] == key["Arn"]
    nonce = b"\x00" * 12
    sealed = AESGCM(out["Plaintext"]).encrypt(nonce, b"file contents", None)
    data_key = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"file": "a.txt"})["Plaintext"]
    assert AESGCM(data_key).decrypt(nonce, sealed, None) == b"file contents"


def test_data_key_sizes_and_rules(kms, key):
    assert len(kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16
    assert len(kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=7)["Plaintext"]) == 7
    wo = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in wo
    assert len(kms.decrypt(CiphertextBlob=wo["CiphertextBlob"])["Plaintext"]) == 32
    for kwargs in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        with pytest.raises(ClientError) as e:
            kms.generate_data_key(KeyId=key["KeyId"], **kwargs)
        assert error_of(e) == ("ValidationException", "Please specify either number of bytes or key spec.")


def test_generate_random(kms_mock):
    from botocore.config import Config

    assert len(kms_mock.client().generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    raw = kms_mock.client(config=Config(parameter_validation=False))
    expected = {
        None: "NumberOfBytes is required.",
        0: "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
        1025: "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    }
    for value, message in expected.items():
        with pytest.raises(ClientError) as e:
            raw.generate_random(**({} if value is None else {"NumberOfBytes": value}))
        assert error_of(e) == ("ValidationException", message)


# -- deletion and key states ---------------------------------------------------------------------------
def test_schedule_and_cancel_deletion(kms, key):
    out = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert out["KeyId"] == key["Arn"] and out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    delta = out["DeletionDate"] - kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CreationDate"]
    assert 6.99 < delta.total_seconds() / 86400 < 7.01
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["DeletionDate"]) == ("PendingDeletion", False, out["DeletionDate"])
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert error_of(e) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert error_of(e) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False) and "DeletionDate" not in meta
    with pytest.raises(ClientError) as e:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert error_of(e) == ("KMSInvalidStateException", f"{key['Arn']} is not pending deletion.")


@pytest.mark.parametrize("window", [6, 31, 365])
def test_deletion_window_bounds(kms, key, window):
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=window)
    assert error_of(e) == ("ValidationException", "PendingWindowInDays must be between 7 and 30")


def test_default_deletion_window_is_30_days(kms, key):
    assert kms.schedule_key_deletion(KeyId=key["KeyId"])["PendingWindowInDays"] == 30


# -- rotation fields (the clock-driven part lives in test_rotation.py) ------------------------------------------
def test_rotation_status_fields(kms, key):
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert status["KeyId"] == key["Arn"] and "NextRotationDate" in status
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_ciphertext_is_a_real_aes_gcm_blob(kms, key):
    """Not fake bytes: the body is as long as AES-GCM makes it (plaintext + 16-byte tag)."""
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p" * 100)["CiphertextBlob"]
    header = 2 + len(key["Arn"]) + 32 + 12
    assert len(blob) == header + 100 + 16
    assert base64.b64encode(blob)  # a real blob the wire layer base64-encoded
