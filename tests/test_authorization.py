"""Authorization: key policy + identity policies (+ grants), explicit deny, cross-account use,
condition keys, key policy validation and the lockout safety check, DryRun.

Black-box through boto3 clients signed with principals' access keys (``kms_mock.iam``).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from mock_kms.api import HANDLERS

A = "123456789012"  # the mock's default account
B = "444455556666"
ROOT_A = f"arn:aws:iam::{A}:root"
REGION = "us-east-1"

NO_IDENTITY = "because no identity-based policy allows the {action} action"
NO_RESOURCE = "because no resource-based policy allows the {action} action"
IDENTITY_DENY = "with an explicit deny in an identity-based policy"
RESOURCE_DENY = "with an explicit deny in a resource-based policy"


# -- helpers ------------------------------------------------------------------------------


def identity(*actions: str, resource: str | list[str] = "*", effect: str = "Allow", condition=None) -> dict:
    statement = {"Effect": effect, "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def statement(principal, *actions: str, effect: str = "Allow", condition=None, resource="*") -> dict:
    result = {"Effect": effect, "Principal": {"AWS": principal}, "Action": list(actions), "Resource": resource}
    if condition:
        result["Condition"] = condition
    return result


def key_policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ACCOUNT_STATEMENT = statement(ROOT_A, "kms:*")


def make_key(kms, policy: str | None = None, **kwargs) -> dict:
    if policy is not None:
        kwargs.update(Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    return kms.create_key(**kwargs)["KeyMetadata"]


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


# Decrypt/ReEncrypt without a KeyId name "the resource associated with this ciphertext" (kms_spec.md §5.2).
UNREACHABLE = (
    "because the resource does not exist in this Region, no resource-based policies allow access, "
    "or a resource-based policy explicitly denies access"
)


def ciphertext_denied(caller_arn: str, action: str, reason: str) -> tuple[str, str]:
    return (
        "AccessDeniedException",
        f"User: {caller_arn} is not authorized to perform: {action} on the resource associated with this "
        "ciphertext " + reason.format(action=action),
    )


def cross_account_denied(caller_arn: str, action: str) -> tuple[str, str]:
    """Another account's key its key policy does not open to the caller (kms_spec.md §5.2)."""
    return (
        "AccessDeniedException",
        f"User: {caller_arn} is not authorized to perform: {action} on this resource {UNREACHABLE}",
    )


def access_denied(caller_arn: str, action: str, resource: str, reason: str) -> tuple[str, str]:
    return (
        "AccessDeniedException",
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} "
        + reason.format(action=action),
    )


@pytest.fixture
def kms(kms_mock):
    return kms_mock.client("kms", region_name=REGION)


@pytest.fixture
def iam(kms_mock):
    return kms_mock.iam


# -- the default caller -------------------------------------------------------------------


def test_default_caller_is_the_account_root_and_is_allowed_by_the_default_policy(kms_mock, kms):
    key = make_key(kms)
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    kms.disable_key(KeyId=key["KeyId"])
    kms.list_keys()
    kms.generate_random(NumberOfBytes=8)
    assert {record.caller_arn for record in kms_mock.calls} == {ROOT_A}


def test_root_is_locked_out_by_a_key_policy_that_does_not_name_the_account(kms, iam):
    iam.create_user("alice")
    key = make_key(kms, key_policy(statement(f"arn:aws:iam::{A}:user/alice", "kms:*")))
    assert error(kms.describe_key, KeyId=key["KeyId"]) == access_denied(
        ROOT_A, "kms:DescribeKey", key["Arn"], NO_RESOURCE
    )


def test_root_deny_statement_in_key_policy_wins(kms):
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(ROOT_A, "kms:Decrypt", effect="Deny")))
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert error(kms.decrypt, CiphertextBlob=blob) == ciphertext_denied(ROOT_A, "kms:Decrypt", UNREACHABLE)
    assert error(kms.decrypt, CiphertextBlob=blob, KeyId=key["KeyId"]) == access_denied(
        ROOT_A, "kms:Decrypt", key["Arn"], RESOURCE_DENY
    )


# -- same-account users -------------------------------------------------------------------


def test_user_without_identity_policy_is_denied_by_the_default_key_policy(kms, iam):
    key = make_key(kms)
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    alice = iam.create_user("alice").client("kms", region_name=REGION)
    # The resource in the message is the key ARN even when the request named an alias.
    assert error(alice.encrypt, KeyId="alias/app", Plaintext=b"x") == access_denied(
        f"arn:aws:iam::{A}:user/alice", "kms:Encrypt", key["Arn"], NO_IDENTITY
    )


def test_identity_policy_allows_through_the_account_statement(kms, iam):
    key = make_key(kms)
    alice = iam.create_user("alice", policies=[identity("kms:Encrypt")]).client("kms", region_name=REGION)
    blob = alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert error(alice.decrypt, CiphertextBlob=blob) == ciphertext_denied(
        f"arn:aws:iam::{A}:user/alice", "kms:Decrypt", NO_IDENTITY
    )


def test_key_policy_naming_the_user_needs_no_identity_policy(kms, iam):
    alice = iam.create_user("alice")
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Encrypt", "kms:Decrypt")))
    client = alice.client("kms", region_name=REGION)
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    # Not named for DescribeKey, and no identity policy for it.
    assert error(client.describe_key, KeyId=key["KeyId"]) == access_denied(
        alice.arn, "kms:DescribeKey", key["Arn"], NO_IDENTITY
    )


def test_identity_policy_alone_cannot_allow_without_the_account_statement(kms, iam):
    alice = iam.create_user("alice", policies=[identity("kms:*")])
    bob = iam.create_user("bob")
    key = make_key(kms, key_policy(statement(bob.arn, "kms:*")))
    assert error(alice.client("kms", region_name=REGION).describe_key, KeyId=key["Arn"]) == access_denied(
        alice.arn, "kms:DescribeKey", key["Arn"], NO_RESOURCE
    )


