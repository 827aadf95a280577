"""Unit tests for mock_kms.wire.validate (model-driven request validation).

Exact messages marked "recorded" are real AWS responses (see the project's AWS reference,
aws_errors.json / kms_spec.md §5.1).
"""

from __future__ import annotations

import base64
import copy
import re
from datetime import datetime, timezone
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

from mock_kms.core.errors import (
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from mock_kms.wire.validate import decode_request, validate

MODEL = botocore.session.get_session().get_service_model("kms")
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def validation_message(operation: str, params: dict) -> str:
    with pytest.raises(ValidationException) as exc:
        validate(operation, params)
    assert exc.value.code == "ValidationException"
    return exc.value.message


def serialization_error(operation: str, params: Any) -> SerializationException:
    with pytest.raises(SerializationException) as exc:
        validate(operation, params)
    assert exc.value.code == "SerializationException"
    return exc.value


# --------------------------------------------------------------------------------------
# Messages recorded against real AWS
# --------------------------------------------------------------------------------------


def test_integer_below_min_recorded():
    assert validation_message("GenerateRandom", {"NumberOfBytes": 0}) == (
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )


def test_integer_above_max_recorded():
    assert validation_message("GenerateRandom", {"NumberOfBytes": 1025}) == (
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value less than or equal to 1024"
    )


def test_integer_bounds_inclusive():
    validate("GenerateRandom", {"NumberOfBytes": 1})
    validate("GenerateRandom", {"NumberOfBytes": 1024})


def test_nested_list_string_too_long_recorded():
    key = "a" * 129
    msg = validation_message("CreateKey", {"Tags": [{"TagKey": key, "TagValue": "v"}]})
    assert msg == (
        f"1 validation error detected: Value '{key}' at 'tags.1.member.tagKey' failed to "
        "satisfy constraint: Member must have length less than or equal to 128"
    )


def test_nested_tag_value_too_long_recorded():
    value = "v" * 257
    msg = validation_message("CreateKey", {"Tags": [{"TagKey": "k", "TagValue": value}]})
    assert msg == (
        f"1 validation error detected: Value '{value}' at 'tags.1.member.tagValue' failed to "
        "satisfy constraint: Member must have length less than or equal to 256"
    )


def test_sensitive_blob_value_not_echoed_recorded():
    msg = validation_message("Encrypt", {"KeyId": KEY_ID, "Plaintext": b"x" * 4097})
    assert msg == (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )


@pytest.mark.parametrize("operation, extra", [("GenerateMac", {}), ("VerifyMac", {"Mac": b"m"})])
def test_enum_mac_algorithm_recorded(operation: str, extra: dict):
    params = {"KeyId": KEY_ID, "Message": b"hi", "MacAlgorithm": "INVALID", **extra}
    # AWS's recorded order (aws_errors.json), not the model's.
    assert validation_message(operation, params) == (
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"
    )


def test_enum_key_agreement_algorithm_recorded():
    params = {"KeyId": KEY_ID, "KeyAgreementAlgorithm": "INVALID", "PublicKey": b"pk"}
    assert validation_message("DeriveSharedSecret", params) == (
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ECDH]"
    )


RECORDED_KEY_SPECS = (
    "RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, "
    "ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512"
)


def test_enum_key_spec_and_usage_in_recorded_order():
    # Recorded in 2023 (aws_errors.json); values the model added since follow in model order.
    msg = validation_message("CreateKey", {"KeySpec": "HMAC_random"})
    newer = [spec for spec in MODEL.shape_for("KeySpec").enum if spec not in RECORDED_KEY_SPECS.split(", ")]
    assert msg == (
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join([RECORDED_KEY_SPECS, *newer])}]"
    )
    msg = validation_message("CreateKey", {"KeySpec": "HMAC_256", "KeyUsage": "RANDOM"})
    newer = [usage for usage in MODEL.shape_for("KeyUsageType").enum if usage not in ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC")]
    assert msg == (
        "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        f"[{', '.join(['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', *newer])}]"
    )


def test_enum_without_a_recording_keeps_the_model_order():
    msg = validation_message("Sign", {"KeyId": KEY_ID, "Message": b"m", "SigningAlgorithm": "NOPE"})
    assert msg.endswith(f"[{', '.join(MODEL.shape_for('SigningAlgorithmSpec').enum)}]")


# --------------------------------------------------------------------------------------
# Other constraint kinds
# --------------------------------------------------------------------------------------


def test_non_sensitive_blob_echoed_as_java_bytebuffer():
    msg = validation_message("Decrypt", {"CiphertextBlob": b"c" * 7000})
    assert msg == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=7000 cap=7000]' "
        "at 'ciphertextBlob' failed to satisfy constraint: "
        "Member must have length less than or equal to 6144"
    )


