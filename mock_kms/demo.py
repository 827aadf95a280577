"""``python -m mock_kms demo``: the classic AWS KMS tutorial, run against the mock.

Every step is a real boto3 call answered in-process; the output says what happened. The
second part walks through the tutorial's principals (``mock_kms/tutorial.py``): the key
administrator manages the key but cannot use it, the key user uses it but cannot manage it,
each denial explained, and a deletion window that runs out on the mock's clock.
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from mock_kms import tutorial
from mock_kms.mock import KmsMock, mock_kms


def _say(step: str, detail: str = "") -> None:
    print(f"  {step:<44} {detail}")


def run_demo() -> int:
    print("mock_kms demo: the AWS KMS tutorial, in-process (no network, no account)\n")
    with mock_kms(account=tutorial.ACCOUNT) as kms_mock:
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

        separation_of_duties(kms_mock)

        calls = list(kms_mock.calls)
        denied = sum(record.error_code == "AccessDeniedException" for record in calls)
        print(f"\n{len(calls)} KMS calls answered in-process ({denied} denied):")
        counts = Counter(record.operation for record in calls)
        print(textwrap.fill(", ".join(f"{name} x{count}" for name, count in counts.items()), 96,
                            initial_indent="    ", subsequent_indent="    "))  # fmt: skip
    return 0


def _why(text: str) -> None:
    print(textwrap.fill(text, 96, initial_indent="      why: ", subsequent_indent="           "))


def _refused(call: Any, kms_mock: KmsMock, **kwargs: Any) -> str:
    """Make a call that the mock must deny; show its error code and the call record's decision."""
    try:
        call(**kwargs)
    except ClientError as error:
        record = kms_mock.calls.last()
        assert record is not None and record.decision is not None, error
        _why(str(record.decision))
        return error.response["Error"]["Code"]
    raise AssertionError(f"{call.__name__} was allowed")


def separation_of_duties(kms_mock: KmsMock) -> None:
    """The tutorial's principals: who may do what with a key, and the deletion warning."""
    print("\nSeparation of duties: a key administrator and a key user (the tutorial's principals)")
    _, manager, user = tutorial.create_principals(kms_mock.iam)
    _say("group myKMSGroup", "members may list keys and aliases")
    _say("users MyKeyManager, MyKeyUser", "in myKMSGroup; the manager may also create keys")
    manager_kms, user_kms = manager.client("kms"), user.client("kms")

    key = manager_kms.create_key(Description="tutorial key", Policy=json.dumps(tutorial.KEY_POLICY))["KeyMetadata"]
    _say("MyKeyManager: create-key", "key policy: admin MyKeyManager, user MyKeyUser")
    manager_kms.enable_key_rotation(KeyId=key["KeyId"])
    manager_kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "owner", "TagValue": "MyKeyManager"}])
    _say("MyKeyManager: enable-key-rotation, tag", "ok: managing the key")

    secret = b"tutorial secret"
    blob = user_kms.encrypt(KeyId=key["KeyId"], Plaintext=secret)["CiphertextBlob"]
    assert user_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == secret
    _say("MyKeyUser: encrypt, decrypt", f"ok: {secret.decode()!r}")

    _say("MyKeyManager: decrypt", "AccessDeniedException")
    _refused(manager_kms.decrypt, kms_mock, CiphertextBlob=blob)

    answer = kms_mock.iam.simulate(user, "kms:ScheduleKeyDeletion", key["KeyId"])
    _say("simulate MyKeyUser kms:ScheduleKeyDeletion", f"{answer.decision} (kms_mock.iam.simulate, no request)")
    _say("MyKeyUser: schedule-key-deletion", "AccessDeniedException")
    _refused(user_kms.schedule_key_deletion, kms_mock, KeyId=key["KeyId"], PendingWindowInDays=7)

    deletion = manager_kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    _say(
        "MyKeyManager: schedule-key-deletion (7 days)",
        f"{deletion['KeyState']} until {deletion['DeletionDate']:%Y-%m-%d}",
    )
    kms_mock.clock.advance(days=7)
    kms_mock.run_due_events()  # what the next request would do first
    deleted = kms_mock.calls.last("DeleteKey", key=key["KeyId"])
    assert deleted is not None, "the key outlived its deletion window"
    _say("7 days later on the mock's clock", f"the key is deleted (DeleteKey event, {deleted.time:%Y-%m-%d})")
    try:
        user_kms.decrypt(CiphertextBlob=blob)
    except ClientError as error:
        outcome = error.response["Error"]["Code"]
    else:
        raise AssertionError("a deleted key decrypted")
    _say("MyKeyUser: decrypt", f"{outcome}: the data is now unreadable")
    print(
        "  The tutorial's warning: deleting a KMS key is destructive. Once it is deleted, nothing\n"
        "  encrypted under it can be decrypted again; disable the key instead if you are unsure."
    )