def test_explicit_deny_in_identity_policy_wins_over_the_key_policy(kms, iam):
    alice = iam.create_user("alice", policies=[identity("kms:Encrypt", effect="Deny")])
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Encrypt")))
    assert error(alice.client("kms", region_name=REGION).encrypt, KeyId=key["KeyId"], Plaintext=b"x") == (
        access_denied(alice.arn, "kms:Encrypt", key["Arn"], IDENTITY_DENY)
    )


def test_explicit_deny_in_key_policy_wins_over_identity_policy(kms, iam):
    alice = iam.create_user("alice", policies=[identity("kms:*")])
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Encrypt", effect="Deny")))
    client = alice.client("kms", region_name=REGION)
    assert error(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == access_denied(
        alice.arn, "kms:Encrypt", key["Arn"], RESOURCE_DENY
    )
    client.describe_key(KeyId=key["KeyId"])  # other actions unaffected


def test_group_policies_apply_to_members(kms, iam):
    key = make_key(kms)
    group = iam.create_group("readers", policies=[identity("kms:DescribeKey")])
    alice = iam.create_user("alice", groups=["readers"])
    client = alice.client("kms", region_name=REGION)
    client.describe_key(KeyId=key["KeyId"])
    iam.remove_user_from_group(alice, group)
    assert error(client.describe_key, KeyId=key["KeyId"])[0] == "AccessDeniedException"
    iam.add_user_to_group("alice", "readers")
    client.describe_key(KeyId=key["KeyId"])


def test_identity_policy_resource_scopes_to_one_key(kms, iam):
    allowed, other = make_key(kms), make_key(kms)
    alice = iam.create_user("alice", policies=[identity("kms:DescribeKey", resource=allowed["Arn"])])
    client = alice.client("kms", region_name=REGION)
    client.describe_key(KeyId=allowed["KeyId"])
    assert error(client.describe_key, KeyId=other["KeyId"]) == access_denied(
        alice.arn, "kms:DescribeKey", other["Arn"], NO_IDENTITY
    )


@pytest.mark.parametrize(
    "call, kwargs, action",
    [
        ("create_key", {}, "kms:CreateKey"),
        ("list_keys", {}, "kms:ListKeys"),
        ("list_aliases", {}, "kms:ListAliases"),
        ("generate_random", {"NumberOfBytes": 16}, "kms:GenerateRandom"),
    ],
)
def test_account_level_operations_need_an_identity_policy(iam, call, kwargs, action):
    alice = iam.create_user("alice")
    assert error(getattr(alice.client("kms", region_name=REGION), call), **kwargs) == access_denied(
        alice.arn, action, "*", NO_IDENTITY
    )
    alice.attach_policy(identity(action))
    getattr(alice.client("kms", region_name=REGION), call)(**kwargs)


def test_create_key_with_tags_also_needs_tag_resource(iam):
    alice = iam.create_user("alice", policies=[identity("kms:CreateKey")])
    client = alice.client("kms", region_name=REGION)
    client.create_key()
    tags = [{"TagKey": "team", "TagValue": "blue"}]
    assert error(client.create_key, Tags=tags) == access_denied(alice.arn, "kms:TagResource", "*", NO_IDENTITY)
    alice.attach_policy(identity("kms:TagResource"))
    client.create_key(Tags=tags)


def test_alias_operations_need_permission_on_the_alias_and_on_the_key(kms, iam):
    alice = iam.create_user("alice")
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:CreateAlias", "kms:DeleteAlias")))
    client = alice.client("kms", region_name=REGION)
    alias_arn = f"arn:aws:kms:{REGION}:{A}:alias/app"
    # The key policy allows the key half; the alias half needs an IAM policy.
    assert error(client.create_alias, AliasName="alias/app", TargetKeyId=key["KeyId"]) == access_denied(
        alice.arn, "kms:CreateAlias", alias_arn, NO_IDENTITY
    )
    alice.attach_policy(
        identity("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", resource=f"arn:aws:kms:*:{A}:alias/*")
    )
    client.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    # UpdateAlias: the key policy does not allow it on the current key.
    other = make_key(kms)
    assert error(client.update_alias, AliasName="alias/app", TargetKeyId=other["KeyId"]) == access_denied(
        alice.arn, "kms:UpdateAlias", key["Arn"], NO_IDENTITY
    )
    client.delete_alias(AliasName="alias/app")
    # The key half: the other key's default policy delegates to IAM, whose policy is alias-only.
    assert error(client.create_alias, AliasName="alias/app2", TargetKeyId=other["KeyId"]) == access_denied(
        alice.arn, "kms:CreateAlias", other["Arn"], NO_IDENTITY
    )


def test_reencrypt_is_authorized_as_reencrypt_from_and_reencrypt_to(kms, iam):
    alice = iam.create_user("alice")
    source = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:ReEncryptFrom")))
    destination = make_key(kms)
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    client = alice.client("kms", region_name=REGION)
    assert error(client.re_encrypt, CiphertextBlob=blob, DestinationKeyId=destination["KeyId"]) == access_denied(
        alice.arn, "kms:ReEncryptTo", destination["Arn"], NO_IDENTITY
    )
    alice.attach_policy(identity("kms:ReEncryptTo", resource=destination["Arn"]))
    moved = client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    assert moved["KeyId"] == destination["Arn"]
    # Back the other way: ReEncryptFrom is missing on the destination key.
    assert error(client.re_encrypt, CiphertextBlob=moved["CiphertextBlob"], DestinationKeyId=source["KeyId"]) == (
        ciphertext_denied(alice.arn, "kms:ReEncryptFrom", NO_IDENTITY)
    )


# -- roles --------------------------------------------------------------------------------


def test_role_session_is_the_caller_and_the_role_arn_names_it(kms_mock, kms, iam):
    role = iam.create_role("app")
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(role.arn, "kms:Encrypt")))
    session = role.session("worker-1")
    client = session.client("kms", region_name=REGION)
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error(client.describe_key, KeyId=key["KeyId"]) == access_denied(
        f"arn:aws:sts::{A}:assumed-role/app/worker-1", "kms:DescribeKey", key["Arn"], NO_IDENTITY
    )
    role.attach_policy(identity("kms:DescribeKey"))
    client.describe_key(KeyId=key["KeyId"])
    assert kms_mock.calls[-1].caller_arn == "arn:aws:sts::123456789012:assumed-role/app/worker-1"


