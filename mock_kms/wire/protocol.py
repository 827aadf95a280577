"""The AWS JSON 1.1 protocol of KMS: one function from an HTTP request to an HTTP response.

Both the in-process interceptor (``mock.py``) and the HTTP server feed ``handle``.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from mock_kms.api import READY, load_handler
from mock_kms.api.context import RequestContext
from mock_kms.core.errors import (
    KMSError,
    KMSInternalException,
    NotImplementedByMockException,
    SerializationException,
    UnknownOperationException,
)
from mock_kms.core.ids import random_uuid
from mock_kms.journal import redact
from mock_kms.wire.model import operation_names
from mock_kms.wire.validate import compiled

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

TARGET_PREFIX = "TrentService."
CONTENT_TYPE = "application/x-amz-json-1.1"


class WireResponse(NamedTuple):
    """One HTTP response (a named tuple: immutable, and the cheapest object to make per call)."""

    status: int
    headers: dict[str, str]
    body: bytes


def _default(value: Any) -> Any:
    # Only called by json for types it does not know: blobs and timestamps.
    if isinstance(value, (bytes, bytearray)):
        return binascii.b2a_base64(value, newline=False).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """A header's value from any mapping a client hands over (exact or lower-case name, bytes or str)."""
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def parse_credential(authorization: str | None) -> tuple[str, str | None]:
    """(access key id, region) from a SigV4 ``Authorization`` header; ('', None) if absent."""
    if not authorization:
        return "", None
    start = authorization.find("Credential=")
    if start < 0:
        return "", None
    end = authorization.find(",", start)
    scope = authorization[start + 11 : end if end >= 0 else None].strip().split("/")
    return scope[0], scope[2] if len(scope) > 2 else None


def error_response(error: KMSError, request_id: str) -> WireResponse:
    """AWS's JSON 1.1 error answer: ``{"__type", "message"}`` with the error's HTTP status."""
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return WireResponse(error.status, {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}, body)


# -- the per-request path -------------------------------------------------------------------
# Everything that can be computed once is: the target -> operation table (str and bytes
# forms, as botocore sends bytes), one JSON encoder and decoder. See BENCHMARKS.md for what
# each layer of a call costs.
_OPERATIONS: dict[str | bytes, str] = {}
for _name in operation_names():
    _OPERATIONS[TARGET_PREFIX + _name] = _name
    _OPERATIONS[(TARGET_PREFIX + _name).encode("latin-1")] = _name
del _name


def _make_encode() -> Any:
    """Same output as ``json.dumps(result, default=_default)``, without building an encoder
    per call: the C encoder, made once (responses are trees: no circular-reference markers)."""
    plain = json.JSONEncoder(default=_default).encode
    try:
        from json.encoder import c_make_encoder, encode_basestring_ascii

        if c_make_encoder is None:
            return plain
        c_encode = c_make_encoder(None, _default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    except (ImportError, TypeError):  # no C accelerator, or another signature
        return plain

    def encode(result: Any) -> str:
        return "".join(c_encode(result, 0))

    return encode


_encode = _make_encode()
_plans: dict[str, tuple[Any, Any]] = {}  # operation -> validate.compiled(operation)
# json.loads(body) is decode + JSONDecoder.decode + raw_decode + the C scanner; the usual
# botocore body goes to the scanner directly (same result, same errors).
_scan_once = json.JSONDecoder().scan_once


def _parse_body(body: bytes | str | None) -> Any:
    try:
        if not body:
            return {}
        if type(body) is bytes and body.startswith(b"{"):
            # UTF-8 JSON without a BOM (it starts with "{"), decoded as json.loads decodes bytes.
            text = body.decode("utf-8", "surrogatepass")
            value, end = _scan_once(text, 0)
            if end != len(text) and text[end:].strip(" \t\n\r"):
                raise ValueError("Extra data")
            return value
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, StopIteration, RecursionError):  # RecursionError: nested too deep
        raise SerializationException("Start of structure or map found where not expected.") from None


