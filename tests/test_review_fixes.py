"""Bad input that used to leak as KMSInternalException (found in code review)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from mock_kms.wire.protocol import handle

ROOT = "arn:aws:iam::123456789012:root"


def test_a_too_deeply_nested_body_is_a_serialization_error(kms_mock):
    body = b'{"KeyId": ' + b"[" * 100_000 + b"}"
    response = handle(kms_mock, {"X-Amz-Target": "TrentService.DescribeKey"}, body)
    assert json.loads(response.body) == {
        "__type": "SerializationException",
        "message": "Start of structure or map found where not expected.",
    }


def test_a_too_deeply_nested_key_policy_is_malformed(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key_id, Policy="[" * 30_000)
    assert err.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
    assert err.value.response["Error"]["Message"] == ""  # AWS's text for a non-JSON policy


@pytest.mark.parametrize("when", ["99999999999999999999", 1e300])
def test_an_out_of_range_epoch_date_in_a_condition_never_matches(kms, when):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:Encrypt",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:CurrentTime": when}},
            },
        ],
    }
    kms.put_key_policy(KeyId=key_id, Policy=json.dumps(policy))
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"].endswith(key_id)
