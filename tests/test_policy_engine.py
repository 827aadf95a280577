"""Unit tests for the IAM policy language evaluator (mock_kms.iam.policy)."""

from __future__ import annotations

import dataclasses
import json
import timeit
from datetime import datetime, timezone

import pytest

from mock_kms.core.errors import MalformedPolicyDocumentException
from mock_kms.iam.policy import (
    Decision,
    EvaluationResult,
    RequestContext,
    evaluate,
    parse_policy,
    principal_matches,
)

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
USER = f"arn:aws:iam::{ACCOUNT}:user/MyKeyUser"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/KeyRole"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/KeyRole/session-1"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

DEFAULT_KEY_POLICY = (
    '{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",'
    '"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}'
)


def ctx(
    action: str = "kms:Encrypt",
    resource: str = KEY_ARN,
    principal: str = USER,
    account: str = ACCOUNT,
    aliases: tuple[str, ...] = (),
    **values,
) -> RequestContext:
    # keyword arguments use "__" for ":" and "_s_" for "/" so tests can pass condition keys
    cond = {k.replace("__", ":").replace("_s_", "/"): v for k, v in values.items()}
    return RequestContext(action, resource, principal, account, aliases, cond)


def policy(*statements: dict, kind: str = "key", version: str | None = "2012-10-17"):
    doc: dict = {"Statement": list(statements)}
    if version:
        doc["Version"] = version
    return parse_policy(json.dumps(doc), kind=kind)  # type: ignore[arg-type]


def stmt(effect: str = "Allow", principal=None, action="kms:*", resource="*", condition=None, **extra) -> dict:
    out: dict = {"Effect": effect, "Principal": {"AWS": USER} if principal is None else principal, "Action": action, "Resource": resource}
    if condition is not None:
        out["Condition"] = condition
    out.update(extra)
    return out


def decide(pol, context: RequestContext) -> Decision:
    return evaluate(pol, context).decision


def cond_allows(condition: dict, **values) -> bool:
    """Does an Allow statement with this Condition apply to a request with these values?"""
    pol = policy(stmt(condition=condition))
    context = RequestContext("kms:Encrypt", KEY_ARN, USER, ACCOUNT, (), values)
    return decide(pol, context) is Decision.ALLOW


# --------------------------------------------------------------------------------------
# Default key policy and principals
# --------------------------------------------------------------------------------------


def test_default_key_policy_matches_user_via_account_principal():
    pol = parse_policy(DEFAULT_KEY_POLICY)
    assert pol.id == "key-default-1" and pol.version == "2012-10-17" and pol.kind == "key"
    result = evaluate(pol, ctx())
    assert result == EvaluationResult(Decision.ALLOW, True, "Enable IAM User Permissions")
    assert result.allowed and not result.denied
    assert principal_matches(pol.statements[0], ctx()) == "account"


def test_default_key_policy_root_user_is_direct():
    result = evaluate(parse_policy(DEFAULT_KEY_POLICY), ctx(principal=ROOT))
    assert result.decision is Decision.ALLOW and result.matched_account_principal_only is False


def test_default_key_policy_other_account_not_applicable():
    result = evaluate(parse_policy(DEFAULT_KEY_POLICY), ctx(principal=f"arn:aws:iam::{OTHER}:user/X", account=OTHER))
    assert result.decision is Decision.NOT_APPLICABLE


def test_default_key_policy_pretty_printed_form():
    pretty = json.dumps(json.loads(DEFAULT_KEY_POLICY), indent=2, separators=(",", " : "))
    assert evaluate(parse_policy(pretty), ctx()).matched_account_principal_only