def test_key_policy_naming_one_session_does_not_allow_another(kms, iam):
    role = iam.create_role("app")
    key = make_key(kms, key_policy(statement(role.session("one").arn, "kms:Encrypt")))
    role.session("one").client("kms", region_name=REGION).encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    code, _ = error(role.session("two").client("kms", region_name=REGION).encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert code == "AccessDeniedException"


# -- condition keys -----------------------------------------------------------------------


def test_encryption_context_condition(kms, iam):
    alice = iam.create_user("alice")
    condition = {"StringEquals": {"kms:EncryptionContext:app": "orders"}}
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Encrypt", condition=condition)))
    client = alice.client("kms", region_name=REGION)
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"APP": "orders", "extra": "1"})
    for context in ({"app": "billing"}, {}):
        assert error(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)[0] == (
            "AccessDeniedException"
        )


def test_encryption_context_keys_condition(kms, iam):
    alice = iam.create_user("alice")
    condition = {
        "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["app"]},
        "Null": {"kms:EncryptionContextKeys": "false"},
    }
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:GenerateDataKey", condition=condition)))
    client = alice.client("kms", region_name=REGION)
    client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"app": "a"})
    assert error(client.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256")[0] == "AccessDeniedException"
    assert (
        error(
            client.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"app": "a", "b": "c"}
        )[0]
        == "AccessDeniedException"
    )


def test_encryption_context_condition_with_username_variable(kms, iam):
    condition = {"StringEquals": {"kms:EncryptionContext:user": "${aws:username}"}}
    # The account principal, with a condition: alice's IAM policy is needed too.
    key = make_key(kms, key_policy(statement(ROOT_A, "kms:Encrypt", condition=condition)))
    alice = iam.create_user("alice", policies=[identity("kms:Encrypt")]).client("kms", region_name=REGION)
    alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"user": "alice"})
    assert error(alice.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"user": "bob"})[0] == (
        "AccessDeniedException"
    )


def test_caller_account_condition_with_any_principal(kms, iam):
    condition = {"StringEquals": {"kms:CallerAccount": A}}
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement("*", "kms:DescribeKey", condition=condition)))
    iam.create_user("alice").client("kms", region_name=REGION).describe_key(KeyId=key["KeyId"])
    outsider = iam.create_user("mallory", account=B, policies=[identity("kms:*")])
    assert error(outsider.client("kms", region_name=REGION).describe_key, KeyId=key["Arn"]) == cross_account_denied(
        outsider.arn, "kms:DescribeKey"
    )


