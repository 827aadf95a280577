"""The switch for moto-based suites (``--mock-kms-for-moto``, ini ``mock_kms_for_moto``,
``MOCK_KMS_FOR_MOTO=1``): an unedited moto-style suite runs against mock_kms's KMS, with fresh state
whenever moto's state is fresh, and the end of the run lists the tests that failed with a KMS error."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[test]'")

pytest_plugins = ["pytester"]

CONFTEST = """
import os

import sys

import pytest
from moto import mock_aws


@pytest.fixture
def aws_credentials():
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"


@pytest.fixture
def aws(aws_credentials):
    with mock_aws():
        yield
"""

# A suite as written for moto: it passes under moto as it is.
SUITE = """
import boto3
import requests
from moto import mock_aws


def kms():
    return boto3.client("kms", region_name="us-east-1")


@mock_aws
def test_round_trip():
    key_id = kms().create_key()["KeyMetadata"]["KeyId"]
    blob = kms().encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    assert kms().decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


@mock_aws
def test_state_is_fresh_in_the_next_test():
    assert kms().list_keys()["Keys"] == []


def test_fixture_entering_mock_aws(aws):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="orders")
    key_id = kms().create_key()["KeyMetadata"]["KeyId"]
    assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [key_id]


def test_moto_reset_api_resets_kms_too(aws):
    kms().create_key()
    requests.post("http://motoapi.amazonaws.com/moto-api/reset")
    assert kms().list_keys()["Keys"] == []


def test_start_and_stop(aws_credentials):
    aws = mock_aws()
    aws.start()
    try:
        key_id = kms().create_key()["KeyMetadata"]["KeyId"]
        assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [key_id]
    finally:
        aws.stop()


@mock_aws
class TestWithSetup:
    def setup_method(self, method):
        self.key_id = kms().create_key(Description=method.__name__)["KeyMetadata"]["KeyId"]

    def test_sees_the_setup_key(self):
        assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [self.key_id]

    def test_sees_only_its_own_setup_key(self):
        assert [key["KeyId"] for key in kms().list_keys()["Keys"]] == [self.key_id]


@mock_aws
def test_placeholder_policy():
    kms().create_key(Policy="my policy")


@mock_aws
def test_verify_returns_false():
    key_id = kms().create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    result = kms().verify(KeyId=key_id, Message=b"m", Signature=b"not a signature", SigningAlgorithm="ECDSA_SHA_256")
    assert result["SignatureValid"] is False
"""

# Tests a team adds once the switch is on: the journal of the mock moto runs with.
JOURNAL = """
import boto3
from moto import mock_aws


@mock_aws
def test_kms_mock_is_the_current_mock(kms_mock):
    boto3.client("kms", region_name="us-east-1").create_key()
    assert [call.operation for call in kms_mock.calls] == ["CreateKey"]


def test_kms_mock_with_a_moto_fixture(aws, kms_mock):
    boto3.client("kms", region_name="us-east-1").list_keys()
    assert [call.operation for call in kms_mock.calls] == ["ListKeys"]


def test_kms_mock_alone(kms_mock):
    assert kms_mock.client().list_keys()["Keys"] == []
    kms_mock.client().create_key()


def test_kms_mock_alone_again_is_fresh(kms_mock):
    assert kms_mock.client().list_keys()["Keys"] == []


@mock_aws
class TestJournal:
    def setup_method(self, method):
        self.key_id = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

    def teardown_method(self, method):
        keys = boto3.client("kms", region_name="us-east-1").list_keys()["Keys"]
        assert [key["KeyId"] for key in keys] == [self.key_id]

    def test_setup_key_is_in_the_mock(self, kms_mock):
        assert [call.operation for call in kms_mock.calls] == ["CreateKey"]
        assert kms_mock.client().describe_key(KeyId=self.key_id)["KeyMetadata"]["Enabled"]


def test_kms_mock_alone_after_a_moto_class_is_fresh(kms_mock):
    assert kms_mock.client().list_keys()["Keys"] == []
