"""The pytest plugin explains denied requests in a failing test's report (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER = "arn:aws:iam::123456789012:user/bob"

TESTS = """
import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms


def deny_encrypt(kms_mock, times=1):
    user = kms_mock.iam.create_user("bob")
    key = kms_mock.client().create_key()["KeyMetadata"]["KeyId"]
    for _ in range(times):
        with pytest.raises(ClientError):
            user.client().encrypt(KeyId=key, Plaintext=b"x")


def test_fails_after_a_denial(kms_mock):
    deny_encrypt(kms_mock)
    assert False, "the code under test swallowed an AccessDeniedException"


def test_passes_after_a_denial(kms_mock):
    deny_encrypt(kms_mock)


def test_fails_without_denials(kms_mock):
    kms_mock.client().list_keys()
    assert False


def test_fails_with_a_mock_of_its_own_and_an_injected_denial():
    with mock_kms() as kms_mock:
        kms_mock.inject_error("ListKeys", "AccessDeniedException", "User: x is not authorized", times=1)
        with pytest.raises(ClientError):
            kms_mock.client().list_keys()
    assert False


def test_fails_after_many_denials(kms_mock):
    deny_encrypt(kms_mock, times=25)
    assert False
"""


# Subprocess runs: an in-process run would import botocore and the mock afresh each time
# (pytester restores sys.modules afterwards), which is not how anyone runs their tests.
@pytest.fixture
def output(pytester: pytest.Pytester) -> str:
    pytester.makepyfile(test_denials=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=4, passed=1)
    return result.stdout.str()


def _section(output: str, test: str) -> str | None:
    """The 'KMS requests denied' section of ``test``'s failure report, or None."""
    report = output.split(f"_ {test} _", 1)[1].split("\n___", 1)[0].split("\n===", 1)[0]
    if "- KMS requests denied -" not in report:
        return None
    return report.split("- KMS requests denied -", 1)[1].split("\n", 1)[1]


def test_a_failing_tests_report_lists_each_denied_call_with_its_explanation(output):
    section = _section(output, "test_fails_after_a_denial")
    assert section is not None, output
    lines = section.strip().splitlines()
    assert len(lines) == 2, section
    assert lines[0].startswith(f"1. Encrypt by {USER} on arn:aws:kms:us-east-1:123456789012:key/")
    assert lines[1] == (
        f"   Denied: the key policy allows the account, but no identity policy of {USER} allows kms:Encrypt"
    )

    # A failure without denials gets no section; only the three failing tests that saw denials do.
    assert _section(output, "test_fails_without_denials") is None
    assert output.count("- KMS requests denied -") == 3

    # Denials of any mock are listed; injected ones say so.
    section = _section(output, "test_fails_with_a_mock_of_its_own_and_an_injected_denial")
    assert section is not None
    assert section.strip().splitlines() == [
        "1. ListKeys by arn:aws:iam::123456789012:root on -",
        "   User: x is not authorized (injected)",
    ]

    # A long list is cut.
    section = _section(output, "test_fails_after_many_denials")
    assert section is not None
    lines = section.strip().splitlines()
    assert lines[-1] == "... and 5 more"
    assert len(lines) == 2 * 20 + 1


def test_passing_tests_output_is_unchanged(pytester: pytest.Pytester):
    pytester.makepyfile(test_denials=TESTS)
    # -rA prints passing tests' report sections too: none is about KMS.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-rA", "-k", "passes")
    result.assert_outcomes(passed=1)
    assert "PASSES" in result.stdout.str()
    assert "KMS" not in result.stdout.str()