def test_request_alias_condition(kms, iam):
    alice = iam.create_user("alice")
    condition = {"StringEquals": {"kms:RequestAlias": "alias/orders"}}
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Encrypt", condition=condition)))
    kms.create_alias(AliasName="alias/orders", TargetKeyId=key["KeyId"])
    client = alice.client("kms", region_name=REGION)
    client.encrypt(KeyId="alias/orders", Plaintext=b"x")
    client.encrypt(KeyId=f"arn:aws:kms:{REGION}:{A}:alias/orders", Plaintext=b"x")
    assert error(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"


def test_resource_aliases_condition(kms, iam):
    condition = {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/team-blue-*"}}
    alice = iam.create_user("alice", policies=[identity("kms:DescribeKey", condition=condition)])
    blue, red = make_key(kms), make_key(kms)
    kms.create_alias(AliasName="alias/team-blue-orders", TargetKeyId=blue["KeyId"])
    kms.create_alias(AliasName="alias/team-red-orders", TargetKeyId=red["KeyId"])
    client = alice.client("kms", region_name=REGION)
    client.describe_key(KeyId=blue["KeyId"])
    assert error(client.describe_key, KeyId=red["KeyId"])[0] == "AccessDeniedException"


def test_resource_aliases_condition_is_for_identity_policies_only(kms, iam):
    alice = iam.create_user("alice")
    condition = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/orders"}}
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:DescribeKey", condition=condition)))
    kms.create_alias(AliasName="alias/orders", TargetKeyId=key["KeyId"])
    assert error(alice.client("kms", region_name=REGION).describe_key, KeyId=key["KeyId"]) == access_denied(
        alice.arn, "kms:DescribeKey", key["Arn"], NO_IDENTITY
    )


def test_create_key_property_conditions_use_request_defaults(iam):
    condition = {
        "StringEquals": {
            "kms:KeySpec": "SYMMETRIC_DEFAULT",
            "kms:KeyUsage": "ENCRYPT_DECRYPT",
            "kms:KeyOrigin": "AWS_KMS",
        },
        "Bool": {"kms:MultiRegion": "false"},
    }
    client = iam.create_user("alice", policies=[identity("kms:CreateKey", condition=condition)]).client(
        "kms", region_name=REGION
    )
    client.create_key()
    client.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
    for kwargs in ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, {"Origin": "EXTERNAL"}, {"MultiRegion": True}):
        assert error(client.create_key, **kwargs)[0] == "AccessDeniedException", kwargs


def test_key_property_conditions_on_key_operations(kms, iam):
    condition = {"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}, "Bool": {"kms:MultiRegion": "true"}}
    alice = iam.create_user("alice", policies=[identity("kms:DescribeKey", condition=condition)])
    client = alice.client("kms", region_name=REGION)
    client.describe_key(KeyId=make_key(kms, MultiRegion=True)["KeyId"])
    assert error(client.describe_key, KeyId=make_key(kms)["KeyId"])[0] == "AccessDeniedException"
    key_usage = {"StringEquals": {"kms:KeyUsage": "SIGN_VERIFY"}}
    alice.attach_policy(identity("kms:GetKeyPolicy", condition=key_usage))
    client.get_key_policy(
        KeyId=make_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"], PolicyName="default"
    )
    assert (
        error(client.get_key_policy, KeyId=make_key(kms)["KeyId"], PolicyName="default")[0] == "AccessDeniedException"
    )


def test_encryption_algorithm_condition_reads_the_default(kms, iam):
    deny_other = {"StringNotEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}
    alice = iam.create_user("alice", policies=[identity("kms:Encrypt")])
    alice.attach_policy(identity("kms:Encrypt", effect="Deny", condition=deny_other))
    client = alice.client("kms", region_name=REGION)
    client.encrypt(KeyId=make_key(kms)["KeyId"], Plaintext=b"x")
    rsa = make_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    assert error(client.encrypt, KeyId=rsa["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256") == (
        access_denied(alice.arn, "kms:Encrypt", rsa["Arn"], IDENTITY_DENY)
    )


def test_schedule_key_deletion_pending_window_condition(kms, iam):
    condition = {"NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 20}}
    client = iam.create_user("alice", policies=[identity("kms:ScheduleKeyDeletion", condition=condition)]).client(
        "kms", region_name=REGION
    )
    client.schedule_key_deletion(KeyId=make_key(kms)["KeyId"])  # the default, 30 days
    client.schedule_key_deletion(KeyId=make_key(kms)["KeyId"], PendingWindowInDays=20)
    assert error(client.schedule_key_deletion, KeyId=make_key(kms)["KeyId"], PendingWindowInDays=7)[0] == (
        "AccessDeniedException"
    )


def test_rotation_period_condition(kms, iam):
    condition = {"NumericLessThanEquals": {"kms:RotationPeriodInDays": 180}}
    client = iam.create_user("alice", policies=[identity("kms:EnableKeyRotation", condition=condition)]).client(
        "kms", region_name=REGION
    )
    key = make_key(kms)
    client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert error(client.enable_key_rotation, KeyId=key["KeyId"])[0] == "AccessDeniedException"  # default 365


def test_bypass_policy_lockout_safety_check_condition(iam):
    deny_bypass = identity(
        "kms:CreateKey",
        "kms:PutKeyPolicy",
        effect="Deny",
        condition={"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}},
    )
    alice = iam.create_user("alice", policies=[identity("kms:*"), deny_bypass])
    client = alice.client("kms", region_name=REGION)
    key = client.create_key()["KeyMetadata"]
    policy = key_policy(ACCOUNT_STATEMENT)
    client.create_key(Policy=policy)
    client.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy)
    assert error(client.create_key, Policy=policy, BypassPolicyLockoutSafetyCheck=True) == access_denied(
        alice.arn, "kms:CreateKey", "*", IDENTITY_DENY
    )
    assert error(
        client.put_key_policy,
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=policy,
        BypassPolicyLockoutSafetyCheck=True,
    ) == access_denied(alice.arn, "kms:PutKeyPolicy", key["Arn"], IDENTITY_DENY)


def test_reencrypt_on_same_key_condition(kms, iam):
    alice = iam.create_user("alice")
    same = {"Bool": {"kms:ReEncryptOnSameKey": "true"}}
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:ReEncrypt*", condition=same)))
    other = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:ReEncrypt*", condition=same)))
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"v": "1"})["CiphertextBlob"]
    client = alice.client("kms", region_name=REGION)
    client.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"v": "1"},
        DestinationKeyId=key["Arn"],
        DestinationEncryptionContext={"v": "2"},
    )
    assert error(
        client.re_encrypt, CiphertextBlob=blob, SourceEncryptionContext={"v": "1"}, DestinationKeyId=other["KeyId"]
    ) == (ciphertext_denied(alice.arn, "kms:ReEncryptFrom", NO_IDENTITY))


def test_via_service_condition_never_matches_direct_calls(kms, iam):
    alice = iam.create_user("alice")
    via = {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
    key = make_key(
        kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Decrypt", "kms:Encrypt", condition=via))
    )
    assert error(alice.client("kms", region_name=REGION).encrypt, KeyId=key["KeyId"], Plaintext=b"x")[0] == (
        "AccessDeniedException"
    )


def test_tag_conditions(kms, iam):
    alice = iam.create_user("alice", tags={"team": "blue"})
    alice.attach_policy(
        identity("kms:DescribeKey", condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    )
    alice.attach_policy(
        identity(
            "kms:TagResource",
            condition={
                "StringEquals": {"aws:RequestTag/team": "blue"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
            },
        )
    )
    alice.attach_policy(
        identity("kms:UntagResource", condition={"ForAllValues:StringLike": {"aws:TagKeys": ["tmp-*"]}})
    )
    blue = make_key(kms, Tags=[{"TagKey": "team", "TagValue": "blue"}])
    red = make_key(kms, Tags=[{"TagKey": "team", "TagValue": "red"}])
    client = alice.client("kms", region_name=REGION)
    client.describe_key(KeyId=blue["KeyId"])
    assert error(client.describe_key, KeyId=red["KeyId"])[0] == "AccessDeniedException"
    client.tag_resource(KeyId=red["KeyId"], Tags=[{"TagKey": "team", "TagValue": "blue"}])
    client.describe_key(KeyId=red["KeyId"])  # retagged: now allowed
    assert (
        error(client.tag_resource, KeyId=red["KeyId"], Tags=[{"TagKey": "team", "TagValue": "red"}])[0]
        == "AccessDeniedException"
    )
    assert (
        error(
            client.tag_resource,
            KeyId=red["KeyId"],
            Tags=[{"TagKey": "team", "TagValue": "blue"}, {"TagKey": "x", "TagValue": "y"}],
        )[0]
        == "AccessDeniedException"
    )
    client.untag_resource(KeyId=red["KeyId"], TagKeys=["tmp-1"])
    assert error(client.untag_resource, KeyId=red["KeyId"], TagKeys=["team"])[0] == "AccessDeniedException"


def test_session_tags_override_role_tags(kms, iam):
    role = iam.create_role(
        "app",
        tags={"stage": "dev"},
        policies=[identity("kms:DescribeKey", condition={"StringEquals": {"aws:PrincipalTag/stage": "prod"}})],
    )
    key = make_key(kms)
    assert (
        error(role.session("dev").client("kms", region_name=REGION).describe_key, KeyId=key["KeyId"])[0]
        == "AccessDeniedException"
    )
    role.session("prod", tags={"stage": "prod"}).client("kms", region_name=REGION).describe_key(KeyId=key["KeyId"])


def test_principal_global_condition_keys(kms, iam):
    role = iam.create_role("app")
    condition = {
        "StringEquals": {"aws:PrincipalType": "AssumedRole", "aws:PrincipalAccount": A},
        "ArnEquals": {"aws:PrincipalArn": role.arn},
        "StringLike": {"aws:userid": f"{role.unique_id}:*"},
    }
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement("*", "kms:DescribeKey", condition=condition)))
    role.session("s1").client("kms", region_name=REGION).describe_key(KeyId=key["KeyId"])
    user = iam.create_user("alice")
    assert error(user.client("kms", region_name=REGION).describe_key, KeyId=key["KeyId"])[0] == "AccessDeniedException"
    user_condition = {
        "StringEquals": {"aws:PrincipalType": "User", "aws:username": "alice", "aws:userid": user.unique_id}
    }
    user.attach_policy(identity("kms:DescribeKey", condition=user_condition))
    user.client("kms", region_name=REGION).describe_key(KeyId=key["KeyId"])


def test_current_time_condition_reads_the_mock_clock(kms_mock, kms, iam):
    until = (kms_mock.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    client = iam.create_user(
        "alice", policies=[identity("kms:DescribeKey", condition={"DateLessThan": {"aws:CurrentTime": until}})]
    ).client("kms", region_name=REGION)
    key = make_key(kms)
    client.describe_key(KeyId=key["KeyId"])
    kms_mock.clock.advance(days=2)
    assert error(client.describe_key, KeyId=key["KeyId"])[0] == "AccessDeniedException"


@pytest.mark.skipif("Sign" not in HANDLERS, reason="Sign not implemented yet")
def test_signing_algorithm_and_message_type_conditions(kms, iam):
    alice = iam.create_user("alice")
    condition = {"StringEquals": {"kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW"}}
    key = make_key(
        kms,
        key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Sign", condition=condition)),
        KeySpec="ECC_NIST_P256",
        KeyUsage="SIGN_VERIFY",
    )
    client = alice.client("kms", region_name=REGION)
    client.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert (
        error(
            client.sign, KeyId=key["KeyId"], Message=b"m" * 32, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
        )[0]
        == "AccessDeniedException"
    )


@pytest.mark.skipif("GenerateMac" not in HANDLERS, reason="GenerateMac not implemented yet")
def test_mac_algorithm_condition(kms, iam):
    alice = iam.create_user("alice")
    condition = {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}
    key = make_key(
        kms,
        key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:GenerateMac", condition=condition)),
        KeySpec="HMAC_256",
        KeyUsage="GENERATE_VERIFY_MAC",
    )
    client = alice.client("kms", region_name=REGION)
    client.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    other = make_key(
        kms,
        key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:GenerateMac", condition=condition)),
        KeySpec="HMAC_512",
        KeyUsage="GENERATE_VERIFY_MAC",
    )
    assert (
        error(client.generate_mac, KeyId=other["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_512")[0]
        == "AccessDeniedException"
    )


@pytest.mark.skipif("CreateGrant" not in HANDLERS, reason="CreateGrant not implemented yet")
def test_grant_condition_keys(kms, iam):
    alice = iam.create_user("alice")
    bob = iam.create_user("bob")
    condition = {
        "ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt"]},
        "StringEquals": {"kms:GranteePrincipal": bob.arn},
    }
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:CreateGrant", condition=condition)))
    client = alice.client("kms", region_name=REGION)
    client.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert (
        error(
            client.create_grant, KeyId=key["KeyId"], GranteePrincipal=bob.arn, Operations=["Decrypt", "ReEncryptFrom"]
        )[0]
        == "AccessDeniedException"
    )
    assert (
        error(client.create_grant, KeyId=key["KeyId"], GranteePrincipal=alice.arn, Operations=["Decrypt"])[0]
        == "AccessDeniedException"
    )


# -- grants -------------------------------------------------------------------------------


@pytest.mark.skipif("CreateGrant" not in HANDLERS, reason="grants not implemented yet")
def test_a_grant_allows_without_any_policy_but_an_explicit_deny_still_wins(kms, iam):
    alice = iam.create_user("alice")
    key = make_key(kms)
    client = alice.client("kms", region_name=REGION)
    assert error(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=alice.arn, Operations=["Encrypt"])
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error(client.describe_key, KeyId=key["KeyId"])[0] == "AccessDeniedException"  # not in the grant
    alice.attach_policy(identity("kms:Encrypt", effect="Deny"))
    assert error(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == access_denied(
        alice.arn, "kms:Encrypt", key["Arn"], IDENTITY_DENY
    )
    alice.policies.clear()
    kms.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=key_policy(ACCOUNT_STATEMENT, statement(alice.arn, "kms:Encrypt", effect="Deny")),
    )
    assert error(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == access_denied(
        alice.arn, "kms:Encrypt", key["Arn"], RESOURCE_DENY
    )


@pytest.mark.skipif("CreateGrant" not in HANDLERS, reason="grants not implemented yet")
def test_a_grant_to_a_principal_of_another_account(kms, iam):
    bob = iam.create_user("bob", account=B)
    key = make_key(kms)  # the key policy knows nothing of account B
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob.arn, Operations=["Encrypt", "Decrypt"])
    client = bob.client("kms", region_name=REGION)
    blob = client.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


# -- cross-account ------------------------------------------------------------------------


@pytest.fixture
def shared_key(kms):
    """A key in account A whose policy lets account B use it (and describe it)."""
    policy = key_policy(
        ACCOUNT_STATEMENT,
        statement(
            f"arn:aws:iam::{B}:root",
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
            "kms:DisableKey",
            "kms:GetKeyPolicy",
        ),
    )
    key = make_key(kms, policy)
    kms.create_alias(AliasName="alias/shared", TargetKeyId=key["KeyId"])
    return key


def test_cross_account_use_by_key_arn_needs_key_policy_and_identity_policy(kms, iam, shared_key):
    bob = iam.create_user("bob", account=B)
    client = bob.client("kms", region_name=REGION)
    assert error(client.encrypt, KeyId=shared_key["Arn"], Plaintext=b"x") == access_denied(
        f"arn:aws:iam::{B}:user/bob", "kms:Encrypt", shared_key["Arn"], NO_IDENTITY
    )
    bob.attach_policy(
        identity(
            "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", resource=f"arn:aws:kms:*:{A}:key/*"
        )
    )
    blob = client.encrypt(KeyId=shared_key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"  # key found from the ciphertext
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"  # the owner too
    assert client.describe_key(KeyId=shared_key["Arn"])["KeyMetadata"]["AWSAccountId"] == A
    client.generate_data_key(KeyId=f"arn:aws:kms:{REGION}:{A}:alias/shared", KeySpec="AES_256")  # alias ARN


def test_cross_account_needs_the_key_policy(kms, iam):
    key = make_key(kms)  # default policy: account A only
    bob = iam.create_user("bob", account=B, policies=[identity("kms:*")])
    assert error(bob.client("kms", region_name=REGION).encrypt, KeyId=key["Arn"], Plaintext=b"x") == cross_account_denied(
        bob.arn, "kms:Encrypt"
    )


def test_cross_account_user_named_in_key_policy_still_needs_identity_policy(kms, iam):
    bob = iam.create_user("bob", account=B)
    key = make_key(kms, key_policy(ACCOUNT_STATEMENT, statement(bob.arn, "kms:Encrypt")))
    client = bob.client("kms", region_name=REGION)
    assert error(client.encrypt, KeyId=key["Arn"], Plaintext=b"x") == access_denied(
        bob.arn, "kms:Encrypt", key["Arn"], NO_IDENTITY
    )
    bob.attach_policy(identity("kms:Encrypt"))
    client.encrypt(KeyId=key["Arn"], Plaintext=b"x")


def test_cross_account_root_needs_no_identity_policy(iam, shared_key):
    client = iam.root(B).client("kms", region_name=REGION)
    assert client.encrypt(KeyId=shared_key["Arn"], Plaintext=b"x")["KeyId"] == shared_key["Arn"]


def test_cross_account_explicit_deny_in_callers_identity_policy(iam, shared_key):
    bob = iam.create_user("bob", account=B, policies=[identity("kms:*"), identity("kms:Decrypt", effect="Deny")])
    client = bob.client("kms", region_name=REGION)
    blob = client.encrypt(KeyId=shared_key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    assert error(client.decrypt, CiphertextBlob=blob) == ciphertext_denied(bob.arn, "kms:Decrypt", IDENTITY_DENY)


@pytest.mark.parametrize(
    "call, kwargs, action",
    [
        ("disable_key", {}, "kms:DisableKey"),
        ("get_key_policy", {"PolicyName": "default"}, "kms:GetKeyPolicy"),
        ("list_resource_tags", {}, "kms:ListResourceTags"),
    ],
)
def test_operations_that_are_not_cross_account_are_denied_across_accounts(iam, shared_key, call, kwargs, action):
    # The key policy allows DisableKey and GetKeyPolicy to account B, and bob's IAM policy
    # allows everything: these permissions have no effect across accounts [DG23].
    bob = iam.create_user("bob", account=B, policies=[identity("kms:*")])
    client = bob.client("kms", region_name=REGION)
    assert error(getattr(client, call), KeyId=shared_key["Arn"], **kwargs) == cross_account_denied(bob.arn, action)


def test_cross_account_key_id_and_alias_name_resolve_in_the_callers_account(iam, shared_key):
    client = iam.create_user("bob", account=B, policies=[identity("kms:*")]).client("kms", region_name=REGION)
    assert error(client.encrypt, KeyId=shared_key["KeyId"], Plaintext=b"x") == (
        "NotFoundException",
        f"Key 'arn:aws:kms:{REGION}:{B}:key/{shared_key['KeyId']}' does not exist",
    )
    assert error(client.encrypt, KeyId="alias/shared", Plaintext=b"x") == (
        "NotFoundException",
        f"Alias arn:aws:kms:{REGION}:{B}:alias/shared is not found.",
    )


def test_cross_account_reencrypt_between_accounts(kms, iam, shared_key):
    bob = iam.create_user("bob", account=B, policies=[identity("kms:*")])
    client = bob.client("kms", region_name=REGION)
    own = client.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=shared_key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    moved = client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=own["KeyId"])
    assert moved["SourceKeyId"] == shared_key["Arn"] and moved["KeyId"] == own["Arn"]
    # The owner of the shared key cannot re-encrypt into bob's key: bob's key policy is his own.
    assert error(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=own["Arn"]) == cross_account_denied(
        ROOT_A, "kms:ReEncryptTo"
    )


# -- key policy documents -----------------------------------------------------------------


OVERLY_PERMISSIVE = (
    "OverlyPermissiveCondition: Using the ForAllValues set operator with a single-valued condition key matches "
    "requests without the specified encryption context or with an unspecified encryption context. "
    "To fix, remove ForAllValues."
)


@pytest.mark.parametrize(
    "document, message",
    [
        ("{not json", ""),  # AWS's empty message (kms_spec.md §5.3)
        ('{"Version": "2012-10-17"}', "The policy document must contain a Statement element."),
        (
            key_policy({"Effect": "Allow", "Principal": {"AWS": "not-an-arn"}, "Action": "kms:*", "Resource": "*"}),
            "Policy contains a statement with one or more invalid principals.",
        ),
        (
            key_policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{A}:group/admins"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ),
            "Policy contains a statement with one or more invalid principals.",
        ),
        (
            key_policy(
                statement(ROOT_A, "kms:*", condition={"ForAllValues:StringEquals": {"kms:EncryptionContext:app": "x"}})
            ),
            OVERLY_PERMISSIVE,
        ),
    ],
)
def test_malformed_key_policies_are_rejected(kms, document, message):
    assert error(kms.create_key, Policy=document) == ("MalformedPolicyDocumentException", message)
    key = make_key(kms)
    assert error(kms.put_key_policy, KeyId=key["KeyId"], PolicyName="default", Policy=document) == (
        "MalformedPolicyDocumentException",
        message,
    )
    assert "key-default-1" in kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]


def test_principals_of_unknown_users_in_registered_accounts_are_invalid(kms, iam):
    iam.create_user("alice")
    role = iam.create_role("app")
    unknown_user = key_policy(ACCOUNT_STATEMENT, statement(f"arn:aws:iam::{A}:user/nobody", "kms:Encrypt"))
    assert error(kms.create_key, Policy=unknown_user) == (
        "MalformedPolicyDocumentException",
        "Policy contains a statement with one or more invalid principals.",
    )
    unknown_session = key_policy(ACCOUNT_STATEMENT, statement(f"arn:aws:sts::{A}:assumed-role/other/s", "kms:Encrypt"))
    assert error(kms.create_key, Policy=unknown_session)[0] == "MalformedPolicyDocumentException"
    # Registered identities, sessions of registered roles, and identities of accounts the
    # mock knows nothing about are accepted.
    kms.create_key(Policy=key_policy(
        ACCOUNT_STATEMENT,
        statement([f"arn:aws:iam::{A}:user/alice", role.arn, f"arn:aws:sts::{A}:assumed-role/app/any", f"arn:aws:iam::{B}:user/whoever"], "kms:Encrypt"),
    ))  # fmt: skip


def test_lockout_safety_check_on_create_key(kms, iam):
    iam.create_user("alice")
    only_alice = key_policy(statement(f"arn:aws:iam::{A}:user/alice", "kms:*"))
    assert error(kms.create_key, Policy=only_alice) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    )
    assert kms.list_keys()["Keys"] == []
    kms.create_key(Policy=only_alice, BypassPolicyLockoutSafetyCheck=True)
    kms.create_key(Policy=key_policy(statement(ROOT_A, "kms:PutKeyPolicy")))


def test_lockout_safety_check_on_put_key_policy(kms):
    key = make_key(kms)
    no_put = key_policy(statement(ROOT_A, "kms:Describe*", "kms:Encrypt"))
    assert error(kms.put_key_policy, KeyId=key["KeyId"], PolicyName="default", Policy=no_put) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=no_put, BypassPolicyLockoutSafetyCheck=True)
    assert error(kms.get_key_policy, KeyId=key["KeyId"], PolicyName="default")[0] == "AccessDeniedException"
    # And now the account is locked out of the key's policy, as AWS warns.
    assert (
        error(kms.put_key_policy, KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(ACCOUNT_STATEMENT))[0]
        == "AccessDeniedException"
    )


def test_lockout_check_counts_the_callers_identity_policies(iam):
    # The key policy delegates to the account; the caller's IAM policy decides.
    delegating = key_policy(ACCOUNT_STATEMENT)
    limited = iam.create_user("limited", policies=[identity("kms:CreateKey")]).client("kms", region_name=REGION)
    assert (
        error(limited.create_key, Policy=delegating)[1]
        == "The new key policy will not allow you to update the key policy in the future."
    )
    admin = iam.create_user("admin", policies=[identity("kms:CreateKey", "kms:PutKeyPolicy")]).client(
        "kms", region_name=REGION
    )
    admin.create_key(Policy=delegating)
    # A policy naming the caller directly passes without IAM permission for PutKeyPolicy.
    limited.create_key(Policy=key_policy(statement(f"arn:aws:iam::{A}:user/limited", "kms:PutKeyPolicy")))


# -- DryRun -------------------------------------------------------------------------------

DRY_RUN = ("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")


def _dry_run_calls(kms) -> dict:
    """Operation -> (client method, kwargs builder(key ids)) for the 15 DryRun operations."""
    symmetric = make_key(kms)["KeyId"]

    def blob():
        return kms.encrypt(KeyId=symmetric, Plaintext=b"x")["CiphertextBlob"]

    def key(spec: str, usage: str) -> str:
        return make_key(kms, KeySpec=spec, KeyUsage=usage)["KeyId"]

    def grant():
        return kms.create_grant(KeyId=symmetric, GranteePrincipal=ROOT_A, Operations=["Decrypt"])

    calls = {
        "Encrypt": ("encrypt", lambda: {"KeyId": symmetric, "Plaintext": b"x"}),
        "Decrypt": ("decrypt", lambda: {"CiphertextBlob": blob()}),
        "ReEncrypt": ("re_encrypt", lambda: {"CiphertextBlob": blob(), "DestinationKeyId": symmetric}),
        "GenerateDataKey": ("generate_data_key", lambda: {"KeyId": symmetric, "KeySpec": "AES_256"}),
        "GenerateDataKeyWithoutPlaintext": (
            "generate_data_key_without_plaintext",
            lambda: {"KeyId": symmetric, "NumberOfBytes": 32},
        ),
        "GenerateDataKeyPair": ("generate_data_key_pair", lambda: {"KeyId": symmetric, "KeyPairSpec": "ECC_NIST_P256"}),
        "GenerateDataKeyPairWithoutPlaintext": (
            "generate_data_key_pair_without_plaintext",
            lambda: {"KeyId": symmetric, "KeyPairSpec": "ECC_NIST_P256"},
        ),
        "Sign": (
            "sign",
            lambda: {
                "KeyId": key("ECC_NIST_P256", "SIGN_VERIFY"),
                "Message": b"m",
                "SigningAlgorithm": "ECDSA_SHA_256",
            },
        ),
        "Verify": (
            "verify",
            lambda: {
                "KeyId": key("ECC_NIST_P256", "SIGN_VERIFY"),
                "Message": b"m",
                "Signature": b"s" * 64,
                "SigningAlgorithm": "ECDSA_SHA_256",
            },
        ),
        "GenerateMac": (
            "generate_mac",
            lambda: {"KeyId": key("HMAC_256", "GENERATE_VERIFY_MAC"), "Message": b"m", "MacAlgorithm": "HMAC_SHA_256"},
        ),
        "VerifyMac": (
            "verify_mac",
            lambda: {
                "KeyId": key("HMAC_256", "GENERATE_VERIFY_MAC"),
                "Message": b"m",
                "Mac": b"m" * 32,
                "MacAlgorithm": "HMAC_SHA_256",
            },
        ),
        "DeriveSharedSecret": (
            "derive_shared_secret",
            lambda: {
                "KeyId": key("ECC_NIST_P256", "KEY_AGREEMENT"),
                "KeyAgreementAlgorithm": "ECDH",
                "PublicKey": _peer_public_key(),
            },
        ),
        "CreateGrant": (
            "create_grant",
            lambda: {"KeyId": symmetric, "GranteePrincipal": ROOT_A, "Operations": ["Decrypt"]},
        ),
        "RetireGrant": ("retire_grant", lambda: {"GrantToken": grant()["GrantToken"]}),
        "RevokeGrant": ("revoke_grant", lambda: {"KeyId": symmetric, "GrantId": grant()["GrantId"]}),
    }
    return calls


