"""Regions and accounts: keys and aliases belong to one account and one Region; ARNs of other
Regions never resolve; cross-account use by ARN works only when the key policy and the
caller's identity policy allow it, and only for the operations AWS allows across accounts
(kms_spec.md §1 key identifiers, §5.2 NotFound texts, §6.4)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

OWNER = "123456789012"
OTHER = "111122223333"
EAST = "us-east-1"
WEST = "eu-west-1"


def error(excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def key_arn(region: str, account: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def unreachable(caller: str, action: str = "kms:Decrypt") -> tuple[str, str]:
    """AWS's answer to a ciphertext whose key the caller cannot reach (kms_spec.md §5.2)."""
    return (
        "AccessDeniedException",
        f"User: {caller} is not authorized to perform: {action} on the resource associated with this "
        "ciphertext because the resource does not exist in this Region, no resource-based policies allow "
        "access, or a resource-based policy explicitly denies access",
    )


@pytest.fixture
def east(kms_mock):
    return kms_mock.client("kms", region_name=EAST)


@pytest.fixture
def west(kms_mock):
    return kms_mock.client("kms", region_name=WEST)


# -- Regions -------------------------------------------------------------------------------


def test_a_key_id_resolves_only_in_its_region(east, west):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId=key_id)
    # The ARN printed is in the caller's Region [LS:test_get_key_in_different_region].
    assert error(excinfo) == ("NotFoundException", f"Key '{key_arn(WEST, OWNER, key_id)}' does not exist")


def test_a_key_arn_of_another_region_is_never_resolved(east, west):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    for call in (
        lambda: west.describe_key(KeyId=key_arn(EAST, OWNER, key_id)),
        lambda: west.encrypt(KeyId=key_arn(EAST, OWNER, key_id), Plaintext=b"x"),
        lambda: west.disable_key(KeyId=key_arn(EAST, OWNER, key_id)),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo) == ("NotFoundException", f"Invalid arn {EAST}")
    assert east.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] is True


def test_list_keys_is_per_region(east, west):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    assert [entry["KeyId"] for entry in east.list_keys()["Keys"]] == [key_id]
    assert west.list_keys()["Keys"] == []


def test_aliases_are_per_region(east, west):
    east_key = east.create_key()["KeyMetadata"]["KeyId"]
    west_key = west.create_key()["KeyMetadata"]["KeyId"]
    east.create_alias(AliasName="alias/app", TargetKeyId=east_key)
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId="alias/app")
    assert error(excinfo) == ("NotFoundException", f"Alias arn:aws:kms:{WEST}:{OWNER}:alias/app is not found.")
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId=f"arn:aws:kms:{EAST}:{OWNER}:alias/app")
    assert error(excinfo) == ("NotFoundException", f"Invalid arn {EAST}")
    # The same alias name can name another key in another Region.
    west.create_alias(AliasName="alias/app", TargetKeyId=west_key)
    assert west.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == west_key
    assert east.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == east_key
    # A key of another Region cannot be an alias target.
    with pytest.raises(ClientError) as excinfo:
        west.create_alias(AliasName="alias/other", TargetKeyId=east_key)
    assert error(excinfo) == ("NotFoundException", f"Key '{key_arn(WEST, OWNER, east_key)}' does not exist")


