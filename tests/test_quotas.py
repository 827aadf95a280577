"""Resource quotas (LimitExceededException / TagException with AWS's messages, configurable
per mock) and the optional request-rate quotas (ThrottlingException) (kms_spec.md §8)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import time_machine
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.mock import DEFAULT_QUOTAS

ACCOUNT = "123456789012"
REGION = "us-east-1"
THROTTLED = (
    "ThrottlingException",
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
)
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture
def kms(kms_mock):
    # botocore retries LimitExceededException and ThrottlingException (with sleeps): off here.
    return kms_mock.client("kms", region_name=REGION, config=NO_RETRIES)


def error(excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def test_default_quotas_are_awss():
    assert DEFAULT_QUOTAS["keys_per_region"] == 100_000
    assert DEFAULT_QUOTAS["aliases_per_key"] == 50
    assert DEFAULT_QUOTAS["grants_per_key"] == 50_000
    assert DEFAULT_QUOTAS["tags_per_key"] == 50
    assert DEFAULT_QUOTAS["key_policy_size"] == 32_768
    assert DEFAULT_QUOTAS["on_demand_rotations_per_key"] == 25
    with mock_kms(quotas={"grants_per_key": 10}) as mock:
        assert mock.quota("grants_per_key") == 10 and mock.quota("keys_per_region") == 100_000


def test_unknown_quota_names_are_rejected():
    with pytest.raises(ValueError, match="unknown quota names"):
        mock_kms(quotas={"keys": 5})


# -- keys per Region -----------------------------------------------------------------------


def test_keys_per_region_quota():
    with mock_kms(quotas={"keys_per_region": 3}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        first = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_key()
        kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
        with pytest.raises(ClientError) as excinfo:
            kms.create_key()
        # AWS's text [GH:convox/rack#347].
        assert error(excinfo) == (
            "LimitExceededException",
            "Key quota for this account in this region is 3 but the current usage is 3.",
        )
        # Per account and Region.
        mock.client("kms", region_name="eu-west-1", config=NO_RETRIES).create_key()
        mock.iam.root("111122223333").client("kms", region_name=REGION, config=NO_RETRIES).create_key()
        # Keys pending deletion still count; deleted keys do not.
        kms.schedule_key_deletion(KeyId=first, PendingWindowInDays=7)
        with pytest.raises(ClientError):
            kms.create_key()
        mock.clock.advance(days=8)
        kms.create_key()


def test_aws_managed_keys_do_not_count_against_the_keys_quota():
    with mock_kms(quotas={"keys_per_region": 1}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        kms.describe_key(KeyId="alias/aws/s3")
        kms.describe_key(KeyId="alias/aws/ebs")
        kms.create_key()
        with pytest.raises(ClientError) as excinfo:
            kms.create_key()
        assert error(excinfo)[1] == "Key quota for this account in this region is 1 but the current usage is 1."


def test_replicate_key_counts_against_the_replica_regions_keys_quota():
    with mock_kms(quotas={"keys_per_region": 1}) as mock:
        east = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        mock.client("kms", region_name="eu-west-1", config=NO_RETRIES).create_key()
        with pytest.raises(ClientError) as excinfo:
            east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
        assert error(excinfo) == (
            "LimitExceededException",
            "Key quota for this account in this region is 1 but the current usage is 1.",
        )
        east.replicate_key(KeyId=key_id, ReplicaRegion="ap-southeast-2")


# -- aliases per key -----------------------------------------------------------------------


def test_aliases_per_key_quota(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for number in range(50):
        kms.create_alias(AliasName=f"alias/a{number}", TargetKeyId=key_id)
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/one-too-many", TargetKeyId=key_id)
    # AWS's text [GH:scylladb/scylla-cluster-tests#7611].
    assert error(excinfo) == (
        "LimitExceededException",
        "Aliases per key quota for this account in this region is 50, current usage is 50.",
    )


def test_aliases_per_key_quota_applies_to_update_alias_and_is_configurable():
    with mock_kms(quotas={"aliases_per_key": 1}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        full = kms.create_key()["KeyMetadata"]["KeyId"]
        other = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/full", TargetKeyId=full)
        kms.create_alias(AliasName="alias/other", TargetKeyId=other)
        with pytest.raises(ClientError) as excinfo:
            kms.update_alias(AliasName="alias/other", TargetKeyId=full)
        assert error(excinfo) == (
            "LimitExceededException",
            "Aliases per key quota for this account in this region is 1, current usage is 1.",
        )
        kms.update_alias(AliasName="alias/other", TargetKeyId=other)  # same target: no change in usage
        kms.delete_alias(AliasName="alias/full")
        kms.update_alias(AliasName="alias/other", TargetKeyId=full)


# -- tags per key --------------------------------------------------------------------------


def _tags(count: int) -> list[dict[str, str]]:
    return [{"TagKey": f"k{number}", "TagValue": "v"} for number in range(count)]


def test_tags_per_key_quota(kms):
    # Real AWS answers TagException "Too many tags" past 50 tags [LS@2025-01-21].
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Tags=_tags(51))
    assert error(excinfo) == ("TagException", "Too many tags")
    key_id = kms.create_key(Tags=_tags(50))["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "extra", "TagValue": "v"}])
    assert error(excinfo) == ("TagException", "Too many tags")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "k0", "TagValue": "changed"}])  # replacing is fine


def test_tags_per_key_quota_is_configurable_and_applies_to_replicas():
    with mock_kms(quotas={"tags_per_key": 2}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        key_id = kms.create_key(MultiRegion=True, Tags=_tags(2))["KeyMetadata"]["KeyId"]
        with pytest.raises(ClientError) as excinfo:
            kms.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1", Tags=_tags(3))
        assert error(excinfo) == ("TagException", "Too many tags")


# -- key policy size -----------------------------------------------------------------------


def _policy_of_size(size: int) -> str:
    base = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    text = json.dumps(base)
    base["Statement"][0]["Sid"] = "x" * (size - len(text))
    text = json.dumps(base)
    assert len(text) == size
    return text


def test_key_policy_size_quota(kms):
    fits, too_big = _policy_of_size(32_768), _policy_of_size(32_769)
    key_id = kms.create_key(Policy=fits)["KeyMetadata"]["KeyId"]
    expected = ("LimitExceededException", "Key policy document size exceeds the limit of 32768 bytes.")
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Policy=too_big)
    assert error(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=too_big)
    assert error(excinfo) == expected
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1", Policy=too_big)
    assert error(excinfo) == expected


def test_key_policy_size_quota_is_configurable():
    with mock_kms(quotas={"key_policy_size": 1000}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        with pytest.raises(ClientError) as excinfo:
            kms.create_key(Policy=_policy_of_size(1001))
        assert error(excinfo) == ("LimitExceededException", "Key policy document size exceeds the limit of 1000 bytes.")
        kms.create_key(Policy=_policy_of_size(1000))


# -- grants and on-demand rotations (enforced by their features) ---------------------------


def test_grants_per_key_quota_is_configurable():
    with mock_kms(quotas={"grants_per_key": 1}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        grantee = f"arn:aws:iam::{ACCOUNT}:role/app"
        kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["Decrypt"])
        with pytest.raises(ClientError) as excinfo:
            kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["Encrypt"])
        assert error(excinfo)[0] == "LimitExceededException"


def test_on_demand_rotations_per_key_quota_is_configurable():
    with mock_kms(quotas={"on_demand_rotations_per_key": 2}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        key = kms.create_key()["KeyMetadata"]
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
        with pytest.raises(ClientError) as excinfo:
            kms.rotate_key_on_demand(KeyId=key["KeyId"])
        assert error(excinfo) == (
            "LimitExceededException",
            (
                "The on-demand rotations limit has been reached for the given keyId. "
                f"No more on-demand rotations can be performed for this key: {key['Arn']}"
            ),
        )


# -- request-rate quotas -------------------------------------------------------------------


@pytest.fixture
def frozen():
    """Real time stands still: the mock clock moves only when the test moves it."""
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=timezone.utc), tick=False):
        yield


def test_rate_limits_are_off_by_default(kms):
    for _ in range(20):
        kms.create_key()  # CreateKey's quota is 5/s
    assert len(kms.list_keys()["Keys"]) == 20


def test_throttling_per_operation_quota(frozen):
    with mock_kms(rate_limits=True) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        for _ in range(5):
            kms.create_key()
        with pytest.raises(ClientError) as excinfo:
            kms.create_key()
        assert error(excinfo) == THROTTLED
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert mock.calls[-1].error_code == "ThrottlingException"
        kms.list_keys()  # another operation, another bucket
        mock.clock.advance(seconds=0.2)  # 5 per second: one token back
        kms.create_key()
        with pytest.raises(ClientError):
            kms.create_key()


def test_throttling_is_per_account_and_region(frozen):
    with mock_kms(rate_limits={"CreateKey": 1}) as mock:
        mock.client("kms", region_name=REGION, config=NO_RETRIES).create_key()
        with pytest.raises(ClientError) as excinfo:
            mock.client("kms", region_name=REGION, config=NO_RETRIES).create_key()
        assert error(excinfo) == THROTTLED
        mock.client("kms", region_name="eu-west-1", config=NO_RETRIES).create_key()
        mock.iam.root("111122223333").client("kms", region_name=REGION, config=NO_RETRIES).create_key()


def test_cryptographic_operations_share_one_bucket_per_key_type(frozen):
    with mock_kms(rate_limits={"symmetric": 3, "rsa": 1}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
        kms.decrypt(CiphertextBlob=blob)
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
        with pytest.raises(ClientError) as excinfo:
            kms.generate_random(NumberOfBytes=16)
        assert error(excinfo) == THROTTLED
        kms.describe_key(KeyId=key_id)  # not a cryptographic operation
        kms.encrypt(KeyId=rsa, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")  # the RSA bucket
        with pytest.raises(ClientError) as excinfo:
            kms.encrypt(KeyId=rsa, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
        assert error(excinfo) == THROTTLED


def test_replicate_key_also_counts_two_create_keys_in_the_replica_region(frozen):
    with mock_kms(rate_limits={"CreateKey": 2}) as mock:
        east = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
        with pytest.raises(ClientError) as excinfo:
            mock.client("kms", region_name="eu-west-1", config=NO_RETRIES).create_key()
        assert error(excinfo) == THROTTLED


def test_botocore_retries_and_backoff_get_through(frozen, monkeypatch):
    with mock_kms(rate_limits={"DescribeKey": 10}) as mock:
        # botocore's backoff sleeps: here they move the mock clock instead of waiting.
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            mock.clock.advance(seconds=seconds)

        monkeypatch.setattr("time.sleep", sleep)
        kms = mock.client("kms", region_name=REGION)  # default retry configuration
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        for _ in range(30):
            kms.describe_key(KeyId=key_id)
        throttled = [call for call in mock.calls if call.error_code == "ThrottlingException"]
        assert throttled and all(call.operation == "DescribeKey" for call in throttled)
        assert len(slept) == len(throttled)
        assert len(mock.calls.filter("DescribeKey", error_code=None)) == 30


def test_rate_limit_options_are_checked():
    with pytest.raises(ValueError, match="unknown rate limit names"):
        mock_kms(rate_limits={"Encrpyt": 5})
    with pytest.raises(ValueError, match="positive number"):
        mock_kms(rate_limits={"symmetric": 0})
    with mock_kms(rate_limits={"CreateKey": None}) as mock:
        kms = mock.client("kms", region_name=REGION, config=NO_RETRIES)
        for _ in range(10):
            kms.create_key()