def _peer_public_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


DRY_RUN_OPERATIONS = [
    "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
    "CreateGrant", "RetireGrant", "RevokeGrant",
]  # fmt: skip


def test_the_fifteen_dry_run_operations_are_in_the_model():
    import botocore.session

    model = botocore.session.get_session().get_service_model("kms")
    with_dry_run = {
        name for name in model.operation_names if "DryRun" in model.operation_model(name).input_shape.members
    }
    # (Newer botocore models add Encapsulate/Decapsulate, which postdate kms_spec.md.)
    assert set(DRY_RUN_OPERATIONS) <= with_dry_run


@pytest.mark.parametrize("operation", DRY_RUN_OPERATIONS)
def test_dry_run_succeeds_as_dry_run_operation_and_does_nothing(kms_mock, kms, operation):
    needed = {"RetireGrant": "CreateGrant", "RevokeGrant": "CreateGrant"}.get(operation, operation)
    if operation not in HANDLERS or needed not in HANDLERS:
        pytest.skip(f"{operation} not implemented yet")
    method, build = _dry_run_calls(kms)[operation]
    kwargs = build()
    keys_before = len(kms.list_keys()["Keys"])
    assert error(getattr(kms, method), DryRun=True, **kwargs) == DRY_RUN
    assert kms_mock.calls[-1].error_code == "DryRunOperationException"
    assert len(kms.list_keys()["Keys"]) == keys_before


