"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, grant
tokens, and what a grant lets its grantee do (kms_spec.md §6.5)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_kms import KmsMock, mock_kms
from mock_kms.api.context import Caller
from mock_kms.core.grants import (
    GrantConstraints,
    constraints_at_least_as_strict,
    context_equals,
    context_includes,
    creating_grant,
    grant_allows,
    principal_matches,
)
from mock_kms.wire.model import service_model

ACCOUNT = "123456789012"
OTHER = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
NO_VALIDATION = Config(parameter_validation=False)


def error_of(excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def fails(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    return error_of(excinfo)


def denied(who: str, action: str, resource: str) -> str:
    return f"User: {who} is not authorized to perform: {action} on resource: {resource}"


needs_service_principals = pytest.mark.skipif(
    "GranteeServicePrincipal" not in service_model().operation_model("CreateGrant").input_shape.members,
    reason="botocore < 1.44 has no service-principal grants",
)


@pytest.fixture
def key(kms):
    return kms.create_key()["KeyMetadata"]


def grant(kms, key_id: str, grantee: str = ALICE, operations=("Encrypt",), **kwargs):
    return kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=list(operations), **kwargs)


# -- CreateGrant / ListGrants basics ----------------------------------------------------


def test_create_grant_returns_id_and_token_and_lists_the_grant(kms, key):
    created = grant(kms, key["KeyId"], operations=["Encrypt", "Decrypt"], RetiringPrincipal=BOB)
    assert re.fullmatch(r"[0-9a-f]{64}", created["GrantId"])
    assert isinstance(created["GrantToken"], str) and created["GrantToken"]
    listed = kms.list_grants(KeyId=key["KeyId"])
    assert listed["Truncated"] is False
    assert "NextMarker" not in listed
    [entry] = listed["Grants"]
    assert isinstance(entry.pop("CreationDate"), datetime)
    assert entry == {
        "KeyId": key["Arn"],
        "GrantId": created["GrantId"],
        "GranteePrincipal": ALICE,
        "RetiringPrincipal": BOB,
        "IssuingAccount": ROOT,
        "Operations": ["Encrypt", "Decrypt"],
    }


def test_list_entry_shows_name_and_constraints(kms, key):
    grant(
        kms,
        key["KeyId"],
        operations=["Decrypt"],
        Name="finance-decrypt",
        Constraints={"EncryptionContextSubset": {"Department": "Finance"}},
    )
    [entry] = kms.list_grants(KeyId=key["Arn"])["Grants"]
    assert entry["Name"] == "finance-decrypt"
    assert entry["Constraints"] == {"EncryptionContextSubset": {"Department": "Finance"}}
    assert "RetiringPrincipal" not in entry


def test_grants_are_listed_per_key(kms):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    grant(kms, first)
    assert len(kms.list_grants(KeyId=first)["Grants"]) == 1
    assert kms.list_grants(KeyId=second)["Grants"] == []


def test_name_makes_create_grant_idempotent_with_a_new_token_each_time(kms, key):
    first = grant(kms, key["KeyId"], operations=["Encrypt", "Decrypt"], Name="retry-me")
    again = grant(kms, key["KeyId"], operations=["Decrypt", "Encrypt"], Name="retry-me")
    assert again["GrantId"] == first["GrantId"]
    assert again["GrantToken"] != first["GrantToken"]
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1
    # Both tokens identify the grant.
    kms.retire_grant(GrantToken=again["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_same_name_with_other_parameters_or_without_name_creates_new_grants(kms, key):
    first = grant(kms, key["KeyId"], Name="n")
    other_ops = grant(kms, key["KeyId"], operations=["Decrypt"], Name="n")
    other_grantee = grant(kms, key["KeyId"], grantee=BOB, Name="n")
    unnamed_1 = grant(kms, key["KeyId"])
    unnamed_2 = grant(kms, key["KeyId"])
    ids = {first["GrantId"], other_ops["GrantId"], other_grantee["GrantId"], unnamed_1["GrantId"], unnamed_2["GrantId"]}
    assert len(ids) == 5


def test_same_name_on_two_keys_creates_a_grant_on_each(kms):
    # Real AWS [LS:test_create_grant_with_same_name_two_keys].
    keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
    for key_id in keys:
        grant(kms, key_id, Name="same")
    assert [len(kms.list_grants(KeyId=key_id)["Grants"]) for key_id in keys] == [1, 1]


@pytest.mark.parametrize(
    "key_args, operations",
    [
        ({}, ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
              "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "DescribeKey", "CreateGrant", "RetireGrant"]),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"]),
        ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, ["Sign", "Verify", "GetPublicKey", "DescribeKey"]),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, ["GenerateMac", "VerifyMac", "CreateGrant"]),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, ["DeriveSharedSecret", "GetPublicKey", "RetireGrant"]),
    ],
)
def test_operations_valid_for_the_key_type(kms, key_args, operations):
    key_id = kms.create_key(**key_args)["KeyMetadata"]["KeyId"]
    grant(kms, key_id, operations=operations)
    [entry] = kms.list_grants(KeyId=key_id)["Grants"]
    assert entry["Operations"] == operations


@pytest.mark.parametrize(
    "key_args, operation",
    [
        ({}, "Sign"),
        ({}, "GetPublicKey"),
        ({}, "GenerateMac"),
        ({}, "DeriveSharedSecret"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "GenerateDataKey"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "GenerateDataKeyPair"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "Sign"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, "Encrypt"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, "Decrypt"),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "Encrypt"),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "GetPublicKey"),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, "Sign"),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}, "DeriveSharedSecret"),
    ],
)
def test_operation_the_key_type_does_not_support_is_a_validation_error(kms, key_args, operation):
    metadata = kms.create_key(**key_args)["KeyMetadata"]
    code, message = fails(grant, kms, metadata["KeyId"], operations=["DescribeKey", operation])
    assert code == "ValidationException"
    assert message == (
        f"Grant operation {operation} is not valid for a KMS key with KeySpec {metadata['KeySpec']} "
        f"and KeyUsage {metadata['KeyUsage']}."
    )
    assert kms.list_grants(KeyId=metadata["KeyId"])["Grants"] == []