def _may_hold_null(body: Any) -> bool:
    # A UTF-8 body spells null as the bytes b"null"; other encodings are walked regardless.
    if type(body) is bytes and body.startswith(b"{"):
        return b"null" in body
    return True


def drop_nulls(value: Any) -> None:
    """Remove JSON ``null`` members, in place, from every object in a validated request.

    For JSON 1.1 services a ``null`` member means the same as an absent one, so handlers
    never see ``None``: an optional member falls back to its default and a required one was
    already answered as missing by the validator. Called after validation, when a ``null``
    can only be a structure member (the validator refuses ``null`` in lists and map values).
    Only bodies that contain ``null`` at all are walked, so the usual call pays nothing.
    """
    if type(value) is dict:
        for name in [name for name, item in value.items() if item is None]:
            del value[name]
        for item in value.values():
            if type(item) is dict or type(item) is list:
                drop_nulls(item)
    elif type(value) is list:
        for item in value:
            if type(item) is dict or type(item) is list:
                drop_nulls(item)


def handle(mock: KmsMock, headers: Mapping[str, Any], body: bytes | str | None) -> WireResponse:
    """Answer one KMS request. Never raises: every failure becomes an AWS error response."""
    try:
        target = header(headers, "X-Amz-Target")
        authorization = header(headers, "Authorization")
    except Exception as error:  # an unreadable headers object: still an AWS-shaped answer
        return error_response(KMSInternalException(f"mock_kms internal error in request: {error!r}"), random_uuid())
    return handle_request(mock, target, authorization, body)


def handle_request(
    mock: KmsMock, target: str | bytes | None, authorization: str | bytes | None, body: bytes | str | None
) -> WireResponse:
    """``handle`` given the two headers it reads (``X-Amz-Target``, ``Authorization``).

    The interceptor calls this directly with the target it has already read.
    """
    request_id = random_uuid()
    operation = ""
    record = None
    try:
        operation = _OPERATIONS.get(target, "") if target is not None else ""
        if not operation:
            raise UnknownOperationException("")
        if isinstance(authorization, bytes):
            authorization = authorization.decode("latin-1")
        access_key, region = parse_credential(authorization)
        caller = mock.identify(access_key)
        journal = mock.journal
        region = region or mock.region
        record = journal.begin(operation, region, caller, request_id)
        params = _parse_body(body)
        if type(params) is not dict:
            raise SerializationException("Start of structure or map found where not expected.")
        # decode_request() and validate(), with the operation's compiled functions looked up once.
        plan = _plans.get(operation)
        if plan is None:
            plan = _plans[operation] = compiled(operation)
        if plan[0] is not None:
            plan[0](params)
        record.params = redact(params)  # the journal keeps no plaintext or secret
        plan[1](params)
        if _may_hold_null(body):
            drop_nulls(params)
        handler = READY.get(operation) or load_handler(operation)  # a family's first call imports it
        if handler is None:
            raise NotImplementedByMockException(f"mock_kms does not support the {operation} operation yet.")
        backend = mock.backend
        with backend.lock:
            backend.run_due_events()
            mock.before_request(operation, record)
            ctx = RequestContext(
                backend=backend,
                here=backend.region(caller.account, region),
                operation=operation,
                params=params,
                caller=caller,
                mock=mock,
            )
            try:
                result = handler(ctx)
            finally:
                record.key = ctx.key
        response = WireResponse(
            200,
            {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id},
            _encode(result).encode(),
        )
        journal.finish(record, None)  # (it notes the key's last usage: state too)
        if mock.durable_state is not None:  # on disk before the answer leaves (mock_kms/persistence.py)
            return mock.durable_state.acknowledge(record, response)
        return response
    except KMSError as error:
        if record is not None:
            mock.journal.finish(record, error)
        return error_response(error, request_id)
    except Exception as error:  # a bug in the mock: still an AWS-shaped answer, never a raw exception
        internal = KMSInternalException(f"mock_kms internal error in {operation or 'request'}: {error!r}")
        if record is not None:
            mock.journal.finish(record, internal)
        return error_response(internal, request_id)
