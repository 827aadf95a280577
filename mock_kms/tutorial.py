"""The principals and policies of the classic AWS KMS tutorial, shared by ``python -m mock_kms
demo`` and ``examples/key_manager_and_user.py``.

* IAM group ``myKMSGroup`` lets its members list keys and aliases.
* ``MyKeyManager`` (in the group) may also create keys and aliases.
* ``MyKeyUser`` (in the group) has no policy of its own.
* The key policy is the one the console writes: the account statement, a "key administrators"
  statement naming MyKeyManager, a "key users" statement naming MyKeyUser, and the grants
  statement for AWS services. So the manager manages the key but cannot use it, and the user
  uses it but cannot manage it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_kms.iam.principals import Group, IamRegistry, User

ACCOUNT = "123456789012"
MANAGER_ARN = f"arn:aws:iam::{ACCOUNT}:user/MyKeyManager"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/MyKeyUser"

GROUP_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["kms:ListKeys", "kms:ListAliases"], "Resource": "*"}],
}
KEY_MANAGER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:TagResource"], "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:CreateAlias", "Resource": f"arn:aws:kms:*:{ACCOUNT}:alias/tutorial-*"},
    ],
}
KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-consolepolicy-3",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow access for Key Administrators",
            "Effect": "Allow",
            "Principal": {"AWS": MANAGER_ARN},
            "Action": [
                "kms:Create*",
                "kms:Describe*",
                "kms:Enable*",
                "kms:List*",
                "kms:Put*",
                "kms:Update*",
                "kms:Revoke*",
                "kms:Disable*",
                "kms:Get*",
                "kms:Delete*",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
                "kms:RotateKeyOnDemand",
            ],
            "Resource": "*",
        },
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": USER_ARN},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
        },
        {
            "Sid": "Allow attachment of persistent resources",
            "Effect": "Allow",
            "Principal": {"AWS": USER_ARN},
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ],
}


def create_principals(iam: IamRegistry) -> tuple[Group, User, User]:
    """The group ``myKMSGroup`` and the users ``MyKeyManager`` and ``MyKeyUser`` (in account
    :data:`ACCOUNT`, which the mock must use)."""
    group = iam.create_group("myKMSGroup", policies=[GROUP_POLICY], account=ACCOUNT)
    manager = iam.create_user("MyKeyManager", groups=[group], policies=[KEY_MANAGER_POLICY], account=ACCOUNT)
    user = iam.create_user("MyKeyUser", groups=[group], account=ACCOUNT)
    return group, manager, user
