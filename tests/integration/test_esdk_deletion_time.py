"""End to end: ESDK data outlives its key. time-machine moves the clock past the deletion date."""

from __future__ import annotations

import datetime

import pytest

from ._support import calls

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk", minversion="4.0")
time_machine = pytest.importorskip("time_machine")

from aws_encryption_sdk import CommitmentPolicy  # noqa: E402
from aws_encryption_sdk.exceptions import DecryptKeyError  # noqa: E402
from aws_encryption_sdk.key_providers.kms import StrictAwsKmsMasterKeyProvider  # noqa: E402


def test_data_cannot_be_decrypted_31_days_after_scheduled_deletion(mock, kms):
    esdk = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn])
    ciphertext, _ = esdk.encrypt(source=b"short-lived", key_provider=provider, encryption_context={"k": "v"})

    start = datetime.datetime.now(datetime.timezone.utc)
    deletion_date = kms.schedule_key_deletion(KeyId=key_arn)["DeletionDate"]  # default window: 30 days
    assert datetime.timedelta(days=30) <= deletion_date - start <= datetime.timedelta(days=31)

    with time_machine.travel(start + datetime.timedelta(days=29), tick=False):
        # Still only pending deletion: recoverable, but unusable.
        assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        with pytest.raises(DecryptKeyError):
            esdk.decrypt(source=ciphertext, key_provider=provider)
        assert calls(mock, "Decrypt")[-1].error_code == "KMSInvalidStateException"

    with time_machine.travel(start + datetime.timedelta(days=31), tick=False):
        with pytest.raises(DecryptKeyError):
            esdk.decrypt(source=ciphertext, key_provider=provider)
        failed = calls(mock, "Decrypt")[-1]
        assert (failed.error_code, failed.error_message) == ("NotFoundException", f"Key '{key_arn}' does not exist")
        with pytest.raises(kms.exceptions.NotFoundException):
            kms.describe_key(KeyId=key_arn)
        with pytest.raises(kms.exceptions.NotFoundException):
            kms.cancel_key_deletion(KeyId=key_arn)

    # Back in the present the key stays deleted: deletion is not undone by the clock going back.
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=key_arn)
