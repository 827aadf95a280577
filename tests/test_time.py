"""One clock for the whole mock: ``datetime.now(timezone.utc)`` plus an offset.

Moved by the mock (``kms_mock.clock.advance/set``), by freezegun and by time-machine; the
time-based transitions (deletion, rotation) happen when that clock says so, observed by the
next request, and are journaled as service events.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_kms import mock_kms

UTC = timezone.utc
START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def close(a: datetime, b: datetime, seconds: float = 2.0) -> bool:
    return abs((a - b).total_seconds()) <= seconds


def is_deleted(kms, key_id: str) -> bool:
    try:
        kms.describe_key(KeyId=key_id)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NotFoundException"
        return True
    return False


# -- the mock's own clock -------------------------------------------------------------------
def test_clock_follows_real_time_until_moved(kms_mock):
    assert close(kms_mock.clock.now(), datetime.now(UTC))
    assert kms_mock.clock.offset == timedelta(0)


def test_advance_moves_every_timestamp(kms, kms_mock):
    moved = kms_mock.clock.advance(days=3, hours=4)
    assert close(moved, datetime.now(UTC) + timedelta(days=3, hours=4))
    meta = kms.create_key()["KeyMetadata"]
    assert close(meta["CreationDate"], moved)
    assert close(kms_mock.calls.last("CreateKey").time, moved)


def test_set_and_reset(kms, kms_mock):
    kms_mock.clock.set(START)
    assert close(kms.create_key()["KeyMetadata"]["CreationDate"], START)
    kms_mock.clock.set(datetime(2031, 6, 1))  # naive datetimes are UTC
    assert close(kms_mock.clock.now(), datetime(2031, 6, 1, tzinfo=UTC))
    kms_mock.clock.reset()
    assert close(kms_mock.clock.now(), datetime.now(UTC))


def test_transitions_wait_for_a_request(kms, kms_mock):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms_mock.clock.advance(days=8)
    assert key_id in kms_mock.backend.region(kms_mock.account, kms_mock.region).keys
    assert kms_mock.calls.filter("DeleteKey") == []
    kms.list_keys()  # any request observes what is due
    assert key_id not in kms_mock.backend.region(kms_mock.account, kms_mock.region).keys
    assert len(kms_mock.calls.filter("DeleteKey")) == 1


def test_moving_the_clock_back_never_fires_events_early(kms, kms_mock):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    deletion = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["DeletionDate"]
    kms_mock.clock.set(deletion - timedelta(days=400))
    kms_mock.clock.advance(days=399)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms_mock.clock.set(deletion + timedelta(seconds=1))
    assert is_deleted(kms, key_id)


def test_events_are_journaled_in_time_order(kms, kms_mock):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=first, RotationPeriodInDays=90)
    kms.schedule_key_deletion(KeyId=second, PendingWindowInDays=30)
    kms_mock.clock.advance(days=100)
    kms.list_keys()
    tail = kms_mock.calls[-3:]
    assert [record.operation for record in tail] == ["DeleteKey", "RotateKey", "ListKeys"]
    assert tail[0].time < tail[1].time < tail[2].time
    assert all(record.caller_arn == "kms.amazonaws.com" for record in tail[:2])
    assert tail[0].key_id == second and tail[1].key_id == first
    assert [record.cloudtrail_event()["eventType"] for record in tail] == ["AwsServiceEvent", "AwsServiceEvent", "AwsApiCall"]


# -- freezegun --------------------------------------------------------------------------------
def test_freezegun_drives_deletion():
    with freeze_time(START) as frozen, mock_kms() as mock:
        kms = mock.client()
        meta = kms.create_key()["KeyMetadata"]
        assert meta["CreationDate"] == START
        response = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
        assert response["DeletionDate"] == START + timedelta(days=7)  # exact under frozen time
        frozen.tick(timedelta(days=7) - timedelta(microseconds=1))
        assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
        frozen.tick(timedelta(microseconds=1))  # exactly DeletionDate
        assert is_deleted(kms, meta["KeyId"])
        assert mock.calls.last("DeleteKey").time == START + timedelta(days=7)


def test_freezegun_drives_rotation_and_old_ciphertext_decrypts():
    with freeze_time(START) as frozen, mock_kms() as mock:
        kms = mock.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        blobs = []
        for day in range(0, 400, 45):
            frozen.move_to(START + timedelta(days=day))
            blobs.append((kms.encrypt(KeyId=key_id, Plaintext=f"day {day}".encode())["CiphertextBlob"], day))
        entries = kms.list_key_rotations(KeyId=key_id)["Rotations"]
        assert [entry["RotationDate"] for entry in entries] == [START + timedelta(days=90 * n) for n in (1, 2, 3, 4)]
        materials = {kms.decrypt(CiphertextBlob=blob)["KeyMaterialId"] for blob, _ in blobs}
        assert len(materials) == 5  # data from before each of the four rotations, and after
        for blob, day in blobs:
            assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == f"day {day}".encode()


def test_freezegun_with_the_mock_clock_offset():
    """The offset is added to whatever ``datetime.now`` says, frozen or not."""
    with freeze_time(START), mock_kms() as mock:
        mock.clock.advance(days=2)
        assert mock.clock.now() == START + timedelta(days=2)
        assert mock.client().create_key()["KeyMetadata"]["CreationDate"] == START + timedelta(days=2)


def test_freezegun_ignoring_botocore_keeps_the_mock_frozen():
    """The documented fix for botocore's adaptive retry mode under frozen time."""
    with freeze_time(START, ignore=["botocore"]), mock_kms() as mock:
        assert mock.client().create_key()["KeyMetadata"]["CreationDate"] == START
        assert mock.calls.last("CreateKey").time == START


# -- time-machine -----------------------------------------------------------------------------
def test_time_machine_drives_deletion_and_cancel():
    with time_machine.travel(START, tick=False) as traveller, mock_kms() as mock:
        kms = mock.client()
        kept = kms.create_key()["KeyMetadata"]["KeyId"]
        doomed = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=kept, PendingWindowInDays=10)
        kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=10)
        traveller.shift(timedelta(days=9))
        kms.cancel_key_deletion(KeyId=kept)
        traveller.shift(timedelta(days=1))
        assert is_deleted(kms, doomed)
        meta = kms.describe_key(KeyId=kept)["KeyMetadata"]
        assert (meta["KeyState"], "DeletionDate" in meta) == ("Disabled", False)
        assert mock.calls.last("DeleteKey").time == START + timedelta(days=10)


def test_time_machine_drives_rotation():
    with time_machine.travel(START, tick=False) as traveller, mock_kms() as mock:
        kms = mock.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
        kms.enable_key_rotation(KeyId=key_id)
        status = kms.get_key_rotation_status(KeyId=key_id)
        assert status["NextRotationDate"] == START + timedelta(days=365)
        traveller.move_to(START + timedelta(days=365 * 2 + 1))
        entries = kms.list_key_rotations(KeyId=key_id)["Rotations"]
        assert [entry["RotationDate"] for entry in entries] == [START + timedelta(days=365), START + timedelta(days=730)]
        assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
        assert kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"] == START + timedelta(days=365 * 3)


def test_time_machine_ticking():
    """With tick=True (time-machine's default) time flows on from the destination."""
    with time_machine.travel(START), mock_kms() as mock:
        created = mock.client().create_key()["KeyMetadata"]["CreationDate"]
        assert START <= created < START + timedelta(minutes=1)
