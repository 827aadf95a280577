"""A user's test module written against mock_kms's documented API: ``mypy --strict`` must pass
on it (tests/test_typing.py). Never run, only type-checked."""

from __future__ import annotations

import unittest
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mock_kms import DEFAULT_ACCOUNT, CallRecord, Clock, KmsMock, kms_server, mock_kms
from mock_kms.faults import Fault
from mock_kms.iam.principals import AccountRoot, IamRegistry, IdentityPolicy, Role, RoleSession, User
from mock_kms.journal import Journal

if TYPE_CHECKING:
    from typing_extensions import assert_type


@mock_kms
def test_decorated() -> None:
    pass


@mock_kms(region="eu-west-1", account="111122223333", quotas={"keys_per_region": 10})
def test_decorated_with_options() -> None:
    pass


@mock_kms
class TestCase(unittest.TestCase):
    def test_method(self) -> None:
        pass


def test_context_manager() -> None:
    options = mock_kms(predefined_aws_aliases=False, verify_signatures=True, durable=False)
    assert_type(options, KmsMock)
    with mock_kms(rate_limits=True, multi_region_delay=timedelta(seconds=30), strict_credentials=False) as kms_mock:
        assert_type(kms_mock, KmsMock)
        kms: Any = kms_mock.client("kms", region_name="us-east-1")  # boto3 clients are untyped without stubs
        key_id: str = kms.create_key()["KeyMetadata"]["KeyId"]

        clock = kms_mock.clock
        assert_type(clock, Clock)
        clock.advance(days=1)
        kms_mock.run_due_events()

        calls = kms_mock.calls
        assert_type(calls, Journal)
        record = calls.assert_called_once("CreateKey", key=key_id, caller_arn=f"arn:aws:iam::{DEFAULT_ACCOUNT}:root")
        assert_type(record, CallRecord)
        assert_type(calls[0], CallRecord)
        assert_type(calls[:2], list[CallRecord])
        last = calls.last("CreateKey")
        assert last is not None
        arn: str | None = last.key_arn
        parameters: dict[str, Any] = last.parameters
        event: dict[str, Any] = last.cloudtrail_event()
        succeeded: bool = last.succeeded
        records: list[CallRecord] = calls.filter("Encrypt", succeeded=True)
        calls.assert_not_called("Decrypt")
        count: int = calls.count()
        print(arn, parameters, event, succeeded, records, count)

        fault = kms_mock.inject_error("Encrypt", "ThrottlingException", times=1, key=key_id)
        assert_type(fault, Fault)
        remaining: int | None = fault.remaining
        fault.cancel()
        slow = kms_mock.inject_latency("Decrypt", 0.5, probability=0.5, seed=1)
        assert_type(kms_mock.faults, list[Fault])
        kms_mock.clear_faults()
        print(remaining, slow.fired)

        iam = kms_mock.iam
        assert_type(iam, IamRegistry)
        alice = iam.create_user("alice")
        assert_type(alice, User)
        policy = iam.create_policy("use-keys", {"Version": "2012-10-17", "Statement": []})
        assert_type(policy, IdentityPolicy)
        iam.attach_policy(alice, policy)
        role = iam.create_role("app")
        assert_type(role, Role)
        session = role.session("worker")
        assert_type(session, RoleSession)
        root = iam.root("222233334444")
        assert_type(root, AccountRoot)
        fault_for_role = kms_mock.inject_error("Sign", "KMSInternalException", principal=role)
        print(alice.arn, session.arn, root.arn, fault_for_role.code)

        stores = kms_mock.custom_key_stores
        cluster = stores.add_cloudhsm_cluster("cluster-abcdefghijk")
        print(cluster.cluster_id, stores.connect_delay)


def test_start_stop(tmp_path: Any) -> None:
    kms_mock = mock_kms()
    kms_mock.start()
    try:
        kms_mock.save(tmp_path / "state.json")
        assert kms_mock.active
    finally:
        kms_mock.stop()
    fresh = KmsMock(state=tmp_path / "state.json")
    assert not fresh.active


def test_fixture(kms_mock: KmsMock) -> None:
    assert_type(kms_mock.region, str)
    assert_type(kms_mock.account, str)


def test_server() -> None:
    with mock_kms() as kms_mock, kms_server(mock=kms_mock) as url:
        assert_type(url, str)
