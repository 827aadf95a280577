"""Automatic and on-demand rotation of key material (kms_spec.md §7.2–7.3), driven by the
mock's clock; ListKeyRotations; old ciphertext keeps decrypting."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_kms import mock_kms


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def close(a: datetime, b: datetime, seconds: float = 2.0) -> bool:
    return abs((a - b).total_seconds()) <= seconds


@pytest.fixture
def key(kms):
    return kms.create_key()["KeyMetadata"]


def current_material(kms, key_id: str) -> str:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]


def rotations(kms, key_id: str, **params) -> list[dict]:
    return kms.list_key_rotations(KeyId=key_id, **params)["Rotations"]


# -- Enable / Disable / GetKeyRotationStatus ---------------------------------------------------
def test_rotation_is_off_by_default(kms, key):
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    status.pop("ResponseMetadata")
    assert status == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_enable_rotation_default_period(kms, kms_mock, key):
    enabled_at = kms_mock.clock.now()
    kms.enable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    status.pop("ResponseMetadata")
    assert set(status) == {"KeyId", "KeyRotationEnabled", "NextRotationDate", "RotationPeriodInDays"}
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 365)
    assert close(status["NextRotationDate"], enabled_at + timedelta(days=365))


@pytest.mark.parametrize("period", [90, 180, 2560])
def test_enable_rotation_custom_period(kms, kms_mock, key, period):
    enabled_at = kms_mock.clock.now()
    kms.enable_key_rotation(KeyId=key["Arn"], RotationPeriodInDays=period)
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert status["RotationPeriodInDays"] == period
    assert close(status["NextRotationDate"], enabled_at + timedelta(days=period))


@pytest.mark.parametrize(
    "period, constraint",
    [(89, "greater than or equal to 90"), (2561, "less than or equal to 2560")],
)
def test_rotation_period_outside_90_to_2560(kms_mock, key, period, constraint):
    client = kms_mock.client(config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=period)
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to satisfy "
        f"constraint: Member must have value {constraint}",
    )


def test_disable_rotation(kms, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    status.pop("ResponseMetadata")
    assert status == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_changing_the_period_keeps_the_schedule_start(kms, kms_mock, key):
    enabled_at = kms_mock.clock.now()
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=365)
    kms_mock.clock.advance(days=100)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["RotationPeriodInDays"] == 180
    assert close(status["NextRotationDate"], enabled_at + timedelta(days=180))
    # Repeating the call does not postpone rotation.
    kms_mock.clock.advance(days=50)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    assert close(kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"], enabled_at + timedelta(days=180))


@pytest.mark.parametrize(
    "create",
    [
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    ],
    ids=["ecc", "rsa", "hmac"],
)
def test_automatic_rotation_is_only_for_symmetric_encryption_keys(kms, create):
    meta = kms.create_key(**create)["KeyMetadata"]
    expected = (
        "UnsupportedOperationException",
        f"{meta['Arn']} key spec is {create['KeySpec']} which is not valid for this operation.",
    )
    for call in (kms.enable_key_rotation, kms.disable_key_rotation):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=meta["KeyId"])
        assert error_of(excinfo) == expected
    # GetKeyRotationStatus answers (always false) for these keys.
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is False
    with pytest.raises(ClientError) as excinfo:
        kms.list_key_rotations(KeyId=meta["KeyId"])
    assert error_of(excinfo) == expected


def test_automatic_rotation_is_not_for_imported_material(kms):
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    assert error_of(excinfo) == (
        "UnsupportedOperationException",
        f"{meta['Arn']} origin is EXTERNAL which is not valid for this operation.",
    )


def test_rotation_settings_cannot_change_while_disabled(kms, key):
    kms.disable_key(KeyId=key["KeyId"])
    for call in (kms.enable_key_rotation, kms.disable_key_rotation):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=key["KeyId"])
        assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")


# -- automatic rotation on the clock -------------------------------------------------------------
def test_automatic_rotation_when_the_clock_passes_next_rotation_date(kms, kms_mock, key):
    first = current_material(kms, key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms_mock.clock.advance(days=90, seconds=-5)
    assert current_material(kms, key["KeyId"]) == first
    assert rotations(kms, key["KeyId"]) == []
    kms_mock.clock.advance(seconds=6)
    second = current_material(kms, key["KeyId"])
    assert second != first and len(second) == 64
    [entry] = rotations(kms, key["KeyId"])
    assert entry == {
        "KeyId": key["KeyId"],
        "KeyMaterialId": second,
        "KeyMaterialState": "CURRENT",
        "RotationDate": due,
        "RotationType": "AUTOMATIC",
    }
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["NextRotationDate"] == due + timedelta(days=90)
    assert status["KeyRotationEnabled"] is True


def test_a_long_jump_rotates_once_per_period_on_the_right_dates(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=100)
    due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms_mock.clock.advance(days=350)
    entries = rotations(kms, key["KeyId"])
    assert [entry["RotationDate"] for entry in entries] == [due, due + timedelta(days=100), due + timedelta(days=200)]
    assert [entry["KeyMaterialState"] for entry in entries] == ["NON_CURRENT", "NON_CURRENT", "CURRENT"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"] == due + timedelta(days=300)
    events = kms_mock.calls.filter("RotateKey")
    assert [event.time for event in events] == [entry["RotationDate"] for entry in entries]
    assert all(event.service_event_details["rotationType"] == "AUTOMATIC" for event in events)
    assert events[-1].service_event_details["currentKeyMaterialId"] == entries[-1]["KeyMaterialId"]
    assert events[-1].cloudtrail_event()["serviceEventDetails"]["previousKeyMaterialId"] == entries[-2]["KeyMaterialId"]


def test_ciphertext_from_every_earlier_material_still_decrypts(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    blobs: list[tuple[bytes, bytes, str]] = []
    for generation in range(4):
        plaintext = f"generation {generation}".encode()
        material = current_material(kms, key["KeyId"])
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionContext={"g": str(generation)})
        blobs.append((blob["CiphertextBlob"], plaintext, material))
        if generation == 1:
            kms.rotate_key_on_demand(KeyId=key["KeyId"])
        kms_mock.clock.advance(days=91)
    assert len({material for _, _, material in blobs}) == 4  # each blob under different material
    newest = current_material(kms, key["KeyId"])
    assert newest not in {material for _, _, material in blobs}
    for generation, (blob, plaintext, material) in enumerate(blobs):
        result = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"g": str(generation)})
        assert result["Plaintext"] == plaintext
        assert result["KeyMaterialId"] == material  # Decrypt names the material that was used
        assert result["KeyId"] == key["Arn"]
        moved = kms.re_encrypt(
            CiphertextBlob=blob,
            SourceEncryptionContext={"g": str(generation)},
            DestinationKeyId=key["KeyId"],
            DestinationEncryptionContext={"g": str(generation)},
        )
        assert (moved["SourceKeyMaterialId"], moved["DestinationKeyMaterialId"]) == (material, newest)
        again = kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"g": str(generation)})
        assert (again["Plaintext"], again["KeyMaterialId"]) == (plaintext, newest)
    # New encryption uses the newest material; data keys too.
    fresh = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"now")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=fresh)["KeyMaterialId"] == newest
    assert kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["KeyMaterialId"] == newest


def test_disabled_key_does_not_rotate_and_catches_up_when_enabled(kms, kms_mock, key):
    first = current_material(kms, key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms.disable_key(KeyId=key["KeyId"])
    kms_mock.clock.advance(days=200)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert (status["KeyRotationEnabled"], status["NextRotationDate"]) == (True, due)  # status unchanged
    assert rotations(kms, key["KeyId"]) == []
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == first

    enabled_at = kms_mock.clock.now()
    kms.enable_key(KeyId=key["KeyId"])  # overdue: rotates at once
    [entry] = rotations(kms, key["KeyId"])
    assert entry["RotationType"] == "AUTOMATIC" and close(entry["RotationDate"], enabled_at)
    assert current_material(kms, key["KeyId"]) == entry["KeyMaterialId"] != first
    assert close(kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"], enabled_at + timedelta(days=90))


def test_disabled_key_that_is_not_overdue_resumes_its_schedule(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms.disable_key(KeyId=key["KeyId"])
    kms_mock.clock.advance(days=30)
    kms.enable_key(KeyId=key["KeyId"])
    assert rotations(kms, key["KeyId"]) == []
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"] == due
    kms_mock.clock.advance(days=61)
    assert [entry["RotationDate"] for entry in rotations(kms, key["KeyId"])] == [due]


def test_pending_deletion_key_does_not_rotate(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms_mock.clock.advance(days=80)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=30)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    status.pop("ResponseMetadata")
    assert status == {"KeyId": key["Arn"], "KeyRotationEnabled": False}  # reads false while pending
    for call in (kms.enable_key_rotation, kms.disable_key_rotation):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=key["KeyId"])
        assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    kms_mock.clock.advance(days=20)  # the rotation date passes while pending deletion
    assert rotations(kms, key["KeyId"]) == []
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True  # restored
    assert rotations(kms, key["KeyId"]) == []  # still Disabled: no rotation
    kms.enable_key(KeyId=key["KeyId"])
    assert [entry["RotationType"] for entry in rotations(kms, key["KeyId"])] == ["AUTOMATIC"]


def test_disabling_rotation_cancels_the_scheduled_rotation(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    kms_mock.clock.advance(days=400)
    assert rotations(kms, key["KeyId"]) == []
    # Re-enabling starts a new schedule from the re-enable date.
    again = kms_mock.clock.now()
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert close(kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"], again + timedelta(days=90))


# -- RotateKeyOnDemand ---------------------------------------------------------------------------
def test_rotate_on_demand(kms, kms_mock, key):
    first = current_material(kms, key["KeyId"])
    before = kms_mock.clock.now()
    response = kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert response["KeyId"] == key["Arn"]
    second = current_material(kms, key["KeyId"])
    assert second != first
    [entry] = rotations(kms, key["KeyId"])
    assert (entry["KeyMaterialId"], entry["RotationType"], entry["KeyMaterialState"]) == (second, "ON_DEMAND", "CURRENT")
    assert close(entry["RotationDate"], before)
    # Complete at once: no OnDemandRotationStartDate, automatic rotation still off.
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    status.pop("ResponseMetadata")
    assert status == {"KeyId": key["Arn"], "KeyRotationEnabled": False}
    event = kms_mock.calls.last("RotateKey")
    assert event.service_event_details == {
        "rotationType": "ON_DEMAND",
        "keyOrigin": "AWS_KMS",
        "previousKeyMaterialId": first,
        "currentKeyMaterialId": second,
        "keyId": key["KeyId"],
    }


def test_rotate_on_demand_does_not_change_the_automatic_schedule(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=730)
    due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms_mock.clock.advance(days=700)
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"], status["NextRotationDate"]) == (True, 730, due)
    kms_mock.clock.advance(days=31)
    assert [entry["RotationType"] for entry in rotations(kms, key["KeyId"])] == ["ON_DEMAND", "AUTOMATIC"]


# botocore retries LimitExceededException as throttling (with real backoff sleeps): not here.
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def test_rotate_on_demand_limit_default_25(kms_mock, key):
    kms = kms_mock.client(config=NO_RETRIES)
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "LimitExceededException",
        "The on-demand rotations limit has been reached for the given keyId. "
        f"No more on-demand rotations can be performed for this key: {key['Arn']}",
    )
    assert len(rotations(kms, key["KeyId"])) == 25


def test_rotate_on_demand_limit_is_a_quota():
    with mock_kms(quotas={"on_demand_rotations_per_key": 2}) as mock:
        kms = mock.client(config=NO_RETRIES)
        key = kms.create_key()["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
        with pytest.raises(ClientError) as excinfo:
            kms.rotate_key_on_demand(KeyId=key["KeyId"])
        assert error_of(excinfo)[0] == "LimitExceededException"
        # Automatic rotations do not count against it.
        mock.clock.advance(days=200)
        assert [entry["RotationType"] for entry in rotations(kms, key["KeyId"])] == ["ON_DEMAND"] * 2 + ["AUTOMATIC"] * 2


@pytest.mark.parametrize(
    "create",
    [
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "RSA_4096", "KeyUsage": "ENCRYPT_DECRYPT"},
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    ],
    ids=["ecc", "rsa", "hmac"],
)
def test_rotate_on_demand_non_symmetric_key(kms, create):
    meta = kms.create_key(**create)["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    assert error_of(excinfo) == ("UnsupportedOperationException", "")  # recorded: empty message


def test_rotate_on_demand_key_state_errors(kms, key):
    rsa = kms.create_key(KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.disable_key(KeyId=rsa["KeyId"])
    with pytest.raises(ClientError) as excinfo:  # the state error wins over the spec error
        kms.rotate_key_on_demand(KeyId=rsa["KeyId"])
    assert error_of(excinfo) == ("DisabledException", f"{rsa['Arn']} is disabled.")
    kms.schedule_key_deletion(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=external["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{external['Arn']} is pending import.")
    missing = "1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=missing)
    assert error_of(excinfo) == (
        "NotFoundException", f"Key 'arn:aws:kms:{key['Arn'].split(':')[3]}:123456789012:key/{missing}' does not exist"
    )


def test_rotate_on_demand_conflicts_with_an_imminent_automatic_rotation(kms, kms_mock, key):
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    kms_mock.clock.set(due - timedelta(minutes=21))
    kms.rotate_key_on_demand(KeyId=key["KeyId"])  # 21 minutes ahead: fine
    kms_mock.clock.set(due - timedelta(minutes=19))
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    code, message = error_of(excinfo)
    assert code == "ConflictException" and key["Arn"] in message
    kms_mock.clock.set(due + timedelta(seconds=1))
    kms.rotate_key_on_demand(KeyId=key["KeyId"])  # the automatic rotation has happened
    assert [entry["RotationType"] for entry in rotations(kms, key["KeyId"])] == ["ON_DEMAND", "AUTOMATIC", "ON_DEMAND"]


# -- ListKeyRotations --------------------------------------------------------------------------
def test_list_key_rotations_all_key_material(kms, key):
    first = current_material(kms, key["KeyId"])
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    second = current_material(kms, key["KeyId"])
    assert [entry["KeyMaterialId"] for entry in rotations(kms, key["KeyId"], IncludeKeyMaterial="ROTATIONS_ONLY")] == [second]
    everything = rotations(kms, key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert everything[0] == {"KeyId": key["KeyId"], "KeyMaterialId": first, "KeyMaterialState": "NON_CURRENT"}
    assert (everything[1]["KeyMaterialId"], everything[1]["KeyMaterialState"], everything[1]["RotationType"]) == (
        second, "CURRENT", "ON_DEMAND"
    )
    assert len(everything) == 2


def test_list_key_rotations_paginates(kms, key):
    for _ in range(5):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    page = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2)
    assert (len(page["Rotations"]), page["Truncated"]) == (2, True)
    seen = list(page["Rotations"])
    while page["Truncated"]:
        page = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2, Marker=page["NextMarker"])
        seen += page["Rotations"]
    assert "NextMarker" not in page
    assert seen == rotations(kms, key["KeyId"])
    assert len(seen) == 5 and len({entry["KeyMaterialId"] for entry in seen}) == 5
    dates = [entry["RotationDate"] for entry in seen]
    assert dates == sorted(dates)  # oldest first
    pages = kms.get_paginator("list_key_rotations").paginate(KeyId=key["Arn"], PaginationConfig={"PageSize": 3})
    assert [entry for page in pages for entry in page["Rotations"]] == seen


def test_list_key_rotations_of_unknown_key(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.list_key_rotations(KeyId="alias/nothing")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'alias/nothing'")


# -- multi-Region keys: rotation is set on, and performed through, the primary --------------------
def test_replicas_rotate_with_their_primary(kms, kms_mock):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    blob = kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"everywhere")["CiphertextBlob"]
    replica_arn = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-2")["ReplicaKeyMetadata"]["Arn"]
    replica = kms_mock.client(region_name="eu-west-2")
    kms.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=90)
    assert replica.get_key_rotation_status(KeyId=primary["KeyId"])["RotationPeriodInDays"] == 90
    for call in (replica.enable_key_rotation, replica.rotate_key_on_demand):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=primary["KeyId"])
        assert error_of(excinfo) == ("UnsupportedOperationException", f"{replica_arn} is not a multi-region primary key.")
    kms_mock.clock.advance(days=91)
    kms.rotate_key_on_demand(KeyId=primary["KeyId"])
    assert current_material(replica, primary["KeyId"]) == current_material(kms, primary["KeyId"])
    assert [entry["RotationType"] for entry in rotations(replica, primary["KeyId"])] == ["AUTOMATIC", "ON_DEMAND"]
    assert replica.decrypt(CiphertextBlob=blob)["Plaintext"] == b"everywhere"
    assert [event.key_arn for event in kms_mock.calls.filter("RotateKey")] == [primary["Arn"]] * 2
