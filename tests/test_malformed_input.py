"""Whatever the input, every operation answers with an AWS error code: never a raw Python exception.

Requests are sent past botocore's client-side validation (``parameter_validation=False``) and
hit the mock with empty bodies, wrong types, and odd values for every member of every operation.
"""

from __future__ import annotations

import base64
import json

import pytest
from botocore.config import Config

from mock_kms import mock_kms
from mock_kms.wire.model import service_model
from mock_kms.wire.protocol import handle

MODEL = service_model()
OPERATIONS = sorted(MODEL.operation_names)


def _odd_values(shape, key_ids: list[str]) -> list[object]:
    kind = shape.type_name
    if kind == "string":
        return ["", "x", *key_ids, "alias/aws/s3", "arn:aws:kms:us-east-1:123456789012:key/garbage", "\u00ff" * 300]
    if kind in ("integer", "long"):
        return [-1, 0, 10**12]
    if kind == "boolean":
        return [True, "yes"]
    if kind == "blob":
        return [b"\x00" * 10, b"\x01" * 7000]
    if kind == "list":
        return [[], ["x"], [{}], "not-a-list"]
    if kind == "map":
        return [{}, {"k": ""}, {"": "v"}, []]
    if kind == "structure":
        return [{}, {"Unknown": 1}, "not-a-struct"]
    if kind == "timestamp":
        return [0, "yesterday"]
    return [None]


def _minimal(shape, key_id: str) -> dict:
    params = {}
    for name in shape.required_members if shape is not None else ():
        member = shape.members[name]
        params[name] = key_id if member.type_name == "string" else _odd_values(member, [key_id])[0]
    return params


@pytest.fixture(scope="module")
def world():
    with mock_kms() as m:
        kms = m.client("kms", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
        symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
        hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/fuzz", TargetKeyId=symmetric)
        yield m, kms, [symmetric, hmac_key, ecc, external, "alias/fuzz"]


def _json(value: object) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _call(mock, operation: str, params: dict) -> None:
    """Send the request as the wire carries it (what a client with validation off, or any SDK, sends)."""
    headers = {
        "X-Amz-Target": f"TrentService.{operation}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/kms/aws4_request, Signature=x",
    }
    response = handle(mock, headers, json.dumps(_json(params)).encode())
    payload = json.loads(response.body)
    if response.status != 200:
        assert payload["__type"] != "KMSInternalException", f"{operation}({params!r}) -> {payload}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_survives_odd_input(world, operation):
    m, kms, key_ids = world
    shape = MODEL.operation_model(operation).input_shape
    _call(m, operation, {})
    if shape is None:
        return
    for key_id in key_ids:
        base = _minimal(shape, key_id)
        _call(m, operation, base)
        for name, member in shape.members.items():
            if name == "DryRun":
                continue
            for value in _odd_values(member, key_ids[:1]):
                _call(m, operation, {**base, name: value})


@pytest.mark.parametrize(
    "body",
    [b"", b"null", b"[]", b"not json", b'{"KeyId": 5}', b'{"KeyId": {"a": 1}}', b"\xff\xfe", b'"string"', b"{" * 50],
)
def test_garbage_bodies_on_the_wire(world, body):
    m, _, _ = world
    for operation in ("Encrypt", "CreateKey", "ListKeys", "Decrypt"):
        response = handle(m, {"X-Amz-Target": f"TrentService.{operation}"}, body)
        payload = json.loads(response.body)
        assert response.status in (200, 400)
        if response.status == 400:
            assert payload["__type"] in {"SerializationException", "ValidationException", "NotFoundException"}


def test_the_odd_inputs_reach_the_handlers(world):
    """Guard for the test above: most odd requests get past decoding into the mock's handlers."""
    m, _, key_ids = world
    before = len(m.calls)
    test_every_operation_survives_odd_input(world, "Encrypt")
    records = list(m.calls)[before:]
    assert len(records) > 50
    assert {r.error_code for r in records} >= {"ValidationException", "SerializationException", "NotFoundException"}