@pytest.mark.parametrize("operation", DRY_RUN_OPERATIONS)
def test_dry_run_that_fails_authorization_is_access_denied(kms, iam, operation):
    needed = {"RetireGrant": "CreateGrant", "RevokeGrant": "CreateGrant"}.get(operation, operation)
    if operation not in HANDLERS or needed not in HANDLERS:
        pytest.skip(f"{operation} not implemented yet")
    method, build = _dry_run_calls(kms)[operation]
    kwargs = build()
    mallory = iam.create_user("mallory").client("kms", region_name=REGION)
    code, message = error(getattr(mallory, method), DryRun=True, **kwargs)
    assert code == "AccessDeniedException", message
    assert message.startswith(f"User: arn:aws:iam::{A}:user/mallory is not authorized to perform: kms:")


def test_dry_run_reports_validation_and_state_errors_first(kms):
    key = make_key(kms)
    code, _ = error(
        kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256", DryRun=True
    )
    assert code == "InvalidKeyUsageException"
    kms.disable_key(KeyId=key["KeyId"])
    assert error(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", DryRun=True) == (
        "DisabledException",
        f"{key['Arn']} is disabled.",
    )


def test_decrypt_dry_run_ignore_ciphertext(kms, iam):
    key = make_key(kms)
    assert error(kms.decrypt, KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]) == DRY_RUN
    # A garbage ciphertext is not looked at.
    assert (
        error(
            kms.decrypt,
            CiphertextBlob=b"garbage",
            KeyId=key["KeyId"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )
        == DRY_RUN
    )
    # Without the modifier the ciphertext is validated.
    assert (
        error(kms.decrypt, CiphertextBlob=b"garbage" * 10, KeyId=key["KeyId"], DryRun=True)[0]
        == "InvalidCiphertextException"
    )
    # Authorization still applies.
    mallory = iam.create_user("mallory").client("kms", region_name=REGION)
    assert error(
        mallory.decrypt, KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]
    ) == access_denied(f"arn:aws:iam::{A}:user/mallory", "kms:Decrypt", key["Arn"], NO_IDENTITY)


def test_decrypt_dry_run_ignore_ciphertext_needs_key_id(kms):
    code, _ = error(kms.decrypt, DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"])
    assert code == "ValidationException"


def test_reencrypt_dry_run_ignore_ciphertext(kms, iam):
    source, destination = make_key(kms), make_key(kms)
    assert (
        error(
            kms.re_encrypt,
            SourceKeyId=source["KeyId"],
            DestinationKeyId=destination["KeyId"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )
        == DRY_RUN
    )
    alice = iam.create_user("alice", policies=[identity("kms:ReEncryptFrom")])
    assert error(
        alice.client("kms", region_name=REGION).re_encrypt,
        SourceKeyId=source["KeyId"], DestinationKeyId=destination["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"],
    ) == access_denied(alice.arn, "kms:ReEncryptTo", destination["Arn"], NO_IDENTITY)  # fmt: skip
