"""The principals API (``kms_mock.iam``): users, groups, roles and sessions, access keys,
identity policies, principal tags; how a request's caller is found; strict credentials."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from mock_kms import KmsMock, mock_kms
from mock_kms.core.errors import MalformedPolicyDocumentException
from mock_kms.iam.principals import AccountRoot, IdentityPolicy, RoleSession, User

A = "123456789012"
B = "444455556666"
REGION = "us-east-1"
DESCRIBE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}


def caller_of(kms_mock: KmsMock, client) -> str:
    try:
        client.list_keys()
    except ClientError as error:  # allowed or not, the journal shows who called
        assert error.response["Error"]["Code"] == "AccessDeniedException"
    return kms_mock.calls[-1].caller_arn


def test_users_groups_and_roles_have_aws_arns(iam_mock):
    iam = iam_mock.iam
    group = iam.create_group("admins")
    user = iam.create_user("alice", groups=[group])
    other = iam.create_user("bob", account=B, path="/engineering/")
    role = iam.create_role("app", path="/service-role/")
    assert group.arn == f"arn:aws:iam::{A}:group/admins"
    assert user.arn == f"arn:aws:iam::{A}:user/alice" and user.account == A
    assert other.arn == f"arn:aws:iam::{B}:user/engineering/bob" and other.account == B
    assert role.arn == f"arn:aws:iam::{A}:role/service-role/app"
    assert role.session("s-1").arn == f"arn:aws:sts::{A}:assumed-role/app/s-1"
    assert user.groups == [group] and group.users == [user]
    assert iam.get_user("alice") is user and iam.get_user("bob", account=B) is other
    assert iam.get_role("app") is role and iam.get_group("admins") is group
    assert {u.name for u in iam.users} == {"alice", "bob"}
    assert user.access_key_id.startswith("AKIA") and len(user.access_key_id) == 20
    assert role.session("s-1").access_key_id.startswith("ASIA") and role.session("s-1").session_token
    assert user.unique_id.startswith("AIDA") and role.unique_id.startswith("AROA")


@pytest.fixture
def iam_mock():
    with KmsMock() as mock:
        yield mock


def test_requests_are_made_as_the_principal_whose_key_signed_them(iam_mock):
    iam = iam_mock.iam
    iam.create_user(
        "alice",
        policies=[
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}
        ],
    )
    alice = iam.get_user("alice")
    assert caller_of(iam_mock, alice.client("kms", region_name=REGION)) == alice.arn
    # The same credentials through plain boto3.
    assert caller_of(iam_mock, boto3.client("kms", region_name=REGION, **alice.credentials)) == alice.arn
    role = iam.create_role("app", account=B)
    assert (
        caller_of(iam_mock, role.client("kms", region_name=REGION))
        == f"arn:aws:sts::{B}:assumed-role/app/mock-kms-session"
    )
    assert (
        caller_of(iam_mock, role.session("nightly").client("kms", region_name=REGION))
        == f"arn:aws:sts::{B}:assumed-role/app/nightly"
    )
    assert iam_mock.calls[-1].account == B
    assert caller_of(iam_mock, iam.root(B).client("kms", region_name=REGION)) == f"arn:aws:iam::{B}:root"
    # Unknown access keys (and the mock's own default credentials) are the default account's root.
    assert caller_of(iam_mock, iam_mock.client("kms", region_name=REGION)) == f"arn:aws:iam::{A}:root"
    unknown = boto3.client(
        "kms", region_name=REGION, aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x"
    )
    assert caller_of(iam_mock, unknown) == f"arn:aws:iam::{A}:root"


def test_identify_returns_the_principal(iam_mock):
    user = iam_mock.iam.create_user("alice")
    session = iam_mock.iam.create_role("app").session("s1")
    assert iam_mock.identify(user.access_key_id).principal is user
    assert isinstance(iam_mock.identify(session.access_key_id).principal, RoleSession)
    assert isinstance(iam_mock.iam.principal_for_access_key(iam_mock.iam.root().access_key_id), AccountRoot)
    default = iam_mock.identify("AKIAWHOEVER000000000")
    assert (default.arn, default.account, default.principal) == (f"arn:aws:iam::{A}:root", A, None)


def test_strict_credentials_reject_unknown_access_keys():
    with mock_kms(strict_credentials=True) as strict:
        unknown = boto3.client(
            "kms", region_name=REGION, aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x"
        )
        with pytest.raises(ClientError) as caught:
            unknown.list_keys()
        assert (caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]) == (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
        # Registered principals and the mock's own client work.
        user = strict.iam.create_user(
            "alice",
            policies=[
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}
            ],
        )
        user.client("kms", region_name=REGION).list_keys()
        strict.client("kms", region_name=REGION).list_keys()


def test_group_membership_and_policies(iam_mock):
    iam = iam_mock.iam
    kms = iam_mock.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    readers = iam.create_group("readers")
    alice = iam.create_user("alice")
    client = alice.client("kms", region_name=REGION)
    with pytest.raises(ClientError):
        client.describe_key(KeyId=key)
    iam.add_user_to_group(alice, readers)
    with pytest.raises(ClientError):
        client.describe_key(KeyId=key)
    policy = iam.attach_policy(readers, DESCRIBE)
    client.describe_key(KeyId=key)
    iam.detach_policy(readers, policy)
    with pytest.raises(ClientError):
        client.describe_key(KeyId=key)


def test_managed_policy_shared_by_identities(iam_mock):
    iam = iam_mock.iam
    key = iam_mock.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
    shared = iam.create_policy("DescribeKeys", json.dumps(DESCRIBE))
    assert isinstance(shared, IdentityPolicy) and shared.name == "DescribeKeys"
    user = iam.create_user("alice", policies=[shared])
    role = iam.create_role("app", policies=[shared])
    user.client("kms", region_name=REGION).describe_key(KeyId=key)
    role.client("kms", region_name=REGION).describe_key(KeyId=key)
    with pytest.raises(ValueError):
        iam.create_policy("DescribeKeys", DESCRIBE)


def test_identity_policies_are_validated_when_attached(iam_mock):
    iam = iam_mock.iam
    with pytest.raises(MalformedPolicyDocumentException, match="Policy document should not specify a principal."):
        iam.create_user(
            "alice",
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
                }
            ],
        )
    with pytest.raises(MalformedPolicyDocumentException):
        iam.create_role("app", policies=["{not json"])


def test_names_accounts_and_duplicates_are_checked(iam_mock):
    iam = iam_mock.iam
    iam.create_user("alice")
    with pytest.raises(ValueError):
        iam.create_user("alice")
    iam.create_user("alice", account=B)  # same name, another account
    for bad in ("", "has space", "x" * 129):
        with pytest.raises(ValueError):
            iam.create_user(bad)
    with pytest.raises(ValueError):
        iam.create_role("app", account="12345")
    with pytest.raises(KeyError):
        iam.create_user("bob", groups=["no-such-group"])
    group_b = iam.create_group("g", account=B)
    with pytest.raises(ValueError):
        iam.add_user_to_group("alice", group_b)  # alice of account A
    with pytest.raises(ValueError):
        iam.create_role("app2").session("x")  # session names are 2-64 characters


def test_principal_tags_and_session_tags(iam_mock):
    iam = iam_mock.iam
    user = iam.create_user("alice", tags={"team": "blue"})
    role = iam.create_role("app", tags={"team": "red", "stage": "dev"})
    assert dict(user.principal_tags) == {"team": "blue"}
    assert dict(role.session("plain").principal_tags) == {"team": "red", "stage": "dev"}
    assert dict(role.session("tagged", tags={"stage": "prod"}).principal_tags) == {"team": "red", "stage": "prod"}


def test_principal_facts_for_global_condition_keys(iam_mock):
    iam = iam_mock.iam
    user = iam.create_user("alice")
    role = iam.create_role("app")
    session = role.session("s1")
    root = iam.root()
    assert (user.principal_type, user.username, user.user_id, user.principal_arn) == (
        "User",
        "alice",
        user.unique_id,
        user.arn,
    )
    assert (session.principal_type, session.username, session.user_id, session.principal_arn) == (
        "AssumedRole", None, f"{role.unique_id}:s1", role.arn,
    )  # fmt: skip
    assert session.aliases == (role.arn,)
    assert (root.principal_type, root.user_id, root.arn) == ("Account", A, f"arn:aws:iam::{A}:root")


def test_each_mock_activation_starts_without_principals():
    with mock_kms() as first:
        first.iam.create_user("alice")
        key_id = first.iam.get_user("alice").access_key_id
    with mock_kms() as second:
        assert second.iam.users == [] and second.iam.principal_for_access_key(key_id) is None


def test_principal_exists_for_key_policy_validation(iam_mock):
    iam = iam_mock.iam
    assert iam.principal_exists(f"arn:aws:iam::{A}:user/anyone")  # nothing registered in A yet
    assert isinstance(iam.create_user("alice"), User)
    iam.create_role("app", path="/svc/")
    assert iam.principal_exists(f"arn:aws:iam::{A}:user/alice")
    assert not iam.principal_exists(f"arn:aws:iam::{A}:user/bob")
    assert iam.principal_exists(f"arn:aws:iam::{A}:role/svc/app")
    assert not iam.principal_exists(f"arn:aws:iam::{A}:role/app")  # the path is part of the ARN
    assert iam.principal_exists(f"arn:aws:sts::{A}:assumed-role/app/any-session")
    assert not iam.principal_exists(f"arn:aws:sts::{A}:assumed-role/other/any-session")
    assert iam.principal_exists(f"arn:aws:iam::{B}:user/bob")  # account B is unknown to the mock
