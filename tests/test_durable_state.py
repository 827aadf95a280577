"""Durable state (mock_kms/persistence.py): every success is on disk before it is answered.

``mock-kms serve --state FILE`` and ``mock_kms(state=FILE, durable=True)``. The crash test kills
the server with SIGKILL at random moments while a client creates keys and encrypts, restarts it
on the same file, and checks that nothing acknowledged is missing.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from test_server import ServeProcess, _clean_env  # noqa: F401  (ServeProcess: mock-kms serve in a subprocess)

from mock_kms import KmsMock, kms_server, mock_kms
from mock_kms.server import KmsHttpServer
from mock_kms.state import StateError

GRANTEE = "arn:aws:iam::123456789012:role/worker"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}


def _restarted(path):
    """A fresh mock from the file alone (the first mock never saved: durable mode has no save on stop)."""
    return mock_kms(state=path)


def test_every_kind_of_change_is_on_disk_when_answered(tmp_path):
    path = tmp_path / "kms.json"
    with mock_kms(state=path, durable=True) as kms_mock:
        assert path.exists()  # written at start: the file is writable before any request
        kms = kms_mock.client()
        key_id = kms.create_key(Description="durable", Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"][
            "KeyId"
        ]
        # Key material is made lazily by the first Encrypt: on disk before the ciphertext is answered.
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept", EncryptionContext={"k": "v"})["CiphertextBlob"]
        kms.create_alias(AliasName="alias/durable", TargetKeyId=key_id)
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "dev"}])
        grant_id = kms.create_grant(
            KeyId=key_id, GranteePrincipal="arn:aws:iam::123456789012:role/worker", Operations=["Decrypt"]
        )["GrantId"]
        kms.enable_key_rotation(KeyId=key_id)
        kms.rotate_key_on_demand(KeyId=key_id)
        doomed = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
        signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        public_key = kms.get_public_key(KeyId=signer)["PublicKey"]  # lazily generated private key
        kms_mock.iam.create_user("alice", policies=[ALLOW_ALL])  # principals ride along with the next write
        kms.list_keys()  # a read: nothing new to write
        written = kms_mock.durable_state.snapshots_written
        kms.describe_key(KeyId=key_id)
        assert kms_mock.durable_state.snapshots_written == written
        kms.disable_key(KeyId=signer)
        kms.enable_key(KeyId=signer)
        last_sign = kms.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")  # the very last request

    with _restarted(path) as again:
        kms = again.client()
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"kept"
        assert kms.describe_key(KeyId="alias/durable")["KeyMetadata"]["KeyId"] == key_id
        tags = {tag["TagKey"]: tag["TagValue"] for tag in kms.list_resource_tags(KeyId=key_id)["Tags"]}
        assert tags == {"team": "a", "env": "dev"}
        assert [grant["GrantId"] for grant in kms.list_grants(KeyId=key_id)["Grants"]] == [grant_id]
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
        assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1
        assert kms.describe_key(KeyId=doomed)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert kms.get_public_key(KeyId=signer)["PublicKey"] == public_key
        assert again.iam.get_user("alice").arn.endswith(":user/alice")
        # Even what the journal notes after the handler (the key's last usage) was on disk.
        usage = kms.get_key_last_usage(KeyId=signer)["KeyLastUsage"]
        assert usage["Operation"] == "Sign"
        assert usage["KmsRequestId"] == last_sign["ResponseMetadata"]["RequestId"]
        # A deletion due while the server was down happens at its moment after the restart.
        again.clock.advance(days=8)
        with pytest.raises(ClientError) as caught:
            kms.describe_key(KeyId=doomed)
        assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_durable_needs_a_state_path_and_starts_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="durable=True needs state="):
        mock_kms(durable=True)
    path = tmp_path / "new" / "kms.json"
    path.parent.mkdir()
    with mock_kms(state=path, durable=True):
        pass
    assert json.loads(path.read_text())["format"] == "mock_kms/state"


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"format": "mock_kms/state", "version": 1, "regions": [', "invalid JSON"),  # truncated
        ("\x00\x01garbage", "invalid JSON"),  # corrupt
        ('{"format": "mock_kms/state", "version": 99, "mock_kms_version": "9.0"}', "newer mock_kms"),
    ],
)
def test_a_bad_file_is_refused_at_start_and_left_untouched(tmp_path, content, problem):
    path = tmp_path / "kms.json"
    path.write_text(content)
    before = path.read_bytes()
    with pytest.raises(StateError, match=problem):
        mock_kms(state=path, durable=True).start()
    with pytest.raises(StateError, match=problem):
        kms_server(state=str(path), durable=True)
    assert path.read_bytes() == before

    # The CLI: exit status 2 and the reason on stderr.
    result = subprocess.run(
        [sys.executable, "-m", "mock_kms", "serve", "--port", "0", "--state", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(tmp_path),
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and problem in result.stderr
    assert path.read_bytes() == before


def test_a_failed_write_is_not_answered_as_success(tmp_path):
    path = tmp_path / "kms.json"
    with mock_kms(state=path, durable=True) as kms_mock:
        kms = kms_mock.client(config=Config(retries={"total_max_attempts": 1}))
        (tmp_path / "kms.json.tmp").mkdir()  # the snapshot cannot be written now
        with pytest.raises(ClientError) as caught:
            kms.create_key()
        error = caught.value.response
        assert error["Error"]["Code"] == "KMSInternalException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert str(path) in error["Error"]["Message"]
        (tmp_path / "kms.json.tmp").rmdir()
        # The change stays in memory (as after an internal error on AWS, it may have happened);
        # the next request writes it.
        kms.list_keys()
    with _restarted(path) as again:
        assert len(again.client().list_keys()["Keys"]) == 1


def test_concurrent_requests_share_snapshots(tmp_path):
    path = tmp_path / "kms.json"
    mock = KmsMock()
    with kms_server(mock=mock, state=str(path), durable=True) as url:
        config = Config(retries={"total_max_attempts": 1})
        made: list[str] = []

        def work() -> None:
            client = boto3.client(
                "kms", endpoint_url=url, region_name="us-east-1", config=config, aws_access_key_id="AKIAX",
                aws_secret_access_key="x",
            )  # fmt: skip
            for _ in range(10):
                made.append(client.create_key()["KeyMetadata"]["KeyId"])

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(made) == 40
    assert mock.durable_state.snapshots_written <= 41  # group commit: never more than one per request
    saved = json.loads(path.read_text())
    assert {key["key_id"] for region in saved["regions"] for key in region["keys"]} == set(made)


def test_crash_at_random_moments_loses_nothing_acknowledged(tmp_path):
    """SIGKILL the server at random points while a client works; restart; check everything."""
    path = tmp_path / "kms.json"
    rng = random.Random(15)
    acknowledged: list[tuple[str, bytes, str | None]] = []  # key id, ciphertext, alias
    grants: dict[str, str] = {}  # key id -> its acknowledged grant
    tags: dict[str, str] = {}  # key id -> its acknowledged tag's value
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)

    def client(url: str):
        return boto3.client(
            "kms", endpoint_url=url, region_name="us-east-1", config=config, aws_access_key_id="AKIAX",
            aws_secret_access_key="x",
        )  # fmt: skip

    for _round in range(4):
        server = ServeProcess(tmp_path, "--state", str(path))
        kms = client(server.url)
        _check(kms, acknowledged, grants, tags)  # everything acknowledged before every earlier crash
        killer = threading.Timer(rng.uniform(0.2, 0.8), server.process.send_signal, [signal.SIGKILL])
        killer.start()
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                key_id = kms.create_key()["KeyMetadata"]["KeyId"]
                blob = kms.encrypt(KeyId=key_id, Plaintext=key_id.encode())["CiphertextBlob"]
                acknowledged.append((key_id, blob, None))
                alias = f"alias/k-{len(acknowledged)}"
                kms.create_alias(AliasName=alias, TargetKeyId=key_id)
                acknowledged[-1] = (key_id, blob, alias)
                grant_id = kms.create_grant(KeyId=key_id, GranteePrincipal=GRANTEE, Operations=["Decrypt"])["GrantId"]
                grants[key_id] = grant_id
                kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "grant", "TagValue": grant_id}])
                tags[key_id] = grant_id
        except (BotoCoreError, ClientError, KeyError):
            # The server died under the request: it was never acknowledged. (KeyError: the kill
            # cut the body after the status line, and botocore parsed the empty body as {}.)
            pass
        finally:
            killer.cancel()
            assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        assert json.loads(path.read_text())["format"] == "mock_kms/state"  # never half a file
    server = ServeProcess(tmp_path, "--state", str(path))
    try:
        assert len(acknowledged) > 4
        _check(client(server.url), acknowledged, grants, tags)
    finally:
        server.stop()


def _check(kms, acknowledged: list[tuple[str, bytes, str | None]], grants: dict, tags: dict) -> None:
    listed = set()
    for page in kms.get_paginator("list_keys").paginate():
        listed.update(key["KeyId"] for key in page["Keys"])
    aliases = {alias["AliasName"]: alias.get("TargetKeyId") for alias in kms.list_aliases()["Aliases"]}
    for key_id, blob, alias in acknowledged:
        assert key_id in listed
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == key_id.encode()
        if alias is not None:
            assert aliases[alias] == key_id
    for key_id, grant_id in grants.items():
        assert grant_id in [grant["GrantId"] for grant in kms.list_grants(KeyId=key_id)["Grants"]]
    for key_id, value in tags.items():
        assert {"TagKey": "grant", "TagValue": value} in kms.list_resource_tags(KeyId=key_id)["Tags"]


def test_non_loopback_needs_verified_signatures(tmp_path):
    with pytest.raises(ValueError, match="refusing to listen on 0.0.0.0, which is not a loopback address"):
        KmsHttpServer(KmsMock(), host="0.0.0.0", port=0)
    result = subprocess.run(
        [sys.executable, "-m", "mock_kms", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(tmp_path),
    )
    assert result.returncode == 2
    assert "not a loopback address, without --verify-signatures" in result.stderr


def test_a_seed_loaded_at_start_is_on_disk_at_once(tmp_path):
    seed = tmp_path / "seed.json"
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    seed.write_text(json.dumps({"Keys": [{"KeyId": key_id, "KeyMaterial": "00" * 32, "Aliases": ["alias/seeded"]}]}))
    path = tmp_path / "kms.json"
    with mock_kms(state=path, seed=seed, durable=True):
        saved = json.loads(path.read_text())  # before any request
        assert [key["key_id"] for region in saved["regions"] for key in region["keys"]] == [key_id]
    server = kms_server(state=str(tmp_path / "served.json"), seed=str(seed), durable=True)
    saved = json.loads((tmp_path / "served.json").read_text())
    assert [key["key_id"] for region in saved["regions"] for key in region["keys"]] == [key_id]
    assert server.mock.durable_state is not None
