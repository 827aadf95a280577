"""``@mock_kms`` on a plain pytest class does what moto's class decorator does: ``setup_method``, the
test and ``teardown_method`` (and nose-style ``setup``/``teardown``) run in one fresh mock, and no
method of the class sends anything to KMS outside a mock (mock_kms/class_decorator.py)."""

from __future__ import annotations

import boto3
import pytest

from mock_kms import mock_kms
from mock_kms.interception import active_mock

pytest_plugins = ["pytester"]

# Any request that escaped would go here and fail (nothing listens on port 9).
ESCAPE = "http://127.0.0.1:9"


@pytest.fixture
def unreachable_kms(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", ESCAPE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKING00000")  # real-looking credentials configured
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


SUITE = """
import asyncio

import boto3
import pytest

from mock_kms import mock_kms


def kms():
    return boto3.client("kms", region_name="us-east-1", config=__import__("botocore.config").config.Config(
        retries={"max_attempts": 1}, connect_timeout=1))


@mock_kms
class TestOrders:
    made_in_setup_class = None

    @classmethod
    def setup_class(cls):
        cls.made_in_setup_class = kms().create_key()["KeyMetadata"]["KeyId"]  # its own mock

    @classmethod
    def teardown_class(cls):
        kms().list_keys()

    @staticmethod
    def describe(key_id):
        return kms().describe_key(KeyId=key_id)["KeyMetadata"]

    def setup_method(self, method):
        self.key_id = kms().create_key(Description=method.__name__)["KeyMetadata"]["KeyId"]

    def teardown_method(self, method):
        assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [self.key_id]
        kms().schedule_key_deletion(KeyId=self.key_id, PendingWindowInDays=7)

    @pytest.fixture
    def alias(self):
        kms().create_alias(AliasName="alias/orders", TargetKeyId=self.key_id)
        return "alias/orders"

    def helper(self):
        return kms().describe_key(KeyId=self.key_id)["KeyMetadata"]

    def test_sees_the_setup_key(self):
        assert self.helper()["Description"] == "test_sees_the_setup_key"
        assert self.describe(self.key_id)["KeyState"] == "Enabled"
        assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [self.key_id]  # fresh per test

    def test_fixture_method_runs_in_the_same_mock(self, alias):
        assert kms().describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == self.key_id

    def test_key_from_setup_class_is_gone(self):
        assert self.made_in_setup_class is not None
        with pytest.raises(Exception, match="NotFoundException"):
            self.describe(self.made_in_setup_class)

    def test_async(self):
        async def run():
            return kms().describe_key(KeyId=self.key_id)["KeyMetadata"]["KeyId"]

        assert asyncio.run(run()) == self.key_id


@mock_kms
class TestWithoutSetup:
    @pytest.fixture
    def key_id(self):
        return kms().create_key()["KeyMetadata"]["KeyId"]

    def test_fixture_method_is_mocked(self, key_id):
        assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [key_id]
"""


def test_setup_test_and_teardown_share_one_fresh_mock_and_nothing_escapes(pytester, unreachable_kms):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    assert active_mock() is None


class PlainWithNoseStyle:
    def setup(self):
        self.key_id = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

    def test_it(self):
        return [key["KeyId"] for key in boto3.client("kms", region_name="us-east-1").list_keys()["Keys"]]

    def teardown(self):
        self.seen_in_teardown = boto3.client("kms", region_name="us-east-1").describe_key(KeyId=self.key_id)


def test_nose_style_setup_and_teardown_run_in_the_test_mock(unreachable_kms):
    decorated = mock_kms(PlainWithNoseStyle)
    case = decorated()
    case.setup()  # as a nose-style runner calls them
    mock = active_mock()
    assert mock is not None
    assert case.test_it() == [case.key_id]
    case.teardown()
    assert case.seen_in_teardown["KeyMetadata"]["KeyId"] == case.key_id
    assert not mock.active and active_mock() is None


def test_a_method_called_outside_a_test_gets_a_fresh_mock(unreachable_kms):
    @mock_kms
    class Helpers:
        def make(self):
            return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

    assert Helpers().make() != Helpers().make()
    assert active_mock() is None


def test_setup_that_fails_stops_its_mock(unreachable_kms):
    @mock_kms
    class Broken:
        def setup_method(self, method):
            raise RuntimeError("setup failed")

    case = Broken()
    with pytest.raises(RuntimeError):
        case.setup_method(None)
    assert active_mock() is None


def test_unittest_testcase_keeps_setup_test_teardown_in_one_mock():
    import unittest

    seen = []

    @mock_kms
    class Case(unittest.TestCase):
        def setUp(self):
            self.key_id = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

        def test_it(self):
            seen.append([key["KeyId"] for key in boto3.client("kms", region_name="us-east-1").list_keys()["Keys"]])
            seen.append(self.key_id)

    result = unittest.TextTestRunner(stream=open("/dev/null", "w")).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert result.wasSuccessful()
    assert seen == [[seen[1]], seen[1]]


EDGES = """
import boto3
import pytest

from mock_kms import mock_kms


def kms():
    return boto3.client("kms", region_name="us-east-1", config=__import__("botocore.config").config.Config(
        retries={"max_attempts": 1}, connect_timeout=1))


@mock_kms
class TestEdges:
    @pytest.fixture(scope="class")
    def class_key(self):  # runs before the test's mock: in a fresh mock of its own
        return kms().create_key()["KeyMetadata"]["KeyId"]

    def teardown(self):  # an ordinary helper (pytest >= 8 no longer calls nose's pair)
        return "helper"

    def keys(self):  # a generator helper: its body runs when iterated
        yield from kms().list_keys()["Keys"]

    @staticmethod
    def names(*names):
        return names

    def test_class_scoped_fixture_method(self, class_key):
        assert class_key

    def test_helper_named_teardown_keeps_the_test_mock(self):
        kms().create_key()
        assert self.teardown() == "helper"
        assert len(kms().list_keys()["Keys"]) == 1

    def test_static_method_with_varargs(self):
        assert self.names("a", "b") == ("a", "b")


def test_generator_helper_outside_a_test():
    assert list(TestEdges().keys()) == []
"""


def test_fixture_methods_helpers_and_generators_never_escape(pytester, unreachable_kms):
    pytester.makepyfile(test_edges=EDGES)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert active_mock() is None
