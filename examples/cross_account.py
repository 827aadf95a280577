"""Sharing a KMS key with another AWS account.

Account 123456789012 owns a key; an application role in account 111122223333 uses it by ARN.
Cross-account use needs both halves (kms_spec.md §6.4):

* the key policy allows the other account (here: its account principal, for use only), and
* an identity policy in the other account allows its role to use the key.

Only the operations AWS allows across accounts work (cryptographic operations, DescribeKey,
GetKeyRotationStatus, grants…); management stays with the owner, whatever the key policy
says. A bare key ID or alias name is resolved in the caller's own account.

Run: python examples/cross_account.py
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from mock_kms import mock_kms

OWNER = "123456789012"
PARTNER = "111122223333"


def error_code(call, *args, **kwargs) -> str:
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    raise AssertionError(f"{call.__name__} should have failed")


def main() -> None:
    with mock_kms() as kms_mock:
        owner = kms_mock.client("kms", region_name="us-east-1")
        key = owner.create_key(Description="shared with the partner")["KeyMetadata"]
        key_id, key_arn = key["KeyId"], key["Arn"]
        owner.create_alias(AliasName="alias/shared", TargetKeyId=key_id)

        # The partner's role, allowed by its own account to use that one key.
        role = kms_mock.iam.create_role(
            "app",
            account=PARTNER,
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                            "Resource": key_arn,
                        }
                    ],
                }
            ],
        )
        partner = role.client("kms", region_name="us-east-1")

        # The default key policy names only the owner's account: denied.
        assert error_code(partner.encrypt, KeyId=key_arn, Plaintext=b"x") == "AccessDeniedException"

        # The owner shares the key with the partner account, for use only.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "Allow use of the key by the partner account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                },
            ],
        }
        owner.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))

        # The partner uses the key by key ARN or alias ARN, never by bare ID or alias name.
        assert partner.describe_key(KeyId=key_arn)["KeyMetadata"]["AWSAccountId"] == OWNER
        data_key = partner.generate_data_key(KeyId=f"arn:aws:kms:us-east-1:{OWNER}:alias/shared", KeySpec="AES_256")
        assert owner.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
        blob = owner.encrypt(KeyId=key_id, Plaintext=b"for the partner")["CiphertextBlob"]
        assert partner.decrypt(CiphertextBlob=blob)["Plaintext"] == b"for the partner"
        assert error_code(partner.describe_key, KeyId=key_id) == "NotFoundException"
        assert error_code(partner.encrypt, KeyId="alias/shared", Plaintext=b"x") == "NotFoundException"

        # Its identity policy does not allow ReEncrypt: the key policy alone is not enough.
        assert error_code(partner.re_encrypt, CiphertextBlob=blob, DestinationKeyId=key_arn) == "AccessDeniedException"
        # Management is never available across accounts.
        assert error_code(partner.disable_key, KeyId=key_arn) == "AccessDeniedException"

        # Other partner principals without an identity policy are denied.
        intern = kms_mock.iam.create_user("intern", account=PARTNER).client("kms", region_name="us-east-1")
        assert error_code(intern.decrypt, CiphertextBlob=blob) == "AccessDeniedException"
        # And the key cannot be used from another Region, even by ARN.
        west = role.client("kms", region_name="eu-west-1")
        assert error_code(west.encrypt, KeyId=key_arn, Plaintext=b"x") == "NotFoundException"
    print("cross-account example: ok")


if __name__ == "__main__":
    main()