def test_ciphertext_of_one_region_does_not_decrypt_in_another(east, west):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    blob = east.encrypt(KeyId=key_id, Plaintext=b"regional")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        west.decrypt(CiphertextBlob=blob)
    assert error(excinfo) == unreachable(f"arn:aws:iam::{OWNER}:root")
    local = west.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        west.decrypt(CiphertextBlob=blob, KeyId=local)
    assert error(excinfo) == (
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
    with pytest.raises(ClientError) as excinfo:
        west.re_encrypt(CiphertextBlob=blob, DestinationKeyId=local)
    assert error(excinfo) == unreachable(f"arn:aws:iam::{OWNER}:root", "kms:ReEncryptFrom")
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"regional"


def test_data_keys_of_one_region_do_not_decrypt_in_another(east, west):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    blob = east.generate_data_key(KeyId=key_id, KeySpec="AES_256")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        west.decrypt(CiphertextBlob=blob)
    assert error(excinfo) == unreachable(f"arn:aws:iam::{OWNER}:root")


# -- accounts ------------------------------------------------------------------------------


@pytest.fixture
def other(kms_mock):
    """A client of the root user of another account, in us-east-1."""
    return kms_mock.iam.root(OTHER).client("kms", region_name=EAST)


def test_a_key_id_resolves_only_in_the_callers_account(east, other):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        other.describe_key(KeyId=key_id)
    assert error(excinfo) == ("NotFoundException", f"Key '{key_arn(EAST, OTHER, key_id)}' does not exist")
    assert other.list_keys()["Keys"] == []


def test_alias_names_resolve_only_in_the_callers_account(east, other):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    east.create_alias(AliasName="alias/shared", TargetKeyId=key_id)
    with pytest.raises(ClientError) as excinfo:
        other.encrypt(KeyId="alias/shared", Plaintext=b"x")
    assert error(excinfo) == ("NotFoundException", f"Alias arn:aws:kms:{EAST}:{OTHER}:alias/shared is not found.")
    assert [a for a in other.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")] == []


def test_cross_account_use_needs_the_key_policy(east, other):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    arn = key_arn(EAST, OWNER, key_id)
    with pytest.raises(ClientError) as excinfo:
        other.encrypt(KeyId=arn, Plaintext=b"x")
    assert error(excinfo) == (
        "AccessDeniedException",
        (
            f"User: arn:aws:iam::{OTHER}:root is not authorized to perform: kms:Encrypt on this resource "
            "because the resource does not exist in this Region, no resource-based policies allow access, "
            "or a resource-based policy explicitly denies access"
        ),
    )


def _share_with_other_account(client, key_id: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Other account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
        ],
    }
    client.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def test_cross_account_use_by_arn_for_the_operations_aws_allows(east, other):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    arn = key_arn(EAST, OWNER, key_id)
    east.create_alias(AliasName="alias/shared", TargetKeyId=key_id)
    _share_with_other_account(east, key_id)

    assert other.describe_key(KeyId=arn)["KeyMetadata"]["AWSAccountId"] == OWNER
    blob = other.encrypt(KeyId=arn, Plaintext=b"across accounts")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across accounts"
    # The ciphertext names the key: the other account decrypts it without a KeyId.
    assert other.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across accounts"
    via_alias = other.encrypt(KeyId=f"arn:aws:kms:{EAST}:{OWNER}:alias/shared", Plaintext=b"y")
    assert via_alias["KeyId"] == arn
    data_key = other.generate_data_key(KeyId=arn, NumberOfBytes=32)
    assert east.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    assert other.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is False

    # Management permissions given to another account have no effect [DG23, §6.4].
    for operation, call in (
        ("kms:DisableKey", lambda: other.disable_key(KeyId=arn)),
        ("kms:GetKeyPolicy", lambda: other.get_key_policy(KeyId=arn, PolicyName="default")),
        ("kms:TagResource", lambda: other.tag_resource(KeyId=arn, Tags=[{"TagKey": "a", "TagValue": "b"}])),
        ("kms:ScheduleKeyDeletion", lambda: other.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo)[0] == "AccessDeniedException", operation
        assert f"to perform: {operation} on this resource because" in error(excinfo)[1]
    assert east.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_cross_account_ciphertext_opens_in_the_region_of_the_key_only(kms_mock, east):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    _share_with_other_account(east, key_id)
    blob = east.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    other_west = kms_mock.iam.root(OTHER).client("kms", region_name=WEST)
    with pytest.raises(ClientError) as excinfo:
        other_west.decrypt(CiphertextBlob=blob)
    assert error(excinfo) == unreachable(f"arn:aws:iam::{OTHER}:root")
    with pytest.raises(ClientError) as excinfo:
        other_west.encrypt(KeyId=key_arn(EAST, OWNER, key_id), Plaintext=b"x")
    assert error(excinfo) == ("NotFoundException", f"Invalid arn {EAST}")


def test_cross_account_user_also_needs_an_identity_policy(kms_mock, east):
    key_id = east.create_key()["KeyMetadata"]["KeyId"]
    arn = key_arn(EAST, OWNER, key_id)
    _share_with_other_account(east, key_id)
    bob = kms_mock.iam.create_user("bob", account=OTHER)
    client = bob.client("kms", region_name=EAST)
    with pytest.raises(ClientError) as excinfo:
        client.encrypt(KeyId=arn, Plaintext=b"x")
    assert error(excinfo) == (
        "AccessDeniedException",
        (
            f"User: arn:aws:iam::{OTHER}:user/bob is not authorized to perform: kms:Encrypt on resource: {arn} "
            "because no identity-based policy allows the kms:Encrypt action"
        ),
    )
    bob.attach_policy(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": arn}]}
    )
    assert client.encrypt(KeyId=arn, Plaintext=b"x")["KeyId"] == arn
