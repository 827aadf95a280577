"""``python -m mock_kms demo``: the classic AWS KMS tutorial, run against the mock.

Every step is a real boto3 call answered in-process; the output says what happened.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mock_kms.mock import mock_kms


def _say(step: str, detail: str = "") -> None:
    print(f"  {step:<44} {detail}")


def run_demo() -> int:
    print("mock_kms demo: the AWS KMS tutorial, in-process (no network, no account)\n")
    with mock_kms() as kms_mock:
        kms = kms_mock.client("kms")

        key = kms.create_key(
            Description="Demo key for the KMS tutorial",
            Tags=[{"TagKey": "project", "TagValue": "demo"}],
        )["KeyMetadata"]
        _say("create-key", f"{key['KeyId']} ({key['KeySpec']}, {key['KeyState']})")
        kms.create_alias(AliasName="alias/demo-key", TargetKeyId=key["KeyId"])
        _say("create-alias", "alias/demo-key")
        tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
        _say("list-resource-tags", ", ".join(f"{t['TagKey']}={t['TagValue']}" for t in tags))

        with tempfile.TemporaryDirectory() as folder:
            myfile = Path(folder, "myfile.txt")
            myfile.write_text("Hello, KMS! This is the text of myfile.txt.\n")

            # encrypt / decrypt / re-encrypt a small file's text
            blob = kms.encrypt(KeyId="alias/demo-key", Plaintext=myfile.read_bytes())["CiphertextBlob"]
            _say("encrypt fileb://myfile.txt", f"{len(blob)}-byte ciphertext blob")
            plaintext = kms.decrypt(CiphertextBlob=blob)["Plaintext"]
            assert plaintext == myfile.read_bytes()
            _say("decrypt", repr(plaintext.decode().strip()))
            second = kms.create_key(Description="Second demo key")["KeyMetadata"]
            moved = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=second["KeyId"])
            assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == plaintext
            _say("re-encrypt", f"now under {second['KeyId']}")

            # yearly rotation
            kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=365)
            status = kms.get_key_rotation_status(KeyId=key["KeyId"])
            _say("enable-key-rotation", f"next rotation {status['NextRotationDate']:%Y-%m-%d}")

            # envelope encryption: a data key encrypts the file locally with AES-GCM
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            data_key = kms.generate_data_key(KeyId="alias/demo-key", KeySpec="AES_256")
            nonce = os.urandom(12)
            sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, myfile.read_bytes(), None)
            encrypted_file = Path(folder, "myfile.txt.encrypted")
            encrypted_file.write_bytes(nonce + sealed)
            stored_key = data_key["CiphertextBlob"]  # kept next to the file; the plaintext key is dropped
            _say("generate-data-key + AES-GCM locally", f"{encrypted_file.name}: {encrypted_file.stat().st_size} bytes")
            recovered_key = kms.decrypt(CiphertextBlob=stored_key)["Plaintext"]
            content = encrypted_file.read_bytes()
            recovered = AESGCM(recovered_key).decrypt(content[:12], content[12:], None)
            assert recovered == myfile.read_bytes()
            _say("decrypt data key, then the file", repr(recovered.decode().strip()))

        # schedule deletion with the minimum window, then cancel it
        deletion = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        _say("schedule-key-deletion (7 days)", f"{deletion['KeyState']} until {deletion['DeletionDate']:%Y-%m-%d}")
        kms.cancel_key_deletion(KeyId=key["KeyId"])
        kms.enable_key(KeyId=key["KeyId"])
        state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        _say("cancel-key-deletion + enable-key", state)

        print(f"\n{len(kms_mock.calls)} KMS calls answered in-process:")
        for record in kms_mock.calls:
            print(f"    {record.operation:<28} {'ok' if record.succeeded else record.error_code}")
    return 0
