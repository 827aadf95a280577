"""Isolation under pytest-xdist (``pytest -n 2``): every test sees a fresh mock.

Each test remembers (per worker process) the keys it created; every later test on the same
worker must find none of them. Whatever order xdist hands these out in, each worker runs
several, so state leaking from one test to the next fails here.
"""

from __future__ import annotations

import os

import pytest

_created_here: set[str] = set()  # key ARNs made by earlier tests in this worker process


@pytest.mark.parametrize("n", range(6))
def test_each_test_starts_from_a_fresh_mock(kms_mock, worker_id, n):
    kms = kms_mock.client("kms", "us-east-1")
    listed = {key["KeyArn"] for key in kms.list_keys()["Keys"]}
    assert not listed & _created_here
    for arn in sorted(_created_here)[:3]:
        with pytest.raises(kms.exceptions.NotFoundException):
            kms.describe_key(KeyId=arn)
    assert not [alias for alias in kms.list_aliases()["Aliases"] if alias["AliasName"].startswith("alias/iso-")]
    api_calls = [record.operation for record in kms_mock.calls if record.event_type == "AwsApiCall"]
    assert api_calls[0] == "ListKeys"  # the journal is fresh too

    arn = kms.create_key(Description=f"{worker_id}-{n}")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/iso-{n}", TargetKeyId=arn)
    _created_here.add(arn)


@pytest.mark.parametrize("n", range(4))
def test_supplied_credentials_do_not_leak_between_tests(n):
    """The mock sets throwaway credentials only while active and restores the environment."""
    from mock_kms import mock_kms

    before = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    with mock_kms():
        assert os.environ.get("AWS_ACCESS_KEY_ID")
    assert {name: os.environ.get(name) for name in before} == before