def test_duplicate_operations_are_stored_once(kms, key):
    grant(kms, key["KeyId"], operations=["Encrypt", "Encrypt", "Decrypt"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"][0]["Operations"] == ["Encrypt", "Decrypt"]


# -- constraints at creation ------------------------------------------------------------


def test_constraints_allowed_with_context_operations_and_management_operations(kms, key):
    constraints = {"EncryptionContextEquals": {"a": "1"}, "EncryptionContextSubset": {"b": "2"}}
    grant(kms, key["KeyId"], operations=["Decrypt", "GenerateDataKey", "DescribeKey", "RetireGrant", "CreateGrant"], Constraints=constraints)
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"][0]["Constraints"] == constraints


@pytest.mark.parametrize(
    "key_args, operations",
    [
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, ["Decrypt"]),
        ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, ["Sign"]),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, ["GenerateMac"]),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, ["DescribeKey"]),
    ],
)
def test_encryption_context_constraints_need_a_symmetric_encryption_key(kms, key_args, operations):
    metadata = kms.create_key(**key_args)["KeyMetadata"]
    code, message = fails(
        grant, kms, metadata["KeyId"], operations=operations, Constraints={"EncryptionContextSubset": {"a": "b"}}
    )
    assert code == "ValidationException"
    assert message.startswith("Encryption context grant constraints are not supported for the operations ")


@pytest.mark.parametrize("member", ["EncryptionContextEquals", "EncryptionContextSubset"])
def test_constraint_limits(kms, key, member):
    nine = {f"k{i}": "v" for i in range(9)}
    code, message = fails(grant, kms, key["KeyId"], Constraints={member: nine})
    assert (code, message) == ("ValidationException", f"{member} can include up to 8 encryption context pairs.")
    long_value = {"k": "v" * 385}
    code, message = fails(grant, kms, key["KeyId"], Constraints={member: long_value})
    assert (code, message) == (
        "ValidationException",
        f"Encryption context values in {member} cannot exceed 384 characters.",
    )
    # At the limits: fine.
    grant(kms, key["KeyId"], Constraints={member: {**{f"k{i}": "v" for i in range(7)}, "last": "v" * 384}})


# -- CreateGrant errors -----------------------------------------------------------------


def test_create_grant_on_unknown_or_malformed_key(kms):
    missing = "11111111-2222-3333-4444-555555555555"
    assert fails(grant, kms, missing) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist",
    )
    assert fails(grant, kms, "invalid") == ("NotFoundException", "Invalid keyId 'invalid'")


def test_grant_operations_reject_aliases(kms, key):
    kms.create_alias(AliasName="alias/grants", TargetKeyId=key["KeyId"])
    expected = ("InvalidArnException", "Key Aliases are not supported for this operation.")
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/grants"
    assert fails(grant, kms, "alias/grants") == expected
    assert fails(grant, kms, alias_arn) == expected
    assert fails(kms.list_grants, KeyId="alias/grants") == expected
    assert fails(kms.revoke_grant, KeyId=alias_arn, GrantId="a" * 64) == expected
    assert fails(kms.retire_grant, KeyId="alias/grants", GrantId="a" * 64) == expected


@pytest.mark.parametrize(
    "principal",
    [
        "alice",
        f"arn:aws:iam::{ACCOUNT}:group/admins",
        "dynamodb.us-east-1.amazonaws.com",
        "arn:aws:s3:::bucket",
        "12345",
    ],
)
def test_grantee_and_retiring_principal_must_be_principal_arns(kms, key, principal):
    expected = ("InvalidArnException", f"{principal} is not a valid principal.")
    assert fails(grant, kms, key["KeyId"], grantee=principal) == expected
    assert fails(grant, kms, key["KeyId"], RetiringPrincipal=principal) == expected


def test_accepted_principal_forms(kms, key):
    for principal in (
        ROOT,
        OTHER,
        f"arn:aws:iam::{OTHER}:role/service-role/app",
        f"arn:aws:sts::{OTHER}:assumed-role/app/session",
        f"arn:aws:sts::{OTHER}:federated-user/fed",
    ):
        grant(kms, key["KeyId"], grantee=principal, RetiringPrincipal=principal)
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 5


def test_principal_unknown_in_an_account_with_registered_identities(kms_mock, kms, key):
    kms_mock.iam.create_user("alice")
    grant(kms, key["KeyId"], grantee=ALICE)
    assert fails(grant, kms, key["KeyId"], grantee=f"arn:aws:iam::{ACCOUNT}:user/ghost") == (
        "InvalidArnException",
        f"arn:aws:iam::{ACCOUNT}:user/ghost is not a valid principal.",
    )


@needs_service_principals
def test_grantee_or_service_principal_exactly_one(kms, key):
    expected = (
        "ValidationException",
        "You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.",
    )
    assert fails(kms.create_grant, KeyId=key["KeyId"], Operations=["Encrypt"]) == expected
    assert (
        fails(
            kms.create_grant,
            KeyId=key["KeyId"],
            Operations=["Encrypt"],
            GranteePrincipal=ALICE,
            GranteeServicePrincipal="logs.amazonaws.com",
        )
        == expected
    )
    assert fails(grant, kms, key["KeyId"], RetiringPrincipal=BOB, RetiringServicePrincipal="logs.amazonaws.com") == (
        "ValidationException",
        "You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both.",
    )


