"""The three ways to use the mock: decorator, context manager / start-stop, pytest fixture."""

from __future__ import annotations

import unittest

import boto3
import pytest

from mock_kms import KmsMock, mock_kms


def _new_key(region: str = "us-east-1") -> str:
    return boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["KeyId"]


def _key_count(region: str = "us-east-1") -> int:
    return len(boto3.client("kms", region_name=region).list_keys()["Keys"])


@mock_kms
def test_bare_decorator():
    _new_key()
    assert _key_count() == 1


@mock_kms()
def test_decorator_with_parentheses():
    _new_key()
    assert _key_count() == 1


@mock_kms(region="eu-west-1", account="111122223333")
def test_decorator_with_options():
    kms = boto3.client("kms", region_name="eu-west-1")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:111122223333:key/")


def test_each_decorated_call_gets_fresh_state():
    @mock_kms
    def create_one() -> int:
        _new_key()
        return _key_count()

    assert create_one() == 1
    assert create_one() == 1


def test_decorator_passes_arguments_and_return_value():
    @mock_kms
    def add(a: int, b: int = 0) -> int:
        return a + b

    assert add(2, b=3) == 5


def test_decorated_async_function():
    import asyncio

    @mock_kms
    async def make_key() -> int:
        _new_key()
        return _key_count()

    assert asyncio.run(make_key()) == 1


@mock_kms
class TestDecoratedClass:
    def test_first(self):
        _new_key()
        assert _key_count() == 1

    def test_second_has_fresh_state(self):
        assert _key_count() == 0

    def helper_not_wrapped(self):
        return "plain"


def test_non_test_methods_of_decorated_class_are_untouched():
    assert TestDecoratedClass().helper_not_wrapped() == "plain"


@mock_kms
class DecoratedTestCase(unittest.TestCase):
    def setUp(self) -> None:
        # setUp runs inside the mock: it can create keys.
        self.key_id = _new_key()

    def tearDown(self) -> None:
        boto3.client("kms", region_name="us-east-1").schedule_key_deletion(KeyId=self.key_id, PendingWindowInDays=7)

    def test_key_from_setup_exists(self):
        assert _key_count() == 1

    def test_again_fresh_state(self):
        assert _key_count() == 1


class StartStopTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.mock = mock_kms()
        self.mock.start()
        self.addCleanup(self.mock.stop)

    def test_start_stop_in_setup(self):
        self.assertEqual(_new_key(), self.mock.backend.region("123456789012", "us-east-1").keys.popitem()[0])


def test_context_manager_yields_handle():
    with mock_kms() as kms_mock:
        assert isinstance(kms_mock, KmsMock)
        assert kms_mock.active
        key_id = _new_key()
        assert kms_mock.calls[-1].operation == "CreateKey"
        assert kms_mock.calls[-1].key.key_id == key_id
    assert not kms_mock.active


def test_start_and_stop_are_idempotent():
    m = mock_kms()
    m.start()
    m.start()
    _new_key()
    m.stop()
    m.stop()
    assert not m.active


def test_state_is_readable_after_stop_and_new_activation_starts_empty():
    m = mock_kms()
    with m:
        _new_key()
    assert len(list(m.calls)) == 1
    with m:
        assert _key_count() == 0


def test_nesting_keeps_the_outer_state():
    with mock_kms():
        outer_key = _new_key()
        with mock_kms():
            assert _key_count() == 0
            _new_key()
            _new_key()
            assert _key_count() == 2
        kms = boto3.client("kms", region_name="us-east-1")
        assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [outer_key]


def test_stopping_the_outer_mock_first_leaves_the_inner_active():
    outer, inner = mock_kms(), mock_kms()
    outer.start()
    inner.start()
    outer.stop()
    try:
        _new_key()
        assert _key_count() == 1
        assert len(list(inner.calls)) == 2
    finally:
        inner.stop()


def test_fixture_gives_an_active_mock_and_client(kms_mock):
    kms = kms_mock.client()
    assert kms.meta.region_name == kms_mock.region
    kms.create_key()
    assert len(kms_mock.calls.filter("CreateKey")) == 1


def test_fixture_client_for_another_region(kms_mock):
    kms = kms_mock.client("kms", region_name="ap-south-1")
    assert kms.create_key()["KeyMetadata"]["Arn"].split(":")[3] == "ap-south-1"


def test_default_region_from_environment(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    with mock_kms() as m:
        assert m.region == "sa-east-1"
        assert m.client().create_key()["KeyMetadata"]["Arn"].split(":")[3] == "sa-east-1"


def test_unknown_quota_name_is_rejected():
    with pytest.raises(ValueError, match="unknown quota"):
        mock_kms(quotas={"keys_per_galaxy": 1})


def test_an_outer_mock_stopped_first_leaves_the_inner_one_its_credentials(monkeypatch):
    import os

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    outer = mock_kms().start()  # supplies throwaway credentials
    inner = mock_kms().start()
    outer.stop()  # out of order: the inner mock is still active and still needs them
    try:
        boto3.session.Session().client("kms").list_keys()  # a new session: credentials read now
        assert inner.calls[-1].operation == "ListKeys"
    finally:
        inner.stop()
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ
