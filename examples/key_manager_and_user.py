"""The classic KMS tutorial: a key manager who can manage a key but not use it, and a key user
who can use it but not manage it.

The tutorial's identities and policies are in ``mock_kms/tutorial.py`` (``python -m mock_kms
demo`` walks through them too):

* IAM group ``myKMSGroup`` lets its members list keys and aliases.
* ``MyKeyManager`` (in the group) may also create keys and aliases.
* The key policy is the one the console writes: the account statement, a "key administrators"
  statement naming MyKeyManager, a "key users" statement naming MyKeyUser, and the grants
  statement for AWS services.

Run: python examples/key_manager_and_user.py
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.tutorial import ACCOUNT, KEY_POLICY, MANAGER_ARN, create_principals


def denied(call, *args, **kwargs) -> str:
    """Run a call that must be refused; return AWS's message."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException", error.response["Error"]
        return error.response["Error"]["Message"]
    raise AssertionError(f"{call.__name__} was allowed")


def main() -> None:
    with mock_kms(account=ACCOUNT, region="us-east-1") as kms_mock:
        tutorial(kms_mock.iam)
    print("tutorial OK: MyKeyManager manages the key, MyKeyUser uses it, neither does the other's job")


def tutorial(iam) -> None:
    _, manager, user = create_principals(iam)  # myKMSGroup, MyKeyManager, MyKeyUser
    manager_kms = manager.client("kms")
    user_kms = user.client("kms")

    # The key manager creates the key with the console-style policy, and manages it.
    key = manager_kms.create_key(Description="tutorial key", Policy=json.dumps(KEY_POLICY))["KeyMetadata"]
    key_arn = key["Arn"]
    manager_kms.create_alias(AliasName="alias/tutorial-key", TargetKeyId=key["KeyId"])
    manager_kms.enable_key_rotation(KeyId=key["KeyId"])
    manager_kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "project", "TagValue": "tutorial"}])
    manager_kms.disable_key(KeyId=key["KeyId"])
    manager_kms.enable_key(KeyId=key["KeyId"])
    manager_kms.update_key_description(KeyId=key["KeyId"], Description="tutorial key, managed")
    assert json.loads(manager_kms.get_key_policy(KeyId=key["KeyId"])["Policy"]) == KEY_POLICY
    assert [k["KeyArn"] for k in manager_kms.list_keys()["Keys"]] == [key_arn]

    # ... but may not use it.
    message = denied(manager_kms.encrypt, KeyId=key_arn, Plaintext=b"secret")
    assert message == (
        f"User: {MANAGER_ARN} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
        "because no identity-based policy allows the kms:Encrypt action"
    ), message

    # The key user uses the key (through its alias too) ...
    blob = user_kms.encrypt(KeyId="alias/tutorial-key", Plaintext=b"secret", EncryptionContext={"app": "tutorial"})
    plaintext = user_kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"app": "tutorial"})
    assert plaintext["Plaintext"] == b"secret"
    moved = user_kms.re_encrypt(
        CiphertextBlob=blob["CiphertextBlob"],
        SourceEncryptionContext={"app": "tutorial"},
        DestinationKeyId=key_arn,
        DestinationEncryptionContext={"app": "tutorial", "v": "2"},
    )
    data_key = user_kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256")
    assert user_kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    assert (
        user_kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"app": "tutorial", "v": "2"})[
            "Plaintext"
        ]
        == b"secret"
    )
    assert user_kms.describe_key(KeyId="alias/tutorial-key")["KeyMetadata"]["Arn"] == key_arn

    # ... but may not manage it.
    for call, kwargs in [
        (user_kms.disable_key, {}),
        (user_kms.schedule_key_deletion, {"PendingWindowInDays": 7}),
        (user_kms.put_key_policy, {"PolicyName": "default", "Policy": json.dumps(KEY_POLICY)}),
        (user_kms.get_key_policy, {"PolicyName": "default"}),
    ]:
        denied(call, KeyId=key_arn, **kwargs)
    assert denied(user_kms.create_key).endswith("because no identity-based policy allows the kms:CreateKey action")

    # Only the manager can schedule the key for deletion.
    state = manager_kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)["KeyState"]
    assert state == "PendingDeletion"
    manager_kms.cancel_key_deletion(KeyId=key_arn)


if __name__ == "__main__":
    main()