@needs_service_principals
def test_service_principal_grants_need_source_arn_and_a_retiring_principal(kms, key):
    source = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app"
    base = dict(KeyId=key["KeyId"], Operations=["Encrypt"], GranteeServicePrincipal="logs.amazonaws.com")
    assert fails(kms.create_grant, **base, RetiringPrincipal=BOB) == (
        "ValidationException",
        "When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.",
    )
    assert fails(kms.create_grant, **base, Constraints={"SourceArn": source}) == (
        "ValidationException",
        "When you specify a GranteeServicePrincipal, you must also specify a RetiringPrincipal or a RetiringServicePrincipal.",
    )
    created = kms.create_grant(**base, Constraints={"SourceArn": source}, RetiringServicePrincipal="logs.amazonaws.com")
    [entry] = kms.list_grants(KeyId=key["KeyId"], GranteeServicePrincipal="logs.amazonaws.com")["Grants"]
    assert entry["GrantId"] == created["GrantId"]
    assert entry["GranteeServicePrincipal"] == "logs.amazonaws.com"
    assert entry["RetiringServicePrincipal"] == "logs.amazonaws.com"
    assert entry["Constraints"] == {"SourceArn": source}
    assert "GranteePrincipal" not in entry
    assert kms.list_retirable_grants(RetiringServicePrincipal="logs.amazonaws.com")["Grants"] == [entry]


def test_empty_operations_list(kms_mock, key):
    kms = kms_mock.client("kms", config=NO_VALIDATION)
    assert fails(grant, kms, key["KeyId"], operations=[]) == (
        "ValidationException",
        "The grant must allow at least one grant operation.",
    )


def test_create_grant_key_states(kms, key):
    kms.disable_key(KeyId=key["KeyId"])
    assert fails(grant, kms, key["KeyId"]) == ("DisabledException", f"{key['Arn']} is disabled.")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert fails(grant, kms, key["KeyId"]) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    # Listing, retiring and revoking work in every state.
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_grants_per_key_quota():
    with KmsMock(quotas={"grants_per_key": 2}) as mock:
        kms = mock.client("kms")
        key = kms.create_key()["KeyMetadata"]
        named = grant(kms, key["KeyId"], Name="kept")
        grant(kms, key["KeyId"])
        assert fails(grant, kms, key["KeyId"]) == (
            "LimitExceededException",
            f"The number of grants on KMS key {key['Arn']} has reached the limit of 2.",
        )
        # A retry of an existing grant creates nothing and is not limited.
        assert grant(kms, key["KeyId"], Name="kept")["GrantId"] == named["GrantId"]
        # Another key has its own quota.
        grant(kms, kms.create_key()["KeyMetadata"]["KeyId"])
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=named["GrantId"])
        grant(kms, key["KeyId"])


