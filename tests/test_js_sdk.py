"""The AWS SDK for JavaScript v3 (``@aws-sdk/client-kms``) against the server.

``tests/js/kms_sdk.mjs`` drives a ``kms_server()``: keys of several specs, encrypt/decrypt with
context, data keys, ECDSA sign/verify checked with node:crypto, RSA-OAEP sealed outside, HMAC,
aliases, grants, key deletion, and errors as the SDK's own exception classes with AWS's
messages — with signatures unchecked and with ``verify_signatures=True``.

Needs Node and ``npm ci`` in tests/js (``.ci/run`` does it); skipped, saying which, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mock_kms import kms_server
from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY
from mock_kms.wire.sigv4 import SIGNATURE_MISMATCH

JS = Path(__file__).parent / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="Node.js is not installed (the JavaScript SDK tests need node)"),
    pytest.mark.skipif(
        not (JS / "node_modules" / "@aws-sdk" / "client-kms").is_dir(),
        reason="tests/js/node_modules is missing: run `npm ci` in tests/js (.ci/run does)",
    ),
]


def _node(url: str, scenario: str, tmp_path: Path) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        KMS_ENDPOINT=url,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=MOCK_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=MOCK_SECRET_ACCESS_KEY,
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = subprocess.run(
        [NODE, str(JS / "kms_sdk.mjs"), scenario], cwd=JS, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"node kms_sdk.mjs {scenario}:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


TOUR = ["encrypt-decrypt-context", "data-key", "aliases", "grants", "ecdsa-sign-verify", "rsa-oaep", "hmac"]


@pytest.mark.parametrize("verify_signatures", [False, True], ids=["unchecked", "verified"])
def test_javascript_sdk_tour(tmp_path, verify_signatures):
    with kms_server(verify_signatures=verify_signatures) as url:
        output = _node(url, "tour", tmp_path)
    assert output["result"] == [*TOUR, "key-deletion", "errors"]


def test_javascript_sdk_bad_signatures_are_refused(tmp_path):
    with kms_server(verify_signatures=True) as url:
        output = _node(url, "bad-signature", tmp_path)
    assert output["result"] == {
        "invalidSignature": SIGNATURE_MISMATCH,
        "unrecognizedClient": "The security token included in the request is invalid.",
    }
