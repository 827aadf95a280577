"""SigV4 verification in-process: ``mock_kms(verify_signatures=True)`` (mock_kms/wire/sigv4.py).

Good signatures from botocore (boto3), from ``requests`` + botocore's ``SigV4Auth``, from every
kind of principal pass; each kind of bad one gets AWS's code and message. The server side
(aws CLI, JavaScript SDK, ``--verify-signatures``) is in test_server_durability_and_signatures.py
and test_js_sdk.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_kms import mock_kms
from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY
from mock_kms.wire.sigv4 import SIGNATURE_MISMATCH

URL = "https://kms.us-east-1.amazonaws.com/"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}


@pytest.fixture
def verified():
    with mock_kms(verify_signatures=True) as kms_mock:
        yield kms_mock


def _client(access_key: str = MOCK_ACCESS_KEY_ID, secret: str = MOCK_SECRET_ACCESS_KEY, **kwargs):
    return boto3.client(
        "kms", region_name="us-east-1", aws_access_key_id=access_key, aws_secret_access_key=secret, **kwargs
    )


def _error(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def _signed(
    operation: str = "ListKeys",
    payload: dict | None = None,
    *,
    access_key: str = MOCK_ACCESS_KEY_ID,
    secret: str = MOCK_SECRET_ACCESS_KEY,
    region: str = "us-east-1",
    service: str = "kms",
    url: str = URL,
) -> AWSRequest:
    """A request signed by hand with botocore's SigV4Auth, as custom signers and `requests` users do."""
    request = AWSRequest(
        method="POST",
        url=url,
        data=json.dumps(payload or {}).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{operation}"},
    )
    SigV4Auth(Credentials(access_key, secret), service, region).add_auth(request)
    return request


def _send(request: AWSRequest, **changes: str) -> tuple[int, dict]:
    headers = dict(request.headers.items())
    headers.update(changes)
    response = requests.post(request.url, data=request.body, headers=headers, timeout=5)
    return response.status_code, response.json()


# -- good signatures ------------------------------------------------------------------------
def test_botocore_signatures_pass(verified):
    kms = _client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"a": "b"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"x"
    assert verified.client().list_keys()["Keys"]  # kms_mock.client() signs with the mock's credentials


def test_every_kind_of_principal_signs_with_its_own_secret(verified):
    user = verified.iam.create_user("alice", policies=[ALLOW_ALL])
    role = verified.iam.create_role("worker", policies=[ALLOW_ALL])
    root = verified.iam.root()
    for principal in (user, role, root):
        assert "Keys" in principal.client().list_keys()
    # A role session's token is part of its credentials.
    session = role.session()
    code, message, _ = _error(_client(session.access_key_id, session.secret_access_key).list_keys)
    assert (code, message) == ("UnrecognizedClientException", "The security token included in the request is invalid.")
    wrong_token = _client(session.access_key_id, session.secret_access_key, aws_session_token="not-the-token")
    assert _error(wrong_token.list_keys)[0] == "UnrecognizedClientException"


def test_requests_with_botocore_sigv4auth_pass(verified):
    status, body = _send(_signed("CreateKey", {"Description": "signed by hand"}))
    assert status == 200 and body["KeyMetadata"]["Description"] == "signed by hand"


def test_signing_time_follows_freezegun_and_ignores_the_mock_clock(verified):
    kms = _client()
    with freeze_time("2021-06-01 12:00:00"):  # botocore signs with the frozen time; so is it checked
        assert "Keys" in kms.list_keys()
    verified.clock.advance(days=400)  # only the mock sees this offset: signatures stay valid
    assert "Keys" in kms.list_keys()


# -- bad signatures -------------------------------------------------------------------------
def test_wrong_secret(verified):
    assert _error(_client(secret="not-the-secret").list_keys) == ("InvalidSignatureException", SIGNATURE_MISMATCH, 400)
    assert SIGNATURE_MISMATCH == (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details."
    )


def test_unknown_access_key(verified):
    code, message, _ = _error(_client("AKIAUNKNOWNUNKNOWN00", "whatever").list_keys)
    assert (code, message) == ("UnrecognizedClientException", "The security token included in the request is invalid.")


