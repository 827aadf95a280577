"""AWS managed keys: ``alias/aws/<service>`` resolves to a key AWS creates on first use in the
account and Region (KeyManager AWS, its own policy, yearly rotation), which customers can view
but not manage or use directly (kms_spec.md §1, §7.2, §8.1)."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.core.managed_keys import AWS_MANAGED_SERVICES

ACCOUNT = "123456789012"
REGION = "us-east-1"


def error(excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture
def kms(kms_mock):
    return kms_mock.client("kms", region_name=REGION)


@pytest.fixture
def s3_key(kms) -> dict:
    return kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]


def test_alias_resolves_to_an_aws_managed_key_created_on_first_use(kms, s3_key):
    assert s3_key["KeyManager"] == "AWS"
    assert s3_key["KeyState"] == "Enabled" and s3_key["Enabled"] is True
    assert s3_key["Origin"] == "AWS_KMS"
    assert s3_key["KeySpec"] == "SYMMETRIC_DEFAULT" and s3_key["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert s3_key["MultiRegion"] is False
    assert s3_key["Description"] == "Default key that protects my S3 objects when no other key is defined"
    assert s3_key["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{s3_key['KeyId']}"
    # The same key afterwards, by alias name, alias ARN, key ID and key ARN.
    for key_id in ("alias/aws/s3", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3", s3_key["KeyId"], s3_key["Arn"]):
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == s3_key["KeyId"]
    assert [entry["KeyId"] for entry in kms.list_keys()["Keys"]] == [s3_key["KeyId"]]


def test_each_service_account_and_region_has_its_own_key(kms_mock, kms, s3_key):
    ebs = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert ebs["KeyId"] != s3_key["KeyId"]
    assert ebs["Description"] == "Default key that protects my EBS volumes when no other key is defined"
    west = kms_mock.client("kms", region_name="eu-west-1").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert west["KeyId"] != s3_key["KeyId"] and west["Arn"].startswith("arn:aws:kms:eu-west-1:")
    other = kms_mock.iam.root("111122223333").client("kms", region_name=REGION)
    theirs = other.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert theirs["AWSAccountId"] == "111122223333" and theirs["KeyId"] != s3_key["KeyId"]


def test_unknown_aws_alias_is_not_found(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId="alias/aws/no-such-service")
    assert error(excinfo) == (
        "NotFoundException",
        f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/no-such-service is not found.",
    )


def test_list_aliases_without_predefined_aliases_shows_the_alias_once_its_key_exists():
    with mock_kms(predefined_aws_aliases=False) as kms_mock:
        kms = kms_mock.client("kms", region_name=REGION)
        assert kms.list_aliases()["Aliases"] == []  # only aliases that name a key
        key_id = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
        entries = kms.list_aliases()["Aliases"]
        assert [entry["AliasName"] for entry in entries] == ["alias/aws/s3"]
        assert entries[0]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"
        assert entries[0]["TargetKeyId"] == key_id
        assert {"CreationDate", "LastUpdatedDate"} <= set(entries[0])
        mine = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/mine", TargetKeyId=mine)
        assert [entry["AliasName"] for entry in kms.list_aliases(KeyId=key_id)["Aliases"]] == ["alias/aws/s3"]
        assert [entry["AliasName"] for entry in kms.list_aliases(KeyId=mine)["Aliases"]] == ["alias/mine"]


def test_list_aliases_shows_predefined_aliases_without_target_by_default(kms):
    # ListAliases doc: "the response might include predefined aliases that AWS has created but has not
    # yet associated with a KMS key" — no TargetKeyId, no dates, until the managed key is first used.
    before = {entry["AliasName"]: entry for entry in kms.list_aliases()["Aliases"]}
    assert set(before) == set(AWS_MANAGED_SERVICES)
    assert before["alias/aws/s3"] == {
        "AliasName": "alias/aws/s3",
        "AliasArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3",
    }
    assert kms.list_keys()["Keys"] == []  # listing them creates no key
    key_id = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    after = {entry["AliasName"]: entry for entry in kms.list_aliases()["Aliases"]}
    assert after["alias/aws/s3"]["TargetKeyId"] == key_id
    assert {"CreationDate", "LastUpdatedDate"} <= set(after["alias/aws/s3"])
    assert "TargetKeyId" not in after["alias/aws/ebs"]
    assert [entry["AliasName"] for entry in kms.list_aliases(KeyId=key_id)["Aliases"]] == ["alias/aws/s3"]
    mine = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.list_aliases(KeyId=mine)["Aliases"] == []  # a key's own aliases only


def test_predefined_aws_aliases_option_carries_to_decorated_calls():
    @mock_kms(predefined_aws_aliases=False)
    def off():
        return boto3.client("kms", region_name=REGION).list_aliases()["Aliases"]

    @mock_kms
    def on():
        return boto3.client("kms", region_name=REGION).list_aliases()["Aliases"]

    assert off() == [] and off() == []
    assert len(on()) == len(AWS_MANAGED_SERVICES)


def test_key_policy_allows_the_account_through_the_service(kms, s3_key):
    text = kms.get_key_policy(KeyId=s3_key["KeyId"], PolicyName="default")["Policy"]
    assert text.startswith('{\n  "Version" : "2012-10-17",\n')  # AWS's pretty-printed form
    policy = json.loads(text)
    through_s3, metadata = policy["Statement"]
    assert through_s3["Principal"] == {"AWS": "*"}
    assert through_s3["Condition"] == {
        "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    }
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"} <= set(through_s3["Action"])
    assert metadata["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert metadata["Action"] == ["kms:Describe*", "kms:Get*", "kms:List*"]
    ebs = json.loads(
        kms.get_key_policy(KeyId=kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyId"])["Policy"]
    )
    assert ebs["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] == f"ec2.{REGION}.amazonaws.com"


def test_rotation_is_always_on_every_365_days(kms_mock, kms, s3_key):
    status = kms.get_key_rotation_status(KeyId=s3_key["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert status["NextRotationDate"] == s3_key["CreationDate"] + timedelta(days=365)
    kms_mock.clock.advance(days=366)
    rotated = kms.describe_key(KeyId=s3_key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert rotated != s3_key["CurrentKeyMaterialId"]
    assert kms.get_key_rotation_status(KeyId=s3_key["KeyId"])["NextRotationDate"] == s3_key["CreationDate"] + timedelta(
        days=730
    )


def _denied(kms, action: str, arn: str, call) -> None:
    with pytest.raises(ClientError) as excinfo:
        call()
    # The AWS managed key policy gives the account only Describe*/Get*/List* (and use through
    # the service), so AWS denies everything else.
    assert error(excinfo) == (
        "AccessDeniedException",
        (
            f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: {action} on resource: {arn} "
            f"because no resource-based policy allows the {action} action"
        ),
    )


def test_customers_cannot_manage_an_aws_managed_key(kms, s3_key):
    key_id, arn = s3_key["KeyId"], s3_key["Arn"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    for action, call in (
        ("kms:DisableKey", lambda: kms.disable_key(KeyId=key_id)),
        ("kms:EnableKey", lambda: kms.enable_key(KeyId=key_id)),
        ("kms:ScheduleKeyDeletion", lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)),
        ("kms:PutKeyPolicy", lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy)),
        ("kms:UpdateKeyDescription", lambda: kms.update_key_description(KeyId=key_id, Description="mine")),
        ("kms:EnableKeyRotation", lambda: kms.enable_key_rotation(KeyId=key_id)),
        ("kms:DisableKeyRotation", lambda: kms.disable_key_rotation(KeyId=key_id)),
        ("kms:TagResource", lambda: kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "b"}])),
        ("kms:CreateAlias", lambda: kms.create_alias(AliasName="alias/my-s3", TargetKeyId=key_id)),
    ):
        _denied(kms, action, arn, call)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_customers_cannot_use_an_aws_managed_key_directly(kms, s3_key):
    _denied(kms, "kms:Encrypt", s3_key["Arn"], lambda: kms.encrypt(KeyId="alias/aws/s3", Plaintext=b"x"))
    _denied(
        kms,
        "kms:GenerateDataKey",
        s3_key["Arn"],
        lambda: kms.generate_data_key(KeyId="alias/aws/s3", KeySpec="AES_256"),
    )


def test_aws_aliases_cannot_be_created_changed_or_deleted(kms, s3_key):
    mine = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=mine)
    assert error(excinfo)[0] == "InvalidAliasNameException"
    for call in (
        lambda: kms.update_alias(AliasName="alias/aws/s3", TargetKeyId=mine),
        lambda: kms.delete_alias(AliasName="alias/aws/s3"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo) == (
            "InvalidAliasNameException",
            "alias/aws/s3 is reserved for AWS managed keys and cannot be changed.",
        )
    kms.create_alias(AliasName="alias/mine", TargetKeyId=mine)
    _denied(
        kms,
        "kms:UpdateAlias",
        s3_key["Arn"],
        lambda: kms.update_alias(AliasName="alias/mine", TargetKeyId=s3_key["KeyId"]),
    )
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == s3_key["KeyId"]


def test_another_accounts_aws_managed_key_is_neither_created_nor_usable(kms_mock, kms):
    other = kms_mock.iam.root("111122223333").client("kms", region_name=REGION)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"
    with pytest.raises(ClientError) as excinfo:
        other.describe_key(KeyId=alias_arn)
    # Not created by another account's use: it does not exist yet.
    assert error(excinfo) == ("NotFoundException", f"Alias {alias_arn} is not found.")
    assert kms.list_keys()["Keys"] == []
    kms.describe_key(KeyId="alias/aws/s3")
    with pytest.raises(ClientError) as excinfo:
        other.describe_key(KeyId=alias_arn)
    assert error(excinfo) == (
        "AccessDeniedException",
        (
            "User: arn:aws:iam::111122223333:root is not authorized to perform: kms:DescribeKey on this resource "
            "because the resource does not exist in this Region, no resource-based policies allow access, "
            "or a resource-based policy explicitly denies access"
        ),
    )