@pytest.mark.parametrize(
    "principal, caller, expected",
    [
        ("*", USER, "direct"),
        ({"AWS": "*"}, USER, "direct"),
        ({"AWS": ACCOUNT}, USER, "account"),
        ({"AWS": ROOT}, USER, "account"),
        ({"AWS": ACCOUNT}, ROOT, "direct"),
        ({"AWS": USER}, USER, "direct"),
        ({"AWS": USER}, f"arn:aws:iam::{ACCOUNT}:user/Other", None),
        ({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/Other", USER]}, USER, "direct"),
        ({"AWS": [OTHER, USER]}, USER, "direct"),
        ({"AWS": OTHER}, USER, None),
        ({"AWS": ROLE}, SESSION, "direct"),  # via alias (the session's role)
        ({"AWS": SESSION}, SESSION, "direct"),
        ({"Service": "dynamodb.amazonaws.com"}, USER, None),
        ({"Service": "dynamodb.amazonaws.com"}, "dynamodb.amazonaws.com", "direct"),
        ({"AWS": [OTHER], "Service": ["s3.amazonaws.com"]}, USER, None),
    ],
)
def test_principal_forms(principal, caller, expected):
    pol = policy(stmt(principal=principal))
    aliases = (ROLE,) if caller == SESSION else ()
    assert principal_matches(pol.statements[0], ctx(principal=caller, aliases=aliases)) == expected
    result = evaluate(pol, ctx(principal=caller, aliases=aliases))
    if expected is None:
        assert result.decision is Decision.NOT_APPLICABLE
    else:
        assert result.decision is Decision.ALLOW
        assert result.matched_account_principal_only is (expected == "account")


def test_direct_allow_wins_over_account_allow():
    pol = policy(stmt(principal={"AWS": ROOT}, Sid="acct"), stmt(principal={"AWS": USER}, Sid="user"))
    assert evaluate(pol, ctx()) == EvaluationResult(Decision.ALLOW, False, "user")


def test_deny_via_account_principal_denies_users():
    pol = policy(stmt(principal={"AWS": USER}), stmt("Deny", principal={"AWS": ACCOUNT}, action="kms:Decrypt"))
    assert decide(pol, ctx("kms:Decrypt")) is Decision.DENY
    assert decide(pol, ctx("kms:Encrypt")) is Decision.ALLOW


def test_not_principal():
    # Deny everyone except the user; the account must be listed too, as in the IAM docs.
    raw = {"Effect": "Deny", "NotPrincipal": {"AWS": [USER, ROOT]}, "Action": "kms:*", "Resource": "*"}
    pol = policy(raw)
    assert decide(pol, ctx()) is Decision.NOT_APPLICABLE
    assert decide(pol, ctx(principal=f"arn:aws:iam::{ACCOUNT}:user/Other")) is Decision.DENY
    # Naming only the user leaves the account matched: the Deny applies.
    only_user = policy({"Effect": "Deny", "NotPrincipal": {"AWS": USER}, "Action": "kms:*", "Resource": "*"})
    assert decide(only_user, ctx()) is Decision.DENY
    # Session excluded through its role alias plus the account.
    role = policy({"Effect": "Deny", "NotPrincipal": {"AWS": [ROLE, ACCOUNT]}, "Action": "kms:*", "Resource": "*"})
    assert decide(role, ctx(principal=SESSION, aliases=(ROLE,))) is Decision.NOT_APPLICABLE


def test_check_principal_false_ignores_principal():
    pol = policy(stmt(principal={"AWS": OTHER}))
    assert decide(pol, ctx()) is Decision.NOT_APPLICABLE
    assert evaluate(pol, ctx(), check_principal=False).decision is Decision.ALLOW


# --------------------------------------------------------------------------------------
# Actions and resources
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, requested, applies",
    [
        ("kms:*", "kms:Encrypt", True),
        ("*", "kms:Encrypt", True),
        ("kms:Encrypt", "kms:Encrypt", True),
        ("KMS:encrypt", "kms:Encrypt", True),
        ("kms:Encrypt", "KMS:ENCRYPT", True),
        ("kms:ReEncrypt*", "kms:ReEncryptFrom", True),
        ("kms:reencrypt*", "kms:ReEncryptTo", True),
        ("kms:GenerateDataKey*", "kms:GenerateDataKeyPairWithoutPlaintext", True),
        ("kms:*Key", "kms:DescribeKey", True),
        ("kms:*Key", "kms:DescribeKeys", False),
        ("kms:Get?eyPolicy", "kms:GetKeyPolicy", True),
        ("kms:Get?eyPolicy", "kms:GetKeysPolicy", False),
        ("kms:Encrypt", "kms:Decrypt", False),
        ("kms:Encrypt", "kms:EncryptX", False),
        ("s3:*", "kms:Encrypt", False),
        (["kms:Decrypt", "kms:Encrypt"], "kms:Encrypt", True),
    ],
)
def test_action_wildcards(action, requested, applies):
    pol = policy(stmt(action=action))
    assert (decide(pol, ctx(requested)) is Decision.ALLOW) is applies


def test_not_action():
    pol = policy({"Effect": "Allow", "Principal": {"AWS": USER}, "NotAction": ["kms:ScheduleKeyDeletion", "kms:Put*"], "Resource": "*"})
    assert decide(pol, ctx("kms:Encrypt")) is Decision.ALLOW
    assert decide(pol, ctx("kms:ScheduleKeyDeletion")) is Decision.NOT_APPLICABLE
    assert decide(pol, ctx("kms:putkeypolicy")) is Decision.NOT_APPLICABLE


@pytest.mark.parametrize(
    "resource, requested, applies",
    [
        ("*", KEY_ARN, True),
        ("*", "*", True),
        (KEY_ARN, KEY_ARN, True),
        (KEY_ARN.upper(), KEY_ARN, False),  # resources are case-sensitive
        (f"arn:aws:kms:*:{ACCOUNT}:key/*", KEY_ARN, True),
        (f"arn:aws:kms:us-west-2:{ACCOUNT}:key/*", KEY_ARN, False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/*", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app", True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/ap?", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app", True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/ap?", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/apps", False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*", "*", False),
        ([f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/x", KEY_ARN], KEY_ARN, True),
    ],
)
def test_resource_wildcards(resource, requested, applies):
    pol = policy(stmt(resource=resource))
    assert (decide(pol, ctx(resource=requested)) is Decision.ALLOW) is applies


def test_not_resource():
    pol = policy({"Effect": "Deny", "Principal": "*", "Action": "kms:*", "NotResource": f"arn:aws:kms:*:{ACCOUNT}:key/*"})
    assert decide(pol, ctx()) is Decision.NOT_APPLICABLE
    assert decide(pol, ctx(resource=f"arn:aws:kms:us-east-1:{OTHER}:key/x")) is Decision.DENY


def test_key_policy_statement_without_action_or_resource_is_accepted_but_inert():
    pol = policy({"Effect": "Allow", "Principal": "*", "Resource": "*"}, {"Effect": "Allow", "Principal": "*", "Action": "kms:*"})
    assert len(pol.statements) == 2 and not any(s.effective for s in pol.statements)
    assert decide(pol, ctx()) is Decision.NOT_APPLICABLE


# --------------------------------------------------------------------------------------
# Decision within one policy
# --------------------------------------------------------------------------------------


def test_deny_beats_allow_and_not_applicable():
    pol = policy(stmt(Sid="a"), stmt("Deny", action="kms:Decrypt", Sid="d"))
    assert evaluate(pol, ctx("kms:Decrypt")) == EvaluationResult(Decision.DENY, False, "d")
    assert evaluate(pol, ctx("kms:Encrypt")).decision is Decision.ALLOW
    assert evaluate(policy(stmt(action="kms:Decrypt")), ctx()).decision is Decision.NOT_APPLICABLE


def test_single_statement_object_and_no_version():
    doc = json.dumps({"Statement": stmt()})
    assert decide(parse_policy(doc), ctx()) is Decision.ALLOW


def test_identity_policy():
    pol = policy({"Effect": "Allow", "Action": "kms:Encrypt", "Resource": KEY_ARN}, kind="identity")
    assert pol.kind == "identity"
    assert evaluate(pol, ctx()).decision is Decision.ALLOW  # check_principal defaults to False
    assert evaluate(pol, ctx()).matched_account_principal_only is False
    assert evaluate(pol, ctx(resource=KEY_ARN + "x")).decision is Decision.NOT_APPLICABLE


# --------------------------------------------------------------------------------------
# Condition operators
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "operator, policy_value, request_value, expected",
    [
        ("StringEquals", "it", "it", True),
        ("StringEquals", "it", "IT", False),
        ("StringEquals", ["hr", "it"], "it", True),  # values are OR'ed
        ("StringNotEquals", "it", "hr", True),
        ("StringNotEquals", "it", "it", False),
        ("StringNotEquals", ["hr", "it"], "it", False),  # NOR
        ("StringEqualsIgnoreCase", "IT", "it", True),
        ("StringEqualsIgnoreCase", "IT", "hr", False),
        ("StringNotEqualsIgnoreCase", "IT", "it", False),
        ("StringNotEqualsIgnoreCase", "IT", "hr", True),
        ("StringLike", "i*", "it", True),
        ("StringLike", "i?", "it", True),
        ("StringLike", "i?", "itx", False),
        ("StringLike", "I*", "it", False),  # case-sensitive
        ("StringNotLike", "h*", "it", True),
        ("StringNotLike", "i*", "it", False),
        ("NumericEquals", "10", "10", True),
        ("NumericEquals", 10, 10, True),
        ("NumericEquals", "10", "11", False),
        ("NumericNotEquals", "10", 11, True),
        ("NumericNotEquals", "10", 10, False),
        ("NumericLessThan", "10", 9, True),
        ("NumericLessThan", "10", 10, False),
        ("NumericLessThanEquals", "10", 10, True),
        ("NumericLessThanEquals", "10", 11, False),
        ("NumericGreaterThan", "10", "10.5", True),
        ("NumericGreaterThan", "10", 10, False),
        ("NumericGreaterThanEquals", "10", 10, True),
        ("NumericGreaterThanEquals", "10", 9, False),
        ("NumericEquals", "10", "ten", False),
        ("DateEquals", "2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=timezone.utc), True),
        ("DateEquals", "1704067200", "2024-01-01T00:00:00Z", True),  # epoch seconds
        ("DateEquals", "2024-01-01", datetime(2024, 1, 1), True),  # naive = UTC
        ("DateEquals", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", False),
        ("DateNotEquals", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", True),
        ("DateNotEquals", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", False),
        ("DateLessThan", "2024-01-01T00:00:00Z", "2023-12-31T23:59:59Z", True),
        ("DateLessThan", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", False),
        ("DateLessThanEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", True),
        ("DateLessThanEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", False),
        ("DateGreaterThan", "2024-01-01T00:00:00Z", 1704067201, True),
        ("DateGreaterThan", "2024-01-01T00:00:00Z", 1704067200, False),
        ("DateGreaterThanEquals", "2024-01-01T00:00:00Z", 1704067200, True),
        ("DateGreaterThanEquals", "2024-01-01T00:00:00Z", 1704067199, False),
        ("Bool", "true", True, True),
        ("Bool", True, "TRUE", True),
        ("Bool", "true", False, False),
        ("Bool", False, "false", True),
        ("BinaryEquals", "QmluYXJ5", b"Binary", True),
        ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", True),
        ("BinaryEquals", "QmluYXJ5", b"Other", False),
        ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
        ("IpAddress", "203.0.113.0/24", "198.51.100.7", False),
        ("IpAddress", "2001:db8::/32", "2001:db8::1", True),
        ("IpAddress", "203.0.113.5", "203.0.113.5", True),
        ("IpAddress", "203.0.113.0/24", "not-an-ip", False),
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.7", True),
        ("NotIpAddress", "203.0.113.0/24", "203.0.113.7", False),
        ("ArnEquals", ROLE, ROLE, True),
        ("ArnEquals", f"arn:aws:iam::{ACCOUNT}:role/*", ROLE, True),
        ("ArnLike", "arn:aws:iam::*:role/Key*", ROLE, True),
        ("ArnLike", "arn:aws:iam::*:role/Key*", USER, False),
        ("ArnLike", "arn:aws:*:us-east-1:*:*", "arn:aws:kms:us-east-1:1:key/x", True),
        # a wildcard in one ARN part does not run into the next part
        ("ArnLike", "arn:aws:kms:us*:1:key/x", "arn:aws:kms:us-east-1:2:1:key/x", False),
        ("StringLike", "arn:aws:kms:us*:1:key/x", "arn:aws:kms:us-east-1:2:1:key/x", True),
        ("ArnLike", "arn:aws:kms:us-east-1:1:key/*", "arn:aws:kms:us-east-1:1:key/a:b", True),
        ("ArnLike", "*", ROLE, True),
        ("ArnNotEquals", ROLE, USER, True),
        ("ArnNotEquals", ROLE, ROLE, False),
        ("ArnNotLike", "arn:aws:iam::*:user/*", ROLE, True),
        ("ArnNotLike", "arn:aws:iam::*:role/*", ROLE, False),
    ],
)
def test_operator(operator, policy_value, request_value, expected):
    assert cond_allows({operator: {"test:Key": policy_value}}, **{"test:Key": request_value}) is expected


@pytest.mark.parametrize(
    "operator, expected",
    [
        ("StringEquals", False),
        ("StringNotEquals", True),  # negated operators match a missing key
        ("StringEqualsIgnoreCase", False),
        ("StringNotEqualsIgnoreCase", True),
        ("StringLike", False),
        ("StringNotLike", True),
        ("NumericEquals", False),
        ("NumericNotEquals", True),
        ("NumericLessThan", False),
        ("DateEquals", False),
        ("DateNotEquals", True),
        ("DateGreaterThan", False),
        ("Bool", False),
        ("BinaryEquals", False),
        ("IpAddress", False),
        ("NotIpAddress", True),
        ("ArnEquals", False),
        ("ArnLike", False),
        ("ArnNotEquals", True),
        ("ArnNotLike", True),
    ],
)
def test_missing_key(operator, expected):
    value = {"Bool": "true", "BinaryEquals": "QQ==", "IpAddress": "10.0.0.0/8", "NotIpAddress": "10.0.0.0/8"}.get(
        operator, "1"
    )
    assert cond_allows({operator: {"test:Key": value}}) is expected
    assert cond_allows({operator: {"test:Key": value}}, **{"test:Key": None}) is expected
    # ...IfExists: a missing key always matches
    assert cond_allows({operator + "IfExists": {"test:Key": value}}) is True


def test_if_exists_with_present_key_behaves_like_operator():
    assert cond_allows({"StringEqualsIfExists": {"test:Key": "a"}}, **{"test:Key": "a"}) is True
    assert cond_allows({"StringEqualsIfExists": {"test:Key": "a"}}, **{"test:Key": "b"}) is False
    assert cond_allows({"NumericLessThanIfExists": {"test:Key": "5"}}, **{"test:Key": 7}) is False


def test_null():
    assert cond_allows({"Null": {"test:Key": "true"}}) is True
    assert cond_allows({"Null": {"test:Key": True}}, **{"test:Key": "x"}) is False
    assert cond_allows({"Null": {"test:Key": "false"}}, **{"test:Key": "x"}) is True
    assert cond_allows({"Null": {"test:Key": False}}) is False
    assert cond_allows({"Null": {"test:Key": "true"}}, **{"test:Key": []}) is True  # empty list = absent


def test_multiple_keys_and_operators_are_anded():
    condition = {"StringEquals": {"a:one": "1", "a:two": "2"}, "Bool": {"a:three": "true"}}
    assert cond_allows(condition, **{"a:one": "1", "a:two": "2", "a:three": True}) is True
    assert cond_allows(condition, **{"a:one": "1", "a:two": "x", "a:three": True}) is False
    assert cond_allows(condition, **{"a:one": "1", "a:two": "2", "a:three": False}) is False


def test_condition_keys_case_insensitive():
    # The whole key, including the context-key part of kms:EncryptionContext:<key>, is
    # case-insensitive [KMS DG: "Case sensitivity of the encryption context condition"].
    condition = {"StringEquals": {"KMS:EncryptionContext:AppName": "ExampleApp"}}
    assert cond_allows(condition, **{"kms:encryptioncontext:appname": "ExampleApp"}) is True
    assert cond_allows(condition, **{"kms:EncryptionContext:APPNAME": "ExampleApp"}) is True
    assert cond_allows(condition, **{"kms:EncryptionContext:AppName": "exampleapp"}) is False  # value is


def test_operator_names_and_set_prefix_case_insensitive():
    assert cond_allows({"stringequals": {"k:x": "a"}}, **{"k:x": "a"}) is True
    assert cond_allows({"forallvalues:StringEquals": {"k:x": "a"}}, **{"k:x": ["a"]}) is True


# --------------------------------------------------------------------------------------
# Set operators
# --------------------------------------------------------------------------------------

KEYS = "kms:EncryptionContextKeys"


@pytest.mark.parametrize(
    "operator, policy_value, request_value, expected",
    [
        ("ForAnyValue:StringEquals", ["AppName"], ["AppName", "Project"], True),
        ("ForAnyValue:StringEquals", ["AppName"], ["Project"], False),
        ("ForAnyValue:StringEquals", ["AppName"], None, False),  # missing -> false
        ("ForAnyValue:StringEquals", ["AppName"], [], False),
        ("ForAnyValue:StringEqualsIfExists", ["AppName"], None, True),
        ("ForAllValues:StringEquals", ["Department", "Project"], ["Department"], True),
        ("ForAllValues:StringEquals", ["Department", "Project"], ["Department", "Project"], True),
        ("ForAllValues:StringEquals", ["Department", "Project"], ["Department", "Stage"], False),
        ("ForAllValues:StringEquals", ["Department"], None, True),  # missing -> true
        ("ForAllValues:StringEquals", ["Department"], [], True),
        ("ForAllValues:StringLike", ["Dep*"], ["Department", "Deputy"], True),
        ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
        ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
        ("ForAllValues:StringNotEquals", ["a"], ["b", "c"], True),
        ("ForAllValues:StringNotEquals", ["a"], ["b", "a"], False),
        ("ForAnyValue:StringEquals", ["x"], "x", True),  # scalar request value = one value
    ],
)
def test_set_operators(operator, policy_value, request_value, expected):
    assert cond_allows({operator: {KEYS: policy_value}}, **{KEYS: request_value}) is expected


def test_plain_operator_on_multivalued_key():
    assert cond_allows({"StringEquals": {KEYS: "a"}}, **{KEYS: ["b", "a"]}) is True
    assert cond_allows({"StringNotEquals": {KEYS: "a"}}, **{KEYS: ["b", "a"]}) is False


def test_forallvalues_with_single_valued_key_rejected_in_key_policy():
    for key, what in (("kms:EncryptionContext:Department", "encryption context"), ("aws:RequestTag/env", "tag")):
        with pytest.raises(MalformedPolicyDocumentException) as err:
            policy(stmt(condition={"ForAllValues:StringEquals": {key: "IT"}}))
        assert err.value.message == (
            "OverlyPermissiveCondition: Using the ForAllValues set operator with a single-valued condition key "
            f"matches requests without the specified {what} or with an unspecified {what}. To fix, remove ForAllValues."
        )
        assert err.value.code == "MalformedPolicyDocumentException"
    # ForAnyValue is discouraged but accepted; identity policies are not checked by KMS.
    policy(stmt(condition={"ForAnyValue:StringEquals": {"kms:EncryptionContext:d": "IT"}}))
    policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContext:d": "IT"}}}, kind="identity")  # fmt: skip
    # and the multi-valued key is fine
    policy(stmt(condition={"ForAllValues:StringEquals": {KEYS: ["Department"]}}))


def test_encryption_context_example_from_kms_guide():
    condition = {
        "StringEquals": {"kms:EncryptionContext:Department": "IT", "kms:EncryptionContext:Project": "Alpha"},
        "ForAllValues:StringEquals": {KEYS: ["Department", "Project"]},
    }
    good = {"kms:EncryptionContext:Department": "IT", "kms:EncryptionContext:Project": "Alpha", KEYS: ["Department", "Project"]}
    assert cond_allows(condition, **good) is True
    extra = dict(good, **{"kms:EncryptionContext:Stage": "x", KEYS: ["Department", "Project", "Stage"]})
    assert cond_allows(condition, **extra) is False
    assert cond_allows(condition) is False


# --------------------------------------------------------------------------------------
# Policy variables
# --------------------------------------------------------------------------------------


def test_variable_in_condition_value():
    condition = {"StringEquals": {"kms:EncryptionContext:user": "${aws:username}"}}
    assert cond_allows(condition, **{"aws:username": "bob", "kms:EncryptionContext:user": "bob"}) is True
    assert cond_allows(condition, **{"aws:username": "bob", "kms:EncryptionContext:user": "alice"}) is False
    # unresolvable variable: the statement does not apply (neither Allow nor Deny)
    assert cond_allows(condition, **{"kms:EncryptionContext:user": "bob"}) is False
    deny = policy(stmt(), stmt("Deny", condition={"StringNotEquals": {"k:x": "${aws:username}"}}))
    assert decide(deny, ctx(k__x="a")) is Decision.ALLOW


def test_variable_default_value():
    condition = {"StringEquals": {"k:x": "${aws:username, 'nobody'}"}}
    assert cond_allows(condition, **{"k:x": "nobody"}) is True
    assert cond_allows(condition, **{"k:x": "bob", "aws:username": "bob"}) is True


def test_builtin_variables_and_tags():
    assert cond_allows({"StringEquals": {"k:x": "${aws:PrincipalAccount}"}}, **{"k:x": ACCOUNT}) is True
    assert cond_allows({"StringEquals": {"k:x": "${aws:PrincipalArn}"}}, **{"k:x": USER}) is True
    assert cond_allows({"StringEquals": {"k:x": "id-${aws:userid}"}}, **{"k:x": "id-AIDA1", "aws:userid": "AIDA1"}) is True
    cond = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    assert cond_allows(cond, **{"aws:ResourceTag/team": "red", "aws:PrincipalTag/team": "red"}) is True
    assert cond_allows(cond, **{"aws:ResourceTag/team": "red", "aws:PrincipalTag/team": "blue"}) is False


def test_variable_in_string_like_is_literal_but_policy_wildcards_count():
    condition = {"StringLike": {"k:x": "${aws:username}/*"}}
    assert cond_allows(condition, **{"aws:username": "bob", "k:x": "bob/file"}) is True
    assert cond_allows(condition, **{"aws:username": "b*", "k:x": "bob/file"}) is False  # value is literal
    assert cond_allows(condition, **{"aws:username": "b*", "k:x": "b*/file"}) is True


def test_escape_sequences():
    assert cond_allows({"StringLike": {"k:x": "a${*}b"}}, **{"k:x": "a*b"}) is True
    assert cond_allows({"StringLike": {"k:x": "a${*}b"}}, **{"k:x": "axxb"}) is False
    assert cond_allows({"StringLike": {"k:x": "a${?}"}}, **{"k:x": "a?"}) is True
    assert cond_allows({"StringLike": {"k:x": "a${?}"}}, **{"k:x": "ab"}) is False
    assert cond_allows({"StringEquals": {"k:x": "${$}{x}"}}, **{"k:x": "${x}"}) is True


def test_variable_in_resource():
    pol = policy(stmt(resource="arn:aws:kms:*:${aws:PrincipalAccount}:key/*"))
    assert decide(pol, ctx()) is Decision.ALLOW
    assert decide(pol, ctx(resource=f"arn:aws:kms:us-east-1:{OTHER}:key/x")) is Decision.NOT_APPLICABLE
    tagged = policy(stmt(resource=f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/${{aws:username}}-*"))
    alias = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/bob-app"
    assert decide(tagged, ctx(resource=alias, aws__username="bob")) is Decision.ALLOW
    assert decide(tagged, ctx(resource=alias, aws__username="alice")) is Decision.NOT_APPLICABLE
    assert decide(tagged, ctx(resource=alias)) is Decision.NOT_APPLICABLE  # unresolvable


def test_variables_only_in_2012_version():
    old = policy(stmt(condition={"StringEquals": {"k:x": "${aws:username}"}}), version="2008-10-17")
    assert decide(old, ctx(aws__username="bob", k__x="${aws:username}")) is Decision.ALLOW
    assert decide(old, ctx(aws__username="bob", k__x="bob")) is Decision.NOT_APPLICABLE


def test_arn_like_with_variable():
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}
    assert cond_allows(condition, **{"aws:SourceArn": ROLE}) is True
    assert cond_allows(condition, **{"aws:SourceArn": f"arn:aws:iam::{OTHER}:role/x"}) is False


# --------------------------------------------------------------------------------------
# Malformed documents
# --------------------------------------------------------------------------------------


def malformed(document, kind: str = "key") -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(MalformedPolicyDocumentException) as err:
        parse_policy(text, kind=kind)  # type: ignore[arg-type]
    assert err.value.code == "MalformedPolicyDocumentException"
    return err.value.message


def test_bad_json():
    # A key policy that is not JSON: AWS's message is empty (kms_spec.md §5.3).
    assert malformed('{"Statement": [') == ""
    assert malformed("") == ""
    # Identity policies (the mock's IAM) keep a readable text.
    assert malformed("", kind="identity") == "The policy document is not valid JSON."


@pytest.mark.parametrize(
    "document",
    [
        [],
        "just a string",
        {"Version": "2012-10-17"},  # no Statement
        {"Statement": "Allow"},  # not object/list
        {"Statement": ["Allow"]},  # list of non-objects
        {"Statement": [stmt(), 5]},
        {"Statement": [{"Principal": "*", "Action": "kms:*", "Resource": "*"}]},  # missing Effect
        {"Statement": [stmt(effect="allow")]},  # bad Effect (case-sensitive)
        {"Statement": [stmt(effect="Maybe")]},
        {"Statement": [stmt(NotAction="kms:Decrypt")]},  # both Action and NotAction
        {"Statement": [stmt(NotResource="*")]},
        {"Statement": [stmt(Unknown=1)]},
        {"Statement": [stmt(action="Encrypt")]},  # no service prefix
        {"Statement": [stmt(action=[])]},
        {"Statement": [stmt(resource=5)]},
        {"Statement": [stmt(condition={"StringEqualz": {"k:x": "a"}})]},
        {"Statement": [stmt(condition={"Maybe:StringEquals": {"k:x": "a"}})]},
        {"Statement": [stmt(condition={"StringEquals": "a"})]},
        {"Statement": [stmt(condition={"StringEquals": {"k:x": {"nested": 1}}})]},
        {"Statement": [stmt(condition={"Null": {"k:x": "maybe"}})]},
        {"Statement": [stmt(condition=["x"])]},
        {"Version": "2020-01-01", "Statement": [stmt()]},
        {"Statement": [stmt()], "Extra": 1},
        {"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]},  # key policy needs Principal
    ],
)
def test_malformed_key_policy(document):
    malformed(document)


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:iam::111122223333:user/X",  # bare string other than "*"
        {"AWS": "bob"},
        {"AWS": "11112222333"},
        {"AWS": f"arn:aws:iam::{ACCOUNT}:group/Admins"},  # groups are not principals
        {"AWS": f"arn:aws:iam::{ACCOUNT}:user/*"},  # no wildcards in principal ARNs
        {"AWS": []},
        {"AWS": [USER, 5]},
        {"Bogus": "x"},
        {},
    ],
)
def test_invalid_principals(principal):
    assert malformed({"Statement": [stmt(principal=principal)]}) == (
        "Policy contains a statement with one or more invalid principals."
    )


def test_principal_existence_check():
    doc = json.dumps({"Statement": [stmt(principal={"AWS": [USER, ROOT, OTHER]})]})
    parse_policy(doc, allow_unknown_principals=False, principal_exists=lambda arn: arn == USER)
    with pytest.raises(MalformedPolicyDocumentException, match="invalid principals"):
        parse_policy(doc, allow_unknown_principals=False, principal_exists=lambda arn: False)
    with pytest.raises(ValueError):
        parse_policy(doc, allow_unknown_principals=False)


def test_identity_policy_rules():
    assert malformed({"Statement": [stmt()]}, kind="identity") == "Policy document should not specify a principal."
    malformed({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": USER}, "Action": "kms:*", "Resource": "*"}]}, kind="identity")
    malformed({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, kind="identity")
    malformed({"Statement": [{"Effect": "Allow", "Action": "kms:*"}]}, kind="identity")


def test_policy_is_immutable_and_keeps_raw_text():
    pol = parse_policy(DEFAULT_KEY_POLICY)
    assert pol.raw == DEFAULT_KEY_POLICY
    with pytest.raises(dataclasses.FrozenInstanceError):
        pol.raw = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# Speed (informative; generous bound so it never flakes)
# --------------------------------------------------------------------------------------


def test_default_policy_evaluation_is_fast():
    pol = parse_policy(DEFAULT_KEY_POLICY)
    context = ctx()
    runs = 20000
    seconds = min(timeit.repeat(lambda: evaluate(pol, context), number=runs, repeat=3))
    micros = seconds / runs * 1e6
    print(f"evaluate(default key policy): {micros:.2f} us")
    assert micros < 100