"""


@pytest.fixture
def suite(pytester, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "MOCK_KMS_FOR_MOTO"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def run(pytester, *args):
    # A fresh interpreter: an in-process run would re-import (and then drop) cryptography's modules.
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def check_switched(result) -> None:
    result.assert_outcomes(passed=7, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*= mock_kms: tests that failed with a KMS error =*",
            "test_suite.py::test_placeholder_policy: MalformedPolicyDocumentException (CreateKey)",
            "test_suite.py::test_verify_returns_false: KMSInvalidSignatureException (Verify)",
            "2 test(s) failed with a KMS error.*docs/migrating-from-moto.md*",
        ]
    )


def test_the_suite_passes_under_moto(suite):
    result = run(suite)
    result.assert_outcomes(passed=9)
    assert "mock_kms: tests that failed" not in result.stdout.str()


def test_command_line_switch(suite):
    check_switched(run(suite, "--mock-kms-for-moto"))


def test_ini_switch(suite):
    suite.makeini("[pytest]\nmock_kms_for_moto = true\n")
    check_switched(run(suite))


def test_environment_switch(suite, monkeypatch):
    monkeypatch.setenv("MOCK_KMS_FOR_MOTO", "1")
    check_switched(run(suite))


def test_kms_mock_fixture_is_the_mock_moto_runs_with(suite):
    suite.makepyfile(test_journal=JOURNAL)
    result = run(suite, "--mock-kms-for-moto", "test_journal.py")
    result.assert_outcomes(passed=6)


def test_switch_is_undone_at_the_end_of_the_run(pytester, monkeypatch):
    """In one interpreter: moto's methods are put back and no import hook is left behind."""
    monkeypatch.delenv("MOCK_KMS_FOR_MOTO", raising=False)
    pytester.makepyfile(
        test_one="""
        import boto3
        from moto import mock_aws
        from moto.core import models


        @mock_aws
        def test_switched():
            assert vars(models.MockAWS)["_enable_patching"].__module__ == "mock_kms.moto_compat"
            assert boto3.client("kms", region_name="us-east-1").create_key(Policy="my policy")
        """
    )
    from moto.core import models

    from mock_kms import interception

    enable = vars(models.MockAWS)["_enable_patching"]
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider", "--mock-kms-for-moto")
    result.assert_outcomes(failed=1)
    assert "MalformedPolicyDocumentException" in result.stdout.str()
    assert vars(models.MockAWS)["_enable_patching"] is enable
    assert interception.active_mock() is None and not interception._on_import


def test_end_of_run_list_under_xdist(suite):
    result = run(suite, "--mock-kms-for-moto", "-n", "2")
    result.assert_outcomes(passed=7, failed=2)
    out = result.stdout.str()
    assert "mock_kms: tests that failed with a KMS error" in out
    assert "test_suite.py::test_placeholder_policy: MalformedPolicyDocumentException (CreateKey)" in out
    assert "test_suite.py::test_verify_returns_false: KMSInvalidSignatureException (Verify)" in out


def test_another_runner_turns_the_switch_on_with_one_call(pytester):
    """unittest: ``enable_switch()`` in the test package's ``__init__.py``, the tests unedited."""
    package = pytester.mkpydir("orders_tests")
    (package / "__init__.py").write_text("from mock_kms.moto_compat import enable_switch\n\nenable_switch()\n")
    (package / "test_orders.py").write_text(
        "import unittest\n\nimport boto3\nfrom moto import mock_aws\n\n\n"
        "@mock_aws\nclass TestOrders(unittest.TestCase):\n"
        "    def setUp(self):\n"
        "        self.kms = boto3.client('kms', region_name='us-east-1')\n"
        "        self.key_id = self.kms.create_key()['KeyMetadata']['KeyId']\n\n"
        "    def test_sees_the_setup_key(self):\n"
        "        self.assertEqual([k['KeyId'] for k in self.kms.list_keys()['Keys']], [self.key_id])\n\n"
        "    def test_placeholder_policy(self):\n"
        "        self.kms.create_key(Policy='my policy')\n"
    )
    result = pytester.run(sys.executable, "-m", "unittest", "discover", "-s", "orders_tests", "-t", ".")
    assert "Ran 2 tests" in result.stderr.str()
    assert "FAILED (errors=1)" in result.stderr.str()
    assert "MalformedPolicyDocumentException" in result.stderr.str()


def test_the_environment_variable_turns_the_switch_on_for_any_runner(pytester, tmp_path):
    """An installed mock_kms carries ``mock_kms_for_moto.pth``: with MOCK_KMS_FOR_MOTO=1, unittest
    runs the same unedited suite against mock_kms's KMS, without a line of setup."""
    import os
    import pathlib
    import subprocess

    root = pathlib.Path(__file__).resolve().parents[1]
    wheels, site_dir = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(root)], check=True, timeout=300)
    wheel = next(wheels.glob("mock_kms-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site_dir), str(wheel)], check=True, timeout=300)
    assert (site_dir / "mock_kms_for_moto.pth").is_file()

    package = pytester.mkpydir("orders_tests")
    (package / "test_orders.py").write_text(
        "import unittest\n\nimport boto3\nfrom moto import mock_aws\n\n\n"
        "@mock_aws\nclass TestOrders(unittest.TestCase):\n"
        "    def test_placeholder_policy(self):\n"
        "        boto3.client('kms', region_name='us-east-1').create_key(Policy='my policy')\n"
    )
    # site.addsitedir runs the .pth lines of that directory, as start-up does for site-packages.
    runner = f"import site, sys; site.addsitedir({str(site_dir)!r}); import unittest; unittest.main(module=None)"
    command = [sys.executable, "-c", runner, "discover", "-s", "orders_tests", "-t", "."]
    for value, outcome in (("1", "MalformedPolicyDocumentException"), ("", "OK")):
        env = {**os.environ, "MOCK_KMS_FOR_MOTO": value}
        result = subprocess.run(command, cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120)
        assert outcome in result.stderr, result.stderr