def test_tampered_body_and_headers(verified):
    key_id = _client().create_key()["KeyMetadata"]["KeyId"]
    request = _signed("Encrypt", {"KeyId": key_id, "Plaintext": "aGVsbG8="})
    assert _send(request)[0] == 200
    tampered = _signed("Encrypt", {"KeyId": key_id, "Plaintext": "aGVsbG8="})
    tampered.data = json.dumps({"KeyId": key_id, "Plaintext": "ZXZpbA=="}).encode()
    assert _send(tampered) == (400, {"__type": "InvalidSignatureException", "message": SIGNATURE_MISMATCH})
    # A signed header changed on the way: another operation than the one signed.
    assert _send(_signed("ListKeys"), **{"X-Amz-Target": "TrentService.ScheduleKeyDeletion"})[1]["__type"] == (
        "InvalidSignatureException"
    )
    # An unsigned header added on the way changes nothing.
    assert _send(_signed("ListKeys"), **{"X-Extra": "1"})[0] == 200

    def change_body_after_signing(request, **_):
        request.body = request.body.replace(b'"Limit": 5', b'"Limit": 6')

    kms = _client()
    kms.meta.events.register("before-send.kms.ListKeys", change_body_after_signing)
    assert _error(lambda: kms.list_keys(Limit=5))[:2] == ("InvalidSignatureException", SIGNATURE_MISMATCH)


def test_scope_for_another_region_or_service(verified):
    status, body = _send(_signed(region="eu-west-1"))
    assert (status, body) == (
        400,
        {
            "__type": "InvalidSignatureException",
            "message": "Credential should be scoped to a valid region, not 'eu-west-1'. ",
        },
    )
    status, body = _send(_signed(service="s3"))
    assert body == {
        "__type": "InvalidSignatureException",
        "message": "Credential should be scoped to correct service: 'kms'. ",
    }
    # FIPS and dual-stack endpoints name their region too.
    assert _send(_signed(region="eu-west-1", url="https://kms-fips.us-east-1.amazonaws.com/"))[0] == 400
    assert _send(_signed(region="eu-west-1", url="https://kms.eu-west-1.api.aws/"))[0] == 200


def test_missing_or_malformed_authorization(verified):
    request = _signed()
    headers = {name: value for name, value in request.headers.items() if name != "Authorization"}
    response = requests.post(URL, data=request.body, headers=headers, timeout=5)
    assert response.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }

    assert _send(request, Authorization="AWS AKIDEXAMPLE:c2lnbmF0dXJl")[1] == {
        "__type": "IncompleteSignatureException",
        "message": "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKIDEXAMPLE:c2lnbmF0dXJl",
    }
    without_signature = request.headers["Authorization"].rsplit(", Signature=", 1)[0]
    assert _send(request, Authorization=without_signature)[1]["message"] == (
        f"Authorization header requires 'Signature' parameter. Authorization={without_signature}"
    )
    no_equals = without_signature + ", Signature"
    assert _send(request, Authorization=no_equals)[1] == {
        "__type": "IncompleteSignatureException",
        "message": f"'Signature' not a valid key=value pair (missing equal-sign) in Authorization header: '{no_equals}'.",
    }
    short = request.headers["Authorization"].replace("/us-east-1/kms/aws4_request", "/us-east-1/kms")
    assert _send(request, Authorization=short)[1]["__type"] == "IncompleteSignatureException"
    undated = {name: value for name, value in request.headers.items() if name != "X-Amz-Date"}
    body = requests.post(URL, data=request.body, headers=undated, timeout=5).json()
    assert body["message"] == (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={request.headers['Authorization']}"
    )


def test_signing_time_outside_five_minutes(verified):
    with freeze_time("2021-06-01 12:00:00"):
        old = _signed()
    code, message = _send(old)[1].values()
    assert code == "InvalidSignatureException"
    now = datetime.now(timezone.utc)
    assert message.startswith("Signature expired: 20210601T120000Z is now earlier than ")
    assert message.endswith(" - 5 min.)")
    assert (now - timedelta(minutes=5)).strftime("%Y%m%d") in message

    with freeze_time(datetime.now(timezone.utc) + timedelta(minutes=10)):
        future = _signed()
    body = _send(future)[1]
    assert body["__type"] == "InvalidSignatureException"
    assert body["message"].startswith(f"Signature not yet current: {future.headers['X-Amz-Date']} is still later than ")

    with freeze_time(datetime.now(timezone.utc) + timedelta(minutes=4)):  # within AWS's 5 minutes
        assert _send(_signed())[0] == 200


def test_scope_date_must_be_the_signing_date(verified):
    request = _signed()
    amz_date = request.headers["X-Amz-Date"]
    other_day = (datetime.strptime(amz_date[:8], "%Y%m%d") + timedelta(days=1)).strftime("%Y%m%d")
    authorization = request.headers["Authorization"].replace(f"/{amz_date[:8]}/", f"/{other_day}/")
    body = _send(request, Authorization=authorization)[1]
    assert body["__type"] == "InvalidSignatureException"
    assert body["message"].startswith(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        f"'{other_day}' != '{amz_date[:8]}'"
    )