def test_blob_below_min():
    msg = validation_message("Decrypt", {"CiphertextBlob": b""})
    assert msg == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' "
        "at 'ciphertextBlob' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_sensitive_message_member_of_sign():
    # Sign.Message uses the sensitive PlaintextType.
    params = {"KeyId": KEY_ID, "Message": b"", "SigningAlgorithm": "ECDSA_SHA_256"}
    assert validation_message("Sign", params) == (
        "1 validation error detected: Value at 'message' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_sensitive_string_not_echoed():
    params = {"CustomKeyStoreName": "store", "KeyStorePassword": "short"}
    assert validation_message("CreateCustomKeyStore", params) == (
        "1 validation error detected: Value at 'keyStorePassword' failed to satisfy "
        "constraint: Member must have length greater than or equal to 7"
    )


def test_sensitive_nested_structure_member():
    params = {
        "CustomKeyStoreName": "store",
        "XksProxyAuthenticationCredential": {
            "AccessKeyId": "lowercase-not-allowed",
            "RawSecretAccessKey": "s" * 43,
        },
    }
    assert validation_message("CreateCustomKeyStore", params) == (
        "1 validation error detected: Value at 'xksProxyAuthenticationCredential.accessKeyId' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "^[A-Z2-7]+$"
    )


def test_string_max_length():
    assert validation_message("DescribeKey", {"KeyId": "k" * 2049}) == (
        f"1 validation error detected: Value '{'k' * 2049}' at 'keyId' failed to satisfy "
        "constraint: Member must have length less than or equal to 2048"
    )


def test_pattern():
    params = {"AliasName": "alias/has space", "TargetKeyId": KEY_ID}
    assert validation_message("CreateAlias", params) == (
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    )


def test_pattern_is_full_match_and_ascii_only():
    # Java's matches() semantics: a trailing newline does not satisfy "^...$".
    assert "regular expression pattern" in validation_message(
        "CreateAlias", {"AliasName": "alias/x\n", "TargetKeyId": KEY_ID}
    )
    # Java's \w is ASCII-only: a non-ASCII letter fails [\w]+.
    assert "regular expression pattern: [\\w]+" in validation_message(
        "GetKeyPolicy", {"KeyId": KEY_ID, "PolicyName": "défaut"}
    )
    validate("GetKeyPolicy", {"KeyId": KEY_ID, "PolicyName": "default"})


def test_pattern_with_unicode_escapes():
    # PolicyType: [\u0009\u000A\u000D\u0020-\u00FF]+ (Java escapes, printed as in the model).
    validate("PutKeyPolicy", {"KeyId": KEY_ID, "Policy": '{"Version": "2012-10-17"}\n'})
    msg = validation_message("PutKeyPolicy", {"KeyId": KEY_ID, "Policy": "\u20ac"})
    assert msg == (
        "1 validation error detected: Value '\u20ac' at 'policy' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    )


def test_length_and_pattern_both_reported():
    msg = validation_message("CreateAlias", {"AliasName": "", "TargetKeyId": KEY_ID})
    assert msg == (
        "2 validation errors detected: "
        "Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    )


def test_required_missing():
    assert validation_message("Encrypt", {"KeyId": KEY_ID}) == (
        "1 validation error detected: Value null at 'plaintext' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_required_missing_counts_json_null_as_absent():
    assert validation_message("Encrypt", {"KeyId": None, "Plaintext": b"x"}) == (
        "1 validation error detected: Value null at 'keyId' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_required_missing_nested_in_list():
    tags = [{"TagKey": "a", "TagValue": "b"}, {"TagKey": "k"}]
    msg = validation_message("TagResource", {"KeyId": KEY_ID, "Tags": tags})
    assert msg == (
        "1 validation error detected: Value null at 'tags.2.member.tagValue' failed to "
        "satisfy constraint: Member must not be null"
    )


def test_null_structure_element_in_list():
    msg = validation_message("TagResource", {"KeyId": KEY_ID, "Tags": [None]})
    assert msg == (
        "1 validation error detected: Value null at 'tags.1.member' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_multiple_errors_joined_in_model_member_order():
    msg = validation_message("GenerateMac", {"Message": b"", "MacAlgorithm": "MD5"})
    assert msg == (
        "3 validation errors detected: "
        "Value at 'message' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; "
        "Value 'MD5' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy "
        "enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"
    )


def test_errors_across_nesting_levels_are_all_collected():
    params = {"KeySpec": "NOPE", "Tags": [{"TagKey": "", "TagValue": "v"}, {"TagKey": "k", "TagValue": "w" * 300}]}
    msg = validation_message("CreateKey", params)
    assert msg.startswith("3 validation errors detected: ")
    assert "at 'keySpec'" in msg
    assert (
        "Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ) in msg
    assert (
        "at 'tags.2.member.tagValue' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    ) in msg


def test_list_of_enums_reports_whole_list():
    params = {"KeyId": KEY_ID, "GranteePrincipal": "arn:aws:iam::111122223333:root", "Operations": ["Encrypt", "Bogus"]}
    values = ", ".join(MODEL.shape_for("GrantOperation").enum)
    assert validation_message("CreateGrant", params) == (
        "1 validation error detected: Value '[Encrypt, Bogus]' at 'operations' failed to "
        "satisfy constraint: Member must satisfy constraint: "
        f"[Member must satisfy enum value set: [{values}]]"
    )


def test_list_of_strings_element_constraints():
    msg = validation_message("Encrypt", {"KeyId": KEY_ID, "Plaintext": b"x", "GrantTokens": ["ok", ""]})
    assert msg == (
        "1 validation error detected: Value '[ok, ]' at 'grantTokens' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must have length less than or "
        "equal to 8192, Member must have length greater than or equal to 1]"
    )


def test_list_max_length():
    tokens = [f"t{i}" for i in range(11)]
    msg = validation_message("Encrypt", {"KeyId": KEY_ID, "Plaintext": b"x", "GrantTokens": tokens})
    assert msg == (
        f"1 validation error detected: Value '[{', '.join(tokens)}]' at 'grantTokens' failed "
        "to satisfy constraint: Member must have length less than or equal to 10"
    )


def test_semantic_ranges_are_not_checked_here():
    # 7..30 is the documented rule, enforced by the handler; the model allows 1..365.
    validate("ScheduleKeyDeletion", {"KeyId": KEY_ID, "PendingWindowInDays": 1})
    assert "less than or equal to 365" in validation_message(
        "ScheduleKeyDeletion", {"KeyId": KEY_ID, "PendingWindowInDays": 366}
    )
    # GenerateRandom.NumberOfBytes is optional in the model ("NumberOfBytes is required."
    # is the handler's message).
    validate("GenerateRandom", {})


def test_unknown_members_are_ignored():
    validate("DescribeKey", {"KeyId": KEY_ID, "NotAMember": {"x": [1, 2]}, "keyid": 5})


def test_map_values_unconstrained():
    validate("Encrypt", {"KeyId": KEY_ID, "Plaintext": b"x", "EncryptionContext": {"": "", "k" * 5000: "v"}})


def test_map_null_value():
    msg = validation_message("Encrypt", {"KeyId": KEY_ID, "Plaintext": b"x", "EncryptionContext": {"a": None}})
    assert msg == (
        "1 validation error detected: Value '{a=null}' at 'encryptionContext' failed to satisfy "
        "constraint: Map value must satisfy constraint: [Member must not be null]"
    )


def test_unknown_operation():
    with pytest.raises(UnknownOperationException):
        validate("NotAnOperation", {})


# --------------------------------------------------------------------------------------
# Type errors -> SerializationException
# --------------------------------------------------------------------------------------


ENC = {"KeyId": KEY_ID, "Plaintext": b"x"}
IMPORT = {"KeyId": KEY_ID, "ImportToken": b"t", "EncryptedKeyMaterial": b"m"}


@pytest.mark.parametrize(
    "operation, params, message",
    [
        # Exact AWS texts for type errors are unrecorded; these pin the mock's wording.
        ("GenerateRandom", {"NumberOfBytes": "5"}, "STRING_VALUE can not be converted to an Integer"),
        ("GenerateRandom", {"NumberOfBytes": True}, "BOOLEAN_VALUE can not be converted to an Integer"),
        ("GenerateRandom", {"NumberOfBytes": 1.5}, "NUMBER_VALUE can not be converted to an Integer"),
        ("DescribeKey", {"KeyId": 5}, "NUMBER_VALUE can not be converted to a String"),
        ("DescribeKey", {"KeyId": {"a": 1}}, "Start of structure or map found where not expected."),
        ("DescribeKey", {"KeyId": ["a"]}, "Start of list found where not expected."),
        ("Encrypt", {**ENC, "DryRun": "true"}, "STRING_VALUE can not be converted to a Boolean"),
        ("Encrypt", {"KeyId": KEY_ID, "Plaintext": "eA=="}, "STRING_VALUE can not be converted to a Blob"),
        ("Encrypt", {**ENC, "EncryptionContext": ["a"]}, "Start of list found where not expected."),
        ("Encrypt", {**ENC, "EncryptionContext": {"a": 1}}, "NUMBER_VALUE can not be converted to a String"),
        ("Encrypt", {**ENC, "GrantTokens": "tok"}, "STRING_VALUE can not be converted to a List"),
        ("Encrypt", {**ENC, "GrantTokens": [1]}, "NUMBER_VALUE can not be converted to a String"),
        ("CreateKey", {"Tags": {"TagKey": "k"}}, "Start of structure or map found where not expected."),
        ("CreateKey", {"Tags": ["k"]}, "STRING_VALUE can not be converted to a Structure"),
        ("CreateGrant", {"KeyId": KEY_ID, "GranteePrincipal": "p", "Operations": ["Encrypt"], "Constraints": "x"},
         "STRING_VALUE can not be converted to a Structure"),
        ("ImportKeyMaterial", {**IMPORT, "ValidTo": "2030-01-01"},
         "STRING_VALUE can not be converted to a Timestamp"),
    ],
)
def test_type_errors(operation: str, params: dict, message: str):
    assert serialization_error(operation, params).message == message


@pytest.mark.parametrize("body", [[], "x", 1, None])
def test_non_object_body(body: Any):
    serialization_error("ListKeys", body)
    serialization_error("DescribeKey", body)
    with pytest.raises(SerializationException):
        decode_request("Encrypt", body)


def test_type_error_wins_over_collected_constraint_errors():
    # keyId fails a constraint first, then a later member has the wrong type.
    err = serialization_error("Encrypt", {"KeyId": "", "Plaintext": b"x", "DryRun": 1})
    assert err.message == "NUMBER_VALUE can not be converted to a Boolean"


# --------------------------------------------------------------------------------------
# decode_request
# --------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_decode_blobs_and_leave_others():
    params = {"KeyId": KEY_ID, "Plaintext": b64(b"secret"), "EncryptionContext": {"a": "b"}}
    out = decode_request("Encrypt", params)
    assert out is params
    assert params == {"KeyId": KEY_ID, "Plaintext": b"secret", "EncryptionContext": {"a": "b"}}
    validate("Encrypt", params)


def test_decode_nested_blob():
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b64(b"doc")}
    params = {"CiphertextBlob": b64(b"c"), "Recipient": recipient}
    decode_request("Decrypt", params)
    assert params["CiphertextBlob"] == b"c"
    assert params["Recipient"]["AttestationDocument"] == b"doc"
    validate("Decrypt", params)


def test_decode_passes_bytes_through():
    params = {"KeyId": KEY_ID, "Plaintext": b"raw"}
    assert decode_request("Encrypt", params)["Plaintext"] == b"raw"


@pytest.mark.parametrize("bad", ["not base64!", "abc", "YQ=", "YWJj\n"])
def test_decode_bad_base64(bad: str):
    with pytest.raises(SerializationException) as exc:
        decode_request("Encrypt", {"KeyId": KEY_ID, "Plaintext": bad})
    assert "'plaintext'" in exc.value.message
    assert bad.strip() not in exc.value.message  # possibly secret: never echoed


def test_decode_bad_base64_nested_path():
    with pytest.raises(SerializationException) as exc:
        decode_request("Decrypt", {"Recipient": {"AttestationDocument": "%%%"}})
    assert "'recipient.attestationDocument'" in exc.value.message


def test_decode_empty_base64_then_min_length():
    params = decode_request("Encrypt", {"KeyId": KEY_ID, "Plaintext": ""})
    assert params["Plaintext"] == b""
    assert "Member must have length greater than or equal to 1" in validation_message("Encrypt", params)


@pytest.mark.parametrize("epoch", [1893456000, 1893456000.5])
def test_decode_timestamp(epoch: float):
    params = {"KeyId": KEY_ID, "ImportToken": b64(b"t"), "EncryptedKeyMaterial": b64(b"m"), "ValidTo": epoch}
    decode_request("ImportKeyMaterial", params)
    valid_to = params["ValidTo"]
    assert isinstance(valid_to, datetime)
    assert valid_to.tzinfo is not None and valid_to.utcoffset().total_seconds() == 0
    assert valid_to == datetime.fromtimestamp(epoch, tz=timezone.utc)
    assert valid_to.year == 2030
    validate("ImportKeyMaterial", params)


def test_decode_timestamp_out_of_range():
    with pytest.raises(SerializationException):
        decode_request("ImportKeyMaterial", {"ValidTo": 1e300})


def test_decode_timestamp_wrong_type_left_for_validate():
    params = {"KeyId": KEY_ID, "ImportToken": b"t", "EncryptedKeyMaterial": b"m", "ValidTo": True}
    decode_request("ImportKeyMaterial", params)
    assert params["ValidTo"] is True
    message = serialization_error("ImportKeyMaterial", params).message
    assert message == "BOOLEAN_VALUE can not be converted to a Timestamp"


def test_decode_integral_float_to_int():
    params = decode_request("GenerateRandom", {"NumberOfBytes": 32.0})
    assert params["NumberOfBytes"] == 32 and type(params["NumberOfBytes"]) is int
    validate("GenerateRandom", params)
    params = decode_request("GenerateRandom", {"NumberOfBytes": 32.5})
    assert params["NumberOfBytes"] == 32.5  # left for validate to reject


def test_decode_operation_without_conversions():
    params = {"KeyId": KEY_ID}
    assert decode_request("DescribeKey", params) == {"KeyId": KEY_ID}


# --------------------------------------------------------------------------------------
# Every operation: minimal and full valid inputs built from the model
# --------------------------------------------------------------------------------------

# Strings that satisfy the model's patterns; the first one that fits a shape is used.
PATTERN_SAMPLES = [
    "alias/example",
    "111122223333",
    "0123456789abcdef" * 4,
    "cluster-234abcdefgh",
    "default",
    "arn:aws:iam::111122223333:role/Example",
    "us-east-1",
    "key-1",
    "ABCDEFGHIJKLMNOPQRST",
    "s" * 43,
    "https://example.com",
    "/kms/xks/v1",
    "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
]


def sample_value(shape: Shape, full: bool) -> Any:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        names = shape.members if full else shape.required_members
        return {name: sample_value(shape.members[name], full) for name in names}
    if kind == "list":
        return [sample_value(shape.member, full) for _ in range(max(meta.get("min", 0), 1))]
    if kind == "map":
        return {"key": sample_value(shape.value, full)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        lo, hi = meta.get("min", 0), meta.get("max", 10**9)
        if "pattern" in meta:
            regex = re.compile(meta["pattern"], re.ASCII)
            for candidate in PATTERN_SAMPLES:
                if lo <= len(candidate) <= hi and regex.fullmatch(candidate):
                    return candidate
            raise AssertionError(f"no sample for {shape.name} pattern {meta['pattern']}")
        return "a" * max(lo, 1)
    if kind in ("integer", "long"):
        return meta.get("min", 1)
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"b" * max(meta.get("min", 1), 1)
    if kind == "timestamp":
        return datetime(2030, 1, 1, tzinfo=timezone.utc)
    raise AssertionError(f"unexpected shape type {kind}")


def to_wire(value: Any) -> Any:
    """What the JSON body carries: base64 text for blobs, epoch seconds for timestamps."""
    if isinstance(value, bytes):
        return b64(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def test_model_has_at_least_the_54_documented_operations():
    # botocore 1.43 has 54; newer releases add operations (1.44: Encapsulate, Decapsulate).
    assert len(MODEL.operation_names) >= 54


@pytest.mark.parametrize("operation", MODEL.operation_names)
@pytest.mark.parametrize("full", [False, True], ids=["required-only", "all-members"])
def test_every_operation_accepts_valid_input(operation: str, full: bool):
    shape = MODEL.operation_model(operation).input_shape
    params = sample_value(shape, full) if shape is not None else {}
    validate(operation, copy.deepcopy(params))
    # The same request as it arrives on the wire decodes back to the Python values.
    decoded = decode_request(operation, to_wire(params))
    assert decoded == params
    validate(operation, decoded)


def test_every_operation_reports_all_required_members():
    for operation in MODEL.operation_names:
        shape = MODEL.operation_model(operation).input_shape
        required = shape.required_members if shape is not None else []
        if not required:
            validate(operation, {})
            continue
        msg = validation_message(operation, {})
        n = len(required)
        assert msg.startswith(f"{n} validation error{'s' if n > 1 else ''} detected: ")
        for name in required:
            camel = name[0].lower() + name[1:]
            assert f"Value null at '{camel}' failed to satisfy constraint: Member must not be null" in msg


def test_validate_does_not_mutate_params():
    params = {"KeyId": KEY_ID, "Plaintext": b"x", "EncryptionContext": {"a": "b"}, "GrantTokens": ["t"]}
    before = copy.deepcopy(params)
    validate("Encrypt", params)
    assert params == before


def test_operation_names():
    from mock_kms.wire.validate import OPERATION_NAMES

    assert OPERATION_NAMES == frozenset(MODEL.operation_names)
    assert "Encrypt" in OPERATION_NAMES and len(OPERATION_NAMES) >= 54
