"""amazon-s3-encryption-client-python (S3EC v4), unchanged, with its KMS keyring.

It pins ``cryptography<49`` (our floor is 48), so it lives in the ``s3ec`` extra and tox env,
not in ``test``; without it this module is skipped. S3 itself is a small in-process stand-in
(``serve_locally``): only KMS is under test.
"""

from __future__ import annotations

import urllib.parse

import pytest
from botocore.config import Config

from ._support import calls, serve_locally

pytest.importorskip("s3_encryption")

from s3_encryption import S3EncryptionClient, S3EncryptionClientConfig  # noqa: E402
from s3_encryption.exceptions import S3EncryptionClientError  # noqa: E402
from s3_encryption.materials.kms_keyring import KmsKeyring  # noqa: E402


class FakeS3:
    """PutObject/GetObject of whole objects, keeping user metadata (x-amz-meta-*)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[dict[str, str], bytes]] = {}

    def __call__(self, request):
        path = urllib.parse.urlsplit(request.url).path
        if request.method == "PUT":
            body = request.body
            data = body.read() if hasattr(body, "read") else (body or b"")
            if isinstance(data, str):
                data = data.encode()
            metadata = {
                k: v.decode() if isinstance(v, bytes) else v
                for k, v in request.headers.items()
                if k.lower().startswith("x-amz-meta-")
            }
            self.objects[path] = (metadata, data)
            return 200, {"ETag": '"0"'}, b""
        if request.method == "GET":
            if path not in self.objects:
                error = b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
                return 404, {"Content-Type": "application/xml"}, error
            metadata, data = self.objects[path]
            return 200, {"Content-Type": "binary/octet-stream", "ETag": '"0"', **metadata}, data
        raise AssertionError(f"unexpected S3 call {request.method} {path}")


@pytest.fixture
def s3ec(mock, kms):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    # Plain bodies (no aws-chunked CRC trailer) keep the S3 stand-in trivial.
    plain = Config(request_checksum_calculation="when_required", response_checksum_validation="when_required")
    s3 = mock.client("s3", "us-east-1", config=plain)
    store = FakeS3()
    serve_locally(s3, store)
    client = S3EncryptionClient(s3, S3EncryptionClientConfig(keyring=KmsKeyring(kms, key_arn)))
    return client, store, key_arn


def test_put_and_get_object_with_kms_keyring(mock, s3ec):
    client, store, key_arn = s3ec
    client.put_object(Bucket="bucket", Key="report.csv", Body=b"a,b,c\n1,2,3\n", EncryptionContext={"dept": "finance"})
    ((_, (_, stored)),) = store.objects.items()
    assert b"a,b,c" not in stored
    (generate,) = calls(mock, "GenerateDataKey")
    assert generate.key_arn == key_arn
    assert generate.params["EncryptionContext"]["dept"] == "finance"

    got = client.get_object(Bucket="bucket", Key="report.csv", EncryptionContext={"dept": "finance"})
    assert got["Body"].read() == b"a,b,c\n1,2,3\n"
    (decrypt,) = calls(mock, "Decrypt")
    assert decrypt.params["EncryptionContext"] == generate.params["EncryptionContext"] and decrypt.succeeded


def test_disabled_key_makes_get_object_fail(mock, kms, s3ec):
    client, _, key_arn = s3ec
    client.put_object(Bucket="bucket", Key="k", Body=b"secret")
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(S3EncryptionClientError):
        client.get_object(Bucket="bucket", Key="k")["Body"].read()
    failed = calls(mock, "Decrypt")[-1]
    assert (failed.error_code, failed.error_message) == ("DisabledException", f"{key_arn} is disabled.")
