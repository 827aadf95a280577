"""The policy simulator (``kms_mock.iam.simulate``) and the decisions on denied call records.

The simulator must answer what a real request gets: the agreement test at the end makes the
request through boto3 for every (principal, action, key policy, encryption context) of a
table and compares.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms, tutorial
from mock_kms.core.errors import NotFoundException

A = "111122223333"
B = "444455556666"
REGION = "us-east-1"


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _key_statement(sid: str, principal, actions, effect="Allow", **extra) -> dict:
    return {"Sid": sid, "Effect": effect, "Principal": principal, "Action": actions, "Resource": "*", **extra}


ACCOUNT_STATEMENT = _key_statement("Enable IAM User Permissions", {"AWS": f"arn:aws:iam::{A}:root"}, "kms:*")


@pytest.fixture
def kms_mock():
    with mock_kms(account=A, region=REGION) as mock:
        yield mock


@pytest.fixture
def iam(kms_mock):
    return kms_mock.iam


def _create_key(kms_mock, policy: dict | None = None) -> dict:
    kwargs = {"Policy": json.dumps(policy), "BypassPolicyLockoutSafetyCheck": True} if policy else {}
    return kms_mock.client().create_key(**kwargs)["KeyMetadata"]


def _denied_message(call, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    return caught.value.response["Error"]["Message"]


# -- the tutorial's answers ------------------------------------------------------------------


@pytest.fixture
def tutorial_key():
    with mock_kms(account=tutorial.ACCOUNT, region=REGION) as mock:
        _, manager, user = tutorial.create_principals(mock.iam)
        key = manager.client().create_key(Policy=json.dumps(tutorial.KEY_POLICY))["KeyMetadata"]
        yield mock, manager, user, key


def test_implicit_deny_key_policy_delegates_to_the_account_but_no_identity_policy_allows(tutorial_key):
    mock, _, user, key = tutorial_key
    decision = mock.iam.simulate(user, "kms:ScheduleKeyDeletion", key["KeyId"])
    assert decision.allowed is False
    assert decision.decision == "implicitDeny"
    assert [(m.source, m.sid, m.effect) for m in decision.matched_statements] == [
        ("key policy", "Enable IAM User Permissions", "Allow")
    ]
    assert decision.missing_context_keys == ()
    assert str(decision) == (
        "Denied: the key policy allows the account, but no identity policy of "
        f"arn:aws:iam::{tutorial.ACCOUNT}:user/MyKeyUser allows kms:ScheduleKeyDeletion"
    )


def test_allowed_by_a_key_policy_statement_naming_the_user(tutorial_key):
    mock, manager, user, key = tutorial_key
    decision = mock.iam.simulate(user, "kms:Decrypt", key["Arn"])
    assert decision.allowed and decision.decision == "allowed"
    assert ("key policy", "Allow use of the key") in [(m.source, m.sid) for m in decision.matched_statements]
    assert str(decision) == f'Allowed: the key policy allows {tutorial.USER_ARN} (statement "Allow use of the key")'
    manager_decision = mock.iam.simulate(manager, "kms:Decrypt", key["KeyId"])
    assert manager_decision.decision == "implicitDeny"
    assert str(manager_decision).endswith(f"no identity policy of {tutorial.MANAGER_ARN} allows kms:Decrypt")


def test_account_level_actions_are_decided_by_identity_policies(tutorial_key):
    mock, manager, user, _ = tutorial_key
    decision = mock.iam.simulate(manager, "kms:ListKeys")
    assert decision.allowed
    assert [(m.source, m.kind) for m in decision.matched_statements] == [
        ("inline policy of group myKMSGroup", "identity policy")
    ]
    assert decision.resource == "*"
    assert str(decision) == f"Allowed: inline policy of group myKMSGroup allows kms:ListKeys for {tutorial.MANAGER_ARN}"
    denied = mock.iam.simulate(user, "CreateKey")  # the "kms:" prefix is optional
    assert (denied.action, denied.decision) == ("kms:CreateKey", "implicitDeny")
    assert str(denied) == f"Denied: no identity policy of {tutorial.USER_ARN} allows kms:CreateKey"


# -- identity policies, explicit denies, grants ------------------------------------------------


def test_allowed_by_a_named_identity_policy(kms_mock, iam):
    key = _create_key(kms_mock)
    users = iam.create_policy("KeyUsers", _policy(_allow(["kms:Encrypt", "kms:Decrypt"])))
    alice = iam.create_user("alice", policies=[users])
    decision = iam.simulate(alice, "kms:Encrypt", key["KeyId"])
    assert decision.allowed
    sources = [(m.source, m.kind, m.name) for m in decision.matched_statements]
    assert ("identity policy KeyUsers", "identity policy", "KeyUsers") in sources
    assert ("key policy", "key policy", None) in sources
    assert str(decision) == (
        'Allowed: the key policy allows the account (statement "Enable IAM User Permissions"), '
        f"and identity policy KeyUsers allows kms:Encrypt for arn:aws:iam::{A}:user/alice"
    )


def test_explicit_deny_in_an_identity_policy_wins(kms_mock, iam):
    key = _create_key(kms_mock)
    deny = iam.create_policy(
        "NoDecrypt", _policy({"Sid": "Never", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"})
    )
    alice = iam.create_user("alice", policies=[_policy(_allow("kms:*")), deny])
    decision = iam.simulate(alice, "kms:Decrypt", key["Arn"])
    assert decision.decision == "explicitDeny" and not decision.allowed
    assert ("identity policy NoDecrypt", "Never", "Deny") in [
        (m.source, m.sid, m.effect) for m in decision.matched_statements
    ]
    assert str(decision) == f"Denied: identity policy NoDecrypt explicitly denies kms:Decrypt for {alice.arn}"
    assert iam.simulate(alice, "kms:Encrypt", key["Arn"]).allowed


def test_explicit_deny_in_the_key_policy_wins_over_a_grant(kms_mock, iam):
    alice = iam.create_user("alice")
    key = _create_key(
        kms_mock,
        _policy(ACCOUNT_STATEMENT, _key_statement("NoAlice", {"AWS": alice.arn}, "kms:Decrypt", effect="Deny")),
    )
    kms_mock.client().create_grant(KeyId=key["KeyId"], GranteePrincipal=alice.arn, Operations=["Decrypt"])
    decision = iam.simulate(alice, "kms:Decrypt", key["KeyId"])
    assert decision.decision == "explicitDeny"
    assert (
        str(decision) == f'Denied: the key policy explicitly denies kms:Decrypt for {alice.arn} (statement "NoAlice")'
    )


def test_allowed_by_a_grant(kms_mock, iam):
    key = _create_key(kms_mock)
    alice = iam.create_user("alice")
    grant_id = kms_mock.client().create_grant(
        KeyId=key["KeyId"], GranteePrincipal=alice.arn, Operations=["Decrypt", "Encrypt"],
        Constraints={"EncryptionContextSubset": {"tenant": "a"}},
    )["GrantId"]  # fmt: skip
    decision = iam.simulate(alice, "kms:Encrypt", key["KeyId"], encryption_context={"tenant": "a"})
    assert decision.allowed
    assert [(m.source, m.kind, m.name) for m in decision.matched_statements if m.kind == "grant"] == [
        (f"grant {grant_id}", "grant", grant_id)
    ]
    assert str(decision) == f"Allowed: grant {grant_id} allows {alice.arn} to perform kms:Encrypt"
    # Outside the grant's constraint, or for an operation it does not allow: denied.
    other = iam.simulate(alice, "kms:Encrypt", key["KeyId"], encryption_context={"tenant": "b"})
    assert other.decision == "implicitDeny"
    assert iam.simulate(alice, "kms:GenerateDataKey", key["KeyId"], encryption_context={"tenant": "a"}).decision == (
        "implicitDeny"
    )


def test_a_key_policy_that_does_not_name_the_caller(kms_mock, iam):
    alice = iam.create_user("alice", policies=[_policy(_allow("kms:*"))])
    bob = iam.create_user("bob")
    key = _create_key(kms_mock, _policy(_key_statement("Bob", {"AWS": bob.arn}, "kms:*")))
    decision = iam.simulate(alice, "kms:Encrypt", key["KeyId"])
    assert decision.decision == "implicitDeny" and decision.matched_statements[0].kind == "identity policy"
    assert str(decision) == (
        f"Denied: the key policy does not allow {alice.arn} (nor its account) to perform kms:Encrypt, and no grant does"
    )
    # Not even the root user of the account is allowed (the key policy decides).
    assert iam.simulate(A, "kms:ScheduleKeyDeletion", key["KeyId"]).decision == "implicitDeny"


# -- conditions missing from the context -----------------------------------------------------


def test_condition_keys_missing_from_the_context(kms_mock, iam):
    alice = iam.create_user("alice")
    key = _create_key(
        kms_mock,
        _policy(
            ACCOUNT_STATEMENT,
            _key_statement(
                "ITOnly", {"AWS": alice.arn}, "kms:Decrypt",
                Condition={"StringEquals": {"kms:EncryptionContext:Department": "IT"}},
            ),
            _key_statement(
                "FromTheOffice", {"AWS": alice.arn}, "kms:Encrypt",
                Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            ),
        ),
    )  # fmt: skip
    missing = iam.simulate(alice, "kms:Decrypt", key["KeyId"])
    assert missing.decision == "implicitDeny"
    assert missing.missing_context_keys == ("kms:EncryptionContext:Department",)
    assert str(missing).endswith("(condition keys missing from the request: kms:EncryptionContext:Department)")
    present = iam.simulate(alice, "kms:Decrypt", key["KeyId"], encryption_context={"Department": "IT"})
    assert present.allowed and present.missing_context_keys == ()
    assert ("key policy", "ITOnly") in [(m.source, m.sid) for m in present.matched_statements]
    wrong = iam.simulate(alice, "kms:Decrypt", key["KeyId"], encryption_context={"Department": "HR"})
    assert wrong.decision == "implicitDeny" and wrong.missing_context_keys == ()

    # Other condition keys come from ``context``.
    assert iam.simulate(alice, "kms:Encrypt", key["KeyId"]).missing_context_keys == ("aws:SourceIp",)
    assert iam.simulate(alice, "kms:Encrypt", key["KeyId"], context={"aws:SourceIp": "10.1.2.3"}).allowed
    assert not iam.simulate(alice, "kms:Encrypt", key["KeyId"], context={"aws:SourceIp": "192.0.2.1"}).allowed


def test_reencrypt_actions_read_the_source_and_destination_contexts(kms_mock, iam):
    alice = iam.create_user("alice")
    key = _create_key(
        kms_mock,
        _policy(
            ACCOUNT_STATEMENT,
            _key_statement(
                "TenantA", {"AWS": alice.arn}, "kms:ReEncrypt*",
                Condition={"StringEquals": {"kms:EncryptionContext:tenant": "a"}},
            ),
        ),
    )  # fmt: skip
    for action in ("kms:ReEncryptFrom", "kms:ReEncryptTo"):
        assert iam.simulate(alice, action, key["Arn"], encryption_context={"tenant": "a"}).allowed
        missing = iam.simulate(alice, action, key["Arn"])
        assert missing.missing_context_keys == ("kms:EncryptionContext:tenant",)
    blob = kms_mock.client().encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "a"})
    moved = alice.client().re_encrypt(
        CiphertextBlob=blob["CiphertextBlob"], SourceEncryptionContext={"tenant": "a"},
        DestinationKeyId=key["Arn"], DestinationEncryptionContext={"tenant": "a"},
    )  # fmt: skip
    assert moved["KeyId"] == key["Arn"]
    with pytest.raises(ClientError):
        alice.client().re_encrypt(
            CiphertextBlob=blob["CiphertextBlob"], SourceEncryptionContext={"tenant": "a"},
            DestinationKeyId=key["Arn"], DestinationEncryptionContext={"tenant": "b"},
        )  # fmt: skip
    assert kms_mock.calls.last("ReEncrypt").decision == iam.simulate(
        alice, "kms:ReEncryptTo", key["Arn"], encryption_context={"tenant": "b"}
    )


# -- cross-account ---------------------------------------------------------------------------


def test_cross_account_needs_the_key_policy_and_the_callers_identity_policy(kms_mock, iam):
    key = _create_key(
        kms_mock, _policy(ACCOUNT_STATEMENT, _key_statement("AccountB", {"AWS": f"arn:aws:iam::{B}:root"}, "kms:*"))
    )
    bob = iam.create_user("bob", account=B, policies=[_policy(_allow(["kms:Encrypt", "kms:ScheduleKeyDeletion"]))])
    carol = iam.create_user("carol", account=B)

    allowed = iam.simulate(bob, "kms:Encrypt", key["Arn"])
    assert allowed.allowed
    assert str(allowed) == (
        f'Allowed: the key policy of account {A} allows {bob.arn} or its account (statement "AccountB"), '
        f"and inline policy of user bob allows kms:Encrypt"
    )
    no_identity = iam.simulate(carol, "kms:Encrypt", key["Arn"])
    assert no_identity.decision == "implicitDeny"
    assert str(no_identity) == (
        f"Denied: the key policy allows {carol.arn} or its account, but no identity policy of {carol.arn} "
        f"in account {B} allows kms:Encrypt (cross-account use needs both)"
    )
    not_across = iam.simulate(bob, "kms:ScheduleKeyDeletion", key["Arn"])
    assert not_across.decision == "implicitDeny"
    assert str(not_across) == (
        f"Denied: kms:ScheduleKeyDeletion cannot be used across accounts ({bob.arn} is in account {B}, "
        f"the key in account {A})"
    )
    root_b = iam.simulate(B, "kms:DescribeKey", key["Arn"])
    assert root_b.allowed and root_b.principal_arn == f"arn:aws:iam::{B}:root"


# -- principals and keys in every form; nothing changes ------------------------------------


def test_principals_as_objects_or_arns_and_keys_as_ids_arns_or_aliases(kms_mock, iam):
    key = _create_key(kms_mock)
    kms_mock.client().create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    role = iam.create_role("app", policies=[_policy(_allow("kms:Decrypt"))], path="/svc/")
    alice = iam.create_user("alice", policies=[_policy(_allow("kms:Decrypt"))])
    session_arn = f"arn:aws:sts::{A}:assumed-role/app/worker-1"
    journaled = len(kms_mock.calls)
    for principal in (alice, alice.arn, role, role.arn, session_arn, role.session("s2"), iam.root(), A,
                      f"arn:aws:iam::{A}:root"):  # fmt: skip
        for key_id in (key["KeyId"], key["Arn"], "alias/app", f"arn:aws:kms:{REGION}:{A}:alias/app"):
            decision = iam.simulate(principal, "kms:Decrypt", key_id)
            assert decision.allowed, (principal, key_id, str(decision))
            assert decision.resource == key["Arn"]
    assert iam.simulate(session_arn, "kms:Decrypt", key["KeyId"]).principal_arn == session_arn
    assert iam.simulate(role, "kms:Decrypt", key["KeyId"]).principal_arn.startswith(
        f"arn:aws:sts::{A}:assumed-role/app/"
    )
    assert not iam.simulate(alice, "kms:Encrypt", key["KeyId"]).allowed
    # Nothing was requested or created.
    assert len(kms_mock.calls) == journaled
    assert set(role.sessions) == {"s2"}
    with pytest.raises(ValueError, match="no principal arn:aws:iam::111122223333:user/nobody is registered"):
        iam.simulate(f"arn:aws:iam::{A}:user/nobody", "kms:Decrypt", key["KeyId"])
    with pytest.raises(ValueError, match="not a principal ARN"):
        iam.simulate("alice", "kms:Decrypt", key["KeyId"])
    with pytest.raises(TypeError, match="not Group"):
        iam.simulate(iam.create_group("readers"), "kms:Decrypt", key["KeyId"])
    # A key that does not exist: the error the request would get.
    with pytest.raises(NotFoundException, match="alias/missing is not found"):
        iam.simulate(alice, "kms:Decrypt", "alias/missing")


# -- the call journal ----------------------------------------------------------------------


def test_a_denied_call_record_carries_the_same_decision_as_the_simulator(tutorial_key):
    mock, _, user, key = tutorial_key
    simulated = mock.iam.simulate(user, "kms:ScheduleKeyDeletion", key["KeyId"])
    message = _denied_message(user.client().schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=7)
    record = mock.calls.last("ScheduleKeyDeletion")
    assert record.error_message == message
    assert record.decision == simulated
    assert str(record.decision).startswith("Denied: the key policy allows the account")
    # Allowed calls carry none (the per-call path builds no decision).
    user.client().encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert mock.calls.last("Encrypt").decision is None
    denied = [str(r.decision) for r in mock.calls if r.error_code == "AccessDeniedException"]
    assert denied == [str(simulated)]


def test_an_injected_access_denied_has_no_decision(kms_mock):
    kms_mock.inject_error("ListKeys", "AccessDeniedException", "User: x is not authorized", times=1)
    with pytest.raises(ClientError):
        kms_mock.client().list_keys()
    assert kms_mock.calls.last("ListKeys").decision is None


# -- agreement: simulate == the request's outcome ------------------------------------------------

# (operation, action, parameters): "{key}" is the key identifier, "{ec}" the encryption context.
_REQUESTS = [
    ("encrypt", "kms:Encrypt", {"Plaintext": b"data"}),
    ("decrypt", "kms:Decrypt", {}),
    ("generate_data_key", "kms:GenerateDataKey", {"KeySpec": "AES_256"}),
    ("describe_key", "kms:DescribeKey", {}),
    ("get_key_policy", "kms:GetKeyPolicy", {"PolicyName": "default"}),
    ("schedule_key_deletion", "kms:ScheduleKeyDeletion", {"PendingWindowInDays": 7}),
    ("disable_key", "kms:DisableKey", {}),
]
_TAKES_CONTEXT = {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}
_CONTEXTS = [None, {"tenant": "a"}, {"tenant": "b"}]


def _key_policies(users: dict) -> dict[str, dict | None]:
    admin = _key_statement("Admin", {"AWS": users["admin"].arn}, "kms:*")
    return {
        "default": None,
        "named users": _policy(
            admin, ACCOUNT_STATEMENT,
            _key_statement("Alice", {"AWS": users["alice"].arn}, ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]),
            _key_statement(
                "AppTenantA", {"AWS": users["role"].arn}, ["kms:Decrypt", "kms:GenerateDataKey"],
                Condition={"StringEquals": {"kms:EncryptionContext:tenant": "a"}},
            ),
        ),
        "no account statement": _policy(
            admin,
            _key_statement("Alice", {"AWS": users["alice"].arn}, "kms:*"),
            _key_statement("NoAppDecrypt", {"AWS": users["role"].arn}, "kms:Decrypt", effect="Deny"),
        ),
        "cross-account": _policy(
            admin, ACCOUNT_STATEMENT,
            _key_statement("AccountB", {"AWS": B}, ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:DisableKey"]),
            _key_statement("NobodyDeletes", "*", "kms:ScheduleKeyDeletion", effect="Deny"),
        ),
        "tags and tenants": _policy(
            admin,
            _key_statement(
                "BlueTeam", {"AWS": "*"}, "kms:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}
            ),
            _key_statement(
                "TenantA", {"AWS": f"arn:aws:iam::{A}:root"}, ["kms:Encrypt", "kms:Decrypt"],
                Condition={"StringEquals": {"kms:EncryptionContext:tenant": "a"}},
            ),
        ),
    }  # fmt: skip


def _principals(iam) -> dict:
    readers = iam.create_group(
        "readers",
        policies=[
            _policy(
                _allow(["kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy"]),
                {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
            )
        ],
    )
    role = iam.create_role("app", policies=[_policy(_allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]))])
    return {
        "admin": iam.create_user("admin"),
        "alice": iam.create_user("alice"),
        "carol": iam.create_user("carol", groups=[readers]),
        "dave": iam.create_user("dave", tags={"team": "blue"}, policies=[_policy(_allow("kms:*"))]),
        "role": role,
        "session": role.session("worker"),
        "root": iam.root(),
        "bob": iam.create_user(
            "bob",
            account=B,
            policies=[
                _policy(
                    _allow(
                        ["kms:Encrypt", "kms:Decrypt", "kms:ScheduleKeyDeletion", "kms:DescribeKey", "kms:GetKeyPolicy"]
                    )
                )
            ],
        ),  # fmt: skip
        "erin": iam.create_user(
            "erin", account=B, policies=[_policy(_allow("kms:*", resource=f"arn:aws:kms:*:{A}:key/*"))]
        ),
        "root B": iam.root(B),
    }


def test_agreement_simulate_equals_the_request_outcome():
    checked = Counter()
    with mock_kms(account=A, region=REGION) as kms_mock:
        iam = kms_mock.iam
        principals = _principals(iam)
        admin = principals["admin"].client()
        root = kms_mock.client()
        for name, policy in _key_policies(principals).items():
            key = root.create_key(Description=name)["KeyMetadata"]
            blobs = {
                json.dumps(ec): root.encrypt(KeyId=key["KeyId"], Plaintext=b"data", **({"EncryptionContext": ec} if ec else {}))[
                    "CiphertextBlob"
                ]
                for ec in _CONTEXTS
            }  # fmt: skip
            restorer = root  # a principal the key policy lets put the key back after a deletion or disable
            if policy is not None:
                root.put_key_policy(KeyId=key["KeyId"], Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)
                restorer = admin
            for grantee, operations, constraints in (
                (principals["carol"], ["Decrypt", "GenerateDataKey"], {"EncryptionContextSubset": {"tenant": "a"}}),
                (principals["bob"], ["Encrypt", "DescribeKey"], {}),
            ):
                restorer.create_grant(
                    KeyId=key["KeyId"], GranteePrincipal=grantee.arn, Operations=operations, Constraints=constraints
                )
            for (who, principal), (method, action, params), ec in itertools.product(
                principals.items(), _REQUESTS, _CONTEXTS
            ):
                if ec is not None and action not in _TAKES_CONTEXT:
                    continue
                client = principal.client(region_name=REGION)
                kwargs = {"KeyId": key["Arn"], **params}
                if ec is not None:
                    kwargs["EncryptionContext"] = ec
                if action == "kms:Decrypt":
                    kwargs["CiphertextBlob"] = blobs[json.dumps(ec)]
                simulated = iam.simulate(principal, action, key["Arn"], encryption_context=ec)
                try:
                    getattr(client, method)(**kwargs)
                    outcome, record_decision = "ok", None
                except ClientError as error:
                    outcome = error.response["Error"]["Code"]
                    record_decision = kms_mock.calls.last().decision
                case = f"{name} / {who} / {action} / {ec}: simulated {simulated.decision} ({simulated}), got {outcome}"
                assert simulated.allowed == (outcome != "AccessDeniedException"), case
                if outcome == "AccessDeniedException":
                    assert record_decision == simulated, case
                elif method in ("schedule_key_deletion", "disable_key"):  # put the key back
                    if method == "schedule_key_deletion":
                        restorer.cancel_key_deletion(KeyId=key["Arn"])
                    restorer.enable_key(KeyId=key["Arn"])
                checked[simulated.decision] += 1
                checked["by grant"] += any(m.kind == "grant" for m in simulated.matched_statements)
        # Account-level actions: identity policies alone.
        for who, principal in principals.items():
            for method, action in (("list_keys", "kms:ListKeys"), ("list_aliases", "kms:ListAliases")):
                simulated = iam.simulate(principal, action)
                try:
                    getattr(principal.client(region_name=REGION), method)()
                    outcome = "ok"
                except ClientError as error:
                    outcome = error.response["Error"]["Code"]
                assert simulated.allowed == (outcome == "ok"), (who, action, str(simulated), outcome)
                checked[simulated.decision] += 1
    # Every kind of answer was checked, many times.
    assert min(checked.values()) >= 10, checked
    assert sum(checked[kind] for kind in ("allowed", "explicitDeny", "implicitDeny")) > 400, checked


# -- the key is found as the request finds it (review findings) ----------------------------------


def _outcome(call, **kwargs) -> str:
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "allowed"


def _simulated(iam, principal, action, key) -> str:
    try:
        decision = iam.simulate(principal, action, key)
    except NotFoundException:
        return "NotFoundException"
    return "allowed" if decision.allowed else "AccessDeniedException"


def test_alias_operations_are_decided_on_the_alias_then_the_key(kms_mock, iam):
    key = _create_key(kms_mock)
    kms_mock.client().create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    # Allowed on the key only: the alias half of DeleteAlias is denied, as in the request.
    only_key = iam.create_user("only-key", policies=[_policy(_allow("kms:DeleteAlias", key["Arn"]))])
    both = iam.create_user("both", policies=[_policy(_allow("kms:DeleteAlias"))])
    assert _simulated(iam, only_key, "kms:DeleteAlias", "alias/app") == "AccessDeniedException"
    assert _outcome(only_key.client().delete_alias, AliasName="alias/app") == "AccessDeniedException"
    assert _simulated(iam, both, "kms:DeleteAlias", "alias/app") == "allowed"
    assert _outcome(both.client().delete_alias, AliasName="alias/app") == "allowed"
    assert _simulated(iam, both, "kms:DeleteAlias", "alias/app") == "NotFoundException"  # gone now


def test_aliases_only_where_the_operation_takes_them_and_in_the_clients_region(kms_mock, iam):
    key = _create_key(kms_mock)
    kms = kms_mock.client()
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    root = f"arn:aws:iam::{A}:root"
    for action, call, kwargs in [
        ("kms:ScheduleKeyDeletion", kms.schedule_key_deletion, {"KeyId": "alias/app"}),
        ("kms:GetKeyPolicy", kms.get_key_policy, {"KeyId": "alias/app"}),
        ("kms:DescribeKey", kms.describe_key, {"KeyId": "alias/app"}),
        ("kms:DescribeKey", kms.describe_key, {"KeyId": key["Arn"].replace(REGION, "us-west-2")}),
    ]:
        assert _simulated(iam, root, action, kwargs["KeyId"]) == _outcome(call, **kwargs), (action, kwargs)


def test_a_key_whose_deletion_window_ended_is_not_found(kms_mock, iam):
    key = _create_key(kms_mock)
    kms_mock.client().schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    with pytest.raises(NotFoundException):
        iam.simulate(f"arn:aws:iam::{A}:root", "kms:DescribeKey", key["KeyId"])