def test_off_by_default():
    with mock_kms() as kms_mock:
        assert kms_mock.verify_signatures is False
        assert "Keys" in _client(secret="anything at all").list_keys()


def test_configured_environment_keys_are_unknown_but_the_mock_client_signs_right(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto's habit
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_kms(verify_signatures=True) as kms_mock:
        assert "Keys" in kms_mock.client().list_keys()
        environment_client = boto3.session.Session().client("kms", region_name="us-east-1")  # reads the env now
        assert _error(environment_client.list_keys)[0] == "UnrecognizedClientException"


def test_host_must_be_signed_and_dates_must_be_readable(verified):
    request = _signed()
    unsigned_host = request.headers["Authorization"].replace(
        "SignedHeaders=content-type;host;", "SignedHeaders=content-type;"
    )
    assert unsigned_host != request.headers["Authorization"]
    assert _send(request, Authorization=unsigned_host)[1] == {
        "__type": "InvalidSignatureException",
        "message": "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    }
    assert _send(request, **{"X-Amz-Date": "yesterday"})[1] == {
        "__type": "IncompleteSignatureException",
        "message": "Date must be in ISO-8601 'basic format'. Got 'yesterday'.",
    }
    undated = {name: value for name, value in request.headers.items() if name != "X-Amz-Date"}
    undated["Date"] = "not a date"
    body = requests.post(URL, data=request.body, headers=undated, timeout=5).json()
    assert body == {
        "__type": "IncompleteSignatureException",
        "message": "Date must be in ISO-8601 'basic format'. Got 'not a date'.",
    }


def test_aws_cli_in_process(monkeypatch, capsys, tmp_path):
    """The aws CLI's own driver (its vendored botocore, when it has one) signs right; a wrong secret fails."""
    clidriver = pytest.importorskip("awscli.clidriver")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOCK_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOCK_SECRET_ACCESS_KEY)
    with mock_kms(verify_signatures=True):
        capsys.readouterr()
        assert clidriver.create_clidriver().main(["--region", "us-east-1", "kms", "create-key"]) == 0
        assert json.loads(capsys.readouterr().out)["KeyMetadata"]["KeyState"] == "Enabled"
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
        assert clidriver.create_clidriver().main(["--region", "us-east-1", "kms", "list-keys"]) != 0
        assert f"(InvalidSignatureException) when calling the ListKeys operation: {SIGNATURE_MISMATCH}" in (
            capsys.readouterr().err
        )


def test_every_x_amz_header_sent_must_be_signed(verified):
    # Signed without X-Amz-Target, the operation could be swapped after signing (review finding).
    key_id = _client().create_key()["KeyMetadata"]["KeyId"]
    request = AWSRequest(method="POST", url=URL, data=json.dumps({"KeyId": key_id}).encode(), headers={})
    SigV4Auth(Credentials(MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY), "kms", "us-east-1").add_auth(request)
    status, body = _send(
        request,
        **{"X-Amz-Target": "TrentService.DisableKey", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert body["message"].endswith("not signed: x-amz-target")
    assert _client().describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize(
    "changes",
    [
        {"Host": "["},  # not a URL authority
        {"X-Amz-Date": None, "Date": "Fri, 31 Dec 9999 23:59:59 -0100"},  # past datetime's range
        {"Authorization": "Signature=\u00e9"},  # a non-ASCII signature
    ],
)
def test_unparseable_signing_input_gets_an_aws_error(verified, changes):
    request = _signed()
    headers = dict(request.headers.items())
    for name, value in changes.items():
        if name == "Authorization":
            headers[name] = headers[name].rsplit("Signature=", 1)[0] + value
        elif value is None:
            headers.pop(name)
        else:
            headers[name] = value
    prepared = requests.Request("POST", URL, data=request.body, headers=headers).prepare()
    if "Host" in changes:
        prepared.headers["Host"] = changes["Host"]
    with requests.Session() as session:
        response = session.send(prepared, timeout=5)
    assert response.status_code == 400
    assert response.json()["__type"] in ("IncompleteSignatureException", "InvalidSignatureException")


@pytest.mark.parametrize("path", ["/x%20y/", "/a//b/", "/a/./b/../c"])
def test_paths_are_signed_as_botocore_signs_them(verified, path):
    # Non-S3 SigV4 encodes the (already encoded) path once more, without empty or dot segments.
    request = _signed(url=URL.rstrip("/") + path)
    assert _send(request)[0] == 200
