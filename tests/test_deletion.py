"""ScheduleKeyDeletion / CancelKeyDeletion and what the end of the waiting period does
(kms_spec.md §7.1): the clock is moved with the mock's own clock here; freezegun and
time-machine are in test_time.py."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mock_kms.core import lifecycle


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def close(a: datetime, b: datetime, seconds: float = 2.0) -> bool:
    return abs((a - b).total_seconds()) <= seconds


@pytest.fixture
def key(kms):
    return kms.create_key(Description="to be deleted")["KeyMetadata"]


def not_found(arn: str) -> tuple[str, str]:
    return "NotFoundException", f"Key '{arn}' does not exist"


# -- ScheduleKeyDeletion ----------------------------------------------------------------------
def test_schedule_default_window_is_30_days(kms, kms_mock, key):
    before = kms_mock.clock.now()
    response = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert response["KeyId"] == key["Arn"]
    assert response["KeyState"] == "PendingDeletion"
    assert response["PendingWindowInDays"] == 30
    assert close(response["DeletionDate"], before + timedelta(days=30))
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("PendingDeletion", False)
    assert meta["DeletionDate"] == response["DeletionDate"]
    assert "PendingDeletionWindowInDays" not in meta  # only for PendingReplicaDeletion


@pytest.mark.parametrize("window", [7, 30])
def test_schedule_window_bounds_are_accepted(kms, kms_mock, key, window):
    before = kms_mock.clock.now()
    response = kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=window)
    assert response["PendingWindowInDays"] == window
    assert close(response["DeletionDate"], before + timedelta(days=window))


@pytest.mark.parametrize("window", [1, 6, 31, 365])
def test_schedule_window_outside_7_to_30_is_rejected(kms, key, window):
    with pytest.raises(ClientError) as excinfo:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=window)
    assert error_of(excinfo) == ("ValidationException", "PendingWindowInDays must be between 7 and 30")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_schedule_window_below_model_minimum_is_a_model_error(kms_mock, key):
    client = kms_mock.client(config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=0)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )


def test_key_is_unusable_while_pending_deletion(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    pending = ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"more")
    assert error_of(excinfo) == pending
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == pending
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert error_of(excinfo) == pending
    with pytest.raises(ClientError) as excinfo:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert error_of(excinfo) == pending
    # Management that the key-state table allows still works.
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


# -- the end of the waiting period ----------------------------------------------------------
def test_key_is_deleted_when_the_clock_passes_deletion_date(kms, kms_mock, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=7, seconds=-10)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms_mock.clock.advance(seconds=11)
    for call in (
        lambda: kms.describe_key(KeyId=key["KeyId"]),
        lambda: kms.describe_key(KeyId=key["Arn"]),
        lambda: kms.cancel_key_deletion(KeyId=key["KeyId"]),
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default"),
        lambda: kms.list_resource_tags(KeyId=key["KeyId"]),
        lambda: kms.enable_key(KeyId=key["KeyId"]),
        lambda: kms.get_key_rotation_status(KeyId=key["KeyId"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == not_found(key["Arn"])
    listed = kms.list_keys()["Keys"]
    assert key["KeyId"] not in {entry["KeyId"] for entry in listed}


def test_data_protected_under_a_deleted_key_is_inaccessible(kms, kms_mock, key):
    """Envelope encryption: the data key that protects the data can no longer be decrypted."""
    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"app": "x"})
    nonce = os.urandom(12)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, b"the customer database", None)
    wrapped = data_key["CiphertextBlob"]
    direct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"a small secret")["CiphertextBlob"]
    del data_key

    # While the key exists the data is recoverable...
    plaintext_key = kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={"app": "x"})["Plaintext"]
    assert AESGCM(plaintext_key).decrypt(nonce, sealed, None) == b"the customer database"

    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    # ...afterwards nothing decrypts the wrapped data key or the ciphertext, with or without KeyId:
    # naming the key is NotFoundException; without KeyId AWS answers AccessDeniedException for the
    # ciphertext's unreachable key (kms_spec.md §5.2).
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={"app": "x"}, KeyId=key["Arn"])
    assert error_of(excinfo) == not_found(key["Arn"])
    unreachable = (
        "because the resource does not exist in this Region, no resource-based policies allow access, "
        "or a resource-based policy explicitly denies access"
    )
    for action, call in (
        ("kms:Decrypt", lambda: kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={"app": "x"})),
        ("kms:Decrypt", lambda: kms.decrypt(CiphertextBlob=direct)),
        (
            "kms:ReEncryptFrom",
            lambda: kms.re_encrypt(CiphertextBlob=direct, DestinationKeyId=kms.create_key()["KeyMetadata"]["KeyId"]),
        ),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "AccessDeniedException",
            f"User: arn:aws:iam::123456789012:root is not authorized to perform: {action} "
            f"on the resource associated with this ciphertext {unreachable}",
        )
    # The key's material went with it: the mock holds no key object for it any more.
    assert key["KeyId"] not in kms_mock.backend.region("123456789012", kms_mock.region).keys


def test_aliases_and_grants_are_deleted_with_the_key(kms, kms_mock, key):
    other = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key["KeyId"])
    kms.create_alias(AliasName="alias/kept", TargetKeyId=other["KeyId"])
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal="arn:aws:iam::123456789012:role/app", Operations=["Decrypt"])
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    # Aliases keep pointing at a key while it is pending deletion.
    names = {alias["AliasName"] for alias in kms.list_aliases()["Aliases"]}
    assert {"alias/doomed", "alias/kept"} <= names

    kms_mock.clock.advance(days=7, seconds=1)
    names = {alias["AliasName"] for alias in kms.list_aliases()["Aliases"]}
    assert "alias/doomed" not in names and "alias/kept" in names
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId="alias/doomed")
    assert error_of(excinfo) == (
        "NotFoundException", f"Alias arn:aws:kms:{kms_mock.region}:123456789012:alias/doomed is not found."
    )
    with pytest.raises(ClientError) as excinfo:
        kms.list_grants(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])
    # The alias name is free again.
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=other["KeyId"])


def test_deletion_is_journaled_as_a_service_event(kms, kms_mock, key):
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)["DeletionDate"]
    kms_mock.clock.advance(days=10)
    kms.list_keys()
    [event] = kms_mock.calls.filter("DeleteKey")
    assert event.key_arn == key["Arn"]
    assert event.caller_arn == "kms.amazonaws.com"
    assert close(event.time, scheduled, 0.01)  # the moment it was due, not when it was observed
    assert event.event_type == "AwsServiceEvent"
    # Journal order follows time: the deletion comes before the ListKeys that observed it.
    assert kms_mock.calls.operations[-2:] == ["DeleteKey", "ListKeys"]
    assert event.cloudtrail_event()["eventName"] == "DeleteKey"


# -- CancelKeyDeletion --------------------------------------------------------------------------
def test_cancel_within_the_window_leaves_the_key_disabled(kms, kms_mock, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"keep me")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=6)
    assert kms.cancel_key_deletion(KeyId=key["Arn"])["KeyId"] == key["Arn"]
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    assert "DeletionDate" not in meta
    # The original deletion date passes: the cancelled deletion does not happen.
    kms_mock.clock.advance(days=30)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"keep me"


def test_cancel_deletion_returns_the_key_arn(kms, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"])
    response = kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert response["KeyId"] == key["Arn"]


def test_cancel_on_a_key_not_pending_deletion(kms, key):
    with pytest.raises(ClientError) as excinfo:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is not pending deletion.")


def test_rescheduling_after_a_cancel_uses_the_new_date_only(kms, kms_mock, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    kms_mock.clock.advance(days=1)
    second = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=30)["DeletionDate"]
    kms_mock.clock.advance(days=10)  # past the first, cancelled, date
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["DeletionDate"] == second
    kms_mock.clock.advance(days=21)  # past the second
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == not_found(key["Arn"])
    assert len(kms_mock.calls.filter("DeleteKey")) == 1


def test_other_keys_are_untouched(kms, kms_mock, key):
    survivor = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=365)
    assert kms.describe_key(KeyId=survivor["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert [entry["KeyId"] for entry in kms.list_keys()["Keys"] if entry["KeyId"] in (key["KeyId"], survivor["KeyId"])] == [
        survivor["KeyId"]
    ]


def test_run_due_events_applies_transitions_without_a_request(kms, kms_mock, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    here = kms_mock.backend.region("123456789012", kms_mock.region)
    assert key["KeyId"] in here.keys  # nothing happens until something looks
    kms_mock.run_due_events()
    assert key["KeyId"] not in here.keys
    assert kms_mock.calls.last("DeleteKey").key_arn == key["Arn"]


# -- multi-Region: the last replica's deletion starts the primary's waiting period ----------------
def test_primary_waits_for_its_replicas_then_its_window_begins(kms, kms_mock):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replica_region = "eu-west-1" if kms_mock.region != "eu-west-1" else "us-west-2"
    replica_client = kms_mock.client(region_name=replica_region)
    replica_arn = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion=replica_region)["ReplicaKeyMetadata"]["Arn"]
    kms.list_keys()  # the replica finishes Creating

    response = kms.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=10)
    assert (response["KeyState"], response["PendingWindowInDays"]) == ("PendingReplicaDeletion", 10)
    assert "DeletionDate" not in response
    meta = kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["PendingDeletionWindowInDays"]) == ("PendingReplicaDeletion", 10)
    assert "DeletionDate" not in meta

    # The primary waits as long as a replica exists; the replica is unaffected.
    kms_mock.clock.advance(days=100)
    assert kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion"
    assert replica_client.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"

    replica_gone = replica_client.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)["DeletionDate"]
    kms_mock.clock.advance(days=7, seconds=1)
    with pytest.raises(ClientError) as excinfo:
        replica_client.describe_key(KeyId=primary["KeyId"])
    assert error_of(excinfo) == not_found(replica_arn)
    meta = kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    assert meta["DeletionDate"] == replica_gone + timedelta(days=10)  # the window starts at the replica's deletion
    assert meta["MultiRegionConfiguration"]["ReplicaKeys"] == []

    kms_mock.clock.advance(days=10)
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=primary["KeyId"])
    assert error_of(excinfo) == not_found(primary["Arn"])
    assert [event.key_arn for event in kms_mock.calls.filter("DeleteKey")] == [replica_arn, primary["Arn"]]


def test_replica_deleted_is_idempotent(kms, kms_mock):
    """core.lifecycle.replica_deleted may be called again (e.g. by the multi-Region feature)."""
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-central-1")
    replica_client = kms_mock.client(region_name="eu-central-1")
    kms.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)
    replica = kms_mock.backend.region("123456789012", "eu-central-1").keys[primary["KeyId"]]
    replica_client.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    first = kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["DeletionDate"]
    lifecycle.replica_deleted(kms_mock.backend, replica, datetime.now(timezone.utc) + timedelta(days=30))
    assert kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["DeletionDate"] == first