def test_create_grant_dry_run(kms, key):
    assert fails(grant, kms, key["KeyId"], DryRun=True) == (
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    # Validation errors win over DryRun.
    assert fails(grant, kms, key["KeyId"], operations=["Sign"], DryRun=True)[0] == "ValidationException"


def test_create_grant_malformed_input(kms_mock, key):
    kms = kms_mock.client("kms", config=NO_VALIDATION)
    assert fails(kms.create_grant, GranteePrincipal=ALICE, Operations=["Encrypt"]) == (
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    )
    assert fails(kms.create_grant, KeyId=key["KeyId"], GranteePrincipal=ALICE) == (
        "ValidationException",
        "1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null",
    )
    code, message = fails(grant, kms, key["KeyId"], operations=["Bogus"])
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value '[Bogus]' at 'operations' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy enum value set: [Decrypt, Encrypt, "
    )
    assert fails(grant, kms, key["KeyId"], Name="bad name!") == (
        "ValidationException",
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    )
    assert fails(grant, kms, key["KeyId"], grantee="bad principal") == (
        "ValidationException",
        "1 validation error detected: Value 'bad principal' at 'granteePrincipal' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$",
    )
    assert fails(grant, kms, key["KeyId"], GrantTokens=["x"] * 11) == (
        "ValidationException",
        "1 validation error detected: Value '[x, x, x, x, x, x, x, x, x, x, x]' at 'grantTokens' failed to satisfy "
        "constraint: Member must have length less than or equal to 10",
    )
    assert fails(grant, kms, key["KeyId"], Constraints={"EncryptionContextSubset": {"a": 5}}) == (
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    )
    assert fails(grant, kms, key["KeyId"], DryRun="yes") == (
        "SerializationException",
        "STRING_VALUE can not be converted to a Boolean",
    )


# -- ListGrants -------------------------------------------------------------------------


def test_list_grants_filters(kms, key):
    first = grant(kms, key["KeyId"], grantee=ALICE)
    second = grant(kms, key["KeyId"], grantee=BOB)
    third = grant(kms, key["KeyId"], grantee=BOB, operations=["Decrypt"])

    def ids(**filters):
        return [entry["GrantId"] for entry in kms.list_grants(KeyId=key["KeyId"], **filters)["Grants"]]

    assert ids() == [first["GrantId"], second["GrantId"], third["GrantId"]]
    assert ids(GranteePrincipal=BOB) == [second["GrantId"], third["GrantId"]]
    assert ids(GrantId=first["GrantId"]) == [first["GrantId"]]
    assert ids(GrantId=first["GrantId"], GranteePrincipal=BOB) == []
    assert ids(GrantId="0" * 64) == []
    assert ids(GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/nobody") == []
    assert fails(kms.list_grants, KeyId=key["KeyId"], GrantId="not-a-grant-id") == (
        "InvalidGrantIdException",
        "Grant ID not-a-grant-id is not valid.",
    )


def test_list_grants_pagination(kms, key):
    created = [grant(kms, key["KeyId"], grantee=f"arn:aws:iam::{ACCOUNT}:user/u{i}")["GrantId"] for i in range(5)]
    page = kms.list_grants(KeyId=key["KeyId"], Limit=2)
    assert page["Truncated"] is True and len(page["Grants"]) == 2
    pages = kms.get_paginator("list_grants").paginate(KeyId=key["KeyId"], PaginationConfig={"PageSize": 2})
    seen = [entry["GrantId"] for p in pages for entry in p["Grants"]]
    assert seen == created
    last = kms.list_grants(KeyId=key["KeyId"], Limit=2, Marker=kms.list_grants(KeyId=key["KeyId"], Limit=4)["NextMarker"])
    assert [entry["GrantId"] for entry in last["Grants"]] == created[4:]
    assert last["Truncated"] is False and "NextMarker" not in last
    # Default page size 50, at most 100 per page.
    for i in range(5, 120):
        grant(kms, key["KeyId"], grantee=f"arn:aws:iam::{ACCOUNT}:user/u{i}")
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 50
    assert len(kms.list_grants(KeyId=key["KeyId"], Limit=1000)["Grants"]) == 100


def test_list_grants_markers_are_checked(kms, key):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        grant(kms, key["KeyId"])
        grant(kms, other)
    marker = kms.list_grants(KeyId=key["KeyId"], Limit=1)["NextMarker"]
    assert fails(kms.list_grants, KeyId=other, Marker=marker) == ("InvalidMarkerException", "Invalid marker.")
    assert fails(kms.list_grants, KeyId=key["KeyId"], Marker="garbage") == ("InvalidMarkerException", "Invalid marker.")


def test_list_grants_errors(kms_mock, kms):
    missing = "11111111-2222-3333-4444-555555555555"
    assert fails(kms.list_grants, KeyId=missing) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist",
    )
    assert fails(kms.list_grants, KeyId="invalid") == ("NotFoundException", "Invalid keyId 'invalid'")
    raw = kms_mock.client("kms", config=NO_VALIDATION)
    assert fails(raw.list_grants) == (
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    )
    assert fails(raw.list_grants, KeyId=missing, Limit=0) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )
    assert fails(raw.list_grants, KeyId=missing, GrantId="") == (
        "ValidationException",
        "1 validation error detected: Value '' at 'grantId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


def test_grants_die_with_their_key(kms_mock, kms, key):
    created = grant(kms, key["KeyId"], RetiringPrincipal=ROOT)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1  # still there while pending
    kms_mock.clock.advance(days=8)
    assert fails(kms.list_grants, KeyId=key["KeyId"])[0] == "NotFoundException"
    assert kms.list_retirable_grants(RetiringPrincipal=ROOT)["Grants"] == []
    # The token names a grant that is gone.
    assert fails(kms.retire_grant, GrantToken=created["GrantToken"])[0] == "NotFoundException"


# -- ListRetirableGrants ----------------------------------------------------------------


def test_list_retirable_grants_across_keys_and_accounts(kms_mock, kms):
    mine = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
    expected = [grant(kms, mine[0], RetiringPrincipal=BOB)["GrantId"]]
    grant(kms, mine[0], RetiringPrincipal=ALICE)
    grant(kms, mine[1])
    expected.append(grant(kms, mine[1], RetiringPrincipal=BOB, operations=["Decrypt"])["GrantId"])
    # A key in another account whose grant names our principal as retiring principal.
    other = kms_mock.iam.root(OTHER).client("kms")
    theirs = other.create_key()["KeyMetadata"]
    expected.append(grant(other, theirs["KeyId"], grantee=f"arn:aws:iam::{OTHER}:root", RetiringPrincipal=BOB)["GrantId"])
    # Another region: not listed.
    kms_west = kms_mock.client("kms", region_name="us-west-2")
    grant(kms_west, kms_west.create_key()["KeyMetadata"]["KeyId"], RetiringPrincipal=BOB)

    listed = kms.list_retirable_grants(RetiringPrincipal=BOB)
    assert [entry["GrantId"] for entry in listed["Grants"]] == expected
    assert listed["Grants"][2]["KeyId"] == theirs["Arn"]
    assert listed["Grants"][2]["IssuingAccount"] == f"arn:aws:iam::{OTHER}:root"
    pages = kms.get_paginator("list_retirable_grants").paginate(RetiringPrincipal=BOB, PaginationConfig={"PageSize": 1})
    assert [entry["GrantId"] for page in pages for entry in page["Grants"]] == expected
    assert kms.list_retirable_grants(RetiringPrincipal=f"arn:aws:iam::{ACCOUNT}:user/nobody")["Grants"] == []


@needs_service_principals
def test_list_retirable_grants_errors(kms_mock, kms):
    raw = kms_mock.client("kms", config=NO_VALIDATION)
    assert fails(raw.list_retirable_grants) == (
        "ValidationException",
        "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.",
    )
    assert fails(raw.list_retirable_grants, RetiringPrincipal=ROOT, Limit=0)[0] == "ValidationException"
    assert fails(kms.list_retirable_grants, RetiringPrincipal="bob") == (
        "InvalidArnException",
        "bob is not a valid principal.",
    )
    other = f"arn:aws:iam::{OTHER}:user/bob"
    assert fails(kms.list_retirable_grants, RetiringPrincipal=other) == (
        "AccessDeniedException",
        denied(ROOT, "kms:ListRetirableGrants", other),
    )
    assert fails(kms.list_retirable_grants, RetiringPrincipal=ROOT, Marker="garbage") == (
        "InvalidMarkerException",
        "Invalid marker.",
    )


# -- RetireGrant / RevokeGrant ----------------------------------------------------------


def test_retire_grant_by_token_and_by_key_and_grant_id(kms, key):
    by_token = grant(kms, key["KeyId"])
    by_id = grant(kms, key["KeyId"])
    by_bare_id = grant(kms, key["KeyId"])
    kms.retire_grant(GrantToken=by_token["GrantToken"])
    kms.retire_grant(KeyId=key["Arn"], GrantId=by_id["GrantId"])
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key["KeyId"])["Grants"]] == [by_bare_id["GrantId"]]
    kms.retire_grant(KeyId=key["KeyId"], GrantId=by_bare_id["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_retire_grant_errors(kms_mock, kms, key):
    created = grant(kms, key["KeyId"])
    either = ("ValidationException", "Either GrantToken or both KeyId and GrantId must be specified.")
    assert fails(kms.retire_grant) == either
    assert fails(kms.retire_grant, GrantId=created["GrantId"]) == either
    assert fails(kms.retire_grant, KeyId=key["KeyId"]) == either
    invalid_token = ("InvalidGrantTokenException", "The grant token is not valid.")
    assert fails(kms.retire_grant, GrantToken="not-a-token") == invalid_token
    assert fails(kms.retire_grant, GrantToken=created["GrantToken"][:-4]) == invalid_token
    assert fails(kms.retire_grant, KeyId=key["KeyId"], GrantId="xyz") == (
        "InvalidGrantIdException",
        "Grant ID xyz is not valid.",
    )
    assert fails(kms.retire_grant, KeyId=key["KeyId"], GrantId="0" * 64) == (
        "NotFoundException",
        f"Grant ID {'0' * 64} not found for key {key['Arn']}.",
    )
    kms.retire_grant(GrantToken=created["GrantToken"])
    assert fails(kms.retire_grant, GrantToken=created["GrantToken"]) == (
        "NotFoundException",
        f"Grant ID {created['GrantId']} not found for key {key['Arn']}.",
    )
    raw = kms_mock.client("kms", config=NO_VALIDATION)
    assert fails(raw.retire_grant, GrantToken="") == (
        "ValidationException",
        "1 validation error detected: Value '' at 'grantToken' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )
    assert fails(raw.retire_grant, KeyId=key["KeyId"], GrantId="a" * 129)[0] == "ValidationException"


def test_retire_grant_dry_run(kms, key):
    created = grant(kms, key["KeyId"])
    assert fails(kms.retire_grant, GrantToken=created["GrantToken"], DryRun=True)[0] == "DryRunOperationException"
    assert fails(kms.retire_grant, KeyId=key["KeyId"], GrantId=created["GrantId"], DryRun=True)[0] == (
        "DryRunOperationException"
    )
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1
    # A missing grant is reported, not dry-run success.
    assert fails(kms.retire_grant, KeyId=key["KeyId"], GrantId="0" * 64, DryRun=True)[0] == "NotFoundException"


def test_revoke_grant(kms_mock, kms, key):
    created = grant(kms, key["KeyId"])
    assert fails(kms.revoke_grant, KeyId=key["KeyId"], GrantId=created["GrantId"], DryRun=True) == (
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    assert fails(kms.revoke_grant, KeyId=key["Arn"], GrantId=created["GrantId"]) == (
        "NotFoundException",
        f"Grant ID {created['GrantId']} not found for key {key['Arn']}.",
    )
    assert fails(kms.revoke_grant, KeyId=key["KeyId"], GrantId="bad") == (
        "InvalidGrantIdException",
        "Grant ID bad is not valid.",
    )
    # The grant belongs to one key only.
    other = kms.create_key()["KeyMetadata"]
    again = grant(kms, key["KeyId"])
    assert fails(kms.revoke_grant, KeyId=other["KeyId"], GrantId=again["GrantId"])[0] == "NotFoundException"
    missing = "11111111-2222-3333-4444-555555555555"
    assert fails(kms.revoke_grant, KeyId=missing, GrantId=again["GrantId"])[0] == "NotFoundException"
    raw = kms_mock.client("kms", config=NO_VALIDATION)
    assert fails(raw.revoke_grant, KeyId=key["KeyId"]) == (
        "ValidationException",
        "1 validation error detected: Value null at 'grantId' failed to satisfy constraint: Member must not be null",
    )
    assert fails(raw.revoke_grant, KeyId=key["KeyId"], GrantId=again["GrantId"], DryRun="yes")[0] == (
        "SerializationException"
    )


def test_retire_and_revoke_work_in_any_key_state(kms, key):
    first = grant(kms, key["KeyId"])
    second = grant(kms, key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.retire_grant(GrantToken=first["GrantToken"])
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=second["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


# -- grant tokens -----------------------------------------------------------------------


def test_grant_tokens_are_accepted_where_aws_accepts_them(kms, key):
    token = grant(kms, key["KeyId"], operations=["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "CreateGrant"])[
        "GrantToken"
    ]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data", GrantTokens=[token])["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, GrantTokens=[token, token])["Plaintext"] == b"data"
    kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", GrantTokens=[token])
    kms.describe_key(KeyId=key["KeyId"], GrantTokens=[token])
    grant(kms, key["KeyId"], GrantTokens=[token])


def test_malformed_grant_tokens_are_rejected(kms, key):
    expected = ("InvalidGrantTokenException", "The grant token is not valid.")
    assert fails(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=["garbage"]) == expected
    assert fails(kms.describe_key, KeyId=key["KeyId"], GrantTokens=["AQpAM2RhZTk1MGMy"]) == expected
    assert fails(grant, kms, key["KeyId"], GrantTokens=["e30"]) == expected  # base64url of "{}"
    good = grant(kms, key["KeyId"])["GrantToken"]
    assert fails(kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=16, GrantTokens=[good, "x"]) == expected
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1  # the failed CreateGrant created nothing


def test_a_token_is_only_valid_in_the_mock_state_that_issued_it():
    with mock_kms() as first:
        kms = first.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        token = grant(kms, key_id)["GrantToken"]
        kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=[token])
    with mock_kms() as second:
        kms = second.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        expected = ("InvalidGrantTokenException", "The grant token is not valid.")
        assert fails(kms.encrypt, KeyId=key_id, Plaintext=b"x", GrantTokens=[token]) == expected
        assert fails(kms.retire_grant, GrantToken=token) == expected


def test_token_of_a_retired_grant_is_still_a_token(kms, key):
    token = grant(kms, key["KeyId"])["GrantToken"]
    kms.retire_grant(GrantToken=token)
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=[token])  # accepted, grants nothing
    assert out["KeyId"] == key["Arn"]


# -- what a grant allows (black box, through IAM principals) ----------------------------


@pytest.fixture
def alice(kms_mock):
    return kms_mock.iam.create_user("alice")


@pytest.fixture
def bob(kms_mock):
    return kms_mock.iam.create_user("bob")


def access_denied(who, action: str, key_arn: str) -> tuple[str, str]:
    return (
        "AccessDeniedException",
        denied(who.arn, action, key_arn) + f" because no identity-based policy allows the {action} action",
    )


def ciphertext_access_denied(who, action: str) -> tuple[str, str]:
    """Decrypt without KeyId: AWS names "the resource associated with this ciphertext" (kms_spec.md §5.2)."""
    return (
        "AccessDeniedException",
        f"User: {who.arn} is not authorized to perform: {action} on the resource associated with this ciphertext"
        f" because no identity-based policy allows the {action} action",
    )


def test_grant_allows_exactly_its_operations_on_its_key(kms, key, alice):
    other_key = kms.create_key()["KeyMetadata"]
    client = alice.client("kms")
    assert fails(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == access_denied(alice, "kms:Encrypt", key["Arn"])
    grant(kms, key["KeyId"], grantee=alice.arn, operations=["Encrypt"])
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert fails(client.decrypt, CiphertextBlob=blob) == ciphertext_access_denied(alice, "kms:Decrypt")
    assert fails(client.decrypt, CiphertextBlob=blob, KeyId=key["KeyId"]) == access_denied(alice, "kms:Decrypt", key["Arn"])
    assert fails(client.describe_key, KeyId=key["KeyId"]) == access_denied(alice, "kms:DescribeKey", key["Arn"])
    assert fails(client.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256") == access_denied(
        alice, "kms:GenerateDataKey", key["Arn"]
    )
    assert fails(client.list_grants, KeyId=key["KeyId"]) == access_denied(alice, "kms:ListGrants", key["Arn"])
    assert fails(client.encrypt, KeyId=other_key["KeyId"], Plaintext=b"x") == access_denied(
        alice, "kms:Encrypt", other_key["Arn"]
    )
    grant(kms, key["KeyId"], grantee=alice.arn, operations=["Decrypt", "DescribeKey"])
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]


def test_grant_for_another_principal_does_not_help(kms, key, alice, bob):
    grant(kms, key["KeyId"], grantee=bob.arn, operations=["Encrypt"])
    assert fails(alice.client("kms").encrypt, KeyId=key["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"
    bob.client("kms").encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_retired_and_revoked_grants_stop_allowing(kms, key, alice):
    client = alice.client("kms")
    token = grant(kms, key["KeyId"], grantee=alice.arn, operations=["Encrypt"])["GrantToken"]
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=[token])
    kms.retire_grant(GrantToken=token)
    assert fails(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=[token])[0] == "AccessDeniedException"
    grant_id = grant(kms, key["KeyId"], grantee=alice.arn, operations=["Encrypt"])["GrantId"]
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant_id)
    assert fails(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"


def test_encryption_context_subset_constraint(kms, key, alice):
    grant(
        kms,
        key["KeyId"],
        grantee=alice.arn,
        operations=["Encrypt"],
        Constraints={"EncryptionContextSubset": {"Department": "Finance", "Classification": "Public"}},
    )
    client = alice.client("kms")
    for context in (
        {"Department": "Finance", "Classification": "Public"},
        {"Classification": "Public", "Department": "Finance"},
        {"Customer": "12345", "Department": "Finance", "Classification": "Public", "Purpose": "Test"},
        # Keys are compared case-insensitively in grant constraints (current API Reference).
        {"department": "Finance", "CLASSIFICATION": "Public"},
    ):
        client.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)
    for context in (
        {"Department": "Finance"},
        {"Department": "finance", "Classification": "public"},  # values are case-sensitive
        {"Classification": "Public", "Customer": "12345"},
        None,
    ):
        extra = {"EncryptionContext": context} if context is not None else {}
        assert fails(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x", **extra) == access_denied(
            alice, "kms:Encrypt", key["Arn"]
        )


def test_encryption_context_equals_constraint(kms, key, alice):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"Department": "IT"})["CiphertextBlob"]
    blob_more = kms.encrypt(
        KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"Department": "IT", "Purpose": "Test"}
    )["CiphertextBlob"]
    grant(kms, key["KeyId"], grantee=alice.arn, operations=["Decrypt"], Constraints={"EncryptionContextEquals": {"Department": "IT"}})
    client = alice.client("kms")
    assert client.decrypt(CiphertextBlob=blob, EncryptionContext={"Department": "IT"})["Plaintext"] == b"x"
    # The request passes the grant; the ciphertext's own context check is separate.
    assert fails(client.decrypt, CiphertextBlob=blob, EncryptionContext={"department": "IT"})[0] == (
        "InvalidCiphertextException"
    )
    assert fails(client.decrypt, CiphertextBlob=blob_more, EncryptionContext={"Department": "IT", "Purpose": "Test"}) == (
        ciphertext_access_denied(alice, "kms:Decrypt")
    )
    assert fails(client.decrypt, CiphertextBlob=blob, EncryptionContext={"Department": "it"})[0] == "AccessDeniedException"
    assert fails(client.decrypt, CiphertextBlob=blob)[0] == "AccessDeniedException"


def test_constraints_do_not_apply_to_describe_key(kms, key, alice):
    grant(
        kms,
        key["KeyId"],
        grantee=alice.arn,
        operations=["DescribeKey", "GenerateDataKey"],
        Constraints={"EncryptionContextEquals": {"a": "b"}},
    )
    client = alice.client("kms")
    client.describe_key(KeyId=key["KeyId"])
    client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"a": "b"})
    assert fails(client.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256")[0] == "AccessDeniedException"


def test_re_encrypt_needs_from_and_to(kms, alice):
    source = kms.create_key()["KeyMetadata"]
    destination = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"x", EncryptionContext={"s": "1"})["CiphertextBlob"]
    client = alice.client("kms")
    grant(kms, source["KeyId"], grantee=alice.arn, operations=["ReEncryptFrom"], Constraints={"EncryptionContextSubset": {"s": "1"}})
    assert fails(client.re_encrypt, CiphertextBlob=blob, SourceEncryptionContext={"s": "1"}, DestinationKeyId=destination["KeyId"]) == (
        access_denied(alice, "kms:ReEncryptTo", destination["Arn"])
    )
    grant(kms, destination["KeyId"], grantee=alice.arn, operations=["ReEncryptTo"], Constraints={"EncryptionContextSubset": {"d": "2"}})
    result = client.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"s": "1"},
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext={"d": "2"},
    )
    assert result["KeyId"] == destination["Arn"]
    assert fails(
        client.re_encrypt, CiphertextBlob=blob, SourceEncryptionContext={"s": "1"}, DestinationKeyId=destination["KeyId"]
    ) == access_denied(alice, "kms:ReEncryptTo", destination["Arn"])


