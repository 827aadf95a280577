"""The ``kms_client`` fixture: one boto3 client per session, a fresh mock per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SUITE = """
import json, os

def record(name, kms_client, kms_mock):
    key_id = kms_client.create_key()["KeyMetadata"]["KeyId"]
    blob = kms_client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert kms_client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    seen = {
        "client": id(kms_client),
        "keys": [k["KeyId"] for k in kms_client.list_keys()["Keys"]],
        "mine": key_id,
        "journal": [call.operation for call in kms_mock.calls],
        "region": kms_client.meta.region_name == kms_mock.region,
    }
    with open(os.path.join(os.environ["OUT"], name), "w") as f:
        json.dump(seen, f)

def test_first(kms_client, kms_mock):
    record("first", kms_client, kms_mock)

def test_second(kms_client, kms_mock):
    record("second", kms_client, kms_mock)
"""


def test_one_client_per_session_and_fresh_state_per_test(tmp_path):
    import json

    (tmp_path / "test_suite.py").write_text(_SUITE)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "OUT": str(out)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first, second = (json.loads((out / name).read_text()) for name in ("first", "second"))
    assert first["client"] == second["client"]  # the same client object...
    assert first["keys"] == [first["mine"]] and second["keys"] == [second["mine"]]  # ...fresh state each time
    assert first["journal"] == second["journal"] == ["CreateKey", "Encrypt", "Decrypt", "ListKeys"]
    assert first["region"] and second["region"]


def test_kms_client_answers_from_the_active_mock(kms_client, kms_mock):
    kms_client.create_key(Description="seen by this test's mock")
    keys = kms_mock.backend.region(kms_mock.account, kms_mock.region).keys.values()
    assert [key.description for key in keys] == ["seen by this test's mock"]
