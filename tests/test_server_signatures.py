"""``mock-kms serve --verify-signatures``: the aws CLI, botocore and ``requests`` + SigV4Auth pass
with the right secret and are refused, with AWS's codes and messages, without it.
(The JavaScript SDK: test_js_sdk.py. Each failure kind in detail: test_sigv4.py.)"""

from __future__ import annotations

import json
import signal
import subprocess

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from test_server import ServeProcess, _aws_command, _clean_env

from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY
from mock_kms.wire.sigv4 import SIGNATURE_MISMATCH


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("verified")
    process = ServeProcess(tmp_path, "--verify-signatures")
    yield process
    assert process.stop(signal.SIGTERM) == 0


def _env(tmp_path, secret: str = MOCK_SECRET_ACCESS_KEY) -> dict[str, str]:
    return _clean_env(tmp_path, AWS_ACCESS_KEY_ID=MOCK_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=secret)


def test_the_server_says_which_credentials_to_sign_with(server):
    assert f"AWS_ACCESS_KEY_ID={MOCK_ACCESS_KEY_ID}" in server.wait_for("signatures are verified", timeout=10)


def test_aws_cli(server, tmp_path):
    command = [*_aws_command(), "kms", "create-key", "--description", "cli", "--endpoint-url", server.url]
    good = subprocess.run(command, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["KeyMetadata"]["Description"] == "cli"
    bad = subprocess.run(command, env=_env(tmp_path, "wrong"), capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert f"(InvalidSignatureException) when calling the CreateKey operation: {SIGNATURE_MISMATCH}" in bad.stderr


def test_botocore(server):
    def client(secret: str):
        return boto3.client(
            "kms",
            endpoint_url=server.url,
            region_name="eu-west-1",  # a custom endpoint names no region: the scope's is used
            aws_access_key_id=MOCK_ACCESS_KEY_ID,
            aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1}),
        )

    key_arn = client(MOCK_SECRET_ACCESS_KEY).create_key()["KeyMetadata"]["Arn"]
    assert ":eu-west-1:" in key_arn
    with pytest.raises(ClientError) as caught:
        client("wrong").list_keys()
    assert caught.value.response["Error"] == {"Code": "InvalidSignatureException", "Message": SIGNATURE_MISMATCH}


def test_requests_with_sigv4auth(server):
    def signed(body: bytes) -> AWSRequest:
        request = AWSRequest(
            method="POST",
            url=server.url + "/",
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.CreateKey"},
        )
        SigV4Auth(Credentials(MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY), "kms", "us-east-1").add_auth(request)
        return request

    request = signed(b'{"Description": "by hand"}')
    response = requests.post(request.url, data=request.body, headers=dict(request.headers.items()), timeout=10)
    assert response.status_code == 200 and response.json()["KeyMetadata"]["Description"] == "by hand"
    tampered = requests.post(
        request.url, data=b'{"Description": "changed"}', headers=dict(request.headers.items()), timeout=10
    )
    assert tampered.json() == {"__type": "InvalidSignatureException", "message": SIGNATURE_MISMATCH}
    unsigned = requests.post(
        request.url, data=request.body, headers={"X-Amz-Target": "TrentService.ListKeys"}, timeout=10
    )
    assert unsigned.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }


def test_a_host_no_url_parser_takes_gets_an_aws_error(server):
    # The server builds the signed URL from Host: "[" must be an AWS error, not a dropped connection.
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(server.url)
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"},
    )
    SigV4Auth(Credentials(MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY), "kms", "us-east-1").add_auth(request)
    lines = [f"{name}: {value}" for name, value in request.headers.items() if name.lower() != "host"]
    raw = "\r\n".join(["POST / HTTP/1.1", "Host: [", *lines, "Content-Length: 2", "Connection: close", "", "{}"])
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(raw.encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["__type"] in (
        "IncompleteSignatureException",
        "InvalidSignatureException",
    )
