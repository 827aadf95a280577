"""Nothing escapes: every KMS request is answered in-process, whatever the endpoint or credentials."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading

import boto3
import botocore.session
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_kms import mock_kms


def test_client_created_before_the_mock_started(no_network):
    kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")
    with mock_kms():
        assert kms.create_key()["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize(
    "client_kwargs",
    [
        {"region_name": "eu-central-1"},
        {"region_name": "us-gov-west-1"},
        {"region_name": "cn-north-1"},
        {"region_name": "us-east-1", "endpoint_url": "https://kms.internal.example.com"},
        {"region_name": "us-east-1", "endpoint_url": "http://localhost:1"},
        {"region_name": "us-east-1", "config": Config(use_fips_endpoint=True)},
        {"region_name": "us-east-1", "config": Config(use_dualstack_endpoint=True)},
    ],
    ids=["region", "govcloud", "china", "custom-endpoint", "localhost-endpoint", "fips", "dualstack"],
)
def test_every_endpoint_is_answered_by_the_mock(no_network, client_kwargs):
    with mock_kms():
        kms = boto3.client("kms", **client_kwargs)
        key = kms.create_key()["KeyMetadata"]
        region = client_kwargs["region_name"]
        assert key["Arn"].split(":")[3] == region
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_endpoint_url_from_environment(no_network, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "https://kms.elsewhere.example.net")
    with mock_kms():
        kms = boto3.client("kms", region_name="us-west-2")
        assert kms.meta.endpoint_url == "https://kms.elsewhere.example.net"
        assert kms.list_keys()["Keys"] == []


def test_real_looking_environment_credentials_never_leave(no_network, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLE")
    with mock_kms() as m:
        boto3.client("kms", region_name="us-east-1").create_key()
        assert m.calls[-1].succeeded


def test_named_profile_credentials_never_leave(no_network, monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[prod]\naws_access_key_id = AKIAPRODEXAMPLE\naws_secret_access_key = secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with mock_kms():
        session = boto3.session.Session(profile_name="prod", region_name="us-east-1")
        assert session.client("kms").list_keys()["Keys"] == []


def test_no_credentials_configured_still_works_and_environment_is_restored(no_network, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    import os

    with mock_kms():
        kms = boto3.client("kms")  # no region, no credentials configured
        assert kms.create_key()["KeyMetadata"]["Arn"].split(":")[3] == "us-east-1"
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert "AWS_DEFAULT_REGION" not in os.environ


def test_botocore_client_without_boto3(no_network):
    with mock_kms():
        kms = botocore.session.get_session().create_client("kms", region_name="us-east-1")
        assert kms.generate_random(NumberOfBytes=16)["Plaintext"].__len__() == 16


def test_non_kms_requests_are_left_alone():
    """An S3 request goes to botocore's normal send path (here: a stub that records it)."""
    seen = []

    def fake_send(request, **kwargs):
        seen.append(request.url)
        from botocore.awsrequest import AWSResponse

        class Raw:
            def stream(self, **_):
                yield b""

        return AWSResponse(request.url, 200, {}, Raw())

    with mock_kms() as m:
        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
        s3.meta.events.register("before-send", fake_send)
        s3.delete_object(Bucket="bucket", Key="k")
        assert len(seen) == 1
        assert len(list(m.calls)) == 0


def test_kms_request_reaches_the_mock_not_the_network_send(monkeypatch):
    """The real send path is never called for KMS while the mock is active."""
    from botocore.endpoint import Endpoint

    with mock_kms():
        calls = []
        from mock_kms import interception

        # Undone before the mock stops: stop() puts _original_send back on Endpoint.
        with monkeypatch.context() as patch:
            patch.setattr(interception, "_original_send", lambda self, request: calls.append(request))
            boto3.client("kms", region_name="us-east-1").list_keys()
        assert calls == []
        assert Endpoint._send is interception._send
    assert Endpoint._send is not interception._send


