"""Fault injection: injected errors look exactly like AWS's, so botocore retries what it would retry."""

from __future__ import annotations

import json
import threading
import time
import types

import botocore.retries.standard
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ALLOW_KMS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
)
STANDARD = Config(retries={"mode": "standard", "total_max_attempts": 5})
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """Retries without botocore's exponential backoff sleeps (the retry decisions are unchanged)."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture
def key_id(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/faulty", TargetKeyId=key_id)
    return key_id


@pytest.fixture
def blob(kms, key_id):
    return kms.encrypt(KeyId=key_id, Plaintext=b"payload")["CiphertextBlob"]


def test_throttling_twice_is_retried_by_botocore(kms_mock, key_id, blob):
    fault = kms_mock.inject_error("Decrypt", "ThrottlingException", times=2)
    kms = kms_mock.client(config=STANDARD)
    response = kms.decrypt(CiphertextBlob=blob)
    assert response["Plaintext"] == b"payload"
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert fault.fired == 2 and fault.remaining == 0 and not fault.active
    attempts = kms_mock.calls.filter("Decrypt")
    assert [record.outcome for record in attempts] == ["ThrottlingException", "ThrottlingException", "ok"]
    assert [record.injected for record in attempts] == [True, True, False]
    # Spent: the next call goes through at once.
    assert kms.decrypt(CiphertextBlob=blob)["ResponseMetadata"]["RetryAttempts"] == 0


def test_throttling_is_answered_as_aws_does(kms_mock, key_id, blob):
    kms_mock.inject_error("Decrypt", "ThrottlingException", times=1)
    kms = kms_mock.client(config=NO_RETRIES)
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    response = excinfo.value.response
    assert response["Error"] == {
        "Code": "ThrottlingException",
        "Message": "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("code", ["KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException"])
def test_server_side_errors_are_http_500_and_retried(kms_mock, key_id, code):
    kms_mock.inject_error("Encrypt", code, times=1)
    kms = kms_mock.client(config=NO_RETRIES)
    with pytest.raises(getattr(kms.exceptions, code)) as excinfo:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert excinfo.value.response["Error"]["Code"] == code
    assert excinfo.value.response["Error"]["Message"]  # the model's description of the error

    kms_mock.inject_error("Encrypt", code, times=3)
    response = kms_mock.client(config=STANDARD).encrypt(KeyId=key_id, Plaintext=b"x")
    assert response["ResponseMetadata"]["RetryAttempts"] == 3


def test_retries_give_up_after_max_attempts(kms_mock, key_id):
    kms_mock.inject_error("GenerateDataKey", "KMSInternalException")  # no limit
    kms = kms_mock.client(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert kms_mock.calls.count("GenerateDataKey", injected=True) == 3


def test_legacy_retry_mode_retries_too(kms_mock, key_id, monkeypatch):
    monkeypatch.setattr("botocore.endpoint.time", types.SimpleNamespace(sleep=lambda seconds: None))
    kms_mock.inject_error("Encrypt", "ThrottlingException", times=2)
    kms = kms_mock.client(config=Config(retries={"mode": "legacy", "max_attempts": 4}))
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x")["ResponseMetadata"]["RetryAttempts"] == 2


def test_non_retryable_errors_are_not_retried(kms_mock, key_id):
    kms_mock.inject_error("Encrypt", "AccessDeniedException", "User: x is not authorized", times=1)
    kms = kms_mock.client(config=STANDARD)
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert excinfo.value.response["Error"] == {"Code": "AccessDeniedException", "Message": "User: x is not authorized"}
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert kms_mock.calls.count("Encrypt", injected=True) == 1


def test_any_code_for_any_operation(kms_mock, kms, key_id):
    kms_mock.inject_error("*", "SomethingNewException", "brand new", times=2, status=409)
    for call in (kms.list_keys, lambda: kms.describe_key(KeyId=key_id)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["Error"] == {"Code": "SomethingNewException", "Message": "brand new"}
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    kms.list_keys()


def test_an_injected_error_changes_nothing(kms_mock, kms):
    kms_mock.inject_error("CreateKey", "KMSInternalException", times=1)
    with pytest.raises(kms.exceptions.KMSInternalException):
        kms_mock.client(config=NO_RETRIES).create_key(Description="never made")
    assert kms.list_keys()["Keys"] == []


def test_fault_for_one_key_only(kms_mock, kms, key_id):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms_mock.inject_error("Encrypt", "KeyUnavailableException", key="alias/faulty")
    kms.encrypt(KeyId=other, Plaintext=b"x")
    for identifier in (key_id, "alias/faulty", f"arn:aws:kms:us-east-1:123456789012:key/{key_id}"):
        with pytest.raises(kms.exceptions.KeyUnavailableException):
            kms_mock.client(config=NO_RETRIES).encrypt(KeyId=identifier, Plaintext=b"x")


def test_fault_for_a_key_found_from_the_ciphertext(kms_mock, kms, key_id, blob):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    other_blob = kms.encrypt(KeyId=other, Plaintext=b"y")["CiphertextBlob"]
    kms_mock.inject_error("Decrypt", "IncorrectKeyException", "no", key=key_id)
    assert kms.decrypt(CiphertextBlob=other_blob)["Plaintext"] == b"y"
    with pytest.raises(kms.exceptions.IncorrectKeyException):
        kms.decrypt(CiphertextBlob=blob)


def test_fault_for_one_principal_only(kms_mock, kms, key_id):
    role = kms_mock.iam.create_role("flaky", policies=[ALLOW_KMS])
    kms_mock.inject_error("Encrypt", "AccessDeniedException", "denied by the test", principal=role.arn)
    kms.encrypt(KeyId=key_id, Plaintext=b"x")  # the account root: unaffected
    with pytest.raises(ClientError) as excinfo:
        role.client().encrypt(KeyId=key_id, Plaintext=b"x")
    assert excinfo.value.response["Error"]["Message"] == "denied by the test"


def test_probability_with_a_seed_is_reproducible(kms_mock, kms):
    def outcomes() -> list[bool]:
        kms_mock.clear_faults()
        fault = kms_mock.inject_error("ListKeys", "ThrottlingException", probability=0.5, seed=42)
        client = kms_mock.client(config=NO_RETRIES)
        seen = []
        for _ in range(40):
            try:
                client.list_keys()
                seen.append(False)
            except ClientError:
                seen.append(True)
        assert fault.fired == sum(seen)
        return seen

    first = outcomes()
    assert 5 < sum(first) < 35
    assert outcomes() == first


def test_faults_are_checked_in_order_and_can_be_cancelled(kms_mock, kms):
    first = kms_mock.inject_error("ListKeys", "ThrottlingException", times=1)
    second = kms_mock.inject_error("ListKeys", "KMSInternalException")
    client = kms_mock.client(config=NO_RETRIES)
    with pytest.raises(ClientError, match="ThrottlingException"):
        client.list_keys()
    with pytest.raises(ClientError, match="KMSInternalException"):
        client.list_keys()
    second.cancel()
    client.list_keys()
    assert kms_mock.faults == [first, second]
    kms_mock.clear_faults()
    assert kms_mock.faults == []


def test_bad_fault_arguments(kms_mock):
    with pytest.raises(ValueError, match="unknown KMS operation 'Decrypts'"):
        kms_mock.inject_error("Decrypts", "ThrottlingException")
    with pytest.raises(ValueError, match="not an AWS error code"):
        kms_mock.inject_error("Decrypt", "Throttling Exception")
    with pytest.raises(ValueError, match="probability"):
        kms_mock.inject_error("Decrypt", "ThrottlingException", probability=1.5)
    with pytest.raises(ValueError, match="times"):
        kms_mock.inject_error("Decrypt", "ThrottlingException", times=0)


def test_latency_delays_the_answer_without_blocking_other_requests(kms_mock, key_id):
    kms_mock.inject_latency("Encrypt", 0.4, times=1)
    slow_done = threading.Event()
    timings: dict[str, float] = {}

    def slow() -> None:
        started = time.perf_counter()
        kms_mock.client().encrypt(KeyId=key_id, Plaintext=b"x")
        timings["slow"] = time.perf_counter() - started
        slow_done.set()

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.1)
    started = time.perf_counter()
    kms_mock.client().describe_key(KeyId=key_id)  # not held up by the slow Encrypt
    timings["fast"] = time.perf_counter() - started
    assert not slow_done.is_set()
    thread.join()
    assert timings["slow"] >= 0.4
    assert timings["fast"] < 0.3
    assert kms_mock.calls.last("Encrypt").latency == 0.4


def test_latency_and_error_together(kms_mock, key_id):
    kms_mock.inject_latency("*", 0.2, times=1)
    kms_mock.inject_error("DescribeKey", "DependencyTimeoutException", times=1)
    started = time.perf_counter()
    response = kms_mock.client(config=STANDARD).describe_key(KeyId=key_id)
    assert time.perf_counter() - started >= 0.2
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