def test_role_grantee_covers_its_sessions(kms_mock, kms, key):
    role = kms_mock.iam.create_role("app", path="/service/")
    session = role.session("worker")
    client = session.client("kms")
    assert fails(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"
    grant(kms, key["KeyId"], grantee=role.arn, operations=["Encrypt"])
    client.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    # A grant naming one session does not cover another session of the role.
    other_key = kms.create_key()["KeyMetadata"]
    grant(kms, other_key["KeyId"], grantee=session.arn, operations=["Encrypt"])
    client.encrypt(KeyId=other_key["KeyId"], Plaintext=b"x")
    assert fails(role.session("other").client("kms").encrypt, KeyId=other_key["KeyId"], Plaintext=b"x")[0] == (
        "AccessDeniedException"
    )


def test_grants_made_through_a_grant_are_at_most_as_permissive(kms, key, alice, bob):
    grant(
        kms,
        key["KeyId"],
        grantee=alice.arn,
        operations=["Encrypt", "Decrypt", "CreateGrant"],
        Constraints={"EncryptionContextSubset": {"Department": "IT"}},
    )
    client = alice.client("kms")
    denied_create = access_denied(alice, "kms:CreateGrant", key["Arn"])

    def create(operations, constraints=None):
        extra = {"Constraints": constraints} if constraints is not None else {}
        return grant(client, key["KeyId"], grantee=bob.arn, operations=operations, **extra)

    # Subset of operations, equally strict or stricter constraints: allowed.
    create(["Decrypt"], {"EncryptionContextSubset": {"Department": "IT"}})
    create(["Decrypt", "CreateGrant"], {"EncryptionContextSubset": {"department": "IT", "Purpose": "Test"}})
    create(["Encrypt"], {"EncryptionContextEquals": {"Department": "IT"}})
    # Operations the parent grant does not have: denied.
    assert fails(create, ["GenerateDataKey"], {"EncryptionContextSubset": {"Department": "IT"}}) == denied_create
    assert fails(create, ["Decrypt", "DescribeKey"], {"EncryptionContextSubset": {"Department": "IT"}}) == denied_create
    # Looser constraints: denied.
    assert fails(create, ["Decrypt"]) == denied_create
    assert fails(create, ["Decrypt"], {"EncryptionContextSubset": {"Purpose": "Test"}}) == denied_create
    assert fails(create, ["Decrypt"], {"EncryptionContextSubset": {"Department": "it"}}) == denied_create
    assert fails(create, ["Decrypt"], {"EncryptionContextEquals": {"Purpose": "Test"}}) == denied_create
    assert len(kms.list_grants(KeyId=key["KeyId"], GranteePrincipal=bob.arn)["Grants"]) == 3


def test_equals_parent_cannot_create_subset_children(kms, key, alice, bob):
    grant(
        kms,
        key["KeyId"],
        grantee=alice.arn,
        operations=["Decrypt", "CreateGrant"],
        Constraints={"EncryptionContextEquals": {"Department": "IT"}},
    )
    client = alice.client("kms")
    grant(client, key["KeyId"], grantee=bob.arn, operations=["Decrypt"], Constraints={"EncryptionContextEquals": {"DEPARTMENT": "IT"}})
    for constraints in (
        {"EncryptionContextSubset": {"Department": "IT"}},
        {"EncryptionContextEquals": {"Department": "IT", "Purpose": "Test"}},
    ):
        assert fails(grant, client, key["KeyId"], grantee=bob.arn, operations=["Decrypt"], Constraints=constraints) == (
            access_denied(alice, "kms:CreateGrant", key["Arn"])
        )


def test_policy_based_create_grant_can_grant_any_operation(kms_mock, kms, key, bob):
    admin = kms_mock.iam.create_user(
        "admin", policies=[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*"}]}]
    )
    created = grant(admin.client("kms"), key["KeyId"], grantee=bob.arn, operations=["Decrypt", "GenerateDataKey"])
    [entry] = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert entry["GrantId"] == created["GrantId"]
    assert entry["IssuingAccount"] == ROOT


def test_who_may_retire_a_grant(kms_mock, kms, key, alice, bob):
    carol = kms_mock.iam.create_user("carol")
    outsider = kms_mock.iam.create_user("mallory", account=OTHER)

    def fresh(**kwargs):
        return grant(kms, key["KeyId"], grantee=alice.arn, **kwargs)

    # The retiring principal.
    created = fresh(RetiringPrincipal=bob.arn)
    bob.client("kms").retire_grant(GrantToken=created["GrantToken"])
    # The grantee, when the grant allows RetireGrant.
    created = fresh(operations=["Encrypt", "RetireGrant"])
    alice.client("kms").retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])
    # The grantee without RetireGrant, and someone else in the account without IAM permission: no.
    created = fresh(RetiringPrincipal=bob.arn)
    assert fails(alice.client("kms").retire_grant, GrantToken=created["GrantToken"]) == access_denied(
        alice, "kms:RetireGrant", key["Arn"]
    )
    assert fails(carol.client("kms").retire_grant, GrantToken=created["GrantToken"])[0] == "AccessDeniedException"
    # Someone in another account: no.
    assert fails(outsider.client("kms").retire_grant, GrantToken=created["GrantToken"]) == (
        "AccessDeniedException",
        denied(outsider.arn, "kms:RetireGrant", key["Arn"]),
    )
    # The account in which the grant was created.
    kms.retire_grant(GrantToken=created["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    # A principal the account delegated kms:RetireGrant to in IAM.
    created = fresh()
    kms_mock.iam.attach_policy(
        carol, {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:RetireGrant", "Resource": "*"}]}
    )
    carol.client("kms").retire_grant(GrantToken=created["GrantToken"])


def test_cross_account_retiring_principal_can_retire(kms_mock, kms, key):
    outsider = kms_mock.iam.create_user("retirer", account=OTHER)
    created = grant(kms, key["KeyId"], RetiringPrincipal=outsider.arn)
    client = outsider.client("kms")
    # kms:ListRetirableGrants is an IAM permission: the user has none.
    assert fails(client.list_retirable_grants, RetiringPrincipal=outsider.arn)[0] == "AccessDeniedException"
    # ListRetirableGrants lists grants in the caller's region, across accounts: the key is in
    # the default account, the retiring principal in OTHER.
    kms_root_other = kms_mock.iam.root(OTHER).client("kms")
    assert [g["GrantId"] for g in kms_root_other.list_retirable_grants(RetiringPrincipal=outsider.arn)["Grants"]] == [
        created["GrantId"]
    ]
    client.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_revoke_needs_kms_revoke_grant(kms, key, alice):
    created = grant(kms, key["KeyId"], grantee=alice.arn, operations=["Encrypt", "RetireGrant"])
    assert fails(alice.client("kms").revoke_grant, KeyId=key["KeyId"], GrantId=created["GrantId"]) == access_denied(
        alice, "kms:RevokeGrant", key["Arn"]
    )
    assert fails(alice.client("kms").revoke_grant, KeyId=key["KeyId"], GrantId=created["GrantId"], DryRun=True)[0] == (
        "AccessDeniedException"
    )
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"])


def test_create_grant_dry_run_checks_authorization(kms, key, alice):
    assert fails(grant, alice.client("kms"), key["KeyId"], DryRun=True) == access_denied(
        alice, "kms:CreateGrant", key["Arn"]
    )


# -- grant_allows and the constraint rules, directly ------------------------------------


def test_grant_allows_interface(kms_mock, kms, key):
    grant(kms, key["KeyId"], grantee=ALICE, operations=["Encrypt", "CreateGrant"], Constraints={"EncryptionContextSubset": {"A": "1"}})
    grant(kms, key["KeyId"], grantee=f"arn:aws:iam::{ACCOUNT}:role/app", operations=["DescribeKey"])
    stored = kms_mock.backend.region(ACCOUNT, "us-east-1").keys[key["KeyId"]]
    alice = Caller(ALICE, ACCOUNT)
    session = Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1", ACCOUNT)
    now = kms_mock.clock.now()
    assert grant_allows(stored, alice, "Encrypt", {"a": "1"}, None, now)
    assert not grant_allows(stored, alice, "Encrypt", {"A": "2"}, None, now)
    assert not grant_allows(stored, alice, "Decrypt", {"A": "1"}, None, now)
    assert not grant_allows(stored, session, "Encrypt", {"A": "1"}, None, now)
    assert grant_allows(stored, session, "DescribeKey", None, ["token"], now)
    assert not grant_allows(stored, Caller(BOB, ACCOUNT), "DescribeKey", None, None, now)
    # CreateGrant: without a pending request, any CreateGrant grant answers; with one, the
    # subset/stricter rules apply.
    assert grant_allows(stored, alice, "CreateGrant", None, None, now)
    with creating_grant(["Encrypt"], GrantConstraints(encryption_context_subset={"a": "1", "b": "2"})):
        assert grant_allows(stored, alice, "CreateGrant", None, None, now)
    with creating_grant(["Encrypt"], None):
        assert not grant_allows(stored, alice, "CreateGrant", None, None, now)
    with creating_grant(["Decrypt"], GrantConstraints(encryption_context_subset={"A": "1"})):
        assert not grant_allows(stored, alice, "CreateGrant", None, None, now)


def test_constraint_helpers():
    assert context_includes({"Dept": "IT", "x": "y"}, {"dept": "IT"})
    assert not context_includes({"Dept": "it"}, {"Dept": "IT"})
    assert not context_includes(None, {"a": "b"})
    assert context_includes(None, {})
    assert context_equals({"A": "1", "b": "2"}, {"a": "1", "B": "2"})
    assert not context_equals({"a": "1", "b": "2"}, {"a": "1"})
    assert context_equals(None, {})
    subset = GrantConstraints(encryption_context_subset={"a": "1"})
    equals = GrantConstraints(encryption_context_equals={"a": "1"})
    assert constraints_at_least_as_strict(subset, None)
    assert not constraints_at_least_as_strict(None, subset)
    assert constraints_at_least_as_strict(equals, subset)
    assert not constraints_at_least_as_strict(subset, equals)
    assert constraints_at_least_as_strict(GrantConstraints(encryption_context_subset={"A": "1", "b": "2"}), subset)
    assert not constraints_at_least_as_strict(GrantConstraints(encryption_context_equals={"b": "2"}), subset)
    source = GrantConstraints(source_arn="arn:aws:s3:::bucket")
    assert not constraints_at_least_as_strict(subset, source)
    # SourceArn never holds for mock requests; RetireGrant ignores every constraint.
    assert not source.allows("DescribeKey", None)
    assert source.allows("RetireGrant", None)
    assert equals.allows("DescribeKey", {"other": "x"})


def test_principal_matching():
    role = f"arn:aws:iam::{ACCOUNT}:role/path/app"
    session = Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s", ACCOUNT)
    assert principal_matches(role, session)
    assert not principal_matches(f"arn:aws:iam::{OTHER}:role/app", session)
    assert not principal_matches(f"arn:aws:iam::{ACCOUNT}:role/other", session)
    assert principal_matches(ACCOUNT, Caller(ROOT, ACCOUNT))
    assert not principal_matches(ACCOUNT, Caller(ALICE, ACCOUNT))
    assert not principal_matches(ROOT, Caller(ALICE, ACCOUNT))
    assert not principal_matches(None, Caller(ALICE, ACCOUNT))