def _sign(body: bytes, target: str, region: str = "us-east-1") -> dict[str, str]:
    """A minimal SigV4 signature, as hand-written code calling KMS with `requests` would make."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = f"kms.{region}.amazonaws.com"
    headers = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": amz_date, "x-amz-target": target}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        ["POST", "/", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{day}/{region}/kms/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = b"AWS4secret"
    for part in (day, region, "kms", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential=AKIDHAND/{scope}, SignedHeaders={signed}, Signature={signature}"
    return headers


def test_hand_signed_requests_call_is_intercepted(no_network):
    with mock_kms() as m:
        body = json.dumps({"Description": "made with requests"}).encode()
        response = requests.post("https://kms.us-east-1.amazonaws.com/", data=body, headers=_sign(body, "TrentService.CreateKey"))
        assert response.status_code == 200
        assert response.json()["KeyMetadata"]["Description"] == "made with requests"
        assert m.calls[-1].operation == "CreateKey"


def test_hand_signed_request_errors_are_aws_shaped(no_network):
    with mock_kms():
        body = b'{"KeyId": "nope"}'
        response = requests.post("https://kms.us-east-1.amazonaws.com/", data=body, headers=_sign(body, "TrentService.DescribeKey"))
        assert response.status_code == 400
        assert response.json() == {"__type": "NotFoundException", "message": "Invalid keyId 'nope'"}


def test_non_kms_requests_traffic_passes_through():
    """`requests` traffic that is not KMS goes to the real adapter (here: refused at once)."""
    with mock_kms():
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("http://127.0.0.1:9/", timeout=1)


def test_requests_interception_can_be_turned_off(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with mock_kms(intercept_requests=False) as m:
        body = b"{}"
        with pytest.raises(requests.exceptions.ConnectionError, match="network access attempted"):
            requests.post("https://kms.us-east-1.amazonaws.com/", data=body, headers=_sign(body, "TrentService.ListKeys"))
        assert len(list(m.calls)) == 0


def test_threads_sharing_one_mock_lose_no_updates():
    with mock_kms() as m:
        kms = m.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        errors: list[Exception] = []

        def work(worker: int) -> None:
            try:
                client = m.client()
                for i in range(15):
                    if i < 5:
                        client.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"t{worker}-{i}", "TagValue": "v"}])
                    client.create_key(Description=f"{worker}-{i}")
                    blob = client.encrypt(KeyId=key_id, Plaintext=b"%d" % i)["CiphertextBlob"]
                    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"%d" % i
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        paginator = kms.get_paginator("list_keys")
        keys = [k for page in paginator.paginate() for k in page["Keys"]]
        assert len(keys) == 1 + 8 * 15
        assert len(kms.list_resource_tags(KeyId=key_id)["Tags"]) == 8 * 5
        assert len(m.calls.filter("CreateKey")) == 1 + 8 * 15


def test_unknown_access_keys_rejected_with_strict_credentials():
    with mock_kms(strict_credentials=True):
        kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="AKIAUNKNOWN", aws_secret_access_key="x")
        with pytest.raises(ClientError) as error:
            kms.list_keys()
        assert error.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert error.value.response["Error"]["Message"] == "The security token included in the request is invalid."


_BOTOCORE_IMPORTED_ANEW = """
import sys

import mock_kms.interception  # binds the first copy of botocore
from mock_kms import mock_kms


def import_botocore_anew():
    for name in [m for m in sys.modules if m.split(".")[0] in ("botocore", "boto3")]:
        del sys.modules[name]
    import boto3

    return boto3


boto3 = import_botocore_anew()  # a second copy, loaded before the mock starts
with mock_kms():
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    print(kms.create_key()["KeyMetadata"]["KeyState"])
    boto3 = import_botocore_anew()  # a third copy, loaded while the mock is active
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    print(len(kms.list_keys()["Keys"]))
"""


def test_botocore_imported_anew_is_intercepted_too():
    # pytester's in-process runs drop modules from sys.modules between runs while the mock_kms
    # package object lives on: a fresh copy of botocore must not slip past the mock.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _BOTOCORE_IMPORTED_ANEW], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Enabled", "1"]
