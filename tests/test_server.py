"""The HTTP server: ``mock-kms serve`` for the aws CLI and other processes, ``kms_server()`` in tests.

Clients run in subprocesses (or speak raw HTTP): in this process an active in-process mock
would answer botocore's KMS requests itself, whatever the endpoint.
"""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from mock_kms import KmsMock, kms_server

BIN = Path(sys.executable).parent


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A subprocess environment with throwaway credentials and no AWS config of the machine's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE12",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    env.update(extra)
    return env


def _post(url: str, operation: str, payload: dict, region: str = "us-east-1") -> tuple[int, dict]:
    """A KMS request by hand (JSON 1.1 over HTTP), as a non-Python SDK sends it."""
    host = url.split("//", 1)[1]
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request(
            "POST",
            "/",
            body=json.dumps(payload),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"TrentService.{operation}",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/{region}/kms/aws4_request, "
                "SignedHeaders=host, Signature=0",
            },
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _get(url: str, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(url.split("//", 1)[1], timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


PYTHON_CLIENT = textwrap.dedent(
    """
    import base64, json, sys
    import boto3
    from botocore.config import Config

    kms = boto3.client("kms", config=Config(retries={"mode": "standard", "total_max_attempts": 5}))
    key_id = kms.create_key(Description="from a subprocess")["KeyMetadata"]["KeyId"]
    encrypted = kms.encrypt(KeyId=key_id, Plaintext=b"over http", EncryptionContext={"via": "server"})
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"via": "server"})
    print(json.dumps({
        "key_id": key_id,
        "endpoint": kms.meta.endpoint_url,
        "plaintext": decrypted["Plaintext"].decode(),
        "retries": decrypted["ResponseMetadata"]["RetryAttempts"],
        "blob": base64.b64encode(encrypted["CiphertextBlob"]).decode(),
    }))
    """
)


# -- kms_server() in-process ------------------------------------------------------------------
def test_kms_server_answers_a_python_subprocess(tmp_path):
    server = kms_server()
    with server as url:
        assert url.startswith("http://127.0.0.1:")
        server.mock.inject_error("Decrypt", "ThrottlingException", times=2)
        result = subprocess.run(
            [sys.executable, "-c", PYTHON_CLIENT],
            env=_clean_env(tmp_path, AWS_ENDPOINT_URL_KMS=url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["endpoint"] == url
        assert answer["plaintext"] == "over http"
        assert answer["retries"] == 2  # the injected throttling, retried by botocore over HTTP
        server.mock.calls.assert_called_once(
            "Encrypt", encryption_context={"via": "server"}, caller_arn="arn:aws:iam::123456789012:root"
        )
        assert server.mock.calls.count("Decrypt") == 3
        assert server.mock.calls.last("Encrypt").access_key_id == "AKIAEXAMPLEEXAMPLE12"


def test_kms_server_shares_a_mock_with_the_test(kms_mock, tmp_path):
    """The test's own (active) mock, served to a subprocess: one state, one call journal."""
    key_id = kms_mock.client().create_key(Description="made in the test")["KeyMetadata"]["KeyId"]
    with kms_server(mock=kms_mock) as url:
        status, body = _post(url, "DescribeKey", {"KeyId": key_id})
        assert status == 200 and body["KeyMetadata"]["Description"] == "made in the test"
        result = subprocess.run(
            [sys.executable, "-c", PYTHON_CLIENT],
            env=_clean_env(tmp_path, AWS_ENDPOINT_URL_KMS=url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)["key_id"]
    # Back in the test: the in-process client sees what the subprocess made.
    kms = kms_mock.client()
    assert kms.describe_key(KeyId=made)["KeyMetadata"]["Description"] == "from a subprocess"
    blob = base64.b64decode(json.loads(result.stdout)["blob"])
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"via": "server"})["Plaintext"] == b"over http"


def test_wire_errors_and_status_codes(tmp_path):
    with kms_server() as url:
        status, body = _post(url, "DescribeKey", {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})
        assert status == 400
        assert body == {
            "__type": "NotFoundException",
            "message": "Key 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist",
        }
        status, body = _post(url, "DescribeKey", {"KeyId": "x"}, region="eu-west-3")
        assert body["__type"] == "NotFoundException"
        status, body = _post(url, "NoSuchThing", {})
        assert status == 400 and body["__type"] == "UnknownOperationException"


def test_injected_server_errors_are_http_500(tmp_path):
    server = kms_server()
    with server as url:
        server.mock.inject_error("ListKeys", "KMSInternalException", times=1)
        status, body = _post(url, "ListKeys", {})
        assert status == 500 and body["__type"] == "KMSInternalException"
        status, body = _post(url, "ListKeys", {})
        assert status == 200 and body == {"Keys": [], "Truncated": False}


def test_health_endpoint(tmp_path):
    with kms_server(region="eu-central-1") as url:
        for path in ("/health", "/_mock_kms/health"):
            status, body = _get(url, path)
            assert status == 200
            health = json.loads(body)
            assert health["status"] == "ok" and health["region"] == "eu-central-1" and health["keys"] == 0
        assert _get(url, "/elsewhere")[0] == 404


def test_concurrent_requests(tmp_path):
    server = kms_server()
    with server as url:
        key_id = _post(url, "CreateKey", {})[1]["KeyMetadata"]["KeyId"]
        errors: list[object] = []

        def work(n: int) -> None:
            try:
                for i in range(10):
                    plaintext = base64.b64encode(f"{n}-{i}".encode()).decode()
                    status, body = _post(url, "Encrypt", {"KeyId": key_id, "Plaintext": plaintext})
                    assert status == 200, body
                    status, body = _post(url, "Decrypt", {"CiphertextBlob": body["CiphertextBlob"]})
                    assert status == 200 and body["Plaintext"] == plaintext
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert server.mock.calls.count("Decrypt", succeeded=True) == 80


def test_the_server_never_activates_interception():
    from mock_kms import interception

    with kms_server() as url:
        assert interception.active_mock() is None
        assert _post(url, "ListKeys", {})[0] == 200


# -- mock-kms serve, driven by the aws CLI ------------------------------------------------------
class ServeProcess:
    """``mock-kms serve`` in a subprocess on a free port; stderr collected line by line."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        script = BIN / "mock-kms"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "mock_kms"]
        self.process = subprocess.Popen(
            [*command, "serve", "--port", "0", *args],
            env=_clean_env(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for("listening on ").split("listening on ", 1)[1].split()[0]

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {text!r} from mock-kms serve; got {self.log}") from None
            self.log.append(line)
            if text in line:
                return line
            if line == "" and self.process.poll() is not None:
                raise AssertionError(f"mock-kms serve exited ({self.process.returncode}): {self.log}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        while True:
            try:
                self.log.append(self.lines.get(timeout=5))
            except queue.Empty:
                break
            if self.log[-1] == "":
                break
        return code


def _aws_command() -> list[str]:
    if importlib.util.find_spec("awscli") is not None:
        return [sys.executable, "-m", "awscli"]
    found = shutil.which("aws")
    if found is None:
        pytest.skip("the aws CLI is not installed (pip install awscli)")
    return [found]


@pytest.fixture
def aws(tmp_path):
    command = _aws_command()

    def run(url: str | None, *args: str, env: dict[str, str] | None = None) -> str:
        endpoint = ["--endpoint-url", url] if url else []
        result = subprocess.run(
            [*command, "kms", *args, *endpoint],
            env=env or _clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert result.returncode == 0, f"aws kms {' '.join(args)}: {result.stderr}"
        return result.stdout

    return run


def test_aws_cli_tutorial_against_mock_kms_serve(tmp_path, aws):
    state = tmp_path / "kms-state.json"
    server = ServeProcess(tmp_path, "--state", str(state))
    try:
        assert server.url.startswith("http://127.0.0.1:")
        # Set up over raw HTTP (each aws CLI run costs a second or two of start-up).
        key_id = _post(server.url, "CreateKey", {"Description": "tutorial"})[1]["KeyMetadata"]["KeyId"]
        assert _post(server.url, "CreateAlias", {"AliasName": "alias/tutorial", "TargetKeyId": key_id})[0] == 200
        other = _post(server.url, "CreateKey", {})[1]["KeyMetadata"]["Arn"]
        (tmp_path / "myfile.txt").write_bytes(b"my secret data\n")
        encrypted = aws(
            server.url, "encrypt", "--key-id", "alias/tutorial", "--plaintext", "fileb://myfile.txt",
            "--query", "CiphertextBlob", "--output", "text",
        )  # fmt: skip
        (tmp_path / "myfile.encrypted").write_bytes(base64.b64decode(encrypted))
        plaintext = aws(
            server.url,
            "decrypt",
            "--ciphertext-blob",
            "fileb://myfile.encrypted",
            "--query",
            "Plaintext",
            "--output",
            "text",
        )
        assert base64.b64decode(plaintext) == b"my secret data\n"

        reencrypted = json.loads(
            aws(
                server.url, "re-encrypt", "--ciphertext-blob", "fileb://myfile.encrypted", "--destination-key-id", other
            )
        )
        assert reencrypted["KeyId"] == other and reencrypted["SourceKeyId"].endswith(key_id)
        (tmp_path / "myfile.reencrypted").write_bytes(base64.b64decode(reencrypted["CiphertextBlob"]))

        # AWS_ENDPOINT_URL_KMS instead of --endpoint-url: how other SDKs are pointed at the server.
        aws(None, "enable-key-rotation", "--key-id", key_id, env=_clean_env(tmp_path, AWS_ENDPOINT_URL_KMS=server.url))
        assert _post(server.url, "GetKeyRotationStatus", {"KeyId": key_id})[1]["KeyRotationEnabled"] is True
        server.wait_for("EnableKeyRotation 200 ok")  # the request log on stderr
    finally:
        assert server.stop(signal.SIGTERM) == 0
    assert any(f"saved state to {state}" in line for line in server.log), server.log

    # A new server process from the saved state decrypts what the first one encrypted.
    again = ServeProcess(tmp_path, "--state", str(state))
    try:
        assert any(f"loaded state from {state}" in line for line in again.log)
        plaintext = aws(
            again.url,
            "decrypt",
            "--ciphertext-blob",
            "fileb://myfile.reencrypted",
            "--query",
            "Plaintext",
            "--output",
            "text",
        )
        assert base64.b64decode(plaintext) == b"my secret data\n"
    finally:
        assert again.stop(signal.SIGINT) == 0


def test_serve_with_a_seed_file(tmp_path):
    seed = tmp_path / "seed.json"
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    seed.write_text(json.dumps({"Keys": [{"KeyId": key_id, "KeyMaterial": "00" * 32, "Aliases": ["alias/seeded"]}]}))
    server = ServeProcess(tmp_path, "--seed", str(seed), "--region", "eu-west-1")
    try:
        status, health = _get(server.url, "/health")
        assert status == 200
        assert json.loads(health)["keys"] == 1 and json.loads(health)["region"] == "eu-west-1"
        status, described = _post(server.url, "DescribeKey", {"KeyId": "alias/seeded"}, region="eu-west-1")
        assert status == 200
        assert described["KeyMetadata"]["Arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key_id}"
    finally:
        server.stop()


def test_serve_refuses_a_bad_state_file(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{}")
    script = BIN / "mock-kms"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mock_kms"]
    result = subprocess.run(
        [*command, "serve", "--port", "0", "--state", str(state)],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f'{state}: not a mock_kms state file (expected "format": "mock_kms/state")' in result.stderr


def test_server_mock_is_a_plain_kms_mock():
    server = kms_server()
    assert isinstance(server.mock, KmsMock) and not server.mock.active
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
